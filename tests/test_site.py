"""The public site: ``hubdir build`` output checked file by file (no browser needed here)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import microdata_support
import pytest

from generator import build
from generator.config import load_config
from generator.i18n import t
from generator.site import contrib, directions, geo, record_page
from generator.site.labels import labels_for, opening_hours
from generator.site.model import SiteModel, safe_href
from generator.site.pages import Renderer
from generator.validate import load

REPO = Path(__file__).resolve().parent.parent


class Links(HTMLParser):
    """Every link and resource reference of a page, plus JSON-LD blocks and the <html lang>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.lang = ""
        self.jsonld: list[str] = []
        self._in_ld = False
        self.attrs_seen: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.attrs_seen.extend((k, v or "") for k, v in attrs)
        if tag == "html":
            self.lang = values.get("lang", "")
        if tag == "link":  # canonical/alternate links name pages; stylesheets and icons are loaded
            tag = "a" if values.get("rel") in ("canonical", "alternate", "prev", "next") else "link"
        for attr in ("href", "src"):
            if attr in values:
                self.refs.append((tag, attr, values[attr]))
        if tag == "script" and values.get("type") == "application/ld+json":
            self._in_ld = True
            self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.jsonld[-1] += data


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text("utf-8"))
    return links


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.fixture(scope="module")
def site(built_site: tuple[Path, Path, object]) -> Path:
    return built_site[1]


@pytest.fixture(scope="module")
def loaded(built_site: tuple[Path, Path, object]):  # type: ignore[no-untyped-def]
    return load(load_config(built_site[0]))


# -- the command ----------------------------------------------------------------------------


