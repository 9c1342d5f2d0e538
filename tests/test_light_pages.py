"""Light bulk pages (``generator/site/shell.py``): small, no navigation drawer, shared cached assets,
and in a real browser (phone and desktop) the header, nav, search, language switch and minimap work."""

from __future__ import annotations

import math
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from browser_support import check_browser

from generator.site import geo, vendor

PAGE_LIMIT = 8 * 1024
BULK = ("org", "area", "list")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _bulk_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("index.html") if p.parent.parent.name in BULK)


#: wh-gz's fields are XSS payloads that escape to several times their length (and are repeated in the
#: description, the share card and the directions links): the one fixture page allowed past the limit.
ADVERSARIAL = {"wh-gz"}
SHELL_LIMIT = 3 * 1024  # header, nav, hotline strip, share tags, footer: what every page repeats


def test_record_pages_are_at_most_8_kb_in_each_language(built_site: tuple[Path, Path, object]) -> None:
    _, site, _ = built_site
    for lang_root in (site, site / "en"):
        sizes = {p.parent.name: p.stat().st_size for p in (lang_root / "org").glob("*/index.html")}
        assert len(sizes) > 20
        ordinary = {k: v for k, v in sizes.items() if k not in ADVERSARIAL}
        assert max(ordinary.values()) <= PAGE_LIMIT, max(ordinary.items(), key=lambda kv: kv[1])
        for page in (lang_root / "org").glob("*/index.html"):
            data = page.read_bytes()
            start, end = data.index(b'<article class="hubdir-record"'), data.rindex(b"</article>")
            assert len(data) - (end - start) <= SHELL_LIMIT, page


def test_bulk_pages_carry_no_drawer_and_no_material_bundle(built_site: tuple[Path, Path, object]) -> None:
    _, site, _ = built_site
    pages = _bulk_pages(site)
    assert len(pages) > 40
    for page in pages:
        text = page.read_text("utf-8")
        assert 'class="hubdir-light"' in text
        for heavy in ("md-nav--primary", "__drawer", "bundle.", "__config", "md-sidebar"):
            assert heavy not in text, (page, heavy)
    home = (site / "index.html").read_text("utf-8")
    assert "md-nav--primary" in home and "bundle." in home  # section pages keep the full Material page


def test_every_page_loads_the_same_cached_assets(built_site: tuple[Path, Path, object]) -> None:
    _, site, _ = built_site
    assets: set[Path] = set()
    for page in _bulk_pages(site):
        text = page.read_text("utf-8")
        for ref in re.findall(r'(?:href|src)="([^"]+\.(?:css|js|png))"', text):
            target = (page.parent / ref).resolve()
            assert target.is_file(), (page, ref)
            assets.add(target)
    # one copy at the site root for both languages (en/assets is Material's own copy for its pages)
    assert all(not p.is_relative_to((site / "en").resolve()) for p in assets)
    names = sorted(p.name for p in assets)
    # Material's stylesheet and hubdir's own styles come joined in one stylesheet (one <link> a page),
    # hubdir's scripts in one script per language
    assert {"light.css", "light.zh.js", "light.en.js"} <= set(names) and "hubdir.js" not in names
    assert not any(re.fullmatch(r"main\.[0-9a-f]+\.min\.css", n) for n in names)
    assert all(page.read_text("utf-8").count('rel="stylesheet"') == 1 for page in _bulk_pages(site))
    (material,) = (site / "assets" / "stylesheets").glob("main.*.min.css")
    bundle = (site / "assets" / "hubdir" / "light.css").read_text("utf-8")
    assert bundle.startswith(material.read_text("utf-8")) and "hubdir-light" in bundle


def test_light_header_and_nav_lead_where_they_say(built_site: tuple[Path, Path, object]) -> None:
    _, site, _ = built_site
    page = site / "org" / "wh-gz" / "index.html"
    text = page.read_text("utf-8")
    assert re.search(r'<a class="hubdir-home" href="\.\./\.\./">(<img [^>]*>)?顺德区群团组织服务名录</a>', text)
    assert 'action="../../search/"' in text
    assert 'class="hubdir-lang" href="../../en/org/wh-gz/"' in text
    nav = re.search(r'<nav class="hubdir-tabs"[^>]*>(.*?)</nav>', text, re.S)
    assert nav
    links = re.findall(r'href="([^"]+)"', nav.group(1))
    assert len(links) >= 5
    for link in links:
        assert (page.parent / link / "index.html").resolve().is_file(), link
    en = (site / "en" / "org" / "wh-gz" / "index.html").read_text("utf-8")
    assert '<html lang="en">' in en and 'class="hubdir-lang" href="../../../org/wh-gz/"' in en


