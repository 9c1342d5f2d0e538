"""Issue 14 items 5–11 in a real Chromium at a phone (390×844) and on a desktop: the large-text mode
across pages and visits, keyboard use and focus, no sideways scrolling (also at 200 % text), stacked
tables, chart labels, the home page's first screen, Chinese marked on English pages, share tags,
the 404 pages, print to PDF, the venue's print plaque and its QR code, and axe on every page type in both languages."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import check_browser, serve_directory

from generator.site import vendor

if not check_browser():
    pytest.skip("Chromium or Playwright not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page

AXE_VERSION = "4.14.1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TILES = "**/*.is.autonavi.com/**"
SITE = "顺德区群团组织服务名录"

#: One page of every type, in both languages.
PAGE_TYPES = [
    "",
    "kinds/womens_homes/",
    "org/hub-rg-women/",
    "org/wh-gz/",
    "org/so-rg-fitness/",
    "area/440606/",
    "area/440606006/",
    "area/440606006001/",
    "area/440606005002/",
    "map/",
    "data/",
    "fields/hubs/",
    "contribute/",
    "coverage/",
    "search/?q=%E5%AE%B9%E6%A1%82",
]
ALL_PAGES = [*PAGE_TYPES, *["en/" + p for p in PAGE_TYPES], "org/yc-gz/"]
#: The large-text mode on a phone: a page of each layout (listing, record, area, map, data, search).
CARE_PAGES = [
    "",
    "kinds/womens_homes/",
    "org/wh-gz/",
    "en/area/440606006/",
    "area/440606005002/",
    "map/",
    "en/data/",
    "coverage/",
    "search/?q=rg",
    "org/yc-gz/",
]


@pytest.fixture(scope="module")
def base_url(resident_site: tuple[Path, Path, object]) -> Iterator[str]:
    with serve_directory(resident_site[1]) as url:
        yield url



def _page(browser: Browser, viewport: dict[str, int], **options: Any) -> Page:
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    page.route(TILES, lambda route: route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return page


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    page = _page(browser, PHONE)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (vendor.npm_package("axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


def _open(page: Page, url: str) -> None:
    page.goto(url)
    if "map/" in url:
        page.wait_for_selector("[data-hubdir-map][data-ready='true']", timeout=15000)
    if "search/?q=" in url:
        page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)


def _axe(page: Page, axe_source: str, **options: Any) -> list[Any]:
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async (o) => await axe.run(document, o)", {"resultTypes": ["violations"], **options})
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# ------------------------------------------------------------------ axe everywhere
@pytest.fixture(scope="module")
def phone_tab(browser: Browser) -> Iterator[Page]:
    """One phone tab for the page-by-page checks (a fresh context per page costs more than the check)."""
    page = _page(browser, PHONE)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def desktop_tab(browser: Browser) -> Iterator[Page]:
    page = _page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.mark.parametrize("path", ALL_PAGES)
def test_axe_on_every_page_type_on_a_phone(phone_tab: Page, base_url: str, axe_source: str, path: str) -> None:
    _open(phone_tab, base_url + path)
    assert _axe(phone_tab, axe_source) == []


@pytest.mark.parametrize("path", [*PAGE_TYPES, "org/yc-gz/", "en/", "en/org/hub-rg-women/", "en/coverage/"])
def test_axe_on_every_page_type_on_a_desktop(desktop_tab: Page, base_url: str, axe_source: str, path: str) -> None:
    _open(desktop_tab, base_url + path)
    assert _axe(desktop_tab, axe_source) == []


def test_axe_in_large_text_mode_meets_enhanced_contrast(browser: Browser, base_url: str, axe_source: str) -> None:
    page = _page(browser, PHONE)
    page.goto(base_url)
    page.evaluate("localStorage.setItem('hubdir-care', '1')")
    for path in CARE_PAGES[:7]:
        _open(page, base_url + path)
        assert _axe(page, axe_source) == [], path
        # 关怀模式 raises contrast to WCAG AAA (7:1) for text
        assert _axe(page, axe_source, runOnly=["color-contrast-enhanced"]) == [], path
    page.context.close()


# ------------------------------------------------------------------ 关怀模式
def _text_sizes(page: Page) -> list[tuple[str, float]]:
    """Font size of every visible element that holds text of its own, in the content and the footer."""
    return page.evaluate(
        """() => {
        const out = [];
        for (const el of document.querySelectorAll('.md-content *, .md-footer *')) {
          const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
          const box = el.getBoundingClientRect();
          if (!own || !box.width || !box.height || el.closest('svg, .hubdir-vh, .hubdir-printinfo')) continue;
          out.push([el.tagName + '.' + el.className, parseFloat(getComputedStyle(el).fontSize)]);
        }
        return out; }"""
    )


def test_large_text_mode_is_remembered_across_pages_and_visits(phone: Page, base_url: str) -> None:
    dialogs: list[str] = []
    phone.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    phone.goto(base_url + "org/yc-gz/")
    toggle = phone.get_by_role("button", name="大字模式")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    assert min(size for _, size in _text_sizes(phone)) < 20  # the normal page has small print
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    assert phone.evaluate("document.documentElement.classList.contains('hubdir-care')")
    for path in ("org/yc-gz/", "area/440606006/", "kinds/womens_homes/", "en/org/yc-gz/", "coverage/"):
        phone.goto(base_url + path)
        assert phone.evaluate("document.documentElement.classList.contains('hubdir-care')"), path
        assert phone.locator("[data-hubdir-care]").get_attribute("aria-pressed") == "true"
        small = [(tag, size) for tag, size in _text_sizes(phone) if size < 20]
        assert small == [], path
    phone.reload()
    assert phone.evaluate("document.documentElement.classList.contains('hubdir-care')")
    # a new visit in the same browser profile keeps it
    again = phone.context.new_page()
    again.goto(base_url)
    assert again.evaluate("document.documentElement.classList.contains('hubdir-care')")
    again.close()
    phone.goto(base_url + "en/org/yc-gz/")
    phone.get_by_role("button", name="Large text").click()
    assert not phone.evaluate("document.documentElement.classList.contains('hubdir-care')")
    assert phone.evaluate("localStorage.getItem('hubdir-care')") is None
    assert dialogs == [] and len(phone.context.pages) == 1 and phone.errors == []  # type: ignore[attr-defined]


def test_large_text_mode_enlarges_tap_targets(phone: Page, base_url: str) -> None:
    phone.goto(base_url)
    phone.evaluate("localStorage.setItem('hubdir-care', '1')")
    for path in ("", "kinds/womens_homes/", "org/yc-gz/", "search/?q=rg"):
        phone.goto(base_url + path)
        small = phone.evaluate(
            """() => [...document.querySelectorAll(
                 'button, select, input:not([type=checkbox]):not([type=radio]), .md-button, '
                 + '.hubdir-refs a, .hubdir-cards a')]
               .filter(el => el.getBoundingClientRect().width > 0)
               .map(el => [el.outerHTML.slice(0, 60), el.getBoundingClientRect().height])
               .filter(([, h]) => h < 44)"""
        )
        assert small == [], path


# ------------------------------------------------------------------ keyboard
def test_skip_link_and_keyboard_toggle(phone: Page, base_url: str) -> None:
    phone.goto(base_url + "org/yc-gz/")
    phone.keyboard.press("Tab")
    skip = phone.evaluate(
        "[document.activeElement.classList.contains('md-skip'), document.activeElement.textContent.trim()]"
    )
    assert skip == [True, "跳到正文"]
    box = phone.locator(".md-skip").bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 20  # visible while focused
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "hubdir-main"
    phone.keyboard.press("Tab")  # the next stop is inside the content
    assert phone.evaluate("!!document.activeElement.closest('.md-content')")
    # the large-text switch works from the keyboard
    phone.focus("[data-hubdir-care]")
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.documentElement.classList.contains('hubdir-care')")
    phone.keyboard.press("Space")
    assert not phone.evaluate("document.documentElement.classList.contains('hubdir-care')")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_every_input_shows_focus(browser: Browser, base_url: str, viewport: dict[str, int]) -> None:
    page = _page(browser, viewport)
    for path in ("", "kinds/social_orgs/", "search/", "map/", "org/yc-gz/"):
        _open(page, base_url + path)
        controls = page.locator("input:visible, select:visible, button:visible")
        assert controls.count() > 0, path
        for i in range(controls.count()):
            control = controls.nth(i)
            control.focus()
            style = control.evaluate(
                "el => { const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
            )
            assert style[0] != "none" and style[1] >= 2, (path, control.evaluate("el => el.outerHTML.slice(0, 80)"))
    page.context.close()


# ------------------------------------------------------------------ phone layout
def _overflow(page: Page) -> list[Any]:
    return page.evaluate(
        """() => { const w = document.documentElement.clientWidth, bad = [];
        if (document.documentElement.scrollWidth > innerWidth) bad.push(['page', document.documentElement.scrollWidth]);
        for (const el of document.querySelectorAll('.md-content *, .md-footer *, body > main *')) {
          const b = el.getBoundingClientRect();
          if (b.width && b.right > w + 1 && !el.closest('.leaflet-container'))
            bad.push([el.tagName + '.' + el.className, Math.round(b.right)]); }
        return bad.slice(0, 5); }"""
    )


@pytest.mark.parametrize("mode", ["normal", "200%", "care", "care+200%"])
def test_no_page_scrolls_sideways_on_a_phone(browser: Browser, base_url: str, mode: str) -> None:
    page = _page(browser, PHONE)
    if "200%" in mode:  # the browser's text size at 200 % (Chrome's font-size setting), not a zoom
        cdp = page.context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
    page.goto(base_url)
    if "care" in mode:
        page.evaluate("localStorage.setItem('hubdir-care', '1')")
    for path in CARE_PAGES if "care" in mode else ALL_PAGES:
        _open(page, base_url + path)
        if "200%" in mode:
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 32
        assert _overflow(page) == [], (mode, path)
    page.context.close()


def test_wide_tables_become_stacked_rows(browser: Browser, base_url: str) -> None:
    phone = _page(browser, PHONE)
    phone.goto(base_url + "area/440606006/")
    table = phone.locator("table.hubdir-table").first
    assert table.evaluate("el => getComputedStyle(el).display") == "block"
    assert table.locator("thead").evaluate("el => el.getBoundingClientRect().height <= 1")
    cell = table.locator("tbody tr").first.locator("td").nth(1)
    label = cell.evaluate("el => getComputedStyle(el, '::before').content")
    assert label.startswith('"') and "：" in label
    # a village's name takes the row's whole width: no name four characters wide
    name = table.locator("tbody tr td:first-child").first
    assert name.bounding_box()["width"] > 300  # type: ignore[index]
    phone.context.close()
    desktop = _page(browser, DESKTOP)
    desktop.goto(base_url + "area/440606006/")
    assert desktop.locator("table.hubdir-table").first.evaluate("el => getComputedStyle(el).display") == "table"
    desktop.context.close()


def test_chart_labels_are_at_least_12px_on_a_phone(phone: Page, base_url: str) -> None:
    for path in ("coverage/", "en/coverage/"):
        phone.goto(base_url + path)
        sizes = phone.evaluate(
            """() => [...document.querySelectorAll('svg.hubdir-chart text')].map(t =>
                 parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
        )
        assert sizes and min(sizes) >= 12, path