def test_build_command_builds_and_reports(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    out = project / "public"
    result = run(project, "build", "--out", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    assert "已生成网站" in result.output and "个页面" in result.output
    assert (out / "index.html").is_file() and (out / "en" / "index.html").is_file()
    assert (out / "search" / "i" / "meta.json").is_file()
    assert (out / "data" / "datapackage.json").is_file()
    # the fixture has warnings: said, not fatal
    warnings = load(load_config(project)).report.warnings
    assert warnings and t("zh", "site.build.warnings", count=warnings) in result.output
    assert not list(out.parent.glob(".public.tmp-*")), "temporary folders are cleaned up"


def test_build_refuses_content_errors_and_keeps_previous_site(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    out = project / "build" / "site"
    out.mkdir(parents=True)
    (out / "index.html").write_text("previous", "utf-8")
    (project / "content" / "hubs" / "hub-bad.yml").write_text(
        'id: hub-bad\nname: 坏记录\nkind: trade_union\nlevel: town\ndivision: "999"\n'
        "sources:\n  - title: x\n",
        "utf-8",
    )
    result = run(project, "build")
    assert result.exit_code == 1
    assert t("zh", "site.build.refused") in result.output
    assert "content/hubs/hub-bad.yml" in result.output
    assert (out / "index.html").read_text("utf-8") == "previous"
    result = run(project, "build", "--lang", "en")
    assert t("en", "site.build.refused") in result.output


def test_strict_turns_warnings_into_refusal(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    result = run(project, "build", "--strict")
    assert result.exit_code == 1
    assert t("zh", "site.build.refused_strict") in result.output
    assert "M009" in result.output


def test_failed_build_leaves_previous_site(project: Path) -> None:
    """A failure half-way (here: a contributed page that raises) must not touch the published site."""
    config = load_config(project)
    out = project / "build" / "site"
    out.mkdir(parents=True)
    (out / "index.html").write_text("previous", "utf-8")

    def broken(model: SiteModel, lang: str) -> str:
        raise RuntimeError("boom")

    contrib.section_page(contrib.SectionPage("broken", lambda lang: "x", broken))
    try:
        with pytest.raises(build.BuildError) as info:
            build.build(config, out, quiet=True, datasets=False)
    finally:
        contrib.SECTIONS.pop("broken", None)
    assert "RuntimeError: boom" in info.value.message("en")
    assert (out / "index.html").read_text("utf-8") == "previous"
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


def test_output_folder_cannot_be_the_project(project: Path) -> None:
    with pytest.raises(build.BuildError) as info:
        build.build(load_config(project), project, quiet=True)
    assert info.value.key == "site.build.out_inside"


def test_rebuild_in_one_process_is_deterministic(project: Path) -> None:
    """``hubdir serve`` calls build() again and again: same content, same bytes."""
    config = load_config(project)
    out = project / "build" / "site"

    def digest() -> dict[str, str]:
        return {
            p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*"))
            if p.is_file()
        }

    build.build(config, out, quiet=True, datasets=False)
    first = digest()
    build.build(config, out, quiet=True, datasets=False)
    assert digest() == first


# -- pages ------------------------------------------------------------------------------------


def test_every_record_has_exactly_one_page_in_each_language(site: Path, loaded) -> None:  # type: ignore[no-untyped-def]
    registry = loaded.registry
    for lang_root in (site, site / "en"):
        orgs = {p.name for p in (lang_root / "org").iterdir()}
        areas = {p.name for p in (lang_root / "area").iterdir()}
        assert orgs == {r.id for r in registry.all() if r.registry != "divisions"}
        assert areas == {r.id for r in registry.records("divisions")}
        assert not orgs & areas


def test_sitemap_lists_every_page(site: Path) -> None:
    text = (site / "sitemap.xml").read_text("utf-8")
    listed = set(re.findall(r"<loc>([^<]+)</loc>", text))
    base = "https://example.org/hubdir/"
    expected = set()
    for page in pages(site):
        rel = page.relative_to(site).as_posix()
        if rel.endswith("404.html"):
            continue
        expected.add(base + rel[: -len("index.html")])
    assert listed == expected
    assert base + "org/wh-sx/" in listed and base + "en/area/440606006001/" in listed


def test_a_sitemap_over_the_protocols_limit_is_an_index_of_gzipped_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 50,000 addresses (a province) the sitemap is an index of parts; together they list every page once."""
    import gzip

    page_paths = {"zh": [f"org/r{n}/" for n in range(5)], "en": [f"org/r{n}/" for n in range(3)]}
    monkeypatch.setattr(build, "SITEMAP_LIMIT", 3)
    (tmp_path / "sitemap-9.xml").write_text("stale", "utf-8")  # a part of an earlier, larger site
    build._sitemaps(tmp_path, "https://example.org/", page_paths)
    index = (tmp_path / "sitemap.xml").read_text("utf-8")
    assert "<sitemapindex" in index
    parts = re.findall(r"<loc>([^<]+)</loc>", index)
    assert parts == [f"https://example.org/sitemap-{n}.xml.gz" for n in (1, 2, 3)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["sitemap.xml", *(u.rsplit("/", 1)[1] for u in parts)])
    listed = []
    for url in parts:
        raw = (tmp_path / url.rsplit("/", 1)[1]).read_bytes()
        assert raw[4:8] == b"\0\0\0\0"  # no timestamp in the gzip header: the same bytes every build
        text = gzip.decompress(raw).decode("utf-8")
        assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<urlset')
        listed += re.findall(r"<loc>([^<]+)</loc>", text)
    base = "https://example.org/"
    assert listed == [f"{base}org/r{n}/" for n in range(5)] + [f"{base}en/org/r{n}/" for n in range(3)]


def test_internal_links_resolve_and_nothing_loads_from_other_hosts(site: Path) -> None:
    allowed_link_hosts = {"example.org", "github.com", "union.example.org", "creativecommons.org", *directions.HOSTS}
    problems = []
    for page in pages(site):
        links = parse(page)
        for tag, attr, value in links.refs:
            parts = urlsplit(value)
            if parts.scheme in ("mailto", "tel"):
                continue
            if parts.scheme or value.startswith("//"):
                if tag != "a":
                    problems.append(f"{page}: {tag} {attr} loads {value}")
                elif parts.scheme not in ("http", "https") or parts.hostname not in allowed_link_hosts:
                    problems.append(f"{page}: link to {value}")
                continue
            if not parts.path:
                continue
            if parts.path.startswith("/"):  # 404 pages use absolute paths under the site's base path
                assert parts.path.startswith("/hubdir/"), value
                target = (site / unquote(parts.path)[len("/hubdir/") :]).resolve()
            else:
                target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(site)}: broken {tag} {attr}={value}")
    assert problems == []


def test_stylesheets_and_scripts_load_nothing_from_other_hosts(site: Path) -> None:
    offenders = []
    for path in site.rglob("*.css"):
        for url in re.findall(r"url\(([^)]+)\)", path.read_text("utf-8", errors="replace")):
            if re.match(r"['\"]?(https?:)?//", url):
                offenders.append(f"{path.relative_to(site)}: {url}")
    for path in list(site.rglob("*.js")):
        text = path.read_text("utf-8", errors="replace")
        for host in (
            "fonts.googleapis.com",
            "fonts.gstatic.com",
            "unpkg.com",
            "cdn.jsdelivr.net",
            "cdnjs",
            "api.github.com",
        ):
            if host in text:
                offenders.append(f"{path.relative_to(site)}: {host}")
    assert offenders == []


def test_pages_declare_their_language_and_switch(site: Path) -> None:
    for page in pages(site):
        rel = page.relative_to(site)
        links = parse(page)
        english = rel.parts[0] == "en"
        assert links.lang == ("en" if english else "zh-CN"), rel
        assert page.read_text("utf-8").count('class="hubdir-lang"') == 1, rel
    text = (site / "org" / "wh-gz" / "index.html").read_text("utf-8")
    assert 'class="hubdir-lang" href="../../en/org/wh-gz/"' in text
    text = (site / "en" / "org" / "wh-gz" / "index.html").read_text("utf-8")
    assert 'class="hubdir-lang" href="../../../org/wh-gz/"' in text
    home = (site / "en" / "index.html").read_text("utf-8")
    assert 'class="hubdir-lang" href="./../"' in home


def test_xss_record_renders_as_inert_text(site: Path) -> None:
    for lang_root in (site, site / "en"):
        page = lang_root / "org" / "wh-gz" / "index.html"
        html = page.read_text("utf-8")
        links = parse(page)
        assert "<script>alert" not in html
        assert "<img src=x" not in html and "<iframe" not in html and "<b>值班</b>" not in html
        assert "&lt;script&gt;alert" in html
        assert all(not name.startswith("on") for name, _ in links.attrs_seen)
        assert all("javascript:" not in v.lower() for _, _, v in links.refs)
        assert links.jsonld == []  # the facts are microdata on the text shown
        found = microdata_support.items(html, "https://example.org/hubdir/org/wh-gz/")
        assert len(found) == (1 if lang_root == site else 0)  # once, on the canonical (Chinese) page
        for item in found:
            assert item.one("name") == '示例桂洲社区妇女之家 <script>alert("x")</script>'
        assert "{{ config }}" in html  # template syntax in data stays text


def microdata(site: Path, path: str) -> list[microdata_support.Item]:
    html = (site / path / "index.html").read_text("utf-8")
    return microdata_support.items(html, "https://example.org/hubdir/" + path)


def test_record_page_content(site: Path, loaded) -> None:  # type: ignore[no-untyped-def]
    html = (site / "org" / "hub-d-union" / "index.html").read_text("utf-8")
    # the first phone is the entity's schema.org "telephone" (its number, not the note after it)
    assert '<a href="tel:0757-22220001"><span itemprop="telephone">0757-22220001</span></a>（办公室）' in html
    assert '<a href="mailto:union@example.org">union@example.org</a>' in html
    assert 'href="https://union.example.org/"' in html
    assert "示例职工之家" in html  # WeChat account as text
    assert "周一至周五：08:30-12:00，14:30-17:30" in html
    assert "维权服务" in html and "外来务工人员" in html
    # the staff links are written by hubdir.js (test_light_pages): the record's file on the page, the
    # addresses' shared beginnings once in the cached script
    # content/hubs/hub-d-union.yml, said as its folder: hubdir.js adds the id from the canonical address
    assert '<p class="hubdir-staff" data-edit="hubs/"></p>' in html
    assert record_page.edit_path("content/hubs/hub-d-union.yml", "hub-d-union") == "hubs/"
    for elsewhere in ("content/hubs/容桂/hub-d-union.yml", "content/hubs/old-name.yml", "more/hubs/hub-d-union.yml"):
        assert record_page.edit_path(elsewhere, "hub-d-union") == elsewhere  # said in full
    script = (site / "assets" / "hubdir" / "light.zh.js").read_text("utf-8")
    shared = json.loads(script.split(";\n", 1)[0].removeprefix("window.hubdirMeta="))
    assert shared["hubdir-edit"] == "https://github.com/example/hubdir-fixture/edit/main/"
    assert shared["hubdir-correction"] == "https://github.com/example/hubdir-fixture/issues/new?template=correction.yml"
    assert "最近核实：2025-06-01" in html
    (data,) = microdata(site, "org/hub-rg-union/")
    assert data.type == "https://schema.org/GovernmentOrganization"
    assert data.one("url") == "https://example.org/hubdir/org/hub-rg-union/"
    parent = data.one("parentOrganization")
    assert parent.type == "https://schema.org/GovernmentOrganization"
    assert parent.one("url") == "https://example.org/hubdir/org/hub-d-union/"
    assert parent.one("name") == "示例区总工会" == loaded.registry.get("hubs", "hub-d-union").name
    (full,) = microdata(site, "org/hub-d-union/")
    record = loaded.registry.get("hubs", "hub-d-union").data
    assert full.one("name") == record["name"] and full.one("taxID") == record["uscc"] == "81440606MC00000111"
    assert full.one("telephone") == "0757-22220001"
    geo = full.one("geo")
    assert geo.type == "https://schema.org/GeoCoordinates"
    assert float(geo.one("latitude")) == record["location"]["lat"] == 22.8406
    assert float(geo.one("longitude")) == record["location"]["lon"]
    address = full.one("address")
    assert address.type == "https://schema.org/PostalAddress" and address.one("postalCode") == "528300"
    assert address.one("streetAddress") == record["address"] and address.one("addressCountry") == "CN"
    assert full.props["openingHours"] == [record["opening_hours"]] == ["Mo-Fr 08:30-12:00,14:30-17:30"]
    assert not microdata(site, "en/org/hub-d-union/")  # the English page links to the Chinese one
    en = (site / "en" / "org" / "hub-d-union" / "index.html").read_text("utf-8")
    assert "Mon–Fri: 08:30-12:00, 14:30-17:30" in en and "Rights protection" in en
    assert "Example District Federation of Trade Unions" in en


def test_dissolved_and_merged_records_keep_their_page_with_successor(site: Path) -> None:
    html = (site / "org" / "wh-sx" / "index.html").read_text("utf-8")
    assert "已撤销" in html and "本组织已撤销" in html and "2023-01-01" in html
    assert '<a href="../wh-gz/">' in html  # record to record: the shortest relative link
    merged = (site / "org" / "hub-dl-old-union" / "index.html").read_text("utf-8")
    assert "已合并" in merged and '<a href="../hub-dl-union/">' in merged
    successor = (site / "org" / "hub-dl-union" / "index.html").read_text("utf-8")
    assert "hub-dl-old-union" in successor  # predecessors are listed


def test_record_pages_stay_small(site: Path) -> None:
    sizes = {p.parent.name: p.stat().st_size for p in site.glob("*/org/*/index.html")}
    sizes.update({p.parent.name: p.stat().st_size for p in site.glob("org/*/index.html")})
    assert sizes and max(sizes.values()) < 40_000


def test_area_pages(site: Path) -> None:
    town = (site / "area" / "440606006" / "index.html").read_text("utf-8")
    assert "示例容桂总工会" in town and "桂洲社区" in town and "穗香" in town
    assert "示例桂洲社区青年坊" in town  # what each village has
    village = (site / "area" / "440606006001" / "index.html").read_text("utf-8")
    assert "示例桂洲社区妇联" in village and "示例桂洲巾帼健身队" in village
    district = (site / "area" / "440606" / "index.html").read_text("utf-8")
    assert '<a href="../../area/440606006/">容桂</a>' in district


def test_listing_reads_without_javascript(site: Path) -> None:
    html = (site / "kinds" / "social_orgs" / "index.html").read_text("utf-8")
    assert "<table" in html and '<th scope="col"' in html
    # the row's services and groups are read back from the labels it shows (Labels.read_back): no codes
    assert "<td>健身与体育、入户探访、婚姻家庭调解</td>" in html
    assert "data-services=" not in html and "data-groups=" not in html
    assert 'data-sep="、"' in html and 'data-list="service"' in html and 'data-list="group"' in html
    en = (site / "en" / "kinds" / "social_orgs" / "index.html").read_text("utf-8")
    assert 'data-sep=", "' in en
    # Chinese names in English rows: lang on the link or cell itself, no span inside
    rows = en[en.index("<tbody>") : en.index("</tbody>")]
    assert '<a href="../../org/so-rg-fitness/" lang="zh-CN">' in rows and "<span lang" not in rows
    assert "data-hubdir-filters hidden" in html  # the filters appear only with JavaScript
    assert html.count("<tr data-town=") == 3


def test_listing_rows_keep_their_codes_when_labels_cannot_be_read_back(project: Path) -> None:
    """A label that is also a piece of another label ("Culture, creativity and arts" beside "Culture"):
    a cell cannot tell them apart, so the rows carry their codes."""
    shutil.copytree(load_config(project).schemas_dir, project / "schemas")  # the project's own schemas
    common = project / "schemas" / "common.schema.json"
    assert labels_for(project / "schemas").read_back("services", "en")
    text = common.read_text("utf-8").replace('"en": "Job services"', '"en": "Culture"')
    common.write_text(text, "utf-8")
    labels_for.cache_clear()
    try:
        labels = labels_for(project / "schemas")
        assert labels.read_back("services", "zh") and not labels.read_back("services", "en")
        config = load_config(project)
        model = SiteModel(config, load(config).registry, labels, page_size=50)
        html = Renderer(model, "en").kind_page("social_orgs")
        assert 'data-services="fitness_sports home_visits marriage_mediation"' in html
        assert "data-services=" not in Renderer(model, "zh").kind_page("social_orgs")
    finally:
        labels_for.cache_clear()


#: The listing macro's row loop as it was in Jinja (``_macros.html``), which ``Renderer.listing_rows`` replaced.
_JINJA_ROWS = (
    '{%- for row in rows %}<tr{% if towns %} data-town="{{ row.town }}"{% endif %}{% if row_codes %}'
    ' data-services="{{ row.services|join(\' \') }}" data-groups="{{ row.groups|join(\' \') }}"{% endif %}>'
    '<td><a href="{{ rel(row.path) }}"{{ zh_lang(row.name) }}>{{ row.name }}</a>{% if row.status != "active" %}'
    ' <span class="hubdir-status hubdir-status--{{ row.status }}">{{ row.status_label }}</span>{% endif %}</td>'
    "<td{{ zh_lang(row.town_name) }}>{{ row.town_name }}</td><td{{ zh_lang(row.place) }}>{{ row.place }}</td>"
    "<td>{{ row.type }}</td><td>{{ row.service_labels|join(list_sep) }}</td>"
    "<td>{{ row.group_labels|join(list_sep) }}</td></tr>{%- endfor %}"
)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_listing_rows_in_python_are_the_jinja_rows(project: Path, lang: str) -> None:
    """Every cell escaped as Jinja's autoescape did, Chinese marked on English pages, the status, the
    town and the codes where asked: byte for byte what the template wrote."""
    from jinja2 import Environment

    from generator.site.model import relative

    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir))
    renderer = Renderer(model, lang)
    hostile = '<script>alert("x")</script> & \'q\''
    rows = [
        {"path": "org/a/", "name": hostile, "status": "active", "status_label": "", "town": 'x"<',
         "town_name": "容桂", "place": "", "type": "<b>", "services": ["a&b", "c"], "groups": [],
         "service_labels": ["文<体>", "&"], "group_labels": []},
        {"path": "org/b-c/", "name": "桂洲妇联", "status": "dissolved", "status_label": "已撤销 <", "town": "440606006",
         "town_name": "Ronggui", "place": "桂洲社区", "type": "", "services": [], "groups": ["g1", "g2"],
         "service_labels": [], "group_labels": ["儿童", "Women & girls"]},
    ]
    here = "list/hubs-440606006-1/"
    env = Environment(autoescape=True)
    for towns in ([], [("440606006", "容桂")]):
        for codes in (False, True):
            for sep in ("、", ", "):
                expected = env.from_string(_JINJA_ROWS).render(
                    rows=rows, towns=towns, row_codes=codes, list_sep=sep, zh_lang=renderer.zh_lang,
                    rel=lambda target: relative(here, target),
                )
                assert renderer.listing_rows(rows, here, bool(towns), codes, sep) == expected


def test_big_kinds_are_split_by_town_and_paged(project: Path) -> None:
    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir), page_size=2)
    plan = model.listing_plan["trade_union"]
    assert [(town["town"], town["pages"]) for town in plan] == [
        ("", ["list/trade_union-other-1/"]),
        ("440606005", ["list/trade_union-440606005-1/"]),
        ("440606006", ["list/trade_union-440606006-1/", "list/trade_union-440606006-2/"]),
    ]
    assert "social_orgs" in model.listing_plan  # 3 records > 2
    assert "womens_homes" not in model.listing_plan  # 2 records fit on one page


def test_counts_in_are_the_active_organizations_in_each_divisions_subtree(project: Path) -> None:
    """``counts_in`` counts by each record's own division, then along its chain: the per-record count."""
    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir))
    expected: dict[str, int] = {}
    for record in model.organizations():
        if record.active:
            for division in model.registry.geo.chain(record.division):
                expected[division.id] = expected.get(division.id, 0) + 1
    assert model.counts_in == expected and len(expected) > 3
    assert any(not r.active for r in model.organizations())


def test_long_lists_are_capped_so_pages_stay_small(project: Path) -> None:
    from generator.site.pages import Renderer

    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir), list_limit=1)
    hub = model.registry.get("hubs", "hub-d-union")
    assert hub is not None
    view = model.record_view(hub, "zh")
    children = model.registry.children["hub-d-union"]
    assert len(view["children"]) == 1 and view["children_more"] == len(children) - 1 > 0
    body = Renderer(model, "zh").record_page(hub).body
    # the rest are counted, and the kind's listing (which holds every one) is a link away
    more = t("zh", "pages.more", count=len(children) - 1)
    assert f'{more}<a href="../../kinds/{view["children_kind"]}/">{t("zh", "pages.more_link")}</a>' in body


