"""The relevance set (bench/search_relevance.yml) over the synthetic registry: queries as residents
type them, each with the records that answer it; precision@1 and @3 must stay high."""

from __future__ import annotations

from typing import Any

import pytest

from bench import search_bench, synth


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("relevance")
    project = work / "synth"
    synth.write_project(search_bench.RECORDS, project)
    model, index = search_bench.index_project(project, work / "index")
    return search_bench.evaluate(index, model)


def test_the_set_covers_every_way_residents_ask() -> None:
    queries = search_bench.load_set()
    assert len(queries) >= 60
    classes = {q["class"] for q in queries}
    assert {"place+kind", "service", "group", "typo", "number", "pinyin", "english", "name"} <= classes
    assert len({str(q["q"]) for q in queries}) == len(queries)


def test_every_query_has_answers_in_the_registry(result: dict[str, Any]) -> None:
    assert [r["q"] for r in result["rows"] if not r["answers"]] == []


def test_precision(result: dict[str, Any]) -> None:
    misses = [(r["q"], r["top"]) for r in result["rows"] if r["p3"] < 1]
    assert result["p3"] >= 0.95, misses
    assert result["p1"] >= 0.9, [(r["q"], r["top"]) for r in result["rows"] if r["p1"] < 1]
    for name, c in result["classes"].items():
        assert c["p3"] >= 0.8, name


def test_ranking_follows_the_rule_not_the_file_order(result: dict[str, Any]) -> None:
    rows = {r["q"]: r for r in result["rows"]}
    # the place asked for first, then the places inside it (the district's own federation, not a village's)
    assert rows["顺德妇联"]["top"][0] == "hub-440606-women"
    assert rows["容桂工会"]["top"][0] == "hub-440606006-union"
    assert rows["容桂"]["top"][0] == "440606006"
