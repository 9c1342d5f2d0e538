"""``hubdir serve`` with operating-system file events: an idle preview costs (almost) no CPU, an edit
reaches its page and then the listings and search, and the fast path's checks equal a full validation."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from generator import incremental
from generator.config import load_config
from generator.serve import STATUS_PATH, changed_files, stamp, watched_paths
from generator.site.search import INDEX_DIR
from generator.validate import load

IDLE_SECONDS = 10.0
IDLE_LIMIT = 0.03  # of one core


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{STATUS_PATH}", timeout=5) as response:
            return json.loads(response.read().decode("utf-8"))  # type: ignore[no-any-return]
    except OSError:
        return None


def _cpu_seconds(pid: int) -> float:
    """User + system time of a process, from ``/proc/<pid>/stat`` (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait(check, what: str, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_idle_preview_uses_at_most_3_percent_of_a_core_and_edits_reach_every_page(project: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "--root", str(project), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = project / "build" / "preview"
    try:
        _wait(lambda: (s := _status(port)) is not None and s["generation"] == 1 and not s["building"], "first build")
        time.sleep(1.0)  # let the first build's workers and the first page loads settle
        before, started = _cpu_seconds(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        used = (_cpu_seconds(proc.pid) - before) / (time.monotonic() - started)
        assert used <= IDLE_LIMIT, f"idle preview used {used:.1%} of a core"

        record = project / "content" / "womens_homes" / "wh-sx.yml"
        record.write_text(record.read_text("utf-8").replace("name: ", "name: 预览改名", 1), "utf-8")
        page = out / "org" / "wh-sx" / "index.html"
        _wait(lambda: "预览改名" in page.read_text("utf-8"), "the edited record page")
        # listings, the area pages and the search index follow in the same rebuild
        listing = out / "kinds" / "womens_homes" / "index.html"
        _wait(lambda: "预览改名" in listing.read_text("utf-8"), "the listing")
        area = out / "area" / "440606006" / "index.html"
        assert any("预览改名" in p.read_text("utf-8") for p in (out / "area").glob("*/index.html")), area
        docs = "".join(p.read_text("utf-8") for p in (out / INDEX_DIR / "d").glob("*.json"))
        assert "预览改名" in docs

        added = record.with_name("wh-preview-new.yml")
        added.write_text(
            record.read_text("utf-8").replace("id: wh-sx", "id: wh-preview-new").replace("预览改名", "新增预览"),
            "utf-8",
        )
        _wait(lambda: (out / "org" / "wh-preview-new" / "index.html").is_file(), "the new record's page")
        added.unlink()
        _wait(lambda: not (out / "org" / "wh-preview-new").exists(), "the deleted record's page to go")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_fast_path_validation_equals_a_full_validation(project: Path) -> None:
    """``incremental.load(changed=…)`` reads only the reported files, and reports what a full load does."""
    from test_incremental import Mutator

    config = load_config(project)
    files = incremental.FileCache()
    incremental.load(config, files)
    mutator = Mutator(project, 5)
    broken = project / "content" / "social_orgs" / "so-rg-fitness.yml"
    for step in range(8):
        before = stamp(watched_paths(config))
        mutator.step()
        if step == 3:
            broken.write_text(broken.read_text("utf-8").replace("hub: ", "hub: hub-nowhere-", 1), "utf-8")
        changed = changed_files(before, stamp(watched_paths(config)))
        config = load_config(project)
        cached = incremental.load(config, files, changed=changed)
        full = load(config)
        assert cached.report.problems == full.report.problems
        assert [(r.registry, r.rel, r.data) for r in cached.records] == [
            (r.registry, r.rel, r.data) for r in full.records
        ]
    assert any(p.code.startswith("M") for p in full.report.problems)
