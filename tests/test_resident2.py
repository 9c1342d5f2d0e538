"""Issue 14, second round: the data dictionary on pages of its own (a light data page), and near me
for a directory whose records have no coordinates (the shipped Shunde content): the picker leads to a
town's page, a phone's position finds the nearest town from the divisions' centres.  In a real
Chromium at 390×844 and on desktop, in both languages, with axe."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import check_browser, serve_directory

from generator.config import load_config
from generator.site import vendor
from tests.conftest import FIXTURE_PROJECT

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = [PHONE, DESKTOP]
IDS = ["phone", "desktop"]
AXE_VERSION = "4.14.1"
#: Near 桂洲 (容桂): nearer the centre given to 容桂 below than the one given to 大良.
HERE = {"latitude": 22.7725, "longitude": 113.2800}
CENTRES = {"440606006": (22.7700, 113.2700), "440606005": (22.8400, 113.2500)}


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


def _axe(page: Page, axe_source: str, include: list[str]) -> list[Any]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        """async (mine) => await axe.run({include: mine.filter(s => document.querySelector(s)).map(s => [s])},
                                         {resultTypes: ['violations']})""",
        include,
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _context(browser: Browser, viewport: dict[str, int], lang: str = "zh-CN", **options: Any) -> BrowserContext:
    context = browser.new_context(locale=lang, viewport=viewport, **options)
    context.route("**/*.is.autonavi.com/**", lambda route: route.abort())
    return context


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


# -- the data dictionary -----------------------------------------------------------------------


def test_data_page_links_a_dictionary_page_per_registry(built_site: tuple[Path, Path, object]) -> None:
    """Every table of every download is described on one of the linked pages, none left out; the data
    page itself no longer carries the field tables (it was the page over the phone budget)."""
    _, site, _ = built_site
    for root in (site, site / "en"):
        data = (root / "data" / "index.html").read_text("utf-8")
        assert "hubdir-fields" not in data
        linked = sorted(set(re.findall(r'href="\.\./fields/([a-z_]+)/"', data)))
        assert linked == sorted(["divisions", "hubs", "youth_centers", "womens_homes", "social_orgs", "derived"])
        tables_on_data_page = set(re.findall(r'href="\.\./fields/[a-z_]+/#fields-([a-z_]+)"', data))
        tables_on_pages = set()
        for group in linked:
            page = (root / "fields" / group / "index.html").read_text("utf-8")
            assert 'class="hubdir-light"' in page  # the light shell: no Material bundle
            found = set(re.findall(r'<h2 id="fields-([a-z_]+)"', page))
            assert found and all(name == group or name.startswith(group + "_") or group == "derived" for name in found)
            tables_on_pages |= found
        assert tables_on_pages == tables_on_data_page
        # every table of the data package, with the fields its schema lists
        package = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
        resources = {r["name"]: r["schema"]["fields"] for r in package["resources"]}
        assert set(resources) == tables_on_pages
        hubs = (root / "fields" / "hubs" / "index.html").read_text("utf-8")
        section = hubs.split('id="fields-hubs_contacts"', 1)[1].split("<h2", 1)[0]
        assert [f["name"] for f in resources["hubs_contacts"]] == re.findall(r"<tr><td><code>([^<]+)</code>", section)
    # the data page is light: a few KB gzipped
    assert len(gzip.compress((site / "data" / "index.html").read_bytes(), 6)) < 14_000


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dictionary_pages_read_on_a_phone(
    browser: Browser, base_url: str, axe_source: str, viewport: dict[str, int], lang: str
) -> None:
    prefix = "" if lang == "zh" else "en/"
    context = _context(browser, viewport)
    page = context.new_page()
    errors = _errors(page)
    page.goto(base_url + prefix + "data/")
    link = page.locator("ul.hubdir-dict > li > a").nth(1)  # hubs
    link.click()
    page.wait_for_url("**/fields/hubs/")
    assert page.locator("h1").inner_text().startswith("数据字典" if lang == "zh" else "Data dictionary")
    assert page.locator("table.hubdir-fields").count() >= 5
    assert page.locator("#fields-hubs_contacts").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # back to the downloads, and on to a table's anchor from the data page
    page.locator("article a, .md-content a").filter(has_text="开放数据" if lang == "zh" else "open data").first.click()
    page.wait_for_url("**/data/#dictionary")
    page.locator("ul.hubdir-dict a[href$='#fields-womens_homes_contacts']").click()
    page.wait_for_url("**/fields/womens_homes/#fields-womens_homes_contacts")
    assert page.locator("#fields-womens_homes_contacts").is_visible()
    assert _axe(page, axe_source, ["body"]) == []
    assert errors == []
    context.close()


# -- near me without located records -------------------------------------------------------------


@pytest.fixture(scope="module")
def unlocated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture project without any record coordinates (like the shipped content), two towns
    given a centre (``location`` of a division), built and served."""
    from generator import build

    root = tmp_path_factory.mktemp("unlocated") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    for path in (root / "content").rglob("*.yml"):
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"location:\n  lat: .*\n  lon: .*\n", "", text), "utf-8")
    for code, (lat, lon) in CENTRES.items():
        path = root / "content" / "divisions" / f"{code}.yml"
        path.write_text(path.read_text("utf-8") + f"location:\n  lat: {lat}\n  lon: {lon}\n", "utf-8")
    out = root / "site"
    build.build(load_config(root), out, quiet=True, datasets=False, search=False)
    with serve_directory(out) as url:
        yield url


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_picking_a_town_leads_to_its_places_and_the_hotlines(
    browser: Browser, unlocated_site: str, axe_source: str, viewport: dict[str, int], lang: str
) -> None:
    prefix = "" if lang == "zh" else "en/"
    context = _context(browser, viewport, permissions=[])
    page = context.new_page()
    errors = _errors(page)
    page.goto(unlocated_site + prefix)
    box = page.locator("[data-hubdir-nearby]")
    assert box.is_visible() and box.get_attribute("data-located") == "0"
    assert page.locator("[data-near-nocoords]").is_visible()
    page.locator("[data-near-pick] select[data-depth='0']").select_option("440606006")
    page.locator("[data-near-pick] select[data-depth='1']").wait_for()
    page.locator("[data-near-pick] button").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]")
    card = page.locator(".hubdir-near__town")
    assert card.get_attribute("data-code") == "440606006"
    hrefs = card.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs[0].endswith("area/440606006/") and hrefs[1].endswith("area/440606/")
    assert {"tel:12338", "tel:12351", "tel:12355", "tel:110"} <= set(hrefs)
    assert (card.locator("a").first.bounding_box() or {}).get("height", 0) >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert _axe(page, axe_source, ["[data-hubdir-nearby]"]) == []
    card.locator("a").first.click()
    page.wait_for_url("**/area/440606006/")
    assert page.locator("article a[href*='org/']").count() > 0  # the town's places
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_location_finds_the_nearest_town_from_division_centres(
    browser: Browser, unlocated_site: str, axe_source: str, viewport: dict[str, int]
) -> None:
    from generator.site import geo

    context = _context(browser, viewport, geolocation=HERE, permissions=["geolocation"])
    page = context.new_page()
    errors = _errors(page)
    page.goto(unlocated_site)
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]")
    card = page.locator(".hubdir-near__town")
    assert card.get_attribute("data-code") == "440606006"
    d = geo.distance_m(HERE["latitude"], HERE["longitude"], *CENTRES["440606006"])
    assert 1000 < d < 10000
    text = f"离您最近的镇街：容桂（距中心约 {round(d / 100) / 10} 公里）"
    assert card.locator(".hubdir-near__from").inner_text() == text
    assert card.locator("a").first.get_attribute("href").endswith("area/440606006/")
    assert _axe(page, axe_source, ["[data-hubdir-nearby]"]) == []
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_location_denied_offers_the_picker(
    browser: Browser, unlocated_site: str, axe_source: str, viewport: dict[str, int]
) -> None:
    context = _context(browser, viewport, permissions=[])
    page = context.new_page()
    page.goto(unlocated_site)
    page.evaluate(
        """() => { navigator.geolocation.getCurrentPosition = (ok, fail) => fail({code: 1, message: 'denied'}); }"""
    )
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=denied]")
    assert "没有获得位置" in page.inner_text("[data-near-status]")
    assert page.locator("[data-near-pick] select[data-depth='0']").is_visible()
    assert _axe(page, axe_source, ["[data-hubdir-nearby]"]) == []
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_without_javascript_the_box_leads_to_the_towns(
    browser: Browser, unlocated_site: str, axe_source: str, viewport: dict[str, int]
) -> None:
    context = _context(browser, viewport, java_script_enabled=False)
    page = context.new_page()
    page.goto(unlocated_site)
    assert page.locator("[data-hubdir-nearby]").is_visible()
    assert not page.locator("[data-near-locate]").is_visible() and not page.locator("[data-near-pick]").is_visible()
    page.locator("[data-near-fallback] a").click()
    page.wait_for_url("**/#towns")
    towns = page.locator("#towns + ul a")
    assert towns.count() >= 2
    towns.filter(has_text="容桂").click()
    page.wait_for_url("**/area/440606006/")
    context.close()
    # axe wants scripts: the same page with JavaScript on is checked above; here the markup alone
    context = _context(browser, viewport)
    page = context.new_page()
    page.goto(unlocated_site)
    assert _axe(page, axe_source, ["[data-hubdir-nearby]"]) == []
    context.close()


