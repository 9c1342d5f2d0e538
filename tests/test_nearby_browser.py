"""Near me, open now, directions, copy address, the hotline strip and map popups in a real Chromium,
at a phone viewport (390×844) and on desktop, with axe (issue 14, items 1–4 and 12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import check_browser

from generator.config import load_config
from generator.site import directions, geo, hotlines, vendor
from generator.validate import load

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AXE_VERSION = "4.14.1"
TILE_HOST_SUFFIX = ".is.autonavi.com"
#: Near 桂洲 (容桂), WGS-84: the fixture's women's home, youth center and 穗香 women's federation are close.
HERE = {"latitude": 22.7725, "longitude": 113.2800}


def _context(browser: Browser, viewport: dict[str, int] = PHONE, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="zh-CN", viewport=viewport, **options)
    context.route(f"**/*{TILE_HOST_SUFFIX}/**", lambda route: route.abort())
    return context


def _page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.errors = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    return page


@pytest.fixture
def located(browser: Browser) -> Iterator[Page]:
    """A phone whose owner allowed location: it is near 桂洲."""
    context = _context(browser, geolocation=HERE, permissions=["geolocation"])
    yield _page(context)
    context.close()


@pytest.fixture
def unlocated(browser: Browser) -> Iterator[Page]:
    """A phone whose owner refused location."""
    context = _context(browser, permissions=[])
    yield _page(context)
    context.close()


@pytest.fixture(scope="module")
def registry(built_site: tuple[Path, Path, object]) -> Any:
    return load(load_config(built_site[0])).registry


def _nearest_by_python(registry: Any, lat: float, lon: float) -> dict[str, list[str]]:
    """The three nearest active located records of each kind, by brute force over the whole registry."""
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel

    model = SiteModel(registry.config, registry, labels_for(registry.config.schemas_dir))
    out: dict[str, list[str]] = {}
    for kind in model.kinds:
        found = []
        for record in model.by_kind[kind.code]:
            loc = record.get("location")
            if record.active and isinstance(loc, dict):
                found.append((geo.distance_m(lat, lon, loc["lat"], loc["lon"]), f"org/{record.id}/"))
        if found:
            out[kind.label("zh")] = [path for _, path in sorted(found)[:3]]
    return out


def _shown(page: Page) -> dict[str, list[str]]:
    return page.evaluate("""() => {
        const out = {};
        document.querySelectorAll('[data-near-results] section').forEach(s => {
            out[s.querySelector('h3').textContent] = [...s.querySelectorAll('li')].map(li => li.dataset.path);
        });
        return out; }""")


def test_near_me_with_location_lists_the_nearest_of_each_kind(located: Page, base_url: str, registry: Any) -> None:
    page = located
    page.goto(base_url)
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=15000)
    assert page.inner_text(".hubdir-near__from") == "离您最近的："
    assert _shown(page) == _nearest_by_python(registry, HERE["latitude"], HERE["longitude"])
    home = page.locator("li[data-path='org/wh-gz/']")
    expected = geo.distance_m(HERE["latitude"], HERE["longitude"], 22.7731, 113.2799)
    assert abs(int(home.locator("[data-distance]").get_attribute("data-distance") or 0) - expected) <= 1
    assert home.locator("[data-distance]").inner_text().strip() == f"约 {round(expected / 10) * 10} 米"
    assert home.locator("a.hubdir-tel").get_attribute("href") == "tel:075728880002"
    hosts = home.locator(".hubdir-dirs a").evaluate_all("els => els.map(e => new URL(e.href).host)")
    assert hosts[:3] == list(directions.HOSTS)
    # a small per-area file, never the whole directory (no map points, no search index, no record files)
    near = [u for u in page.requests if "/near/" in u]  # type: ignore[attr-defined]
    assert any(u.endswith("/near/index.json") for u in near) and any("/near/l/" in u for u in near)
    assert not [u for u in page.requests if "points.json" in u or "/search/i/" in u or "/data/" in u]  # type: ignore[attr-defined]
    # the result page link works
    home.locator("a").first.click()
    page.wait_for_url("**/org/wh-gz/")
    assert page.errors == []  # type: ignore[attr-defined]


def test_near_me_without_location_falls_back_to_picking_a_village(
    unlocated: Page, base_url: str, registry: Any
) -> None:
    page = unlocated
    page.goto(base_url)
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=denied]", timeout=15000)
    assert (
        page.inner_text("[data-near-status]") == "没有获得位置（未允许定位或定位失败）。请在下面选择所在的镇街或村居。"
    )
    page.get_by_label("镇街").select_option(label="容桂")
    page.get_by_label("村居（可不选）").select_option(label="桂洲社区")
    page.get_by_role("button", name="查看附近").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=15000)
    assert page.inner_text(".hubdir-near__from") == "离桂洲社区最近的："
    village = page.locator("select[data-depth='1'] option:checked")
    lat, lon = float(village.get_attribute("data-lat") or 0), float(village.get_attribute("data-lon") or 0)
    assert _shown(page) == _nearest_by_python(registry, lat, lon)
    assert "org/wh-gz/" in _shown(page)["妇女之家"]


def test_near_me_in_english_links_english_pages(located: Page, base_url: str) -> None:
    page = located
    page.goto(base_url + "en/")
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=15000)
    link = page.locator("li[data-path='org/yc-gz/'] > a")
    assert link.inner_text() == "Example Guizhou Youth Centre"
    assert link.get_attribute("href") is not None
    link.click()
    page.wait_for_url("**/en/org/yc-gz/")


def test_map_page_near_me_moves_the_map(located: Page, base_url: str) -> None:
    page = located
    page.goto(base_url + "map/")
    page.wait_for_selector("[data-hubdir-map][data-ready='true']", timeout=15000)
    assert "下方" in page.inner_text("article") and "右侧" not in page.inner_text("article")
    page.get_by_role("button", name="使用我的位置").click()
    page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=15000)
    page.wait_for_function("() => document.querySelectorAll('[data-hubdir-maplist] li').length > 0")
    assert "wh-gz" in page.eval_on_selector_all("[data-hubdir-maplist] li", "els => els.map(e => e.dataset.id)")


# -- open now --------------------------------------------------------------------------------


CLOCKS = [
    # (UTC instant, record, what the page says) — China is UTC+8
    ("2026-12-01T02:00:00Z", "hub-d-union", "正在开放 · 12:00 关闭"),  # Tuesday 10:00
    ("2026-12-01T04:30:00Z", "hub-d-union", "已关闭 · 今天 14:30 开放"),  # Tuesday 12:30
    ("2026-12-04T10:00:00Z", "hub-d-union", "已关闭 · 周一 08:30 开放"),  # Friday 18:00
    ("2026-12-06T23:30:00Z", "hub-d-union", "已关闭 · 今天 08:30 开放"),  # Monday 07:30
    ("2026-12-06T23:30:00Z", "yc-gz", "已关闭 · 明天 09:00 开放"),  # Monday: the youth center rests
    ("2026-12-05T12:59:00Z", "yc-gz", "正在开放 · 21:00 关闭"),  # Saturday 20:59
    ("2026-10-04T03:00:00Z", "yc-gz", "今天是法定节假日，休息 · 周四 09:00 开放"),  # National Day (a Sunday)
    ("2026-10-04T03:00:00Z", "hub-d-union", "已关闭 · 明天 08:30 开放"),  # no PH rule: weekday hours
]


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "America/New_York", "Europe/London"])
def test_open_now_by_china_time_whatever_the_phone_zone(browser: Browser, base_url: str, timezone: str) -> None:
    context = _context(browser, timezone_id=timezone)
    page = _page(context)
    try:
        for instant, record, text in CLOCKS:
            page.clock.set_fixed_time(instant)
            page.goto(base_url + f"org/{record}/")
            state = page.locator(".hubdir-open")
            state.wait_for(state="visible", timeout=10000)
            assert state.inner_text() == text, (instant, record, timezone)
            assert state.get_attribute("data-open") == ("true" if text.startswith("正在开放") else "false")
    finally:
        context.close()


#: (China time, hours in the compact form, open?) around 调休 days (near/holidays.json "work")
MAKEUP = [
    ("2026-01-04T10:00", "510-1050|510-1050|510-1050|510-1050|510-1050|||", True),  # Sunday worked for Friday
    ("2026-01-04T10:00", "510-1050|510-1050|510-1050|510-1050|510-1050||", False),  # no PH: not on the plan
    ("2026-01-02T10:00", "510-1050|510-1050|510-1050|510-1050|510-1050|||", False),  # Friday: the day off
    ("2026-02-28T10:00", "|540-1260|540-1260|540-1260|540-1260|540-1260|540-1260|", True),  # open Saturdays anyway
    ("2026-02-28T20:30", "|540-1020|540-1020|540-1020|540-1020|540-1260|540-1260|", True),  # keeps its Saturday
    ("2026-01-11T10:00", "510-1050|510-1050|510-1050|510-1050|510-1050|||", False),  # an ordinary Sunday
    # "=" (the day opens as the day before), as generator/hours.py writes a repeated day
    ("2026-01-04T10:00", "510-1050|=|=|=|=|||", True),
    ("2026-01-02T10:00", "510-1050|=|=|=|=|||", False),
    ("2026-02-28T20:30", "|540-1020|=|=|=|540-1260|=|", True),
    ("2026-02-26T10:00", "|540-1020|=|=|=|540-1260|=|", True),  # a Thursday opens as Tuesday…
    ("2026-02-27T20:30", "|540-1020|=|=|=|540-1260|=|", False),  # …and so a Friday: closed at 17:00
    ("2026-03-01T20:30", "|540-1020|=|=|=|540-1260|=|", True),  # a Sunday as Saturday: open to 21:00
]


def test_open_now_follows_makeup_working_days(browser: Browser, base_url: str) -> None:
    context = _context(browser)
    page = _page(context)
    try:
        page.goto(base_url + "org/yc-gz/")
        page.locator(".hubdir-open").wait_for(state="visible", timeout=10000)
        for local, compact, expected in MAKEUP:
            state = page.evaluate(
                "([c, ms]) => hubdirNearby.holidays().then((h) => hubdirNearby.openState(c, ms, h))",
                [compact, page.evaluate(f"Date.parse('{local}:00+08:00')")],
            )
            assert state["open"] is expected, (local, compact, state)
    finally:
        context.close()


def test_open_now_in_english_and_the_week_in_words_without_script(browser: Browser, base_url: str) -> None:
    context = _context(browser)
    page = _page(context)
    page.clock.set_fixed_time("2026-12-04T10:00:00Z")
    page.goto(base_url + "en/org/hub-d-union/")
    page.locator(".hubdir-open").wait_for(state="visible")
    assert page.inner_text(".hubdir-open") == "Closed · opens Mon 08:30"
    context.close()
    context = _context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "org/yc-gz/")
    hours = page.locator("dt:text-is('开放时间') + dd").inner_text()
    assert "周二至周日：09:00-21:00" in hours and "法定节假日：休息" in hours and "国务院" in hours
    assert page.locator("[data-hubdir-open]").count() == 1 and not page.locator("[data-hubdir-open]").is_visible()
    context.close()


# -- directions and copy ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
def test_directions_are_plain_links_with_converted_coordinates(
    browser: Browser, base_url: str, registry: Any, script: bool, viewport: dict[str, int]
) -> None:
    """Record pages carry the three links written at build time: they work without JavaScript, are
    large tap targets, and the URL the browser follows is exactly ``directions.links`` (fully encoded)."""
    context = _context(browser, viewport=viewport, java_script_enabled=script)
    page = _page(context)
    record = registry.get("womens_homes", "wh-gz")
    lat, lon = record.get("location")["lat"], record.get("location")["lon"]
    page.goto(base_url + "org/wh-gz/")
    anchors = page.locator("article .hubdir-dirs a")
    assert anchors.count() == 3 and page.locator("article .hubdir-dirs").is_visible()
    hrefs = anchors.evaluate_all("els => els.map(e => e.href)")  # as the browser resolves the IRIs
    expected = directions.links(lat, lon, record.name, record.get("address"))
    assert hrefs == [expected[app] for app in directions.APPS]
    assert anchors.all_inner_texts() == ["高德地图", "百度地图", "腾讯地图"]
    g_lat, g_lon = geo.wgs84_to_gcj02(lat, lon)
    b_lat, b_lon = geo.wgs84_to_bd09(lat, lon)
    amap, baidu, tencent = (parse_qs(urlsplit(h).query) for h in hrefs)
    assert amap["to"] == [f"{g_lon:.6f},{g_lat:.6f},{record.name}"] and amap["coordinate"] == ["gaode"]
    assert baidu["location"] == [f"{b_lat:.6f},{b_lon:.6f}"] and baidu["title"] == [record.name]
    assert baidu["content"] == [record.get("address")]
    assert tencent["tocoord"] == [f"{g_lat:.6f},{g_lon:.6f}"] and tencent["to"] == [record.name]
    for box in (anchors.nth(i).bounding_box() for i in range(3)):
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
    # nothing sideways at a phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if script:  # the browser twin (near-me results, map popups) builds the same URLs
        twin = page.evaluate(
            "([a, b, n, s]) => hubdirNearby.directionLinks(a, b, n, s)", [lat, lon, record.name, record.get("address")]
        )
        assert twin == expected
        # the published reference values (to the last float digit or so: Math.sin may differ in one ulp)
        gcj = page.evaluate("hubdirNearby.wgs84ToGcj02(39.915, 116.404)")
        assert gcj == pytest.approx([39.91640428150164, 116.41024449916938], abs=1e-12)
        bd = page.evaluate("hubdirNearby.gcj02ToBd09(39.915, 116.404)")
        assert bd == pytest.approx([39.92133699351021, 116.41036949371029], abs=1e-12)
        assert page.evaluate("hubdirNearby.wgs84ToGcj02(48.85, 2.35)") == [48.85, 2.35]
    # the English page: the same links, English labels
    page.goto(base_url + "en/org/wh-gz/")
    en = page.locator("article .hubdir-dirs a")
    assert en.evaluate_all("els => els.map(e => e.href)") == hrefs
    assert en.all_inner_texts() == ["AutoNavi (Gaode)", "Baidu Maps", "Tencent Maps"]
    page.goto(base_url + "org/wh-gz/")
    # tapping one follows exactly that URL (the request is stopped before it leaves the machine)
    followed: list[str] = []

    def stop(route: Any) -> None:
        followed.append(route.request.url)
        route.abort()

    context.route("https://uri.amap.com/**", stop)
    anchors.first.click()
    page.wait_for_timeout(300)
    assert followed[:1] == [expected["amap"]]
    context.close()


def test_address_copied_with_one_tap(browser: Browser, base_url: str, registry: Any) -> None:
    context = _context(browser, permissions=["clipboard-read", "clipboard-write"])
    page = _page(context)
    page.goto(base_url + "org/yc-gz/")
    page.get_by_role("button", name="复制地址").click()
    page.wait_for_function("() => document.querySelector('.hubdir-copy + [role=status]').textContent !== ''")
    assert page.inner_text(".hubdir-copy + [role=status]") == "地址已复制"
    assert page.evaluate("navigator.clipboard.readText()") == registry.get("youth_centers", "yc-gz").get("address")
    context.close()


# -- hotlines and map popups -------------------------------------------------------------------

PAGE_TYPES = [
    "",
    "org/wh-gz/",
    "area/440606006/",
    "area/440606006001/",
    "kinds/trade_union/",
    "map/",
    "search/?q=ronggui",
    "data/",
    "contribute/",
    "en/",
    "en/org/hub-d-union/",
    "404.html",
]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_hotline_strip_on_every_page_type(
    browser: Browser, base_url: str, built_site: Any, viewport: dict[str, int]
) -> None:
    config = load_config(built_site[0])
    context = _context(browser, viewport=viewport)
    page = _page(context)
    for path in PAGE_TYPES:
        page.goto(base_url + path)
        strip = page.locator("nav.hubdir-hotlines")
        lang = "en" if path.startswith("en/") else "zh"
        assert strip.is_visible(), path
        assert strip.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))") == [
            f"tel:{h.number}" for h in hotlines.configured(config)
        ], path
        texts = strip.locator("a").all_inner_texts()
        assert texts[0] == ("12351 职工维权" if lang == "zh" else "12351 Workers' rights"), path
        assert texts[-1] == ("110 紧急报警" if lang == "zh" else "110 Emergency (police)"), path
        box = strip.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"], path
    context.close()


def test_map_popup_has_phone_hours_and_directions(located: Page, base_url: str) -> None:
    page = located
    page.clock.set_fixed_time("2026-12-01T02:00:00Z")  # Tuesday 10:00 in China
    page.goto(base_url + "map/#wh-gz")
    page.wait_for_selector(".leaflet-popup-content .hubdir-dirs", timeout=15000)
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("a[href^='tel:']").get_attribute("href") == "tel:075728880002"
    assert popup.locator(".hubdir-open").inner_text() == "正在开放 · 17:00 关闭"
    hrefs = popup.locator(".hubdir-dirs a").evaluate_all("els => els.map(e => e.href)")
    assert [urlsplit(h).netloc for h in hrefs] == list(directions.HOSTS)


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("path", ["", "en/", "org/yc-gz/", "map/#wh-gz"])
def test_near_me_and_record_additions_pass_axe(
    browser: Browser, base_url: str, axe_source: str, path: str, viewport: dict[str, int]
) -> None:
    context = _context(browser, viewport=viewport, geolocation=HERE, permissions=["geolocation"])
    page = _page(context)
    page.goto(base_url + path)
    if path in ("", "en/"):
        page.locator("[data-near-locate]").click()
        page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=15000)
    if path.startswith("map/"):
        page.wait_for_selector(".leaflet-popup-content .hubdir-dirs", timeout=15000)
        # Leaflet fades a popup in: axe measured half-transparent text on a busy machine
        page.wait_for_function("getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    page.add_script_tag(content=axe_source)
    # this parts of the page (the page as a whole is held to axe by test_browser.py)
    mine = [
        "nav.hubdir-hotlines",
        "[data-hubdir-nearby]",
        ".hubdir-dirs",
        ".hubdir-open",
        ".hubdir-copy",
        ".leaflet-popup",
    ]
    result = page.evaluate(
        """async (mine) => await axe.run({include: mine.filter(s => document.querySelector(s)).map(s => [s])},
                                         {resultTypes: ['violations']})""",
        mine,
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    context.close()
    assert bad == []
