"""``hubdir deploy``: a folder destination follows the site by its manifest (changed files only,
pages after assets, deletions after uploads, the manifest last), and its mistakes are said clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import build, deploy, incremental
from generator.config import load_config


def _files(folder: Path) -> dict[str, bytes]:
    return {rel: (folder / rel).read_bytes() for rel in incremental.walk(folder)}


@pytest.fixture
def two_builds(project: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """The fixture site deployed once, then rebuilt after one record was edited and one added."""
    site = project / "build" / "site"
    dest = project.parent / "www"
    build.build(load_config(project), site, quiet=True)
    first = deploy.sync_folder(site, dest)
    assert first.delete == [] and first.unchanged == 0
    assert _files(dest) == _files(site)
    before = _files(site)
    record = project / "content" / "womens_homes" / "wh-gz.yml"
    record.write_text(record.read_text("utf-8").replace("示例路 2 号", "示例路 3 号"), "utf-8")
    (project / "content" / "womens_homes" / "wh-sx.yml").unlink()
    build.build(load_config(project), site, quiet=True)
    return site, dest, before


def test_second_deploy_sends_only_what_changed_and_deletes_what_is_gone(
    two_builds: tuple[Path, Path, dict[str, bytes]],
) -> None:
    site, dest, before = two_builds
    after = _files(site)
    changed = sorted(rel for rel in after if before.get(rel) != after[rel] and rel != incremental.MANIFEST_NAME)
    gone = sorted(set(before) - set(after))
    assert "org/wh-sx/index.html" in gone and "org/wh-gz/index.html" in changed
    todo = deploy.sync_folder(site, dest)
    assert sorted(todo.upload) == changed
    assert todo.delete == gone
    assert todo.unchanged == len(after) - 1 - len(changed)
    assert _files(dest) == after
    assert not (dest / "org" / "wh-sx").exists()  # emptied folders go too
    again = deploy.sync_folder(site, dest)
    assert again.upload == [] and again.delete == []


def test_assets_go_before_pages_and_the_manifest_last(
    two_builds: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, dest, _ = two_builds
    order: list[str] = []
    real_put = deploy._put

    def recording(source: Path, target: Path) -> None:
        order.append(target.relative_to(dest).as_posix())
        real_put(source, target)

    monkeypatch.setattr(deploy, "_put", recording)
    deploy.sync_folder(site, dest)
    html = [i for i, rel in enumerate(order) if rel.endswith(".html")]
    other = [i for i, rel in enumerate(order[:-1]) if not rel.endswith(".html")]
    assert html and other and max(other) < min(html)
    assert order[-1] == incremental.MANIFEST_NAME


def test_a_file_changed_by_hand_at_the_destination_is_repaired(
    two_builds: tuple[Path, Path, dict[str, bytes]],
) -> None:
    site, dest, _ = two_builds
    deploy.sync_folder(site, dest)
    (dest / "index.html").write_text("broken", "utf-8")
    assert "index.html" in deploy.sync_folder(site, dest).upload
    same_size = dest / "assets" / "hubdir" / "hubdir.css"
    same_size.write_bytes(b"x" * same_size.stat().st_size)
    assert deploy.plan(site, dest).upload == []  # the manifest is trusted…
    assert deploy.plan(site, dest, verify=True).upload == ["assets/hubdir/hubdir.css"]  # …unless verified
    deploy.sync_folder(site, dest, verify=True)
    assert _files(dest) == _files(site)


def test_plan_against_an_object_store_manifest(two_builds: tuple[Path, Path, dict[str, bytes]], run) -> None:  # type: ignore[no-untyped-def]
    site, dest, _ = two_builds
    remote = dest.parent / "remote"
    remote.mkdir()
    (remote / incremental.MANIFEST_NAME).write_bytes((dest / incremental.MANIFEST_NAME).read_bytes())
    result = run(site.parent.parent, "deploy", "--plan", "--against", str(remote))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert "org/wh-gz/index.html" in doc["upload"] and "org/wh-sx/index.html" in doc["delete"]
    assert doc["manifest"] == incremental.MANIFEST_NAME
    assert not list(remote.glob("org"))  # a plan changes nothing


def test_deploy_command_reports_what_it_did(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    build.build(load_config(project), project / "build" / "site", quiet=True)
    dest = project.parent / "www"
    result = run(project, "deploy", "--to", str(dest), "--lang", "en")
    assert result.exit_code == 0
    count = len(json.loads(incremental.read_manifest_text(dest / incremental.MANIFEST_NAME))["files"])
    assert result.output.strip() == f"Synced to {dest}: {count} files uploaded, 0 deleted, 0 unchanged."
    result = run(project, "deploy", "--to", str(dest))
    assert result.output.strip() == f"已同步到 {dest}：上传 0 个文件，删除 0 个，{count} 个未变。"


def test_the_manifest_is_gzipped_and_a_destination_with_an_older_plain_manifest_is_read(
    two_builds: tuple[Path, Path, dict[str, bytes]], run  # type: ignore[no-untyped-def]
) -> None:
    """The manifest is gzipped JSON (a third of the bytes); a destination last deployed by an older
    hubdir has ``hubdir-manifest.json``: deploy reads it, sends only what changed, then deletes it."""
    import gzip

    site, dest, _ = two_builds
    data = (site / incremental.MANIFEST_NAME).read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    assert json.loads(text)["format"] == 1 and len(data) * 2 < len(text)
    remote = dest.parent / "remote"
    remote.mkdir()
    (remote / incremental.LEGACY_MANIFEST_NAME).write_text(
        incremental.read_manifest_text(dest / incremental.MANIFEST_NAME), "utf-8"
    )
    doc = json.loads(run(site.parent.parent, "deploy", "--plan", "--against", str(remote)).output)
    assert "org/wh-gz/index.html" in doc["upload"] and "index.html" not in doc["upload"]
    assert doc["delete"][-1] == incremental.LEGACY_MANIFEST_NAME  # after what is gone
    gzipped = dest / incremental.MANIFEST_NAME
    (dest / incremental.LEGACY_MANIFEST_NAME).write_bytes(gzip.decompress(gzipped.read_bytes()))
    gzipped.unlink()
    todo = deploy.sync_folder(site, dest)
    assert "org/wh-gz/index.html" in todo.upload and "index.html" not in todo.upload
    assert _files(dest) == _files(site)  # the plain manifest is gone, the gzipped one in place


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "{site} 中没有 hubdir-manifest.json.gz：请先运行 hubdir build"),
        ("en", "{site} has no hubdir-manifest.json.gz: run hubdir build first"),
    ],
)
def test_deploy_before_build_says_to_build(project: Path, run, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = run(project, "deploy", "--to", str(project.parent / "www"), "--lang", lang)
    assert result.exit_code == 2
    assert expected.format(site=project / "build" / "site") in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "网站目录 {site} 与目标 {dest} 不能相同或互相包含"),
        ("en", "the site folder {site} and the destination {dest} must not be the same or inside each other"),
    ],
)
def test_deploy_into_the_site_itself_is_refused(project: Path, run, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    site = project / "build" / "site"
    build.build(load_config(project), site, quiet=True)
    dest = site / "copy"
    result = run(project, "deploy", "--to", str(dest), "--lang", lang)
    assert result.exit_code == 2
    assert expected.format(site=site, dest=dest) in result.output
    assert not dest.exists()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "请用 --to DIR 指定目标目录，或用 --plan --against DIR 给出目标上次收到的清单"),
        ("en", "give a destination folder with --to DIR, or the destination's last manifest with --plan --against DIR"),
    ],
)
def test_deploy_without_a_destination_says_how(project: Path, run, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    result = run(project, "deploy", "--lang", lang)
    assert result.exit_code == 2
    assert expected in result.output


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "清单 {path} 无法读取："),
        ("en", "cannot read the manifest {path}: "),
    ],
)
def test_a_damaged_site_manifest_is_reported_and_a_damaged_destination_one_sends_everything(
    project: Path, run, lang: str, expected: str  # type: ignore[no-untyped-def]
) -> None:
    site = project / "build" / "site"
    build.build(load_config(project), site, quiet=True)
    manifest = site / incremental.MANIFEST_NAME
    good = manifest.read_bytes()
    manifest.write_bytes(good[: len(good) // 2])  # a gzip stream cut short
    dest = project.parent / "www"
    result = run(project, "deploy", "--to", str(dest), "--lang", lang)
    assert result.exit_code == 2
    assert expected.format(path=manifest) in result.output
    assert "Traceback" not in result.output and not dest.exists()

    manifest.write_bytes(good)
    dest.mkdir()
    (dest / incremental.MANIFEST_NAME).write_bytes(b"\x1f\x8b not gzip")  # the destination's, damaged
    todo = deploy.sync_folder(site, dest)
    assert set(todo.upload) == set(_files(site)) - {incremental.MANIFEST_NAME}
    assert _files(dest) == _files(site)