# -- the header at big text -----------------------------------------------------------------------

HEADER_PAGES = [
    "",
    "org/wh-gz/",
    "area/440606006/",
    "area/440606006001/",
    "kinds/womens_homes/",
    "map/",
    "search/?q=容桂",
    "data/",
    "fields/hubs/",
    "contribute/",
    "coverage/",
    "404.html",
    "en/",
    "en/org/wh-gz/",
    "en/data/",
]

_HEADER_PROBLEMS = """() => { const out = [];
  for (const el of document.querySelectorAll(
      '.md-header, .md-header *, .md-tabs, .md-tabs *, .hubdir-tabs, .hubdir-tabs *, .md-banner, .md-banner *')) {
    const cs = getComputedStyle(el), b = el.getBoundingClientRect();
    if (!b.width || cs.visibility === 'hidden' || el.closest('.hubdir-vh')) continue;
    if (['auto', 'scroll'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 1)
      out.push(['scrolls inside', el.tagName + '.' + el.className, el.scrollWidth, el.clientWidth]);
    if (b.right > innerWidth + 1 || b.left < -1)
      out.push(['outside', el.tagName + '.' + el.className, b.left, b.right]);
  }
  if (document.documentElement.scrollWidth > innerWidth) out.push(['page', document.documentElement.scrollWidth]);
  return out.slice(0, 6); }"""


