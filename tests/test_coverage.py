"""Coverage and completeness on the fixture registry: exact counts, percentages and messages.

The fixture project (tests/fixtures/project) has known gaps: the district has
no disabled persons' federation or chamber of commerce; 大良 lacks its women's,
disabled persons' and commerce hubs; 文秀 and 上佳市 have nothing (上佳市 holds
only an enterprise union, level ``sector``); 穗香's women's home is dissolved;
大良's old trade union is merged.  The fixture has no ``coverage`` section, so
these tests also pin the defaults.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from generator.config import load_config
from generator.coverage import FIELD_TESTS, Ratio, measure, spec_from_config
from generator.coverage.render import md_text, width
from generator.validate import load
from tests.conftest import FIXTURE_PROJECT, Run

DALIANG, RONGGUI = "440606005", "440606006"
SHENGPING, WENXIU = "440606005001", "440606005002"
GUIZHOU, SHANGJIASHI, SUIXIANG = "440606006001", "440606006002", "440606006201"


@pytest.fixture(scope="module")
def result():
    config = load_config(FIXTURE_PROJECT)
    loaded = load(config)
    assert loaded.report.errors == 0
    return measure(loaded.registry)


def _missing(result, code):
    division = result.coverage.get(code)
    return [s.requirement.code for s in division.missing]


# --------------------------------------------------------------------------- coverage
def test_defaults_when_the_section_is_absent(result):
    spec = result.spec
    assert [r.code for r in spec.requirements("town")] == [
        "trade_union",
        "youth_league",
        "womens_federation",
        "disabled_persons_federation",
        "federation_of_commerce",
    ]
    assert [(r.registry, r.code) for r in spec.requirements("village")] == [
        ("hubs", "womens_federation"),
        ("hubs", "trade_union"),
        ("womens_homes", "womens_homes"),
        ("youth_centers", "youth_centers"),
    ]
    assert spec.fields() == ("phone", "address", "location", "opening_hours", "services", "uscc")


def test_exact_counts_per_division(result):
    got = {d.code: (d.ratio.present, d.ratio.total) for d in result.coverage.divisions()}
    assert got == {
        "440606": (3, 5),
        DALIANG: (2, 5),
        SHENGPING: (1, 4),
        WENXIU: (0, 4),
        RONGGUI: (5, 5),
        GUIZHOU: (4, 4),
        SHANGJIASHI: (0, 4),
        SUIXIANG: (1, 4),
    }
    assert [d.code for d in result.coverage.divisions()] == [
        "440606",
        DALIANG,
        SHENGPING,
        WENXIU,
        RONGGUI,
        GUIZHOU,
        SHANGJIASHI,
        SUIXIANG,
    ]


def test_daliang_lacks_women_disabled_and_commerce(result):
    assert _missing(result, DALIANG) == [
        "womens_federation",
        "disabled_persons_federation",
        "federation_of_commerce",
    ]
    union = next(s for s in result.coverage.get(DALIANG).slots if s.requirement.code == "trade_union")
    assert union.present == ("hub-dl-union",)
    assert union.inactive == ("hub-dl-old-union",)  # merged: listed, never counted


def test_dissolved_and_sector_records_do_not_fill_gaps(result):
    assert _missing(result, SUIXIANG) == ["trade_union", "womens_homes", "youth_centers"]
    home = next(s for s in result.coverage.get(SUIXIANG).slots if s.requirement.code == "womens_homes")
    assert home.present == () and home.inactive == ("wh-sx",)
    # the enterprise union (level: sector) in 上佳市 is not the community's trade union federation
    assert _missing(result, SHANGJIASHI) == [
        "womens_federation",
        "trade_union",
        "womens_homes",
        "youth_centers",
    ]


def test_dissolved_record_alone_leaves_a_blank_spot(project: Path):
    (project / "content/hubs/hub-dl-union.yml").unlink()
    (project / "content/hubs/hub-dl-old-union.yml").write_text(
        (project / "content/hubs/hub-dl-old-union.yml")
        .read_text("utf-8")
        .replace("status: merged\nsuccessor: hub-dl-union\n", "status: dissolved\n"),
        "utf-8",
    )
    loaded = load(load_config(project))
    assert loaded.report.errors == 0, loaded.report.problems
    res = measure(loaded.registry)
    assert "trade_union" in _missing(res, DALIANG)
    assert res.coverage.get(DALIANG).ratio == Ratio(1, 5)


def test_percentages_per_town_level_and_overall(result):
    cov = result.coverage
    towns = {t.town.code: (t.own, t.village_ratio, t.combined) for t in cov.towns}
    assert towns[DALIANG] == (Ratio(2, 5), Ratio(1, 8), Ratio(3, 13))
    assert towns[RONGGUI] == (Ratio(5, 5), Ratio(5, 12), Ratio(10, 17))
    assert [str(r.percent) for r in towns[DALIANG]] == ["40.0", "12.5", "23.1"]
    assert [str(r.percent) for r in towns[RONGGUI]] == ["100.0", "41.7", "58.8"]
    assert cov.level_ratio("district") == Ratio(3, 5)
    assert cov.level_ratio("town") == Ratio(7, 10)
    assert cov.level_ratio("village") == Ratio(6, 20)
    assert cov.overall == Ratio(16, 35)
    assert cov.overall.percent == Decimal("45.7")
    assert len(cov.blank_spots()) == 19
    by_kind = {r.code: cov.requirement_ratio(r) for r in cov.spec.requirements("village")}
    assert by_kind == {
        "womens_federation": Ratio(2, 5),
        "trade_union": Ratio(1, 5),
        "womens_homes": Ratio(1, 5),
        "youth_centers": Ratio(2, 5),
    }


def test_percent_rounds_half_up_and_zero_total_has_none():
    assert str(Ratio(1, 16).percent) == "6.3"  # 6.25: half-up, not banker's 6.2
    assert str(Ratio(1, 3).percent) == "33.3"
    assert str(Ratio(2, 3).percent) == "66.7"
    assert str(Ratio(0, 4).percent) == "0.0"
    assert Ratio(0, 0).percent is None and Ratio(0, 0).text() == "–"
    assert Ratio(2, 5).as_dict() == {"present": 2, "total": 5, "percent": 40.0}


# --------------------------------------------------------------------------- completeness
def test_completeness_per_registry(result):
    comp = result.completeness
    assert len(comp.records) == 20  # active records with counted fields (dissolved/merged left out)
    ids = {r.id for r in comp.records}
    assert "wh-sx" not in ids and "hub-dl-old-union" not in ids
    by = comp.by_registry()
    assert by["hubs"] == {
        "phone": Ratio(2, 14),
        "address": Ratio(1, 14),
        "location": Ratio(2, 14),
        "opening_hours": Ratio(1, 14),
        "services": Ratio(2, 14),
        "uscc": Ratio(1, 11),
    }
    assert by["youth_centers"]["phone"] == Ratio(1, 2) and by["youth_centers"]["services"] == Ratio(2, 2)
    assert by["youth_centers"]["uscc"] == Ratio(0, 0)  # not counted for youth centers
    assert by["social_orgs"] == {
        "phone": Ratio(1, 3),
        "address": Ratio(1, 3),
        "location": Ratio(0, 3),
        "opening_hours": Ratio(0, 0),
        "services": Ratio(3, 3),
        "uscc": Ratio(2, 3),
    }
    assert comp.registry_ratio("hubs") == Ratio(9, 81)
    assert comp.registry_ratio("womens_homes") == Ratio(5, 5)
    assert comp.overall == Ratio(27, 111)
    assert str(comp.overall.percent) == "24.3"


def test_uscc_counts_for_village_hubs_only_where_configured(result):
    rows = {r.id: r for r in result.completeness.records}
    assert "uscc" not in rows["hub-gz-women"].missing + rows["hub-gz-women"].present  # village level
    assert "uscc" in rows["hub-rg-factory-union"].missing  # sector level
    assert rows["hub-sx-women"].present == ("phone", "location")


def test_completeness_per_town_and_least_complete(result):
    comp = result.completeness
    assert list(comp.by_town()) == ["", DALIANG, RONGGUI]
    assert comp.town_ratio("") == Ratio(6, 18)
    assert comp.town_ratio(DALIANG) == Ratio(5, 22)
    assert comp.town_ratio(RONGGUI) == Ratio(16, 71)
    assert comp.by_town()[DALIANG]["opening_hours"] == Ratio(0, 3)  # social orgs do not count hours
    least = comp.least_complete(12)
    assert [r.id for r in least] == [
        "hub-d-women",
        "hub-d-youth",
        "hub-dl-union",
        "hub-dl-youth",
        "hub-rg-commerce",
        "hub-rg-disabled",
        "hub-rg-union",
        "hub-rg-women",
        "hub-rg-youth",
        "hub-gz-union",
        "hub-gz-women",
        "hub-rg-factory-union",
    ]
    assert least[-1].ratio == Ratio(1, 6)
    assert all(r.missing for r in comp.least_complete())  # complete records are never listed
    # a limit picks by a heap before any full sort exists: the same rows as the sorted list's head
    fresh = type(comp)(spec=comp.spec, records=comp.records)
    heads = [fresh.least_complete(n) for n in range(len(comp.records) + 2)]
    assert "_least_complete" not in fresh.__dict__
    assert heads == [comp.least_complete()[:n] for n in range(len(comp.records) + 2)]


# --------------------------------------------------------------------------- command line
def test_cli_table_zh(run: Run):
    res = run(FIXTURE_PROJECT, "coverage")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "总体：应建 35 处，已建 16 处（45.7%），空白点 19 处" in out
    assert "镇（街道）级：应建 10 处，已建 7 处（70.0%）" in out
    assert "信息完整度：20 条在用记录，应填字段 111 项，已填 27 项（24.3%）" in out
    lines = out.splitlines()
    daliang = next(line for line in lines if line.startswith("大良街道  有"))
    assert daliang.split() == ["大良街道", "有", "有", "缺", "缺", "缺", "2/5", "40.0%"]
    assert next(line for line in lines if line.startswith("大良街道 ")).split() == [
        "大良街道",
        "2/5",
        "40.0%",
        "1/8",
        "12.5%",
        "3/13",
        "23.1%",
    ]
    assert any(
        line.split() == ["440606006201", "穗香村委会", "村（社区）", "妇女之家", "已撤销或合并：wh-sx"]
        for line in lines
    )


def test_cli_table_en_and_level(run: Run):
    res = run(FIXTURE_PROJECT, "coverage", "--lang", "en", "--level", "town")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Overall: 16 of 35 required in place (45.7%), 19 blank spots" in out
    assert "Town level: required organizations and carriers" in out
    assert "Village/community level: required" not in out
    spots = out.split("Blank spots\n")[1].split("\n\n")[0].splitlines()[3:]
    assert len(spots) == 3 and all(line.startswith("440606005  Daliang Subdistrict  Town") for line in spots)


def test_cli_csv_coverage_and_completeness(run: Run):
    res = run(FIXTURE_PROJECT, "coverage", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert len(rows) == 35
    assert sum(r["present"] == "true" for r in rows) == 16
    assert rows[0] == {
        "division": "440606",
        "division_name": "顺德区",
        "level": "district",
        "town": "",
        "requirement": "disabled_persons_federation",
        "requirement_registry": "hubs",
        "requirement_zh": "残联",
        "requirement_en": "Disabled persons' federations",
        "present": "false",
        "records": "",
        "inactive_records": "",
    }
    village = list(
        csv.DictReader(
            io.StringIO(run(FIXTURE_PROJECT, "coverage", "--format", "csv", "--level", "village").output)
        )
    )
    assert len(village) == 20 and sum(r["present"] == "true" for r in village) == 6
    comp = list(
        csv.DictReader(
            io.StringIO(run(FIXTURE_PROJECT, "coverage", "--format", "csv", "--rows", "completeness").output)
        )
    )
    # one row per active record; its counted fields true/false, the others empty
    assert sum(int(r["counted"]) for r in comp) == 111 and sum(int(r["filled"]) for r in comp) == 27
    assert sum(v == "true" for r in comp for v in r.values()) == 27
    union = comp[0]
    assert {k: union[k] for k in ("registry", "record_id", "record_name", "division", "town", "address")} == {
        "registry": "hubs",
        "record_id": "hub-d-union",
        "record_name": "示例区总工会",
        "division": "440606",
        "town": "",
        "address": "true",
    }
    assert union["counted"] == str(sum(union[f] in ("true", "false") for f in FIELD_TESTS))
    assert len({(r["registry"], r["record_id"]) for r in comp}) == len(comp)


def test_cli_json(run: Run):
    res = run(FIXTURE_PROJECT, "coverage", "--format", "json", "--lang", "en", "--limit", "2")
    assert res.exit_code == 0
    doc = json.loads(res.output)
    assert doc["summary"]["overall"] == {"present": 16, "total": 35, "percent": 45.7}
    assert doc["summary"]["levels"]["village"] == {"present": 6, "total": 20, "percent": 30.0}
    assert doc["towns"][0] == {
        "code": DALIANG,
        "name": "Daliang Subdistrict",
        "own": {"present": 2, "total": 5, "percent": 40.0},
        "villages": {"present": 1, "total": 8, "percent": 12.5},
        "combined": {"present": 3, "total": 13, "percent": 23.1},
    }
    assert len(doc["blank_spots"]) == 19
    assert doc["blank_spots"][-2]["inactive_records"] == ["wh-sx"]
    assert doc["completeness"]["overall"] == {"present": 27, "total": 111, "percent": 24.3}
    assert doc["completeness"]["by_registry"]["hubs"]["fields"]["uscc"] == {
        "present": 1,
        "total": 11,
        "percent": 9.1,
    }
    assert [r["id"] for r in doc["completeness"]["least_complete"]] == ["hub-d-women", "hub-d-youth"]


def test_cli_markdown_escapes_names_from_yaml(project: Path, run: Run):
    path = project / "content/womens_homes/wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace('opening_hours: "Mo-Fr 09:00-17:00"\n', ""), "utf-8")
    res = run(project, "coverage", "--format", "markdown", "--limit", "100")
    assert res.exit_code == 0, res.output
    assert "<script>" not in res.output and "<img" not in res.output
    assert (
        '| 妇女之家 | wh-gz | 示例桂洲社区妇女之家 &#60;script&#62;alert&#40;"x"&#41;&#60;/script&#62; |'
        in res.output
    )
    assert "## 空白点" in res.output


def test_output_is_deterministic(run: Run):
    for fmt in ("table", "csv", "json", "markdown"):
        first = run(FIXTURE_PROJECT, "coverage", "--format", fmt).output
        assert first == run(FIXTURE_PROJECT, "coverage", "--format", fmt).output


def test_registry_errors_stop_the_command(project: Path, run: Run):
    path = project / "content/hubs/hub-rg-union.yml"
    path.write_text(path.read_text("utf-8").replace("name: 示例容桂总工会\n", ""), "utf-8")
    res = run(project, "coverage")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert "content/hubs/hub-rg-union.yml:" in res.stderr


# --------------------------------------------------------------------------- configuration
def _with_section(project: Path, text: str) -> None:
    path = project / "site_config.yml"
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def _line(project: Path, offset: int) -> int:
    """The line number ``offset`` lines into the section ``_with_section`` appended (1 = its first line)."""
    lines = (project / "site_config.yml").read_text("utf-8").splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("coverage:"))
    return start + offset


def test_declared_section_replaces_the_defaults(project: Path, run: Run):
    _with_section(
        project,
        "coverage:\n  required:\n    town:\n      hubs: [trade_union]\n"
        "  completeness:\n    womens_homes: [phone]\n",
    )
    spec = spec_from_config(load_config(project))
    assert [r.code for r in spec.requirements("town")] == ["trade_union"]
    assert spec.requirements("village") == () and spec.requirements("district") == ()
    assert spec.completeness == {"womens_homes": ("phone",)}
    res = run(project, "coverage", "--lang", "en")
    assert "Overall: 2 of 2 required in place (100.0%), 0 blank spots" in res.output
    assert "No blank spots." in res.output
    assert "Completeness: 1 active records, 1 of 1 counted fields filled (100.0%)" in res.output


def test_typo_in_section_key(project: Path, run: Run):
    _with_section(project, "coverage:\n  completness:\n    hubs: [phone]\n")
    res = run(project, "coverage")
    assert res.exit_code == 2
    assert f"site_config.yml:{_line(project, 2)}:3: error S002: 未知字段“completness”" in res.stderr
    assert "是否想写“completeness”？" in res.stderr


def test_unknown_field_name(project: Path, run: Run):
    _with_section(project, "coverage:\n  completeness:\n    hubs: [phone, fax]\n")
    res = run(project, "coverage", "--lang", "en")
    assert res.exit_code == 2
    assert f"site_config.yml:{_line(project, 3)}:19: error S004:" in res.stderr
    assert "coverage.completeness.hubs[1]" in res.stderr


def test_unknown_hub_kind(project: Path, run: Run):
    _with_section(project, "coverage:\n  required:\n    town:\n      hubs: [trade_union, womens_federaton]\n")
    res = run(project, "coverage")
    assert res.exit_code == 2
    res_zh = res.stderr
    assert res.stderr == (
        "site_config.yml 的 coverage 部分有误，无法计算覆盖情况：\n"
        f"site_config.yml:{_line(project, 4)}:27: error C008: coverage.required.town.hubs[1]："
        "枢纽组织类别“womens_federaton”不在 hub_kinds 中（是不是 womens_federation？）；"
        "已有：trade_union, youth_league, womens_federation, "
        "disabled_persons_federation, federation_of_commerce\n"
        "  提示：coverage 中只能写 hub_kinds 已定义的类别代码：改正拼写，或先在 hub_kinds 中添加这个类别。\n"
    )
    res = run(project, "--lang", "en", "coverage")
    assert (
        f"site_config.yml:{_line(project, 4)}:27: error C008: coverage.required.town.hubs[1]: "
        'Hub kind "womens_federaton" is not in hub_kinds (did you mean womens_federation?)'
    ) in res.stderr
    assert (
        "  hint: coverage may only name hub kinds defined in hub_kinds: correct the spelling, or add the kind to "
        "hub_kinds first.\n"
    ) in res.stderr
    checked = run(project, "validate")  # found by `hubdir validate` too, before a build or a PR merge
    assert checked.exit_code == 2 and checked.stderr == res_zh


def test_carrier_must_be_a_carrier_registry(project: Path, run: Run):
    _with_section(project, "coverage:\n  required:\n    village:\n      carriers: [social_orgs]\n")
    res = run(project, "coverage")
    assert res.exit_code == 2
    assert "coverage.required.village.carriers[0]" in res.stderr and "S004" in res.stderr


def test_duplicate_requirement_is_rejected(project: Path, run: Run):
    _with_section(project, "coverage:\n  required:\n    town:\n      hubs: [trade_union, trade_union]\n")
    res = run(project, "coverage")
    assert res.exit_code == 2 and "coverage.required.town.hubs" in res.stderr


def test_shipped_config_declares_the_section():
    repo = FIXTURE_PROJECT.parents[2]
    config = load_config(repo)
    assert "coverage" in config.raw
    assert spec_from_config(config) == spec_from_config(load_config(FIXTURE_PROJECT))


# --------------------------------------------------------------------------- helpers
def test_width_and_markdown_escaping():
    assert width("大良ab") == 6
    assert md_text("a|b *c* [x](javascript:y) <i>") == (
        "a&#124;b &#42;c&#42; &#91;x&#93;&#40;javascript:y&#41; &#60;i&#62;"
    )


def test_locale_files_have_the_same_keys():
    def keys(node, prefix=""):
        if isinstance(node, dict):
            return {k for key, value in node.items() for k in keys(value, f"{prefix}.{key}")}
        return {prefix}

    root = Path(__file__).resolve().parent.parent / "generator/locale"
    zh = json.loads((root / "zh/coverage.json").read_text("utf-8"))
    en = json.loads((root / "en/coverage.json").read_text("utf-8"))
    assert keys(zh) == keys(en)
    assert list(zh) == ["coverage"]


def test_nothing_required_and_nothing_counted(project: Path, run: Run):
    _with_section(project, "coverage:\n  required: {}\n  completeness: {}\n")
    res = run(project, "coverage")
    assert res.exit_code == 0
    assert "总体：应建 0 处，已建 0 处（–），空白点 0 处" in res.output
    assert "没有空白点。" in res.output and "没有需要计算完整度的记录。" in res.output
    doc = json.loads(run(project, "coverage", "--format", "json").output)
    assert doc["summary"]["overall"] == {"present": 0, "total": 0, "percent": None}
    assert run(project, "coverage", "--format", "csv").output == (
        "division,division_name,level,town,requirement,requirement_registry,requirement_zh,"
        "requirement_en,present,records,inactive_records\n"
    )


def test_defaults_skip_kinds_the_project_does_not_have(project: Path):
    path = project / "site_config.yml"
    text = path.read_text("utf-8")
    start = text.index("  - code: disabled_persons_federation\n")
    end = text.index("  - code: ", start + 1)  # the whole item, hotline lines included
    text = text[:start] + text[end:]
    path.write_text(text, "utf-8")
    spec = spec_from_config(load_config(project))
    assert [r.code for r in spec.requirements("town")] == [
        "trade_union",
        "youth_league",
        "womens_federation",
        "federation_of_commerce",
    ]


def test_a_completeness_row_made_directly_equals_the_dataclass_one() -> None:
    """``coverage._row`` skips the frozen ``__init__``; the row must be the same value."""
    from generator.coverage import RecordCompleteness, _row

    args = ("hubs", "hub-a", "名", "440606", "440606001", ("phone",), ("address",), "hubs/a.yml", "Name")
    made = _row(*args)
    fields = ("registry", "id", "name", "division", "town", "present", "missing", "rel", "name_en")
    assert made == RecordCompleteness(**dict(zip(fields, args, strict=True)))
    assert hash(made) == hash(RecordCompleteness(**dict(zip(fields, args, strict=True))))
    assert made.ratio.present == 1 and made.display_name("en") == "Name"