def test_data_page_lists_downloads_with_checksums(site: Path) -> None:
    html = (site / "data" / "index.html").read_text("utf-8")
    sums = (site / "data" / "SHA256SUMS").read_text("utf-8")
    first_sum, first_file = sums.split()[0], sums.split()[1].lstrip("*")
    assert first_sum in html and first_file in html
    assert 'href="../data/datapackage.json"' in html or 'href="datapackage.json"' in html
    assert "Creative Commons Attribution 4.0" in html and "数据字典" in html
    en = (site / "en" / "data" / "index.html").read_text("utf-8")
    assert "Data dictionary" in en and 'href="../../data/datapackage.json"' in en


def test_published_data_package_passes_frictionless(site: Path) -> None:
    """The build checks its package with ``fastcheck``; what it publishes must satisfy Frictionless itself."""
    done = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", str(site / "data" / "datapackage.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert json.loads(done.stdout)["valid"] is True


def test_contribute_page_has_field_reference(site: Path) -> None:
    html = (site / "contribute" / "index.html").read_text("utf-8")
    assert "<code>opening_hours</code>" in html and "开放时间" in html and "婚姻家庭调解" in html


def test_map_points_and_vendored_leaflet(site: Path) -> None:
    points = json.loads((site / "map" / "points.json").read_text("utf-8"))["points"]
    ids = sorted(p[3] for p in points)
    assert ids == ["hub-d-union", "hub-sx-women", "wh-gz", "yc-gz"]
    wh = next(p for p in points if p[3] == "wh-gz")
    assert (wh[0], wh[1]) == geo.display(22.7731, 113.2799, "gcj02") != (22.7731, 113.2799)
    assert (site / "assets" / "vendor" / "leaflet" / "leaflet.js").stat().st_size > 100_000
    assert (site / "assets" / "vendor" / "leaflet" / "LICENSE").is_file()