def test_home_shows_the_next_step_above_the_fold(phone: Page, base_url: str) -> None:
    """Search, near me and the hotlines are on the first screen of a phone (the towns follow)."""
    for path in ("", "en/"):
        phone.goto(base_url + path)
        for selector in ("#hubdir-home-q", ".hubdir-hotlines a", ".hubdir-near button"):
            box = phone.locator(selector).first.bounding_box()
            assert box and box["y"] + box["height"] <= PHONE["height"], (path, selector)
        towns = phone.locator(".hubdir-cards--towns").bounding_box()
        near = phone.locator(".hubdir-near").bounding_box()
        assert towns and near and towns["y"] > near["y"]  # the places come right after near me


# ------------------------------------------------------------------ language, share tags
@pytest.mark.parametrize(
    "path",
    [
        "en/",
        "en/org/yc-gz/",
        "en/org/hub-rg-women/",
        "en/area/440606006/",
        "en/area/440606005002/",
        "en/kinds/womens_homes/",
        "en/area/440606/",
    ],
)
def test_chinese_on_english_pages_is_marked(phone: Page, base_url: str, path: str) -> None:
    phone.goto(base_url + path)
    unmarked = phone.evaluate(
        """() => { const out = [], han = /[\\u3400-\\u9fff]/;
        const walk = document.createTreeWalker(document.querySelector('.md-content'), NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) { const n = walk.currentNode, el = n.parentElement;
          if (!han.test(n.textContent) || el.closest('script, svg')) continue;
          const lang = el.closest('[lang]').getAttribute('lang');
          if (!lang.startsWith('zh')) out.push(n.textContent.trim().slice(0, 30)); }
        return out; }"""
    )
    assert unmarked == []
    assert phone.evaluate("document.documentElement.lang") == "en"


