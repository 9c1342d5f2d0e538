"""The geography (``generator/geography.py``) on real NBS divisions: a city with its districts, 东莞 without
a county level, a province-to-town chain of hubs; containment by parent links, coverage at every level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.config import load_config
from generator.geography import Geography
from generator.registry import Record
from generator.validate import load
from tests.conftest import Run
from tests.geo_support import division_text, hub_text, make_project, rows

FOSHAN = rows("foshan.csv")
DONGGUAN = rows("dongguan.csv")


def _records(divisions: list[dict[str, str]]) -> list[Record]:
    return [
        Record(
            "divisions",
            {"id": r["code"], "name": r["name"], "level": r["level"], "parent": r["parent"]},
            Path(f"{r['code']}.yml"),
            f"{r['code']}.yml",
        )
        for r in divisions
    ]


def test_children_ancestors_descendants_and_rollup_on_foshan() -> None:
    geo = Geography(_records(FOSHAN), "4406")
    assert [d.id for d in geo.children("4406")] == ["440604", "440605", "440606", "440607", "440608"]
    assert sum(1 for _ in geo.descendants("4406", "village")) == 818
    assert sum(1 for _ in geo.descendants("4406", "town")) == 41
    assert sum(1 for _ in geo.descendants("440606", "village")) == 206
    assert [d.id for d in geo.ancestors("440606006001")] == ["440606006", "440606", "4406"]
    assert geo.ancestor_at("440606006001", "district").id == "440606"  # type: ignore[union-attr]
    assert geo.ancestor_at("440606006001", "province") is None  # 44 lies outside the project
    assert geo.child_level("4406") == "district" and geo.child_level("440606006") == "village"
    assert geo.levels_in_scope() == ("city", "district", "town", "village")
    ones = {d.id: 1 for d in geo.at_level("village")}
    rolled = geo.rollup(ones, lambda a, b: a + b, 0)
    assert rolled["4406"] == 818 and rolled["440606"] == 206 and rolled["440606006"] == len(geo.children("440606006"))
    assert geo.path_label("440606006001", "zh") == "顺德区 · 容桂街道 · " + geo.label("440606006001", "zh")


def test_containment_follows_parents_not_code_prefixes() -> None:
    moved = [dict(r) for r in FOSHAN]
    village = next(r for r in moved if r["code"] == "440606006001")
    village["parent"] = "440605011"  # filed under a 南海 town although its code says 顺德
    geo = Geography(_records(moved), "4406")
    assert geo.contains("440605", "440606006001") and not geo.contains("440606", "440606006001")
    assert geo.contains("4406", "440606006001") and geo.contains("440606006001", "440606006001")


def test_a_cycle_in_parent_links_cannot_hang_the_geography() -> None:
    loop = [
        {"code": "440606", "name": "甲", "level": "district", "parent": "440606001"},
        {"code": "440606001", "name": "乙", "level": "town", "parent": "440606"},
    ]
    geo = Geography(_records(loop), "440606")
    assert len(geo.chain("440606")) == 2
    assert [d.id for d in geo.descendants("440606")] == ["440606001"]


def test_dongguan_towns_sit_directly_under_the_city(tmp_path: Path, run: Run) -> None:
    hubs = (
        hub_text("hub-dg-women", "womens_federation", "city", "4419"),
        hub_text("hub-dc-women", "womens_federation", "town", "441900003", "hub-dg-women"),
    )
    root = make_project(tmp_path, DONGGUAN, code="4419", level="city", name="东莞市", hubs=hubs)
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    report = json.loads(run(root, "coverage", "--format", "json").output)
    assert len(report["towns"]) == 36
    assert not any(r["code"] == "441900" for r in report["towns"])
    by_town = {row["town"]: row["name"] for row in report["completeness"]["by_town"]}
    assert by_town[None] == "市直属" and by_town["441900003"] == "东城街道"
    registry = load(load_config(root)).registry
    assert registry.geo.child_level("4419") == "town"
    assert registry.geo.ancestor_at("441900003001", "city").id == "4419"  # type: ignore[union-attr]


def test_a_city_root_reports_every_village(tmp_path: Path, run: Run) -> None:
    """The issue: with the data bent to validate, a city of 818 villages reported "5 of 5, 100%"."""
    root = make_project(tmp_path, FOSHAN, code="4406", level="city", name="佛山市")
    assert run(root, "validate").exit_code == 0
    report = json.loads(run(root, "coverage", "--format", "json").output)
    levels = [d["level"] for d in report["divisions"]]
    assert (levels.count("village"), levels.count("town"), levels.count("district")) == (818, 41, 5)
    top = next(r for r in report["rollup"] if r["code"] == "4406")
    assert top["divisions"] == {"city": 1, "district": 5, "town": 41, "village": 818}
    # nothing is required at city level by default; every level below counts towards the city's total
    assert top["total"] == report["summary"]["overall"]["total"] > 818
    shunde = next(r for r in report["rollup"] if r["code"] == "440606")
    assert shunde["divisions"]["village"] == 206 and shunde["parent"] == "4406"
    csv_text = run(root, "coverage", "--format", "csv").output
    header, *lines = csv_text.splitlines()
    code, level = header.split(",").index("division"), header.split(",").index("level")
    by_code = {line.split(",")[code]: line.split(",")[level] for line in lines}
    assert sorted(by_code.values()).count("village") == 818 and list(by_code.values()).count("district") == 5


HUB_CHAIN = (
    hub_text("hub-gd-women", "womens_federation", "province", "44"),
    hub_text("hub-fs-women", "womens_federation", "city", "4406", "hub-gd-women"),
    hub_text("hub-sd-women", "womens_federation", "district", "440606", "hub-fs-women"),
    hub_text("hub-rg-women", "womens_federation", "town", "440606006", "hub-sd-women"),
)
PROVINCE = [{"code": "44", "name": "广东省", "level": "province", "parent": "", "type": "province"}] + [
    r for r in FOSHAN if r["level"] != "village" and (r["level"] != "town" or r["parent"] == "440606")
]


def _province(tmp_path: Path, hubs: tuple[str, ...]) -> Path:
    root = make_project(tmp_path, PROVINCE, code="44", level="province", name="广东省", hubs=hubs)
    (root / "content" / "divisions" / "44.yml").write_text(
        division_text(PROVINCE[0]).replace('parent: ""\n', ""), "utf-8"
    )
    return root


def test_hubs_at_every_level_each_under_the_one_above(tmp_path: Path, run: Run) -> None:
    root = _province(tmp_path, HUB_CHAIN)
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    assert "M009" not in result.output  # the province federation is the root's: no parent needed


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            "content/hubs/hub-fs-women.yml:6:9: error M011: 层级“市级”不低于上级组织 hub-sd-women 的层级“区（县）级”",
        ),
        (
            "en",
            'content/hubs/hub-fs-women.yml:6:9: error M011: Level "City" is not below the level'
            ' "District / county" of parent hub-sd-women',
        ),
    ],
)
def test_a_city_hub_under_a_district_hub_is_reported(tmp_path: Path, run: Run, lang: str, expected: str) -> None:
    hubs = (*HUB_CHAIN[:1], HUB_CHAIN[1].replace("parent: hub-gd-women", "parent: hub-sd-women"), *HUB_CHAIN[2:])
    result = run(_province(tmp_path, hubs), "validate", "--lang", lang)
    assert result.exit_code == 1
    assert expected in result.output


def test_hub_outside_its_parents_division_follows_parent_links(tmp_path: Path, run: Run) -> None:
    hubs = (*HUB_CHAIN[:3], HUB_CHAIN[3].replace('"440606006"', '"440605001"'))
    root = _province(tmp_path, hubs)
    (root / "content" / "divisions" / "440605001.yml").write_text(
        division_text(
            {"code": "440605001", "name": "某街道", "level": "town", "parent": "440605", "type": "subdistrict"}
        ),
        "utf-8",
    )
    result = run(root, "validate")
    assert (
        "content/hubs/hub-rg-women.yml:5:11: error M013: 区划 440605001 不在上级组织 hub-sd-women 的区划 440606 之内"
        in result.output
    )


def test_new_hub_finds_its_parent_one_level_up_at_any_level(tmp_path: Path, run: Run) -> None:
    root = _province(tmp_path, HUB_CHAIN[:2])
    result = run(root, "new", "hubs", "--division", "440605", "--kind", "womens_federation")
    assert result.exit_code == 0, result.output
    text = (root / "content" / "hubs" / "hub-440605-1.yml").read_text("utf-8")
    assert "\nlevel: district\n" in text and "\nparent: hub-fs-women\n" in text
    result = run(root, "new", "hubs", "--division", "4406", "--kind", "womens_federation")
    text = (root / "content" / "hubs" / "hub-4406-1.yml").read_text("utf-8")
    assert "\nlevel: city\n" in text and "\nparent: hub-gd-women\n" in text


def test_new_division_of_a_city_without_counties_takes_the_city(tmp_path: Path, run: Run) -> None:
    root = make_project(tmp_path, DONGGUAN[:1], code="4419", level="city", name="东莞市")
    result = run(root, "new", "divisions", "--division", "441900003")
    assert result.exit_code == 0, result.output
    text = (root / "content" / "divisions" / "441900003.yml").read_text("utf-8")
    assert "\nlevel: town\n" in text and '\nparent: "4419"\n' in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            "content/hubs/hub-dg-women.yml:9:3: error M025: 坐标（22.8, 113.2）不在东莞市范围内\n"
            "  提示：请使用 WGS-84 坐标（纬度约 22.65–23.15，经度约 113.5–114.25）。\n",
        ),
        (
            "en",
            "content/hubs/hub-dg-women.yml:9:3: error M025: Coordinates (22.8, 113.2) are outside Dongguan\n"
            "  hint: Use WGS-84 coordinates (latitude about 22.65–23.15, longitude about 113.5–114.25).\n",
        ),
    ],
)
def test_coordinate_hints_quote_the_configured_bounds(tmp_path: Path, run: Run, lang: str, expected: str) -> None:
    hub = hub_text("hub-dg-women", "womens_federation", "city", "4419") + "location:\n  lat: 22.8\n  lon: 113.2\n"
    root = make_project(tmp_path, DONGGUAN[:1], code="4419", level="city", name="东莞市", hubs=(hub,))
    config = root / "site_config.yml"
    text = config.read_text("utf-8").replace("    en: 东莞市\n", "    en: Dongguan\n", 1)
    text = text.replace(
        '  uscc_region_prefix: "4419"\n',
        '  uscc_region_prefix: "4419"\n  bounds: {south: 22.65, north: 23.15, west: 113.5, east: 114.25}\n',
    )
    config.write_text(text, "utf-8")
    result = run(root, "validate", "--lang", lang)
    assert expected in result.output


def _city(tmp_path: Path) -> Path:
    hubs = tuple(
        hub_text(f"hub-{code}-women", "womens_federation", "town", code)
        for code in [r["code"] for r in FOSHAN if r["level"] == "town"][:30]
    )
    return make_project(tmp_path, FOSHAN, code="4406", level="city", name="佛山市", hubs=hubs)


def test_coverage_page_groups_by_the_roots_children_when_towns_are_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.coverage import measure
    from generator.coverage import site as cov_site

    result = measure(load(load_config(_city(tmp_path))).registry)
    detailed = cov_site.render_coverage_page(result, "zh")
    assert 'href="../area/440606006/"' in detailed  # 41 towns: a row each
    monkeypatch.setattr(cov_site, "TOWN_DETAIL_LIMIT", 40)
    summary = cov_site.render_coverage_page(result, "zh")
    assert 'href="../area/440606006/"' not in summary
    assert "共有 41 个镇（街道），太多，不在此逐个列出" in summary
    assert all(f'href="../area/{code}/"' in summary for code in ("440604", "440605", "440606", "440607", "440608"))
    assert len(summary) < len(detailed) / 2
    gaps = cov_site.render_area_gaps(result, "440606", "zh")
    assert "本级及下辖各级：应建 879 项" in gaps and 'href="../../area/440606006/"' in gaps


def test_listing_pages_group_by_the_level_below_the_root(tmp_path: Path) -> None:
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel

    config = load_config(_city(tmp_path))
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir), page_size=4)
    groups = model.listing_plan["womens_federation"]
    # 30 town hubs in 2 districts (禅城 has 7 towns, 南海 7, 顺德 10…): one group per district, full pages
    assert [g["town"] for g in groups] == sorted({g["town"] for g in groups})
    assert {len(g["town"]) for g in groups} == {6}
    sizes = [len(chunk) for g in groups for chunk in g["chunks"]]
    assert sum(sizes) == 30 and sum(1 for n in sizes if n < 4) <= len(groups)


def test_a_city_without_counties_leads_straight_to_its_towns(tmp_path: Path) -> None:
    from generator import build

    root = make_project(tmp_path, DONGGUAN, code="4419", level="city", name="东莞市")
    out = root / "build" / "site"
    build.build(load_config(root), out, quiet=True)
    home = (out / "index.html").read_text("utf-8")
    assert '<h2 id="towns">按镇（街道）浏览</h2>' in home
    towns = [r["code"] for r in DONGGUAN if r["level"] == "town"]
    assert all(f'href="area/{code}/"' in home for code in towns)
    city = (out / "area" / "4419" / "index.html").read_text("utf-8")
    assert "<h2>下辖镇（街道）</h2>" in city
    town = (out / "area" / "441900003" / "index.html").read_text("utf-8")
    assert '<span class="hubdir-kind">街道</span> · <a href="../../area/4419/">东莞市</a></p>' in town
    english = (out / "en" / "index.html").read_text("utf-8")
    assert '<h2 id="towns">By town or subdistrict</h2>' in english
