"""Coverage in the built site and datasets (the session's ``built_site``), and in a real Chromium."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import check_browser, serve_directory

from generator.site import contrib


@pytest.fixture(scope="module")
def site(built_site: tuple[Path, Path, object]) -> Path:
    return built_site[1]


def test_coverage_is_wired_into_every_build():
    assert "generator.coverage.contrib" in contrib.CONTRIBUTORS


def test_coverage_page_in_both_languages(site: Path):
    zh = (site / "coverage" / "index.html").read_text("utf-8")
    en = (site / "en" / "coverage" / "index.html").read_text("utf-8")
    assert "<h1>覆盖情况与信息完整度</h1>" in zh and "<h1>Coverage and completeness</h1>" in en
    assert "总体：应建 35 处，已建 16 处（45.7%），空白点 19 处" in zh
    assert "Overall: 16 of 35 required in place (45.7%), 19 blank spots" in en
    for html in (zh, en):
        assert html.count('class="hubdir-chart"') == 4
        assert html.count('role="img"') >= 4
    assert '<a href="../area/440606005/">大良街道</a>' in zh
    home = (site / "index.html").read_text("utf-8")
    assert 'href="coverage/"' in home  # in the nav


def test_area_pages_show_their_own_gaps(site: Path):
    daliang = (site / "area" / "440606005" / "index.html").read_text("utf-8")
    assert "妇联：缺" in daliang and "残联：缺" in daliang and "工会：有" in daliang
    assert "下辖村（社区）：应建 8 项，已建 1 项（12.5%）；2 个村（社区）中有 2 个存在空白点。" in daliang
    # residents first (issue 14): a village page links to its blank spots; the badges stay on the coverage page
    village = (site / "en" / "area" / "440606006201" / "index.html").read_text("utf-8")
    assert "Trade unions: MISSING" not in village and "../../coverage/#" in village
    coverage = (site / "en" / "coverage" / "index.html").read_text("utf-8")
    assert "Trade unions: MISSING" in coverage and "dissolved or merged: wh-sx" in coverage


def test_stylesheet_has_the_coverage_styles(site: Path):
    from generator.coverage.site import CSS

    css = (site / "assets" / "hubdir" / "contrib.css").read_text("utf-8")
    assert CSS.strip() in css


def test_data_package_has_coverage_and_completeness(site: Path):
    data = site / "data"
    descriptor = json.loads((data / "datapackage.json").read_text("utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    for name in ("coverage", "completeness"):
        schema = resources[name]["schema"]
        assert {"fields": ["division"], "reference": {"resource": "divisions", "fields": ["id"]}} in schema[
            "foreignKeys"
        ]
    with (data / resources["coverage"]["path"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 35 and sum(r["present"] == "true" for r in rows) == 16
    with (data / resources["completeness"]["path"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(r["counted"]) for r in rows) == 111 and sum(int(r["filled"]) for r in rows) == 27
    # the build validated the package with Frictionless (foreign keys included) before publishing it


def test_sqlite_has_the_tables_with_their_keys(site: Path, tmp_path: Path):
    import zipfile

    with zipfile.ZipFile(next((site / "data").glob("*.sqlite.zip"))) as archive:
        path = Path(archive.extract("hubdir.sqlite", tmp_path))
    db = sqlite3.connect(path)
    try:
        assert db.execute("select count(*), sum(present) from coverage").fetchone() == (35, 16)
        assert db.execute("select sum(counted), sum(filled) from completeness").fetchone() == (111, 27)
        # the figures of the page, recomputed in SQL
        assert db.execute(
            "select sum(present), count(*) from coverage where town = '440606005'"
        ).fetchone() == (3, 13)
        assert db.execute("pragma foreign_key_check").fetchall() == []
    finally:
        db.close()


# --------------------------------------------------------------------------- browser
browser_only = pytest.mark.skipif(not check_browser(), reason="Chromium or Playwright not installed")


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serve_directory(site) as url:
        yield url



@browser_only
@pytest.mark.parametrize("media", ["screen", "print"])
def test_charts_read_without_javascript_and_in_print(browser: Any, base_url: str, media: str):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        page.emulate_media(media=media)
        page.goto(base_url + "coverage/")
        charts = page.get_by_role("img", name="各镇（街道）覆盖率")
        assert charts.count() == 1
        box = charts.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 40
        bars = page.locator("svg.hubdir-chart").first.locator("rect[fill='#1f5f99']")
        widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]
        assert len(widths) == 2 and 0 < widths[0] < widths[1]  # 23.1% then 58.8%
        assert page.locator("svg.hubdir-chart text", has_text="23.1% (3/13)").count() == 1
        badge = page.locator(".hubdir-cov--no").first
        assert badge.is_visible() and re.search(r"缺", badge.inner_text())
    finally:
        context.close()


@browser_only
def test_coverage_page_has_no_serious_accessibility_violations(browser: Any, base_url: str):
    from generator.site import vendor

    axe = (vendor.npm_package("axe-core", "4.14.1") / "axe.min.js").read_text("utf-8")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        for path in ("coverage/", "en/coverage/", "area/440606006201/"):
            page.goto(base_url + path)
            page.add_script_tag(content=axe)
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            bad = [
                (v["id"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert bad == [], path
    finally:
        context.close()


def test_the_datasets_take_the_figures_the_site_measured(project: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Coverage is measured once per registry (``coverage.measured``): the pages and the datasets'
    two tables share it, so the datasets worker ``hubdir build`` forks after measuring does not
    measure again; a new registry (the next build, an edit) is measured anew, never taken stale."""
    import generator.coverage as coverage
    from generator.config import load_config
    from generator.coverage.contrib import result_for
    from generator.coverage.export import pairs as coverage_pairs
    from generator.export import write_datasets
    from generator.validate import load

    loaded = load(load_config(project))
    shared = coverage.measured(loaded.registry)
    assert result_for(loaded.registry) is shared
    measured: list[str] = []
    real = coverage.compute_completeness
    monkeypatch.setattr(coverage, "compute_completeness",
                        lambda registry, spec: measured.append("again") or real(registry, spec))
    write_datasets(loaded, tmp_path / "data")
    assert measured == []
    rows = list(csv.DictReader((tmp_path / "data" / "csv" / "completeness.csv").open(encoding="utf-8")))
    assert len(rows) == len(coverage_pairs(loaded.registry, shared)[1][1]) > 0

    path = project / "content" / "womens_homes" / "wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace("\nname: ", "\nname: 改", 1), "utf-8")
    edited = load(load_config(project))
    assert coverage.measured(edited.registry) is not shared and measured == ["again"]
