"""Issue 14 without a browser: the opening-hours grammar, conversions against published reference
values, direction links, the hotline strip's configuration and the per-area near-me files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from generator import hours
from generator.config import load_config
from generator.site import directions, geo, hotlines, nearby, nearby_page
from generator.site.labels import labels_for
from generator.site.model import SiteModel
from generator.validate import load

# -- opening hours -----------------------------------------------------------------------------


def test_hours_compact_week_follows_osm_rules() -> None:
    office = hours.parse("Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00; PH off")
    # "=": the day opens as the day before (a week spelled in full would repeat a day five times)
    assert hours.compact(office) == "|".join(["510-720,870-1050"] + ["="] * 4 + ["540-720", "", ""])
    assert office.holidays == ()
    # a later rule replaces the day; ranges wrap; past midnight runs into the next day; no PH: "~"
    assert hours.compact(hours.parse("Mo-Fr 08:00-17:00; We 08:00-12:00")) == (
        "480-1020|=|480-720|480-1020|=|||~"
    )
    assert hours.compact(hours.parse("Fr-Mo 22:00-02:00")) == "1320-1560||||1320-1560|=|=|~"
    assert hours.compact(hours.parse("Mo-Su 00:00-24:00; PH 10:00-16:00")).endswith("|600-960")


def test_hours_in_words_both_languages() -> None:
    value = "Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00; PH off"
    assert hours.describe(value, "zh") == [
        "周一至周五：08:30-12:00，14:30-17:30",
        "周六：09:00-12:00",
        "法定节假日：休息",
    ]
    assert hours.describe("Fr-Mo 22:00-02:00", "en") == ["Fri–Mon: 22:00-02:00"]


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("Mo-Fr 09:00-25:00", "“25:00”不是有效时刻（00:00–24:00）", "“25:00” is not a time of day (00:00–24:00)"),
        ("Mo 24:00-24:30", "“24:00”不是有效时刻（00:00–24:00）", "“24:00” is not a time of day (00:00–24:00)"),
        ("Sa 09:00-09:00", "时段“09:00-09:00”的开始与结束相同", "the span “09:00-09:00” starts when it ends"),
        (
            "Mo 09:00-12:00,11:00-13:00",
            "时段“09:00-12:00,11:00-13:00”互相重叠",
            "the spans “09:00-12:00,11:00-13:00” overlap",
        ),
    ],
)
def test_hours_meaning_errors(value: str, zh: str, en: str) -> None:
    error = hours.problem(value)
    assert error is not None and error.message("zh") == zh and error.message("en") == en


def test_hours_syntax_is_left_to_the_schema() -> None:
    assert hours.problem("17:30") is None  # the pattern reports it (S005), once
    with pytest.raises(hours.HoursError):
        hours.parse("17:30")
    assert hours.problem("Mo-Fr 08:30-17:30; PH off") is None


def test_validate_reports_bad_hours_with_file_line_in_both_languages(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    path = project / "content" / "womens_homes" / "wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace("Mo-Fr 09:00-17:00", "Mo-Fr 09:00-25:00"), "utf-8")
    zh = run(project, "validate")
    assert zh.exit_code == 1
    assert (
        "content/womens_homes/wh-gz.yml:21:16: error M141: 开放时间“Mo-Fr 09:00-25:00”有误："
        "“25:00”不是有效时刻（00:00–24:00）"
    ) in zh.output.splitlines()
    en = run(project, "--lang", "en", "validate")
    assert (
        "content/womens_homes/wh-gz.yml:21:16: error M141: Opening hours “Mo-Fr 09:00-25:00” are wrong: "
        "“25:00” is not a time of day (00:00–24:00)"
    ) in en.output.splitlines()


# -- conversions and directions ----------------------------------------------------------------


def test_conversions_meet_published_reference_values() -> None:
    """Reference values of the widely used coordtransform implementations (Tiananmen, 116.404, 39.915)."""
    assert geo.wgs84_to_gcj02(39.915, 116.404) == (39.91640428150164, 116.41024449916938)
    assert geo.gcj02_to_bd09(39.915, 116.404) == (39.92133699351021, 116.41036949371029)
    assert geo.wgs84_to_bd09(39.915, 116.404) == (39.922699552216216, 116.41662724378733)
    assert geo.wgs84_to_bd09(48.85, 2.35) == (48.85, 2.35)  # outside China: unchanged
    # 1° of latitude is about 111.2 km
    assert abs(geo.distance_m(22.0, 113.0, 23.0, 113.0) - 111_195) < 5


def test_direction_links_use_each_apps_coordinates() -> None:
    links = directions.links(22.777477, 113.311848, "容桂 & 妇女之家", "大道 1 号")
    g_lat, g_lon = geo.wgs84_to_gcj02(22.777477, 113.311848)
    b_lat, b_lon = geo.wgs84_to_bd09(22.777477, 113.311848)
    assert [urlsplit(links[app]).netloc for app in directions.APPS] == list(directions.HOSTS)
    assert parse_qs(urlsplit(links["amap"]).query)["to"] == [f"{g_lon:.6f},{g_lat:.6f},容桂 & 妇女之家"]
    assert parse_qs(urlsplit(links["baidu"]).query)["location"] == [f"{b_lat:.6f},{b_lon:.6f}"]
    assert parse_qs(urlsplit(links["baidu"]).query)["content"] == ["大道 1 号"]
    assert parse_qs(urlsplit(links["tencent"]).query)["tocoord"] == [f"{g_lat:.6f},{g_lon:.6f}"]
    assert "%26" in links["amap"] and " " not in links["amap"]  # the name cannot break the query


def test_compact_links_are_the_same_urls_once_a_browser_encodes_them() -> None:
    """A page's IRI (``compact``), its non-ASCII characters percent-encoded as UTF-8 the way a browser
    follows it, is the full URL: for names with nothing to encode as for names with ``&``, spaces, ``%``."""
    for name in ("容桂妇女之家", "容桂-妇女之家_1.(二)~!*'", "容桂 & 妇女之家", "A/B?c=d#e", "100% 青年", ""):
        compact = directions.links(22.777477, 113.311848, name, "", compact=True)
        full = directions.links(22.777477, 113.311848, name, "")
        for app in directions.APPS:
            assert quote(compact[app], safe="!~*'()%:/?&=,#;@+$") == full[app]


# -- hotlines -----------------------------------------------------------------------------------


def test_hotline_strip_comes_from_the_configuration(project: Path) -> None:
    config = load_config(project)
    assert [(h.number, h.label("zh")) for h in hotlines.configured(config)] == [
        ("12351", "职工维权"),
        ("12355", "青少年服务"),
        ("12338", "妇女维权"),
        ("12385", "残疾人服务"),
        ("110", "紧急报警"),
    ]
    text = (project / "site_config.yml").read_text("utf-8")
    text = text.replace('    hotline: "12385"\n    hotline_name: {zh: 残疾人服务, en: Disability services}\n', "")
    text = text.replace('  - number: "110"', '  - number: "12338"\n    name: {zh: 重复, en: Again}\n  - number: "110"')
    (project / "site_config.yml").write_text(text, "utf-8")
    config = load_config(project)
    assert [h.number for h in hotlines.configured(config)] == ["12351", "12355", "12338", "110"]
    assert hotlines.strip_view(config, "en")[-1] == {
        "number": "110",
        "name": "Emergency (police)",
        "href": "tel:110",
        "emergency": True,
    }


def test_bad_hotline_number_is_a_configuration_error(project: Path, run) -> None:  # type: ignore[no-untyped-def]
    path = project / "site_config.yml"
    path.write_text(path.read_text("utf-8").replace('  - number: "110"', '  - number: "11O"'), "utf-8")
    line = next(i for i, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "11O" in text)
    zh = run(project, "validate")
    assert zh.exit_code == 2
    assert f"site_config.yml:{line}:13: error S005: “hotlines[0].number”的格式不对：“11O”" in zh.output
    en = run(project, "--lang", "en", "validate")
    assert (
        f'site_config.yml:{line}:13: error S005: "hotlines[0].number" is not in the expected format: "11O"' in en.output
    )


# -- near-me files ------------------------------------------------------------------------------


def test_leaves_split_dense_cells_and_keep_every_point_once() -> None:
    points = [(22.70 + (i % 40) * 0.001, 113.20 + (i // 40) * 0.001, i) for i in range(1000)]
    points.append((23.5, 114.5, "far"))
    cells = nearby.leaves(points)
    kept = sorted((item for items in cells.values() for item in items), key=str)
    assert kept == sorted((p[2] for p in points), key=str)
    assert all(len(items) <= nearby.LEAF_LIMIT for items in cells.values())
    assert max(level for level, _, _ in cells) >= 2  # 1,000 points in one 0.1° cell were split
    for (level, row, col), items in cells.items():  # each point lies inside its leaf's rectangle
        size = nearby.BASE / (1 << level)
        for lat, lon, item in points:
            if item in items:
                assert row * size - 90 <= lat + 1e-9 and lat - 1e-9 <= (row + 1) * size - 90
                assert col * size - 180 <= lon + 1e-9 and lon - 1e-9 <= (col + 1) * size - 180


def _model(root: Path) -> SiteModel:
    registry = load(load_config(root)).registry
    return SiteModel(registry.config, registry, labels_for(registry.config.schemas_dir))


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_near_files_are_small_complete_and_deterministic(project: Path, tmp_path: Path) -> None:
    model = _model(project)
    nearby.write(model, tmp_path / "a")
    nearby.write(_model(project), tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    near = tmp_path / "a" / nearby.NEAR_DIR
    index = json.loads((near / "index.json").read_text("utf-8"))
    assert index["kinds"] == [k.code for k in model.kinds]
    places: list[Any] = []
    for kind, level, row, col, count in index["leaves"]:
        items = json.loads((near / "l" / f"{kind}-{level}-{row}-{col}.json").read_text("utf-8"))
        assert len(items) == count and {item[3] for item in items} == {kind}  # one kind per leaf
        places += items
    expected = sorted(f"org/{r.id}/" for r in model.organizations() if r.active and isinstance(r.get("location"), dict))
    assert sorted(p[0] for p in places) == expected  # every located active record, once; none other
    union = next(p for p in places if p[0] == "org/hub-d-union/")
    assert union[6] == "0757-22220001" and union[7].startswith("510-720,870-1050|")
    towns = json.loads((near / "a" / "440606.json").read_text("utf-8"))
    assert [t[0] for t in towns] == ["440606005", "440606006"] and all(t[5] == 1 for t in towns)
    villages = json.loads((near / "a" / "440606006.json").read_text("utf-8"))
    guizhou = next(v for v in villages if v[0] == "440606006001")
    assert guizhou[1] == "桂洲社区"
    # a village without a location of its own is searched from the mean of what is located inside it
    inside = [p for p in places if p[0] in ("org/wh-gz/", "org/yc-gz/")]
    assert guizhou[3] == pytest.approx(sum(p[4] for p in inside) / 2, abs=1e-6)


def test_holidays_cover_the_breaks_with_their_weekends() -> None:
    days = nearby_page.holiday_dates()
    assert days == sorted(set(days))
    assert {"2026-10-01", "2026-10-04", "2026-10-07", "2026-02-21"} <= set(days)
    assert "2026-10-10" not in days and "2026-10-08" not in days


def test_makeup_workdays_keep_the_hours_of_the_weekday_they_replace() -> None:
    """调休: Sunday 4 January 2026 is worked for Friday 2 January; Saturday 28 February for Monday 23."""
    work = nearby_page.makeup_workdays()
    assert work["2026-01-04"] == 4 and work["2026-02-28"] == 0 and work["2026-10-10"] == 2
    assert all(dt.date.fromisoformat(day).weekday() >= 5 for day in work)
    assert not set(work) & set(nearby_page.holiday_dates())


def test_browser_strings_come_from_the_catalogues() -> None:
    zh, en = nearby_page.js_strings("zh"), nearby_page.js_strings("en")
    assert zh.keys() == en.keys()
    assert zh["open"] == "正在开放" and zh["closed_next"] == "已关闭 · {day} {time} 开放"
    assert zh["dir_amap"] == "高德地图" and en["dir_baidu"] == "Baidu Maps"
    assert not any(key.startswith("error.") for key in zh)


def test_built_site_carries_the_nearby_asset_and_holidays(built_site: tuple[Path, Path, object]) -> None:
    site = built_site[1]
    for root in (site, site / "en"):
        script = (root / "assets" / "hubdir" / "nearby.js").read_text("utf-8")
        assert script.startswith("window.HUBDIR_NEARBY_T={") and "</" not in script.split(";\n", 1)[0]
    assert json.loads((site / "near" / "holidays.json").read_text("utf-8")) == {
        "off": nearby_page.holiday_dates(),
        "work": nearby_page.makeup_workdays(),
    }
    page = (site / "org" / "yc-gz" / "index.html").read_text("utf-8")
    assert 'data-hubdir-open="|540-1260|=|=|=|=|=|"' in page
    assert page.count('class="hubdir-dirs"') == 1 and (
        '<span itemprop="streetAddress" data-hubdir-copy>示例容桂桂洲大道 88 号二楼</span>' in page
    )


def test_direction_links_keep_their_ampersands_as_they_are(built_site: tuple[Path, Path, object]) -> None:
    """``&`` before a parameter name is no character reference: written as it is (~40 bytes a page),
    a parser reads back exactly ``directions.links``."""
    from html.parser import HTMLParser

    hrefs: list[str] = []

    class Dirs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            href = dict(attrs).get("href") or ""
            if tag == "a" and href.startswith("https://") and "map" in href.split("/")[2]:
                hrefs.append(href)

    page = (built_site[1] / "org" / "yc-gz" / "index.html").read_text("utf-8")
    Dirs().feed(page)
    from generator.validate import load

    record = load(load_config(built_site[0])).registry.get("youth_centers", "yc-gz")
    loc = record.get("location")
    found = directions.links(loc["lat"], loc["lon"], record.name, record.get("address") or "", compact=True)
    assert hrefs == [found[app] for app in directions.APPS]
    assert "&amp;" not in page[page.index('class="hubdir-dirs"') :].split("</p>", 1)[0]


def test_unlocated_and_dissolved_records_get_no_directions(project: Path, tmp_path: Path) -> None:
    from generator import build

    gone = project / "content" / "womens_homes" / "wh-sx.yml"  # dissolved
    gone.write_text(gone.read_text("utf-8") + "location:\n  lat: 22.78\n  lon: 113.28\n", "utf-8")
    out = tmp_path / "site"
    build.build(load_config(project), out, quiet=True, datasets=False, search=False)
    assert 'class="hubdir-dirs"' not in (out / "org" / "wh-sx" / "index.html").read_text("utf-8")
    assert 'class="hubdir-dirs"' not in (out / "org" / "hub-rg-union" / "index.html").read_text("utf-8")
    assert 'class="hubdir-dirs"' in (out / "org" / "hub-d-union" / "index.html").read_text("utf-8")
    index = json.loads((out / "near" / "index.json").read_text("utf-8"))
    assert sum(leaf[4] for leaf in index["leaves"]) == 4  # the dissolved home is not offered nearby


def test_near_box_leads_to_towns_while_nothing_is_located(project: Path, tmp_path: Path) -> None:
    """The shipped directory has no coordinates yet: the box stays, offers the town picker and a plain
    link to the towns, and no position button (there is nothing a position could be matched to)."""
    import re

    from generator import build

    for path in (project / "content").rglob("*.yml"):
        text = path.read_text("utf-8")
        path.write_text(re.sub(r"location:\n  lat: .*\n  lon: .*\n", "", text), "utf-8")
    out = tmp_path / "site"
    build.build(load_config(project), out, quiet=True, datasets=False, search=False)
    for page in ("index.html", "map/index.html", "en/index.html"):
        text = (out / page).read_text("utf-8")
        assert "data-hubdir-nearby" in text and 'data-located="0"' in text, page
        assert "data-near-locate" not in text and "#towns" in text, page
    index = json.loads((out / "near" / "index.json").read_text("utf-8"))
    assert index["leaves"] == [] and index["centres"] == 0
    rows = json.loads((out / "near" / "a" / "440606.json").read_text("utf-8"))
    ronggui = next(r for r in rows if r[0] == "440606006")
    assert ronggui[3] is None and ronggui[4] is None and ronggui[6] == "area/440606006/" and ronggui[7] > 0
    assert (out / ronggui[6] / "index.html").is_file()