def test_shared_page_settings_are_escaped_script_data(built_site: tuple[Path, Path, object]) -> None:
    _, site, _ = built_site
    text = (site / "assets" / "hubdir" / "light.zh.js").read_text("utf-8")
    meta = text.split(";\n", 1)[0]
    assert meta.startswith("window.hubdirMeta={") and "</" not in meta
    assert "hubdir-tiles" in meta and "hubdir-strings" in meta
    source = (Path(__file__).resolve().parent.parent / "generator" / "site" / "assets" / "hubdir.js").read_text("utf-8")
    assert source in text


# -- in a real browser ----------------------------------------------------------------------------------

HAVE_BROWSER = check_browser()  # raises when HUBDIR_REQUIRE_BROWSER=1 and the browser is missing
if HAVE_BROWSER:
    from playwright.sync_api import Browser
else:  # pragma: no cover
    Browser = object  # type: ignore[assignment,misc]

browser_only = pytest.mark.skipif(not HAVE_BROWSER, reason="Chromium or Playwright not installed")
AXE_VERSION = "4.14.1"




@browser_only
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_light_record_page_in_the_browser(browser: Browser, base_url: str, viewport: dict[str, int]) -> None:
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*.is.autonavi.com/**", lambda route: route.abort())
    try:
        page.goto(base_url + "org/wh-gz/")
        for selector in (".hubdir-home", ".hubdir-search input", ".hubdir-lang", ".hubdir-tabs a", "h1"):
            assert page.is_visible(selector), selector
        box = page.locator(".hubdir-tabs").bounding_box()
        assert box is not None and box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # the staff links hubdir.js writes from the record's file and the shared addresses
        staff = page.locator(".hubdir-staff a")
        assert page.locator(".hubdir-staff").inner_text() == "工作人员：编辑此记录 · 报告信息错误"
        assert [staff.nth(i).get_attribute("href") for i in range(staff.count())] == [
            "https://github.com/example/hubdir-fixture/edit/main/content/womens_homes/wh-gz.yml",
            "https://github.com/example/hubdir-fixture/issues/new?template=correction.yml",
        ]
        assert {staff.nth(i).get_attribute("rel") for i in range(staff.count())} == {"nofollow"}
        page.locator(".hubdir-minimap").scroll_into_view_if_needed()
        page.wait_for_selector(".hubdir-minimap.leaflet-container", timeout=15000)
        # the box carries no point: hubdir.js reads the WGS-84 coordinates shown below it, for GCJ-02 tiles
        assert page.locator(".hubdir-minimap").get_attribute("data-lat") is None
        lat, lon = geo.display(22.7731, 113.2799, "gcj02")
        x, y = int((lon + 180) / 360 * 2**16), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**16)
        page.wait_for_selector(f'.hubdir-minimap img[src*="x={x}&y={y}&z=16"]', state="attached", timeout=15000)
        page.wait_for_selector(".hubdir-minimap path.leaflet-interactive", state="attached")  # the marker
        assert page.evaluate("typeof window.hubdirMeta['hubdir-tiles']") == "string"
        page.click(".hubdir-tabs a >> nth=2")
        page.wait_for_url("**/map/")
        page.go_back()
        page.fill(".hubdir-search input", "容桂")
        page.press(".hubdir-search input", "Enter")
        page.wait_for_url("**/search/?q=*")
        page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
        assert page.locator(".hubdir-result__link").count() > 0
        assert errors == []
    finally:
        context.close()


@browser_only
@pytest.mark.parametrize("path", ["org/wh-gz/", "en/org/hub-d-union/", "area/440606006/", "list/"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_light_pages_have_no_serious_accessibility_violations(
    browser: Browser, base_url: str, built_site: tuple[Path, Path, object], path: str, viewport: dict[str, int]
) -> None:
    if path == "list/":  # a listing chunk page, if the fixture has one; else the first area page
        chunks = sorted((built_site[1] / "list").glob("*/index.html"))
        path = f"list/{chunks[0].parent.name}/" if chunks else "area/440606/"
    axe = (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    try:
        page.goto(urljoin(base_url, path))
        page.add_script_tag(content=axe)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
        assert bad == []
    finally:
        context.close()
