"""Issue 11 with real processes: Ctrl-C, SIGKILL, a read-only output folder, a full disk, serve clients.

These run ``python -m generator`` as users do (a terminal sends SIGINT to the
whole process group, so the test does too, with ``os.killpg``).
"""

# ruff: noqa: E501 - exact expected output lines are long by nature

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, Run

WAIT = 120.0


def _hubdir(root: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("CI", None)
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "--root", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell job has
        **kwargs,  # type: ignore[arg-type]
    )


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def built(project: Path, run: Run) -> Iterator[tuple[Path, dict[str, str]]]:
    """The fixture project with a finished site (the "previous site" every failure must keep)."""
    result = run(project, "build", "-q")
    assert result.exit_code == 0, result.output
    site = project / "build" / "site"
    yield project, _tree(site)


# -- Ctrl-C -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "stage"), [("zh", "site/en"), ("en", "data"), ("zh", "")])
def test_ctrl_c_during_build(built: tuple[Path, dict[str, str]], lang: str, stage: str) -> None:
    """SIGINT to the process group while workers run: one translated line, exit 130, nothing left over."""
    project, before = built
    touched = project / "content" / "hubs" / "hub-rg-union.yml"
    touched.write_text(touched.read_text("utf-8").replace("name: ", "name: 新", 1), "utf-8")
    proc = _hubdir(project, "--lang", lang, "build", "-q")
    tmp_glob = ".site.tmp-*/" + stage if stage else ".site.tmp-*"
    _wait_for(lambda: any((project / "build").glob(tmp_glob)), f"the build to reach {stage or 'its folder'}")
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=WAIT)
    expected = {
        "zh": "已中断：没有写入任何内容，原有输出保持不变。\n",
        "en": "Interrupted: nothing was written, the previous output is unchanged.\n",
    }[lang]
    assert (proc.returncode, out, err) == (130, "", expected)
    _wait_for(lambda: not _group_members(proc.pid), "the workers to stop")
    assert _tree(project / "build" / "site") == before  # the previous site, byte for byte
    assert not list((project / "build").glob(".site.tmp-*"))


# -- SIGKILL leaves a folder; the next build removes it ------------------------------------


def test_next_build_removes_what_a_killed_build_left(built: tuple[Path, dict[str, str]], run: Run) -> None:
    project, before = built
    proc = _hubdir(project, "build", "-q")
    _wait_for(lambda: any((project / "build").glob(".site.tmp-*/site")), "the build to start writing")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=WAIT)
    _wait_for(lambda: not _group_members(proc.pid), "the killed workers to go")
    left = list((project / "build").glob(".site.tmp-*"))
    assert len(left) == 1 and _tree(project / "build" / "site") == before
    # A folder of a build that is still running (its lock held) must be left alone.
    running = project / "build" / ".site.tmp-running"
    running.mkdir()
    holder = open(running / ".lock", "w")  # noqa: SIM115 - held during the build below
    fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        result = run(project, "build", "-q")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in (project / "build").glob(".site.tmp-*")) == [".site.tmp-running"]
    finally:
        holder.close()
    result = run(project, "build", "-q")
    assert result.exit_code == 0 and not list((project / "build").glob(".site.tmp-*"))


# -- read-only output, full disk -------------------------------------------------------------


def _can_mount() -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", "--version"], capture_output=True).returncode == 0


@contextlib.contextmanager
def _tmpfs(target: Path, options: str) -> Iterator[bool]:
    """A real tmpfs at ``target`` when this machine lets us mount one; yields whether it did."""
    target.mkdir(parents=True, exist_ok=True)
    mounted = _can_mount() and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
    ).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(target)], check=False)


