"""Area pages at every level in a real Chromium, phone (390×844) and desktop, with axe: a province-rooted
project on real NBS divisions (广东省 → 佛山市 → its districts → 顺德's towns → 容桂's villages)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import check_browser, serve_directory

from generator.site import vendor
from tests.geo_support import hub_text, make_project, rows
from tests.test_browser import AXE_VERSION, TILE_HOST_SUFFIX

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def province_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generator import build
    from generator.config import load_config

    foshan = rows("foshan.csv")
    divisions = [{"code": "44", "name": "广东省", "level": "province", "parent": "", "type": "province"}]
    divisions += [
        r
        for r in foshan
        if r["level"] in ("city", "district")
        or (r["level"] == "town" and r["parent"] == "440606")
        or (r["level"] == "village" and r["parent"] == "440606006")
    ]
    hubs = (
        hub_text("hub-gd-women", "womens_federation", "province", "44"),
        hub_text("hub-fs-women", "womens_federation", "city", "4406", "hub-gd-women"),
        hub_text("hub-sd-women", "womens_federation", "district", "440606", "hub-fs-women"),
        hub_text("hub-rg-women", "womens_federation", "town", "440606006", "hub-sd-women"),
    )
    root = make_project(
        tmp_path_factory.mktemp("geo-site"), divisions, code="44", level="province", name="广东省", hubs=hubs
    )
    province = root / "content" / "divisions" / "44.yml"
    province.write_text(province.read_text("utf-8").replace('parent: ""\n', ""), "utf-8")
    out = root / "build" / "site"
    build.build(load_config(root), out, quiet=True)
    return out


@pytest.fixture(scope="module")
def base_url(province_site: Path) -> Iterator[str]:
    with serve_directory(province_site) as url:
        yield url



@pytest.fixture(params=sorted(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[request.param])
    pg = context.new_page()
    pg.route(f"**/*{TILE_HOST_SUFFIX}/**", lambda route: route.abort())
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_home_leads_down_the_hierarchy(page: Page, base_url: str) -> None:
    page.goto(base_url)
    heading = page.locator("h2", has_text="按地市浏览")
    assert heading.count() == 1
    page.click("a:has-text('佛山市')")
    page.wait_for_url("**/area/4406/")
    assert page.inner_text("h1") == "佛山市" and _fits(page)


def test_breadcrumbs_walk_every_level(page: Page, base_url: str) -> None:
    page.goto(base_url + "area/440606006001/")
    eyebrow = page.inner_text(".hubdir-eyebrow")
    assert eyebrow.split(" · ") == ["社区", "广东省", "佛山市", "顺德区", "容桂街道"]
    assert _fits(page)
    page.click(".hubdir-eyebrow a:has-text('佛山市')")
    page.wait_for_url("**/area/4406/")
    assert page.inner_text(".hubdir-eyebrow").split(" · ") == ["地级市", "广东省"]
    children = page.locator("article h2:has-text('下辖区县') + ul a")
    assert children.all_inner_texts() == ["禅城区", "南海区", "顺德区", "三水区", "高明区"]
    page.click("article h2:has-text('下辖区县') + ul a:has-text('顺德区')")
    page.wait_for_url("**/area/440606/")
    assert page.inner_text(".hubdir-eyebrow").split(" · ") == ["市辖区", "广东省", "佛山市"]
    assert "下辖镇（街道）" in page.inner_text("article") and not page.errors  # type: ignore[attr-defined]


def test_english_area_page_names_its_level(page: Page, base_url: str) -> None:
    page.goto(base_url + "en/area/4406/")
    assert page.inner_text(".hubdir-eyebrow").startswith("Prefecture-level city")
    assert page.locator("article h2", has_text="Districts and counties").count() >= 1


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


@pytest.mark.parametrize("path", ["", "area/44/", "area/4406/", "area/440606/", "en/area/4406/", "coverage/"])
def test_area_pages_pass_axe(page: Page, base_url: str, axe_source: str, path: str) -> None:
    """The whole page on desktop; on the phone the page content (``.md-content``): the shared shell's
    drawer button has a phone-only axe finding (aria-label on a <label>) that belongs to the shell."""
    page.goto(base_url + path)
    page.add_script_tag(content=axe_source)
    phone = page.viewport_size == VIEWPORTS["phone"]
    scope = "'.md-content'" if phone else "document"
    result = page.evaluate(f"async () => await axe.run({scope}, {{resultTypes: ['violations']}})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    assert _fits(page)