# -- units -----------------------------------------------------------------------------------


def test_safe_href_allows_only_web_mail_and_phone() -> None:
    assert safe_href("https://a.example/x") == "https://a.example/x"
    assert safe_href("javascript:alert(1)") is None
    assert safe_href(" JAVASCRIPT:alert(1)") is None
    assert safe_href("data:text/html,x") is None
    assert safe_href("0757-22220001", "tel") == "tel:0757-22220001"
    assert safe_href('0757-2222" onclick=x', "tel") is None
    assert safe_href("a@b.org", "email") == "mailto:a@b.org"
    assert safe_href("a@b.org?cc=<x>", "email") is None


def test_gcj02_conversion_matches_published_values() -> None:
    lat, lon = geo.wgs84_to_gcj02(39.908722, 116.397499)  # Tiananmen, widely published pair
    assert abs(lat - 39.910125) < 2e-5 and abs(lon - 116.403741) < 2e-5
    assert geo.display(48.85, 2.35, "gcj02") == (48.85, 2.35)  # outside China: unchanged
    assert geo.display(22.7731, 113.2799, "wgs84") == (22.7731, 113.2799)


def test_opening_hours_in_plain_words() -> None:
    assert opening_hours("Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00; PH off", "zh") == [
        "周一至周五：08:30-12:00，14:30-17:30",
        "周六：09:00-12:00",
        "法定节假日：休息",
    ]
    assert opening_hours("Tu-Su 09:00-21:00", "en") == ["Tue–Sun: 09:00-21:00"]


