"""The shipped content: validates clean (also strictly), carries modelines, and says what the issue asks.

Facts only: the district, its 10 towns and 206 villages/communities with the
NBS source and the ADCODE credit line; the district hubs and, in every town,
its union, youth league, women's federation, disabled persons' federation and
chamber of commerce, each under its district hub, with the national hotline
where one exists and its sources.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from generator.config import load_config
from generator.validate import load
from generator.yamlio import load_file
from tests.conftest import FIXTURE_PROJECT, REPO, Run

CONTENT = REPO / "content"
SHARED = REPO.parent.parent / "shared" if (REPO.parent.parent / "shared").is_dir() else REPO.parent / "shared"
KINDS = (
    "trade_union",
    "youth_league",
    "womens_federation",
    "disabled_persons_federation",
    "federation_of_commerce",
)
HOTLINES = {"trade_union": "12351", "youth_league": "12355", "womens_federation": "12338"}
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def test_content_validates_clean(run: Run) -> None:
    result = run(REPO, "validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith("没有发现问题。")
    assert run(REPO, "validate", "--strict").exit_code == 0


@pytest.mark.parametrize("folder", [CONTENT, FIXTURE_PROJECT / "content"], ids=["content", "fixtures"])
def test_every_file_starts_with_a_modeline_to_its_schema(folder: Path) -> None:
    wrong = []
    for path in sorted(folder.glob("*/*.yml")):
        match = MODELINE.match(path.read_text("utf-8"))
        target = (path.parent / match.group(1)).resolve() if match else None
        if not (
            match
            and not match.group(1).startswith("/")
            and target
            and target == (REPO / "schemas" / f"{path.parent.name}.schema.json").resolve()
            and target.is_file()
        ):
            wrong.append(path.relative_to(REPO).as_posix())
    assert not wrong


@pytest.mark.parametrize("root", [REPO, FIXTURE_PROJECT], ids=["repo", "fixtures"])
def test_site_config_has_a_modeline(root: Path) -> None:
    text = (root / "site_config.yml").read_text("utf-8")
    match = MODELINE.match(text)
    assert (
        match
        and (root / match.group(1)).resolve() == (REPO / "schemas" / "site_config.schema.json").resolve()
    )


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    loaded = load(load_config(REPO))
    assert loaded.report.errors == 0
    return loaded.registry


def test_divisions_are_the_district_its_towns_and_villages(registry) -> None:  # type: ignore[no-untyped-def]
    levels = Counter(d.get("level") for d in registry.records("divisions"))
    assert levels == {"district": 1, "town": 10, "village": 206}
    assert Counter(d.get("type") for d in registry.villages()) == {"community": 98, "village": 108}
    for town in registry.towns():
        assert town.get("parent") == "440606"
    for village in registry.villages():
        assert registry.division(village.get("parent")).get("level") == "town"


def test_divisions_cite_nbs_and_credit_adcode(registry) -> None:  # type: ignore[no-untyped-def]
    for division in registry.records("divisions"):
        titles = [s["title"] for s in division.get("sources")]
        assert "国家统计局《2023年统计用区划代码和城乡划分代码》" in titles, division.id
        notes = " ".join(s.get("note", "") for s in division.get("sources"))
        if division.get("urban_rural_code"):
            assert "ADCODE by Vonng, CC BY 4.0" in notes, division.id
    assert sum(1 for v in registry.villages() if v.get("urban_rural_code")) == 204


def test_divisions_match_the_shared_csv(registry) -> None:  # type: ignore[no-untyped-def]
    # a copy of ../shared/data/shunde_divisions.csv (tests/fixtures/shunde_divisions.SOURCES.md)
    with (REPO / "tests" / "fixtures" / "shunde_divisions.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 217
    for row in rows:
        record = registry.division(row["code"])
        assert record is not None, row["code"]
        # The CSV pads the city to 6 digits (440600); the project writes NBS short forms (佛山市 4406).
        parent = row["parent_code"][:4] if row["level"] == "district" else row["parent_code"]
        assert (
            record.name,
            record.get("level"),
            record.get("parent"),
            record.get("urban_rural_code", ""),
        ) == (row["name"], row["level"], parent, row["urban_rural_code"])


def test_district_and_town_hubs(registry) -> None:  # type: ignore[no-untyped-def]
    hubs = registry.records("hubs")
    by_place = Counter((h.division, h.get("kind")) for h in hubs)
    places = ["440606", *(t.id for t in registry.towns())]
    assert len(places) == 11
    for place in places:
        for kind in KINDS:
            assert by_place[(place, kind)] == 1, (place, kind)
    assert len(hubs) == 55
    district = {h.get("kind"): h for h in hubs if h.division == "440606"}
    assert {h.get("level") for h in district.values()} == {"district"}
    for hub in hubs:
        assert hub.get("sources"), hub.id
        if hub.division != "440606":
            assert hub.get("level") == "town"
            assert hub.get("parent") == district[hub.get("kind")].id, hub.id
        hotlines = [c["value"] for c in hub.get("contacts") or [] if c["type"] == "hotline"]
        assert hotlines == ([HOTLINES[hub.get("kind")]] if hub.get("kind") in HOTLINES else []), hub.id


def test_nothing_unsourced_or_fictional_in_content() -> None:
    for path in sorted(CONTENT.glob("*/*.yml")):
        text = path.read_text("utf-8")
        assert "示例" not in text and "example.org" not in text and "虚构" not in text, path.name
        assert load_file(path).get("sources"), path.name


def test_ronggui_youth_association_cites_the_report() -> None:
    record = load_file(CONTENT / "social_orgs" / "so-440606006-youth-growth.yml")
    assert record["aliases"] == ["容桂青促会"]
    quote = "顺德团区委总结容桂青促会成功经验，探索成立区青少年成长促进会"
    assert quote in record["sources"][0]["note"]
    seed = SHARED / "seed" / "article-zh.txt"
    if seed.is_file():
        text = re.sub(r"\s", "", seed.read_text("utf-8")).replace(",", "，")
        assert quote in text
