"""``hubdir serve``: the preview rebuilds after an edit, reloads pages, shows errors and stays up."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.config import load_config
from generator.serve import STATUS_PATH, Preview, changed_files, stamp, watched_paths

WAIT = 120.0  # seconds; a bound, not a speed requirement (speed is measured by the bench)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def preview(project: Path, tmp_path: Path) -> Iterator[tuple[Preview, str]]:
    messages: list[str] = []
    server = Preview(load_config(project), tmp_path / "preview", "zh", echo=messages.append)
    url = server.start("127.0.0.1", 0)
    try:
        yield server, url
    finally:
        server.stop()


def test_edit_a_record_and_see_the_page_change(preview: tuple[Preview, str], project: Path):
    server, url = preview
    assert server.status.ok, server.status.message
    status, home = _get(url)
    assert status == 200
    assert STATUS_PATH in home  # the reload script is injected into served pages…
    assert STATUS_PATH not in (server.out_dir / "index.html").read_text("utf-8")  # …not into the built files
    first = json.loads(_get(url + STATUS_PATH.lstrip("/"))[1])
    assert first["ok"] and first["generation"] == 1

    page = _find_page(server.out_dir, "示例容桂总工会")
    record = project / "content" / "hubs" / "hub-rg-union.yml"
    record.write_text(record.read_text("utf-8").replace("name: 示例容桂总工会", "name: 示例容桂预览总工会"), "utf-8")
    _until(lambda: "示例容桂预览总工会" in _get(url + page.lstrip("/"))[1], "the edited name on the page")
    _until(lambda: json.loads(_get(url + STATUS_PATH.lstrip("/"))[1])["generation"] >= 3, "generation 3")
    # only the pages that show this record were rendered first, then the incremental build followed
    assert [mode for mode, _ in server.status.steps] == ["full", "fast", "full"]
    assert server.status.watching == "events"
    shown = [(server.out_dir / p / "index.html").read_bytes() for p in (page.strip("/"), "en/" + page.strip("/"))]
    assert server.rebuild(None) and server.status.mode == "full"
    # …and they are byte for byte what a full build makes
    assert shown == [
        (server.out_dir / p / "index.html").read_bytes() for p in (page.strip("/"), "en/" + page.strip("/"))
    ]

    # A broken record: the previous pages stay, the status carries the located error.
    record.write_text(record.read_text("utf-8") + "name: 重复\n", "utf-8")
    _until(lambda: not json.loads(_get(url + STATUS_PATH.lstrip("/"))[1])["ok"], "the failed rebuild")
    status_doc = json.loads(_get(url + STATUS_PATH.lstrip("/"))[1])
    assert "content/hubs/hub-rg-union.yml:" in status_doc["message"] and "Y006" in status_doc["message"]
    assert "示例容桂预览总工会" in _get(url + page.lstrip("/"))[1]


def _find_page(out: Path, text: str) -> str:
    """The URL path of the Chinese record page whose title is ``text``."""
    for page in sorted(out.rglob("index.html")):
        rel = page.relative_to(out).as_posix()
        if rel.startswith("en/"):
            continue
        body = page.read_text("utf-8")
        if f"<title>{text}" in body:
            return "/" + rel[: -len("index.html")]
    raise AssertionError(f"no page titled {text}")


def test_stamp_sees_edits_additions_and_deletions(project: Path):
    config = load_config(project)
    before = stamp(watched_paths(config))
    assert any(p.endswith("hub-rg-union.yml") for p in before)
    record = project / "content" / "hubs" / "hub-rg-union.yml"
    record.write_text(record.read_text("utf-8") + "# edit\n", "utf-8")
    (project / "content" / "hubs" / "hub-new.yml").write_text("id: hub-new\n", "utf-8")
    (project / "content" / "hubs" / "hub-rg-youth.yml").unlink()
    after = stamp(watched_paths(config))
    assert [p.name for p in changed_files(before, after)] == [
        "hub-new.yml",
        "hub-rg-union.yml",
        "hub-rg-youth.yml",
    ]


def test_port_in_use_is_a_clear_error(preview: tuple[Preview, str], project: Path, tmp_path: Path):
    from generator.i18n import t
    from generator.serve import ServeError

    _server, url = preview
    port = int(url.rsplit(":", 1)[1].strip("/"))
    other = Preview(load_config(project), tmp_path / "other", "zh", echo=lambda _m: None)
    with pytest.raises(ServeError) as caught:
        other.start("127.0.0.1", port, first_build=False)
    message = t("zh", caught.value.key, **caught.value.args_dict)
    assert message.startswith(f"无法在 127.0.0.1:{port} 上启动预览：")
    assert message.endswith("（换一个端口：--port 8001）")


def test_a_plain_edit_is_applied_in_place_and_a_structural_one_is_not(preview: tuple[Preview, str], project: Path):
    """A name edit skips the new registry and the project-wide checks; moving a record to another
    division changes what other pages relate, so it takes the general path; both end consistent."""
    server, url = preview
    record = project / "content" / "womens_homes" / "wh-gz.yml"
    page = "org/wh-gz/"
    text = record.read_text("utf-8")
    assert "name: 示例桂洲社区妇女之家" in text
    record.write_text(text.replace("name: 示例桂洲社区妇女之家", "name: 示例桂洲社区妇女之家就地", 1), "utf-8")
    _until(lambda: "示例桂洲社区妇女之家就地" in _get(url + page)[1], "the edited name")
    _until(lambda: server.status.generation >= 3 and not server.status.building, "the consistent build")
    assert server.status.in_place == 1 and server.status.ok, server.status.message
    docs = "".join(p.read_text("utf-8") for p in (server.out_dir / "search" / "i" / "d").glob("*.json"))
    assert "示例桂洲社区妇女之家就地" in docs  # the search index caught up

    text = record.read_text("utf-8")
    assert 'division: "440606006001"' in text
    record.write_text(text.replace('division: "440606006001"', 'division: "440606006002"', 1), "utf-8")
    _until(lambda: server.status.generation >= 5 and not server.status.building, "the structural edit")
    assert server.status.in_place == 1 and server.status.ok, server.status.message
    assert "上佳市社区" in (server.out_dir / "org" / "wh-gz" / "index.html").read_text("utf-8")


def test_an_edit_no_build_has_read_yet_is_read_by_the_next_one(project: Path, tmp_path: Path):
    """The consolidating build trusts the files no event reported (``build(changed=)``); a change whose
    rebuild failed before any build read it (a broken ``site_config.yml`` stops the build first) must
    still be read by the next build, which only hears of another file."""
    server = Preview(load_config(project), tmp_path / "preview", "zh", echo=lambda _m: None)
    assert server.rebuild()
    config_file = project / "site_config.yml"
    good_config = config_file.read_text("utf-8")
    record = project / "content" / "womens_homes" / "wh-gz.yml"
    record.write_text(record.read_text("utf-8").replace("name: 示例桂洲社区妇女之家", "name: 示例桂洲未读", 1), "utf-8")
    config_file.write_text(good_config + "\n  : [\n", "utf-8")  # the same save burst breaks the configuration
    assert not server.rebuild([record, config_file])
    config_file.write_text(good_config, "utf-8")
    assert server.rebuild([config_file]), server.status.message  # the event names only the configuration
    assert server.status.consistent
    assert "示例桂洲未读" in (server.out_dir / "org" / "wh-gz" / "index.html").read_text("utf-8")
    docs = "".join(p.read_text("utf-8") for p in (server.out_dir / "search" / "i" / "d").glob("*.json"))
    assert "示例桂洲未读" in docs