def test_map_section_typo_in_site_config_is_an_error(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    config = project / "site_config.yml"
    before = config.read_text("utf-8")
    config.write_text(before + 'map:\n  tile: "https://t.example/{z}/{x}/{y}.png"\n', "utf-8")
    line = before.count("\n") + 2  # the line of "tile:"
    result = run(project, "build")
    assert result.exit_code == 2
    assert (
        f"site_config.yml:{line}:3" in result.output and "“tile”" in result.output and "“tiles”" in result.output
    )


def test_configured_wgs84_tiles_leave_coordinates_alone(project: Path) -> None:
    path = project / "site_config.yml"
    path.write_text(
        path.read_text("utf-8") + 'map:\n  tiles: "https://tile.example.org/{z}/{x}/{y}.png"\n'
        '  attribution: "© OpenStreetMap"\n  crs: wgs84\n',
        "utf-8",
    )
    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir))
    assert model.map_config["tiles"] == "https://tile.example.org/{z}/{x}/{y}.png"
    record = model.registry.get("womens_homes", "wh-gz")
    assert record is not None and model.display_point(record) == (22.7731, 113.2799)


def test_site_locale_has_the_same_keys_in_both_languages() -> None:
    zh = json.loads((REPO / "generator" / "locale" / "zh" / "site.json").read_text("utf-8"))
    en = json.loads((REPO / "generator" / "locale" / "en" / "site.json").read_text("utf-8"))

    def keys(node: object, prefix: str = "") -> set[str]:
        if isinstance(node, dict):
            return set().union(*(keys(v, f"{prefix}.{k}") for k, v in node.items()))
        return {prefix}

    assert keys(zh) == keys(en)


def test_build_has_zh_and_en_help(run, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = run(project, "build", "--help")
    assert "生成公开名录网站" in result.output and "Build the public directory site" in result.output
    assert "--strict" in result.output and "--out" in result.output


def test_leaflet_copy_is_unchanged() -> None:
    folder = REPO / "generator" / "site" / "third_party" / "leaflet"
    for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split()
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


_ = shutil