def test_share_tags_are_read_by_the_browser(phone: Page, base_url: str) -> None:
    phone.goto(base_url + "en/org/yc-gz/")
    tags = phone.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('meta[property^="og:"]')]
             .map(m => [m.getAttribute('property'), m.content]))"""
    )
    assert tags["og:url"] == "https://example.org/hubdir/en/org/yc-gz/"
    assert tags["og:title"] == "示例桂洲社区青年坊"
    assert tags["og:image"] == "https://example.org/hubdir/assets/hubdir/brand/share.png"
    assert tags["og:description"].startswith("Community youth centers: 示例桂洲社区青年坊. Address: ")
    assert tags["og:description"] == phone.evaluate("document.querySelector('meta[name=description]').content")


# ------------------------------------------------------------------ 404
class _Published(http.server.SimpleHTTPRequestHandler):
    """The site as published under /hubdir/: a missing page gets 404.html of its language, status 404."""

    def log_message(self, *args: Any) -> None:
        pass

    def translate_path(self, path: str) -> str:
        return super().translate_path(path.removeprefix("/hubdir"))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            return super().send_error(code, message, explain)
        root = Path(self.directory)
        page = root / ("en/404.html" if self.path.startswith("/hubdir/en/") else "404.html")
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def published(resident_site: tuple[Path, Path, object]) -> Iterator[str]:
    handler = functools.partial(_Published, directory=str(resident_site[1]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hubdir/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "lang", "title", "query"),
    [
        ("org/no-such-record/", "zh-CN", "找不到这个页面", "容桂"),
        ("en/no/such/page/", "en", "Page not found", "guizhou"),
    ],
)
def test_not_found_page_in_its_language_with_search(
    browser: Browser, published: str, axe_source: str, path: str, lang: str, title: str, query: str
) -> None:
    for viewport in (PHONE, DESKTOP):
        page = _page(browser, viewport)
        response = page.goto(published + path)
        assert response and response.status == 404
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.inner_text("h1") == title
        assert _axe(page, axe_source) == []
        assert _overflow(page) == []
        links = page.eval_on_selector_all(".md-content .hubdir-refs a", "els => els.map(a => a.href)")
        assert len(links) == 4
        for link in links:
            assert page.request.get(link).status == 200, link
        page.fill("input[name=q]", query)
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
        assert page.locator(".hubdir-result__link").count() > 0
        page.context.close()


# ------------------------------------------------------------------ print
def _pdf_text(data: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    # NFKC: the PDF's CJK font maps some characters to Kangxi radicals (⽰ for 示)
    return len(reader.pages), unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))


@pytest.mark.parametrize("path", ["org/yc-gz/", "area/440606006/", "en/org/hub-rg-women/"])
def test_record_and_town_pages_print_clean(browser: Browser, base_url: str, path: str) -> None:
    page = _page(browser, DESKTOP)
    _open(page, base_url + path)
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """() => ['.md-header', '.md-tabs', '.md-footer', '.hubdir-fix', '.hubdir-actions', '.hubdir-plaque-btn',
                  '.hubdir-care-toggle', '.leaflet-control-container', '.md-sidebar']
          .filter(s => document.querySelector(s))
          .map(s => [s, getComputedStyle(document.querySelector(s)).display])"""
    )
    assert hidden and all(display == "none" for _, display in hidden), hidden
    heads = page.evaluate(
        "() => [...document.querySelectorAll('.md-content h2, .md-content h3')]"
        ".map(h => getComputedStyle(h).breakAfter)"
    )
    assert heads and set(heads) == {"avoid"}
    pages, text = _pdf_text(page.pdf(format="A4", print_background=False))
    url = "https://example.org/hubdir/" + path
    assert pages >= 1
    flat = text.replace("\n", "")
    assert url in flat and (SITE in flat or "Shunde Mass Organizations Directory" in flat)
    for word in ("编辑此记录", "报告信息错误", "大字模式", "Large text", "English", "跳到正文"):
        assert word not in text, word
    page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
@pytest.mark.parametrize(
    ("path", "name", "words"),
    [
        ("org/yc-gz/", "示例桂洲社区青年坊", ("示例桂洲社区", "0757-28880001", "开放时间", "示例容桂桂洲大道", "扫码")),
        ("en/org/yc-gz/", None, ("Opening hours", "0757-28880001", "Scan for the latest information")),
    ],
)
def test_plaque_prints_on_one_a4_page_and_its_qr_opens_the_record(
    browser: Browser, base_url: str, axe_source: str, viewport: dict[str, int], path: str, name: str | None,
    words: tuple[str, ...],
) -> None:
    """打印挂牌: the button builds the plaque from the page, loads the QR library only then, prints."""
    import zxingcpp
    from PIL import Image

    page = _page(browser, viewport)
    page.add_init_script("window.print = () => { window.hubdirPrinted = (window.hubdirPrinted || 0) + 1; };")
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    _open(page, base_url + path)
    assert not any("qrcode" in url for url in scripts)  # loaded lazily: a record page stays light
    button = page.locator("[data-hubdir-plaque]")
    assert button.is_visible()
    button.click()
    page.wait_for_selector(".hubdir-plaque svg[data-qr]")
    assert page.evaluate("window.hubdirPrinted") == 1
    assert any(url.endswith("/assets/vendor/qrcode-generator/qrcode.js") for url in scripts)
    assert page.evaluate("document.documentElement.classList.contains('hubdir-plaque-on')")
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".hubdir-fix, .hubdir-minimap").first.is_visible()
    if name:
        assert page.inner_text(".hubdir-plaque__name") == name
    assert _axe(page, axe_source) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.emulate_media(media="print")
    assert page.locator(".hubdir-plaque__bar").evaluate("el => getComputedStyle(el).display") == "none"
    pages, text = _pdf_text(page.pdf(format="A4"))
    assert pages == 1
    # (青 comes out of the PDF as the radical ⻘, which NFKC leaves alone: compare around it)
    for word in words:
        assert word in text, word
    for word in ("编辑此记录", "求助热线", "English", "中文", "坐标"):
        assert word not in text, word
    page.emulate_media(media="screen")
    png = page.locator(".hubdir-plaque svg").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [r.text for r in found] == ["https://example.org/hubdir/" + path]
    page.keyboard.press("Escape")  # back to the full page, focus on the button again
    assert not page.evaluate("document.documentElement.classList.contains('hubdir-plaque-on')")
    assert page.locator(".md-header").is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-hubdir-plaque')")
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()


def test_plaque_button_needs_javascript_and_the_page_still_prints(browser: Browser, base_url: str) -> None:
    page = _page(browser, PHONE, java_script_enabled=False)
    page.goto(base_url + "org/yc-gz/")
    assert not page.locator("[data-hubdir-plaque]").is_visible()
    page.emulate_media(media="print")
    pages, text = _pdf_text(page.pdf(format="A4"))
    assert pages >= 1 and "示例桂洲社区" in text and "打印挂牌" not in text
    page.context.close()


def test_hostile_names_stay_text_on_the_plaque(browser: Browser, base_url: str) -> None:
    page = _page(browser, PHONE)
    page.add_init_script("window.print = () => {};")
    page.goto(base_url + "org/wh-gz/")
    page.click("[data-hubdir-plaque]")
    page.wait_for_selector(".hubdir-plaque svg[data-qr]")
    assert page.inner_text(".hubdir-plaque__name") == '示例桂洲社区妇女之家 <script>alert("x")</script>'
    assert page.locator(".hubdir-plaque script, .hubdir-plaque img, .hubdir-plaque iframe").count() == 0
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