def test_read_only_output_folder(project: Path, tmp_path: Path) -> None:
    out_parent = tmp_path / "ro"
    with _tmpfs(out_parent, "ro,size=64k") as mounted:
        if not mounted:  # an ordinary user: a folder without write permission is just as real
            out_parent.chmod(0o555)
        try:
            for lang, expected in (
                ("zh", f"构建失败，原网站保持不变：无法写入 {out_parent}：{'文件系统是只读的' if mounted else '没有写入权限'}\n"
                       f"  提示：{'用 --out 指定一个可写的目录。' if mounted else '修改目录权限，或用 --out 指定一个可写的目录。'}\n"),
                ("en", f"Build failed; the previous site is untouched: Cannot write {out_parent}: {'the file system is read-only' if mounted else 'no permission to write'}\n"
                       "  hint: " + ("Name a writable folder with --out." if mounted else "Change the folder's permissions, or name a writable folder with --out.") + "\n"),
            ):
                proc = _hubdir(project, "--lang", lang, "build", "-q", "--out", str(out_parent / "site"))
                _out, err = proc.communicate(timeout=WAIT)
                assert proc.returncode == 2
                assert err.endswith(expected), err
                assert "Traceback" not in err and "内部错误" not in err
        finally:
            if not mounted:
                out_parent.chmod(0o755)


def test_export_on_a_full_disk(project: Path, tmp_path: Path) -> None:
    """A tiny tmpfs fills up (ENOSPC); without mount rights a file-size limit fails the write (EFBIG)."""
    disk = tmp_path / "disk"
    with _tmpfs(disk, "size=96k") as mounted:
        limit = None if mounted else (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024)))
        target = disk / "data"
        for lang in ("zh", "en"):
            proc = _hubdir(project, "--lang", lang, "export", "--out", str(target), preexec_fn=limit)
            _out, err = proc.communicate(timeout=WAIT)
            assert proc.returncode == 1
            lines = err.splitlines()
            assert len(lines) == 2, err
            if lang == "zh":
                assert lines[0].startswith(f"导出失败，原有输出保持不变：无法写入 {disk}/")
                assert lines[0].endswith("：磁盘空间已满" if mounted else "：文件超过系统允许的大小")
                assert lines[1] == (
                    "  提示：腾出磁盘空间后重试，或用 --out 写到空间充足的目录。" if mounted
                    else "  提示：检查系统对文件大小的限制（ulimit -f），或用 --out 写到其他位置。"
                )
            else:
                assert lines[0].startswith(f"Export failed; the previous output is untouched: Cannot write {disk}/")
                assert lines[0].endswith(": the disk is full" if mounted else ": the file is larger than the system allows")
                assert lines[1] == (
                    "  hint: Free some disk space and try again, or write elsewhere with --out." if mounted
                    else "  hint: Check the system's file size limit (ulimit -f), or write elsewhere with --out."
                )
            assert not target.exists() and not [p for p in disk.iterdir() if p.name.startswith(".data.")]


# -- serve: a client that leaves during the first build -----------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_ignores_a_client_that_left(project: Path) -> None:
    port = _free_port()
    proc = _hubdir(project, "serve", "--port", str(port))
    try:
        def bound() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        _wait_for(bound, "the server to listen")
        for _ in range(5):  # requests queued while the first build runs, then abandoned with a reset
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            client.close()
        _wait_for(lambda: Path(project / "build" / "preview" / "index.html").exists(), "the first build")
        with socket.create_connection(("127.0.0.1", port)) as client:  # still serving
            client.sendall(b"GET /__hubdir__/status HTTP/1.0\r\n\r\n")
            assert client.recv(64).startswith(b"HTTP/1.0 200")
        time.sleep(1.0)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=WAIT)
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err
    assert err.splitlines()[-1] == "预览已停止。"


# -- release with an uncommitted package.yml ------------------------------------------------


