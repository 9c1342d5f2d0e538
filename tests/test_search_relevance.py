"""The relevance set (bench/search_relevance.yml) over the synthetic registry: queries as residents
type them, each with the records that answer it; precision@1 and @3 must stay high."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bench import search_bench, synth
from generator.site import search_query
from generator.site.theme import ASSETS


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The synthetic registry at 2,000 records and its search index (``<site>/search/i``)."""
    work = tmp_path_factory.mktemp("relevance")
    project = work / "synth"
    synth.write_project(search_bench.RECORDS, project)
    return search_bench.index_project(project, work / "site")


@pytest.fixture(scope="module")
def result(indexed: tuple[Any, Path]) -> dict[str, Any]:
    return search_bench.evaluate(indexed[1], indexed[0])


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


# -- the browser reads the same index the same way, at a realistic size ------------------------------

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="hubdir-site-root" content="/"><title>search</title></head><body>
<div class="hubdir-search-page" data-hubdir-search data-index="i/" data-strings="{{}}">
<form><input type="search" name="q"><button type="submit">go</button></form>
<p role="status"></p><ol class="hubdir-results"></ol>
<button type="button" class="hubdir-results__more" hidden>more</button></div>
<script src="../search.js"></script></body></html>"""


def test_the_browser_ranks_the_relevance_set_as_python_does(indexed: tuple[Any, Path]) -> None:
    """search.js and search_query over the 2,000-record registry: the first page of every query."""
    import browser_support

    if not browser_support.check_browser():
        pytest.skip("Chromium or Playwright not installed")
    index = indexed[1]
    site = index.parent.parent
    (site / "search" / "index.html").write_text(PAGE, "utf-8")
    shutil.copyfile(ASSETS / "search.js", site / "search.js")
    with browser_support.serve_directory(site) as base, browser_support.launch() as chromium:
        page = chromium.new_page()
        for item in search_bench.load_set():
            query = str(item["q"])
            page.goto(base + "search/?q=" + quote(query))
            page.wait_for_selector("[data-hubdir-search][data-state=done]", timeout=15000)
            shown = page.eval_on_selector_all(".hubdir-result__link", "els => els.map(e => e.getAttribute('href'))")
            expected = ["/" + p for p in search_query.find(index, query)]
            assert shown and shown == expected[: len(shown)], query