@pytest.mark.parametrize("mode", ["care+200%", "care", "200%"])
def test_header_never_scrolls_at_big_text(browser: Browser, base_url: str, mode: str) -> None:
    """At 390 px with the browser's text at 200 % and/or 关怀模式, on every page type: nothing in the
    header, tabs or hotline strip scrolls inside or sticks out; the controls stay on screen."""
    context = _context(browser, PHONE)
    page = context.new_page()
    if "200%" in mode:  # the browser's text size (Chrome's font-size setting), not a zoom
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.goto(base_url)
    if "care" in mode:
        page.evaluate("localStorage.setItem('hubdir-care', '1')")
    for path in HEADER_PAGES:
        page.goto(base_url + path)
        if "care" in mode:
            assert page.evaluate("document.documentElement.classList.contains('hubdir-care')"), path
        assert page.evaluate(_HEADER_PROBLEMS) == [], (mode, path)
        # (404.html links its assets from the site's deployed path, which this test server does not
        # have: its scripts, and so the 关怀模式 button, do not load here)
        for control in (
            ".hubdir-lang",
            ".hubdir-search button",
            *((".hubdir-care-toggle",) if "404" not in path else ()),
        ):
            box = page.locator(control).first.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (mode, path, control)
    context.close()


def test_header_stays_one_row_on_desktop(browser: Browser, base_url: str) -> None:
    context = _context(browser, DESKTOP)
    page = context.new_page()
    for path in ("", "org/wh-gz/", "data/"):
        page.goto(base_url + path)
        assert page.evaluate(_HEADER_PROBLEMS) == [], path
        height = page.evaluate("document.querySelector('.md-header').getBoundingClientRect().height")
        assert height <= 60, (path, height)
    context.close()


def test_drawer_fits_a_phone_at_big_text(browser: Browser, base_url: str) -> None:
    """Material's navigation drawer (12.1rem) opens within the screen at 200 % text in 关怀模式."""
    context = _context(browser, PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Page.enable")
    cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.goto(base_url)
    page.evaluate("localStorage.setItem('hubdir-care', '1')")
    for path in ("", "en/"):
        page.goto(base_url + path)
        page.locator("label.md-header__button[for=__drawer]").click()
        page.wait_for_timeout(400)  # Material's 250 ms slide
        box = page.locator(".md-sidebar--primary").bounding_box()
        assert box and box["x"] >= -1 and box["x"] + box["width"] <= PHONE["width"], (path, box)
        assert page.locator(".md-sidebar--primary .md-nav__link").first.is_visible()
    context.close()


# -- what each section page loads ------------------------------------------------------------------


def test_section_pages_load_only_the_scripts_they_use(built_site: tuple[Path, Path, object]) -> None:
    """``nearby.js`` only where near me, open now, copy or the map are; no Material bundle on the
    search page (it has its own script): every page but the map within 100 KB on slow 3G."""
    site = built_site[1]
    for root in (site, site / "en"):
        for page, nearby, bundle in (
            ("index.html", True, True),
            ("map/index.html", True, True),
            ("search/index.html", False, False),
            ("data/index.html", False, True),
            ("contribute/index.html", False, True),
            ("coverage/index.html", False, True),
        ):
            text = (root / page).read_text("utf-8")
            assert ("assets/hubdir/nearby.js" in text) is nearby, (root, page)
            assert ("assets/javascripts/bundle." in text) is bundle, (root, page)
            assert "assets/hubdir/care.js" in text and "assets/hubdir/hubdir.js" in text, (root, page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=IDS)
def test_search_page_works_without_material_script(
    browser: Browser, base_url: str, axe_source: str, viewport: dict[str, int]
) -> None:
    context = _context(browser, viewport)
    page = context.new_page()
    errors = _errors(page)
    page.goto(base_url + "search/?q=%E5%AE%B9%E6%A1%82")  # 容桂
    page.wait_for_function("() => /\\d/.test(document.querySelector('[role=status]')?.textContent || '')")
    assert page.locator(".md-content a[href*='org/']").count() > 0
    assert _axe(page, axe_source, ["body"]) == []
    if viewport is PHONE:  # the drawer is Material's CSS checkbox
        page.locator("label.md-header__button[for=__drawer]").click()
        page.locator(".md-sidebar--primary .md-nav__link").first.wait_for(state="visible")
    else:
        assert page.locator(".md-tabs").is_visible()
    assert errors == []
    context.close()