def test_release_says_package_yml_is_uncommitted(project: Path, run: Run) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)

    package = project / "datasets" / "package.yml"
    package.parent.mkdir(exist_ok=True)
    shutil.copy(REPO / "datasets" / "package.yml", package)
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "content")
    package.write_text(package.read_text("utf-8") + "# 待提交\n", "utf-8")
    zh = run(project, "release", "2026-03-01", "--date", "2026-03-01")
    assert zh.output.splitlines()[0] == (
        "注意：datasets/package.yml 有未提交的修改；这个版本由工作目录中的内容生成，发布后请把它们一并提交。"
    )
    assert zh.exit_code == 0
    en = run(project, "--lang", "en", "release", "2026-03-02", "--date", "2026-03-02")
    assert en.output.splitlines()[0] == (
        "Note: datasets/package.yml have uncommitted changes; "
        "this release is made from the working tree, so commit them with it."
    )
    assert en.exit_code == 0
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "package")
    clean = run(project, "release", "2026-03-03", "--date", "2026-03-03")
    assert clean.exit_code == 0 and "未提交" not in clean.output


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[bool]:
    """``folder`` made read-only for real: a read-only bind mount as root, no write permission otherwise.

    Yields whether it is a mount (EROFS) rather than permissions (EACCES).
    """
    mounted = _can_mount() and subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True
    ).returncode == 0
    if mounted:
        mounted = subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True
        ).returncode == 0
        if not mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
    if not mounted:
        folder.chmod(0o555)
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        else:
            folder.chmod(0o755)


def test_fmt_and_new_in_a_read_only_folder(project: Path) -> None:
    hubs = project / "content" / "hubs"
    record = hubs / "hub-rg-union.yml"
    before = record.read_bytes()
    record.write_text(before.decode("utf-8").replace("kind: trade_union", "kind: 'trade_union'"), "utf-8")
    messy = record.read_bytes()
    with _read_only(hubs) as mounted:
        reason_zh, reason_en = ("文件系统是只读的", "the file system is read-only") if mounted else ("没有写入权限", "no permission to write")
        hint_zh = "这个位置是只读的：在可写的工作副本中运行。" if mounted else "检查文件和目录的权限。"
        hint_en = "This place is read-only: run it in a writable working copy." if mounted else "Check the permissions of the file and its folder."
        proc = _hubdir(project, "fmt", str(record))
        out, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 1
        assert err == (
            f"content/hubs/hub-rg-union.yml：未格式化，文件保持原样：无法写入 {record}：{reason_zh}\n  提示：{hint_zh}\n"
        )
        assert out == "检查了 1 个文件：格式化了 0 个。\n"
        assert record.read_bytes() == messy
        proc = _hubdir(project, "--lang", "en", "new", "hubs", "--division", "440606006", "--kind", "trade_union", "--name", "示例新工会")
        out, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 2
        lines = err.splitlines()
        assert lines[0].startswith(f"No record was created: Cannot write {hubs}/") and lines[0].endswith(f": {reason_en}")
        assert lines[1:] == [f"  hint: {hint_en}"]
        assert "Traceback" not in err


#: `hubdir validate` with its worker pool on (the fixture is below the threshold) and slow files.
_SLOW_POOL = (
    "import sys, time, generator.validate as v\n"
    "v.PARALLEL_THRESHOLD = 1\n"
    "read = v._read_one\n"
    "def slow(job):\n    time.sleep(0.5)\n    return read(job)\n"
    "v._read_one = slow\n"
    "from generator.cli import main\n"
    "main(sys.argv[1:])\n"
)


def test_ctrl_c_while_the_validation_pool_runs(project: Path) -> None:
    """concurrent.futures hung here once its workers died; the pool is now terminated at once."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_POOL, "--root", str(project), "--lang", "en", "validate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for(lambda: len(_group_members(proc.pid)) >= 3, "the pool's workers")
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (130, "", "Interrupted.\n")
    _wait_for(lambda: not _group_members(proc.pid), "the workers to stop")


# -- a killed build leaves no workers behind --------------------------------------------------------


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended; only its parent (now init) has not reaped it yet


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_build_leaves_no_workers_behind(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the kernel ends the forked page, search and dataset writers."""
    from bench import synth

    root = tmp_path / "p"
    synth.write_project(2000, root)
    proc = _hubdir(root, "build", "--quiet", "--no-cache")
    workers: set[int] = set()
    deadline = time.monotonic() + WAIT
    while not workers and proc.poll() is None and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.02)
    assert workers, "the build forked no worker"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)]
