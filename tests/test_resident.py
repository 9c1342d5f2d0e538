"""Issue 14 (items 6–11) in the built pages: share tags, footer, 404, corrections, residents first,
the venues' print plaques, and the configuration that drives them (exact messages)."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from generator.site import plaque
from tests.conftest import RESIDENT_FIXTURE, Run

SITE_URL = "https://example.org/hubdir/"


def html_of(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text("utf-8")


def meta(page: str, attr: str, name: str) -> str:
    """The content of the one ``<meta>`` whose ``attr`` is ``name`` (a light page's description is one
    element with both ``name="description"`` and ``property="og:description"``)."""
    found = []
    for tag in re.findall(r"<meta\s[^>]*>", page[: page.index("</head>")]):
        attrs = dict(re.findall(r'([\w:-]+)="([^"]*)"', tag))
        if attrs.get(attr) == name:
            found.append(attrs.get("content", ""))
    assert len(found) == 1, (name, found)
    return unescape(found[0])


def article(page: str) -> str:
    # Material's pages nest the content in div.md-content__inner, the light pages in main.md-content
    start = page.find('<div class="md-content__inner')
    start = start if start != -1 else page.index('<main id="hubdir-main" class="md-content')
    return page[start : page.index('<footer class="md-footer')]


def line_of(project: Path, text: str) -> int:
    lines = (project / "site_config.yml").read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


@pytest.fixture
def resident_project(project: Path) -> Path:
    """The fixture project with the issue-14 sections (``tests/fixtures/resident``) added."""
    shutil.copytree(RESIDENT_FIXTURE / "assets", project / "assets")
    config = project / "site_config.yml"
    config.write_text(config.read_text("utf-8") + (RESIDENT_FIXTURE / "site_config.extra.yml").read_text("utf-8"))
    return project


def edit_config(project: Path, old: str, new: str) -> None:
    path = project / "site_config.yml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


# ------------------------------------------------------------------ configuration
def test_bad_footer_and_correction_values_name_the_field(run: Run, resident_project: Path) -> None:
    edit_config(resident_project, "  icp: 粤ICP备00000000号-1", "  icp: 00000000")
    edit_config(resident_project, "  email: hubdir@example.org", "  email: hubdir-at-example.org")
    email, icp = line_of(resident_project, "  email:"), line_of(resident_project, "  icp:")
    zh = run(resident_project, "validate")
    assert zh.exit_code == 2
    assert zh.output == (
        "站点配置 site_config.yml 有问题，无法继续：\n"
        f"site_config.yml:{email}:10: error S005: “corrections.email”的格式不对：“hubdir-at-example.org”\n"
        "  提示：受理更正的电子邮箱，如 hubdir@example.org。\n"
        f"site_config.yml:{icp}:8: error S005: “footer.icp”的格式不对：“00000000”\n"
        "  提示：ICP 备案号，如 粤ICP备12345678号-1；链接到工业和信息化部备案系统 beian.miit.gov.cn。\n"
        "检查了 1 个文件：2 个错误，0 个警告。\n"
    )
    en = run(resident_project, "validate", "--lang", "en")
    assert en.exit_code == 2
    assert (
        f'site_config.yml:{icp}:8: error S005: "footer.icp" is not in the expected format: "00000000"\n'
        "  hint: ICP filing number, e.g. 粤ICP备12345678号-1; linked to the MIIT filing system beian.miit.gov.cn.\n"
    ) in en.output


def test_missing_image_file_is_an_error(run: Run, resident_project: Path) -> None:
    edit_config(resident_project, "  logo: assets/logo.svg", "  logo: assets/missing.svg")
    line = line_of(resident_project, "  logo:")
    zh = run(resident_project, "build")
    assert zh.exit_code == 2
    assert zh.output == (
        "站点配置 site_config.yml 有问题，无法继续：\n"
        f"site_config.yml:{line}:9: error C141: 找不到“brand.logo”指定的图片文件 assets/missing.svg\n"
        "  提示：把图片放在项目目录中（例如 assets/），写相对于 site_config.yml 的路径。\n"
        "检查了 1 个文件：1 个错误，0 个警告。\n"
    )
    en = run(resident_project, "validate", "--lang", "en")
    assert (
        f"site_config.yml:{line}:9: error C141: "
        'The image file assets/missing.svg given for "brand.logo" does not exist\n'
        "  hint: Put the image inside the project (e.g. assets/) and give its path relative to site_config.yml.\n"
    ) in en.output


def test_image_outside_the_project_and_unknown_channel_are_refused(run: Run, resident_project: Path) -> None:
    edit_config(resident_project, "    qr_image: assets/wechat-qr.png", "    qr_image: ../secret.png")
    edit_config(resident_project, "  form_url:", "  fax: '0757'\n  form_url:")
    result = run(resident_project, "validate", "--lang", "en")
    assert result.exit_code == 2
    assert '"corrections.wechat.qr_image" is not in the expected format: "../secret.png"' in result.output
    assert 'error S007: Unknown field "fax"\n  hint: Known fields: email, form_url, phone, wechat' in result.output


# ------------------------------------------------------------------ share cards
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_has_its_own_description_and_share_tags(resident_site: tuple[Path, Path, object], lang: str) -> None:
    site = resident_site[1] if lang == "zh" else resident_site[1] / "en"
    base = SITE_URL + ("en/" if lang == "en" else "")
    paths = [
        "",
        "kinds/womens_homes/",
        "map/",
        "org/hub-rg-women/",
        "org/yc-gz/",
        "area/440606006/",
        "area/440606005002/",
    ]
    descriptions = set()
    for path in paths:
        page = html_of(site, path)
        description = meta(page, "name", "description")
        assert meta(page, "property", "og:description") == description
        assert meta(page, "property", "og:url") == base + path
        assert meta(page, "property", "og:image") == SITE_URL + "assets/hubdir/brand/share.png"
        descriptions.add(description)
    assert len(descriptions) == len(paths)  # no two pages share a description
    record = html_of(site, "org/hub-rg-women/")
    assert meta(record, "property", "og:title") == "示例容桂妇联"
    expected = "妇联：示例容桂妇联" if lang == "zh" else "Women's federations: 示例容桂妇联"
    assert meta(record, "name", "description").startswith(expected)
    assert (resident_site[1] / "assets/hubdir/brand/share.png").read_bytes() == (
        resident_site[0] / "assets/share.png"
    ).read_bytes()


def test_share_text_from_yaml_is_escaped(resident_site: tuple[Path, Path, object]) -> None:
    page = html_of(resident_site[1], "org/wh-gz/")
    head = page[: page.index("</head>")]
    assert "<script>alert" not in head and "onerror=alert(1)>" not in head
    assert meta(page, "property", "og:title") == '示例桂洲社区妇女之家 <script>alert("x")</script>'


def test_configured_logo_and_favicon(resident_site: tuple[Path, Path, object]) -> None:
    page = html_of(resident_site[1], "org/yc-gz/")
    assert '<link rel="icon" href="../../assets/hubdir/brand/favicon.png">' in page
    home = (resident_site[1] / "index.html").read_text("utf-8")
    assert '<img src="assets/hubdir/brand/logo.svg" alt="">' in home
    assert "fixture logo" in (resident_site[1] / "assets/hubdir/brand/logo.svg").read_text("utf-8")


# ------------------------------------------------------------------ footer and 404
@pytest.mark.parametrize(
    ("prefix", "sponsor"),
    [("", "主办单位：示例顺德区群团工作联席会议"), ("en/", "Sponsor: Example Shunde Mass Organizations Office")],
)
def test_official_footer_on_every_page(resident_site: tuple[Path, Path, object], prefix: str, sponsor: str) -> None:
    for path in ("", "org/yc-gz/", "area/440606006001/", "map/", "404.html"):
        file = resident_site[1] / prefix / path
        page = (file if path.endswith(".html") else file / "index.html").read_text("utf-8")
        footer = page[page.index('<footer class="md-footer') :]
        assert f"<li>{sponsor}</li>" in footer
        assert '<a href="https://beian.miit.gov.cn/" rel="noopener">粤ICP备00000000号-1</a>' in footer
        assert "https://beian.mps.gov.cn/#/query/webSearch?code=44060602000000" in footer
        assert "4406060000" in footer


def test_not_found_pages_in_both_languages(resident_site: tuple[Path, Path, object]) -> None:
    zh = (resident_site[1] / "404.html").read_text("utf-8")
    assert '<html lang="zh-CN"' in zh and "<h1>找不到这个页面</h1>" in zh and "404 - Not found" not in zh
    assert 'action="/hubdir/search/"' in zh and '<li><a href="/hubdir/map/">地图</a></li>' in zh
    assert 'href="/hubdir//' not in zh
    en = (resident_site[1] / "en" / "404.html").read_text("utf-8")
    assert '<html lang="en"' in en and "<h1>Page not found</h1>" in en
    assert 'action="/hubdir/en/search/"' in en and '<li><a href="/hubdir/en/data/">Open data</a></li>' in en


# ------------------------------------------------------------------ corrections
def test_record_page_offers_corrections_with_the_record_filled_in(resident_site: tuple[Path, Path, object]) -> None:
    page = html_of(resident_site[1], "org/yc-gz/")
    start = page.index('<section class="hubdir-fix"')
    fix = page[start : page.index("</p>", page.index("hubdir-staff", start))]
    links = {kind: unescape(href) for href, kind in re.findall(r'<a href="([^"]+)" data-fix="(\w+)"', fix)}
    assert links["phone"] == "tel:075722220000"
    mail = urlsplit(links["email"])
    assert mail.scheme == "mailto" and mail.path == "hubdir@example.org"
    query = parse_qs(mail.query)
    assert query["subject"] == ["信息更正：示例桂洲社区青年坊（yc-gz）"]
    assert query["body"][0].startswith("https://example.org/hubdir/org/yc-gz/\n")
    assert "%20" not in links["email"].split("subject=")[0]
    form = urlsplit(links["form"])
    assert parse_qs(form.query) == {"record": ["yc-gz"], "name": ["示例桂洲社区青年坊"]}
    assert "示例顺德群团" in fix and 'src="../../assets/hubdir/brand/wechat-qr.png"' in fix
    assert (resident_site[1] / "assets/hubdir/brand/wechat-qr.png").is_file()
    # GitHub stays, for staff
    assert '<p class="hubdir-staff" data-edit="youth_centers/">' in fix  # links: hubdir.js (+ the page's id)
    en = html_of(resident_site[1] / "en", "org/yc-gz/")
    assert "Correction: 示例桂洲社区青年坊 (yc-gz)" in unquote(re.search(r'href="(mailto:[^"]+)"', en)[1])


def test_mail_link_escapes_a_hostile_name(resident_site: tuple[Path, Path, object]) -> None:
    page = html_of(resident_site[1], "org/wh-gz/")
    href = unescape(re.search(r'<a href="(mailto:[^"]+)" data-fix="email"', page)[1])
    assert "<" not in href and '"' not in href
    assert parse_qs(urlsplit(href).query)["subject"] == [
        '信息更正：示例桂洲社区妇女之家 <script>alert("x")</script>（wh-gz）'
    ]


# ------------------------------------------------------------------ residents first
def test_record_page_puts_contacts_before_ids(resident_site: tuple[Path, Path, object]) -> None:
    body = article(html_of(resident_site[1], "org/yc-gz/"))
    assert body.index("tel:") < body.index("记录编号 yc-gz")
    assert "<code>yc-gz</code>" not in body
    assert "完整度" not in body


def test_empty_village_points_to_town_hubs_and_hotlines(resident_site: tuple[Path, Path, object]) -> None:
    body = article(html_of(resident_site[1], "area/440606005002/"))
    assert "暂无登记的组织" not in body and "hubdir-cov--no" not in body and "✗" not in body
    help_box = body[body.index('<div class="hubdir-help">') : body.index("</div>", body.index("hubdir-help"))]
    assert "这里还没有登记的组织或阵地。可以联系所在大良的群团组织：" in help_box
    assert 'href="../../org/hub-dl-union/"' in help_box and "hub-dl-old-union" not in help_box  # dissolved
    assert '<a href="tel:12338">妇女维权 12338</a>' in help_box and '<a href="tel:110">紧急报警 110</a>' in help_box
    assert "../../coverage/" in body  # staff still find the blank spots
    assert body.index("hubdir-help") < body.index("统计用区划代码")
    en = article(html_of(resident_site[1] / "en", "area/440606005002/"))
    assert "No organization or venue is registered here yet." in en


def test_coverage_scores_stay_on_coverage_and_town_pages(resident_site: tuple[Path, Path, object]) -> None:
    assert "hubdir-cov--no" in html_of(resident_site[1], "coverage/")
    assert "hubdir-cov" in html_of(resident_site[1], "area/440606005/")


# ------------------------------------------------------------------ print plaques
def test_a_plaque_button_on_every_active_venue_and_no_sheet_pages(resident_site: tuple[Path, Path, object]) -> None:
    site = resident_site[1]
    mark = '<p class="hubdir-verified" data-plaque>'  # plaque.js puts its button on this line
    for path in ("org/yc-gz/", "org/wh-gz/", "org/hub-rg-women/"):
        assert mark in html_of(site, path) and "<button" not in html_of(site, path).split("<main", 1)[1], path
    assert mark in html_of(site, "en/org/yc-gz/")  # in English too, printed in English
    assert "data-plaque" not in html_of(site, "org/so-rg-fitness/")  # not a venue
    assert "data-plaque" not in html_of(site, "org/hub-dl-old-union/")  # dissolved
    assert not list(site.rglob("sheet"))  # no page per venue any more
    # what the plaque prints is marked on the page itself: phone, hours, address, services
    record = html_of(site, "org/yc-gz/")
    marked = re.findall(r"<dt data-p>([^<]+)</dt>", record)
    assert {"办公电话", "开放时间", "地址"} <= set(marked), marked


def test_the_qr_library_is_vendored_with_its_licence(resident_site: tuple[Path, Path, object]) -> None:
    import hashlib

    site = resident_site[1]
    served = site / plaque.QR_URL
    sums = dict(line.split()[::-1] for line in (plaque.QR_DIR / "SHA256SUMS").read_text().splitlines())
    assert hashlib.sha256(served.read_bytes()).hexdigest() == sums["qrcode.js"]
    assert "MIT License" in (served.parent / "LICENSE").read_text("utf-8")
    bundle = (site / "assets" / "hubdir" / "light.zh.js").read_text("utf-8")
    assert "qrcode-generator/qrcode.js" in bundle and "function qrcode" not in bundle  # loaded only on demand
