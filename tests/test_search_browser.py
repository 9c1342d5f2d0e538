"""The search page in Chromium (issue 13): what an empty result offers, the page without
JavaScript, English results, a phone's width and accessibility of the help."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import check_browser

from generator.site import search, search_query, vendor

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page

AXE_VERSION = "4.14.1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}




def _page(browser: Browser, *, js: bool = True, viewport: dict[str, int] = DESKTOP) -> Page:
    context = browser.new_context(locale="zh-CN", java_script_enabled=js, viewport=viewport)
    page = context.new_page()
    page.route("**/*.is.autonavi.com/**", lambda route: route.abort())
    return page


def _done(page: Page) -> list[str]:
    page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
    return page.eval_on_selector_all(
        ".hubdir-search-page .hubdir-result__link", "els => els.map(e => e.getAttribute('href'))"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_empty_result_offers_the_nearest_hubs_the_hotline_and_the_kinds(
    browser: Browser, base_url: str, viewport: dict[str, int]
) -> None:
    page = _page(browser, viewport=viewport)
    page.goto(base_url + "search/?q=" + quote("大良妇女之家"))  # 大良 has none, and no women's federation
    assert _done(page) == []
    assert page.inner_text("[role=status]").startswith("没有找到与“大良妇女之家”相符的记录。")
    assert "少输几个字" not in page.inner_text("[role=status]")
    help_box = page.locator("[data-hubdir-search-help]")
    assert help_box.is_visible()
    nearby = page.eval_on_selector_all("[data-hubdir-search-nearby] a", "els => els.map(e => e.getAttribute('href'))")
    assert nearby[:2] == ["/org/hub-dl-union/", "/org/hub-dl-youth/"]  # the hubs of 大良 itself
    first = help_box.locator(".hubdir-search-help__hotlines li").first
    assert first.inner_text() == "妇联：12338" and "hubdir-search-help__hotline--asked" in (
        first.get_attribute("class") or ""
    )
    assert first.locator("a").get_attribute("href") == "tel:12338"
    kinds = page.eval_on_selector_all(".hubdir-search-help__kinds a", "els => els.map(e => e.getAttribute('href'))")
    assert "../kinds/womens_homes/" in kinds
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing wider than a phone
    page.click("[data-hubdir-search-nearby] a >> nth=0")
    page.wait_for_url("**/org/hub-dl-union/")


def test_results_hide_the_help(browser: Browser, base_url: str) -> None:
    page = _page(browser, viewport=PHONE)
    page.goto(base_url + "search/?q=" + quote("桂洲妇女之家"))
    assert _done(page)[0] == "/org/wh-gz/"
    assert not page.locator("[data-hubdir-search-help]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_without_javascript_the_form_leads_to_kinds_towns_and_hotlines(browser: Browser, base_url: str) -> None:
    page = _page(browser, js=False, viewport=PHONE)
    page.goto(base_url + "org/hub-d-union/")
    page.fill(".hubdir-search input", "容桂妇女之家")
    page.press(".hubdir-search input", "Enter")  # a plain GET to the search page
    page.wait_for_url("**/search/?q=*")
    assert page.locator("noscript").count() == 1
    towns = page.eval_on_selector_all(".hubdir-search-help__towns a", "els => els.map(e => e.textContent)")
    assert towns == ["大良", "容桂"]
    assert page.locator(".hubdir-search-help__hotlines a[href='tel:12338']").is_visible()
    page.click(".hubdir-search-help__towns a >> text=容桂")
    page.wait_for_url("**/area/440606006/")
    page.go_back()
    page.click(".hubdir-search-help__kinds a >> nth=6")
    page.wait_for_url("**/kinds/womens_homes/")


def test_english_results_are_shown_in_english(
    browser: Browser, base_url: str, built_site: tuple[Path, Path, object]
) -> None:
    page = _page(browser)
    page.goto(base_url + "en/search/?q=" + quote("Guizhou youth center"))
    hrefs = _done(page)
    expected = search_query.find(built_site[1] / search.INDEX_DIR, "Guizhou youth center")
    assert hrefs == ["/en/" + p for p in expected] and hrefs[0] == "/en/org/yc-gz/"
    first = page.locator(".hubdir-result").first
    assert first.locator(".hubdir-result__link").inner_text() == "Example Guizhou Youth Centre"
    assert first.locator(".hubdir-result__zh").inner_text() == "示例桂洲社区青年坊"
    # kind, town, village in English (a village without an English name in pinyin)
    assert (
        first.locator(".hubdir-result__meta").inner_text() == "Community youth centers · Ronggui Subdistrict · Guizhou"
    )
    page.goto(base_url + "en/search/?q=" + quote("nothing like this xyz"))
    _done(page)
    assert page.inner_text("[role=status]").startswith("Nothing matches")
    assert page.inner_text("#hubdir-search-help-title") == "Other ways to find it"


def test_a_same_sound_typo_says_so(browser: Browser, base_url: str) -> None:
    page = _page(browser)
    page.goto(base_url + "search/?q=" + quote("荣桂妇联"))
    assert _done(page)[0] == "/org/hub-rg-women/"
    assert page.inner_text("[role=status]").startswith("没有完全相符的结果，以下按读音相近的字查找。")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_empty_result_help_is_accessible(
    browser: Browser, base_url: str, axe_source: str, viewport: dict[str, int]
) -> None:
    page = _page(browser, viewport=viewport)
    page.goto(base_url + "search/?q=" + quote("大良妇女之家"))
    _done(page)
    page.wait_for_selector("[data-hubdir-search-nearby]:not([hidden])")
    page.add_script_tag(content=axe_source)
    # the page's content (the header and its phone menu are Material's, tested with the whole site)
    found = page.evaluate("async () => await axe.run({include: ['.md-content']}, {resultTypes: ['violations']})")
    bad = [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in found["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
