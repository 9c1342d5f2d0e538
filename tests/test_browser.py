"""The built fixture site in a real Chromium (Playwright, system browser): search, filters, map,
language switch, accessibility (axe-core) and no request to another host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from browser_support import check_browser

from generator.site import search, search_query, vendor

AXE_VERSION = "4.14.1"
TILE_HOST_SUFFIX = ".is.autonavi.com"  # the configured (default) tiles: the only other host allowed
RESULT_LINK = ".hubdir-result__link"

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh page that records every request; tile requests fail (as they may on a phone)."""
    context = browser.new_context(locale="zh-CN")
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.route(f"**/*{TILE_HOST_SUFFIX}/**", lambda route: route.abort())
    pg.requests = requests  # type: ignore[attr-defined]
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def _foreign(requests: list[str], base_url: str) -> list[str]:
    own = urlsplit(base_url).netloc
    return [
        u
        for u in requests
        if urlsplit(u).scheme in ("http", "https")
        and urlsplit(u).netloc != own
        and not (urlsplit(u).hostname or "").endswith(TILE_HOST_SUFFIX)
    ]


def _results(page: Page) -> list[str]:
    """Result links once the search has finished (the box says ``data-state="done"``)."""
    page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
    return page.eval_on_selector_all(RESULT_LINK, "els => els.map(e => e.getAttribute('href'))")


