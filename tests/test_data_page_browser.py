"""Issue 15 on the site's data page, in a real Chromium at a phone viewport and on desktop: the spreadsheet
download first, the schema.org Dataset with every distribution, every release at a stable address with its
changelog, the unreleased note, and axe-core without serious violations."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import check_browser, serve_directory

from generator.site import vendor
from tests.conftest import FIXTURE_PROJECT

AXE_VERSION = "4.14.1"
REPO = Path(__file__).resolve().parent.parent

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def released_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project released as 1.0.0, then edited (so its current data are unreleased), then built."""
    from click.testing import CliRunner

    from generator.cli import cli

    root = tmp_path_factory.mktemp("data-page") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    (root / "datasets").mkdir(exist_ok=True)
    text = (REPO / "datasets" / "package.yml").read_text("utf-8")
    (root / "datasets" / "package.yml").write_text(text.replace('version: "0.1.0"', 'version: "1.0.0"'), "utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["--root", str(root), "release", "1.0.0", "--date", "2026-01-01"])
    assert done.exit_code == 0, done.output
    hub = root / "content" / "hubs" / "hub-rg-women.yml"
    hub.write_text(hub.read_text("utf-8").replace("name: 示例容桂妇联", "name: 示例容桂街道妇联"), "utf-8")
    out = root / "site"
    done = runner.invoke(cli, ["--root", str(root), "build", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return out


@pytest.fixture(scope="module")
def base_url(released_site: Path) -> Iterator[str]:
    with serve_directory(released_site) as url:
        yield url



@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[request.param])
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def _ld(page: Page) -> dict[str, Any]:
    texts = page.eval_on_selector_all("script[type='application/ld+json']", "els => els.map(e => e.textContent)")
    docs = [json.loads(t) for t in texts]
    found: dict[str, Any] = next(d for d in docs if d.get("@type") == "Dataset")
    return found


@pytest.mark.parametrize("path", ["data/", "en/data/"])
def test_spreadsheet_download_comes_first_and_works(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    link = page.locator(".hubdir-spreadsheet a")
    assert link.is_visible()
    box, heading = link.bounding_box(), page.locator("h2").first.bounding_box()
    assert box and heading and box["y"] < heading["y"]  # above the downloads table
    href = link.get_attribute("href") or ""
    response = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
    assert response.ok and response.body()[:2] == b"PK"  # a real workbook (a zip)
    assert page.locator(".hubdir-unreleased").is_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_dataset_json_ld_lists_every_distribution(page: Page, base_url: str, released_site: Path) -> None:
    page.goto(base_url + "data/")
    doc = _ld(page)
    assert doc["@context"] == "https://schema.org" and doc["version"] == "1.0.0+unreleased"
    urls = {d["contentUrl"] for d in doc["distribution"]}
    listed = {line.split("  ", 1)[1] for line in (released_site / "data" / "SHA256SUMS").read_text().splitlines()}
    # every file on the downloads table, as an absolute URL
    shown = page.eval_on_selector_all(".hubdir-table a[download]", "els => els.map(e => e.textContent)")
    for name in shown:
        if name not in ("README.md", "CITATION.cff", "dcat.jsonld", "dataset.jsonld", "SHA256SUMS"):
            assert f"https://example.org/hubdir/data/{name}" in urls, name
            assert name in listed
    for item in doc["distribution"]:
        rel = item["contentUrl"].removeprefix("https://example.org/hubdir/data/")
        data = (released_site / "data" / rel).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("path", ["data/", "en/data/"])
def test_every_release_downloads_from_its_stable_address(page: Page, base_url: str, released_site: Path,
                                                        path: str) -> None:
    page.goto(base_url + path)
    links = page.locator(".hubdir-release-files a")
    names = links.all_text_contents()
    assert {"hubdir.xlsx", "datapackage.json", "CHANGELOG.md", "SHA256SUMS"} <= set(names)
    sums = dict(reversed(line.split("  ", 1)) for line in
                (released_site / "releases" / "1.0.0" / "SHA256SUMS").read_text().splitlines())
    for index, name in enumerate(names):
        href = links.nth(index).get_attribute("href") or ""
        url = page.url.rsplit("/", 1)[0] + "/" + href
        assert "/releases/1.0.0/" in url
        body = page.request.get(url).body()
        if name != "SHA256SUMS":
            assert hashlib.sha256(body).hexdigest() == sums[name], name
    changelog = page.request.get(base_url + "releases/1.0.0/CHANGELOG.md").text()
    assert changelog.startswith("# 数据版本 1.0.0（2026-01-01）")
    released = json.loads(page.request.get(base_url + "releases/1.0.0/datapackage.json").text())
    assert released["version"] == "1.0.0"


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


@pytest.mark.parametrize("path", ["data/", "en/data/"])
def test_data_page_has_no_serious_accessibility_violations(page: Page, base_url: str, axe_source: str,
                                                          path: str) -> None:
    page.goto(base_url + path)
    page.add_script_tag(content=axe_source)
    # The page's own content; the theme's header (its phone menu toggle) belongs to the site-wide a11y work.
    result = page.evaluate("async () => await axe.run('.md-content', {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == []
    # nothing on the page is wider than the phone
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1  # type: ignore[index]