def test_chinese_query_finds_a_word_inside_the_text(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=婚姻家庭调解")
    hrefs = _results(page)
    assert hrefs[0] == "/org/so-rg-fitness/" or "/org/so-rg-fitness/" in hrefs[:2]
    page.click(f"{RESULT_LINK}[href='/org/so-rg-fitness/']")
    page.wait_for_url("**/org/so-rg-fitness/")
    assert page.inner_text("h1") == "示例桂洲巾帼健身队"


def test_name_ranks_first(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=容桂青年义工协会")
    assert _results(page)[0] == "/org/so-rg-volunteers/"


def test_pinyin_full_and_initials(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=guizhou")
    assert "/org/yc-gz/" in _results(page)[:5]
    page.goto(base_url + "search/?q=rg")  # 容桂 by initials
    _results(page)
    titles = page.eval_on_selector_all(RESULT_LINK, "els => els.map(e => e.textContent)")
    assert titles and all("容桂" in title for title in titles[:5])
    page.goto(base_url + "search/?q=slrgzgh")  # 示例容桂总工会: the initials of the whole name
    assert _results(page)[0] == "/org/hub-rg-union/"


def test_header_search_box_leads_to_results(page: Page, base_url: str) -> None:
    page.goto(base_url + "org/hub-d-union/")
    box = page.get_by_role("searchbox", name="搜索名录").first
    box.fill("桂洲青年坊")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert "/org/yc-gz/" in _results(page)[:3]


def test_english_search_links_to_english_pages(page: Page, base_url: str) -> None:
    page.goto(base_url + "en/search/?q=guizhou")
    assert "/en/org/yc-gz/" in _results(page)[:5]
    assert page.evaluate("document.documentElement.lang") == "en"


#: One or more queries of every class the search reads: words, pinyin, place + kind without spaces,
#: synonyms of services and target groups, numbers, same-sound and missing/extra characters,
#: traditional and full-width characters, English, filler words, nothing.
PARITY_QUERIES = (
    "婚姻家庭调解", "容桂", "guizhou", "rg", "桂", "大良 社区", "妇女 gz", "示例", "𬒈香", "𬒈",
    "容桂妇联", "桂洲妇女之家", "顺德妇联", "容桂工会", "大良青年坊", "容桂妇女家", "桂洲妇女之家家",
    "婚姻调解", "家暴", "单亲妈妈", "托管", "12338", "0757-28880002", "荣桂妇联", "婦聯", "ＲＯＮＧＧＵＩ",
    "ronggui fulian", "rongguifulian", "Ronggui women's federation", "youth center", "marriage mediation",
    "容桂妇联电话", "没有这种组织",
)


def test_browser_and_python_rank_alike(page: Page, base_url: str, built_site: tuple[Path, Path, object]) -> None:
    """hubdir.js and ``search.find`` read the same files the same way: same results, same order."""
    index = built_site[1] / search.INDEX_DIR
    for query in PARITY_QUERIES:
        page.goto(base_url + "search/?q=" + quote(query))
        shown = _results(page)
        for _ in range(10):  # "show more" until it goes away (the fixture needs at most two clicks)
            if not page.is_visible(".hubdir-results__more"):
                break
            page.click(".hubdir-results__more")
            shown = _results(page)
        assert not page.is_visible(".hubdir-results__more"), query
        assert shown == ["/" + path for path in search_query.find(index, query)], query
        assert len(set(shown)) == len(shown)


def test_search_states_what_it_found(page: Page, base_url: str) -> None:
    page.goto(base_url + "search/?q=婚姻家庭调解")
    _results(page)
    assert page.inner_text("[role=status]") == "找到 2 条结果"
    page.fill(".hubdir-search-page__input", "没有这种组织")
    page.wait_for_function("() => location.search.includes('%E6%B2%A1')")  # the URL follows the box
    assert _results(page) == []
    assert "没有找到与“没有这种组织”相符的记录" in page.inner_text("[role=status]")
    page.fill(".hubdir-search-page__input", "r")
    page.wait_for_function("() => document.querySelector('[role=status]').textContent.includes('至少两个字母')")
    assert page.errors == []  # type: ignore[attr-defined]


def test_search_results_keep_markup_inert(page: Page, base_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base_url + "search/?q=" + quote("桂洲社区妇女之家"))
    assert _results(page)[0] == "/org/wh-gz/"
    assert page.inner_text(RESULT_LINK) == '示例桂洲社区妇女之家 <script>alert("x")</script>'
    assert page.locator(".hubdir-results script").count() == 0 and dialogs == []


def test_search_index_failure_is_said(page: Page, base_url: str, built_site: tuple[Path, Path, object]) -> None:
    page.route("**/search/i/k/**", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(base_url + "search/?q=ronggui")
    page.wait_for_selector("[data-hubdir-search][data-state=failed]", timeout=15000)
    assert page.inner_text("[role=status]").startswith("搜索索引加载失败")
    page.unroute("**/search/i/k/**")  # the network comes back: the next query fetches again
    page.fill(".hubdir-search-page__input", "ronggui")
    page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
    expected = search_query.find(built_site[1] / search.INDEX_DIR, "ronggui")
    assert _results(page) == ["/" + p for p in expected][:20]
    assert page.inner_text("[role=status]") == f"已显示 {min(20, len(expected))} 条"


def test_listing_filter_reaches_the_record(page: Page, base_url: str) -> None:
    page.goto(base_url + "kinds/social_orgs/")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    page.select_option("select[data-filter='group']", "women")
    visible = page.locator("tbody tr:not([hidden])")
    assert visible.count() == 1
    assert page.inner_text("[data-filter-count]") == "显示 1 / 3 条"
    visible.locator("a").first.click()
    page.wait_for_url("**/org/so-rg-fitness/")
    page.goto(base_url + "kinds/womens_homes/")
    page.select_option("select[data-filter='service']", "domestic_violence_support")
    assert page.locator("tbody tr:not([hidden]) a").first.get_attribute("href") == "../../org/wh-gz/"
    page.fill("input[data-filter='text']", "穗香")
    assert page.locator("tbody tr:not([hidden])").count() == 0
    # English cells join labels by ", " (the rows carry no codes: the filter reads the cells)
    page.goto(base_url + "en/kinds/social_orgs/")
    assert page.locator("tbody tr[data-services]").count() == 0
    page.select_option("select[data-filter='service']", "home_visits")
    visible = page.locator("tbody tr:not([hidden])")
    assert visible.count() == 1 and visible.locator("a").first.get_attribute("href") == "../../org/so-rg-fitness/"
    page.select_option("select[data-filter='service']", "")
    page.select_option("select[data-filter='group']", "youth")
    assert page.locator("tbody tr:not([hidden])").count() == 2


def test_listing_sorts_by_column(page: Page, base_url: str) -> None:
    page.goto(base_url + "kinds/trade_union/")

    def names() -> list[str]:
        return page.eval_on_selector_all("tbody tr td:first-child a", "els => els.map(e => e.textContent)")

    page.click("th button.hubdir-sort >> nth=0")
    ascending = names()
    page.click("th button.hubdir-sort >> nth=0")
    assert names() == list(reversed(ascending))


def test_map_shows_every_marker_without_tiles(page: Page, base_url: str) -> None:
    page.goto(base_url + "map/")
    page.wait_for_selector("[data-hubdir-map][data-ready='true']", timeout=15000)
    items = page.eval_on_selector_all(
        "[data-hubdir-maplist] li", "els => els.map(e => e.getAttribute('data-id'))"
    )
    assert sorted(items) == ["hub-d-union", "hub-sx-women", "wh-gz", "yc-gz"]
    shown = page.evaluate("""() => {
        let n = document.querySelectorAll('.hubdir-pin').length;
        document.querySelectorAll('.hubdir-cluster span').forEach(s => n += Number(s.textContent));
        return n; }""")
    assert shown == 4
    # per-kind filter: only women's homes
    for box in page.locator("[data-hubdir-map-kinds] input").all():
        box.uncheck()
    page.locator("[data-hubdir-map-kinds] input").nth(6).check()
    items = page.eval_on_selector_all(
        "[data-hubdir-maplist] li", "els => els.map(e => e.getAttribute('data-id'))"
    )
    assert items == ["wh-gz"]
    assert not page.errors  # type: ignore[attr-defined]


def test_map_link_from_record_opens_popup(page: Page, base_url: str) -> None:
    page.goto(base_url + "map/#yc-gz")
    page.wait_for_selector(".leaflet-popup-content a", timeout=15000)
    assert page.inner_text(".leaflet-popup-content a") == "示例桂洲社区青年坊"
    page.click(".leaflet-popup-content a")
    page.wait_for_url("**/org/yc-gz/")


def test_language_switch_round_trip(page: Page, base_url: str) -> None:
    page.goto(base_url + "org/yc-gz/")
    page.click("a.hubdir-lang")
    page.wait_for_url("**/en/org/yc-gz/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Example Guizhou Youth Centre" in page.inner_text("article")
    page.click("a.hubdir-lang")
    page.wait_for_url(base_url + "org/yc-gz/")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_xss_payloads_stay_text_in_the_browser(page: Page, base_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base_url + "org/wh-gz/")
    page.hover("h1")
    page.hover(".hubdir-name-en")
    assert dialogs == []
    assert page.inner_text("h1") == '示例桂洲社区妇女之家 <script>alert("x")</script>'
    assert page.locator("article img:not(.leaflet-tile), article iframe, article b").count() == 0


AXE_PAGES = [
    "",
    "kinds/womens_homes/",
    "org/wh-gz/",
    "map/",
    "en/org/hub-d-union/",
    "area/440606006/",
    "search/?q=%E5%AE%B9%E6%A1%82",  # 容桂: with its results shown
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_serious_accessibility_violations(page: Page, base_url: str, axe_source: str, path: str) -> None:
    page.goto(base_url + path)
    if path == "map/":
        page.wait_for_selector("[data-hubdir-map][data-ready='true']", timeout=15000)
    if path.startswith("search/"):
        assert _results(page)
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []


def test_no_request_leaves_the_site_except_tiles(page: Page, base_url: str) -> None:
    for path in [
        "",
        "org/hub-d-union/",
        "kinds/trade_union/",
        "map/",
        "search/?q=ronggui",
        "data/",
        "en/",
        "area/440606006001/",
    ]:
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
    assert _foreign(page.requests, base_url) == []  # type: ignore[attr-defined]
    assert any(TILE_HOST_SUFFIX in u for u in page.requests)  # type: ignore[attr-defined]
