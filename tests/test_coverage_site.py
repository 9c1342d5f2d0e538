"""The coverage page and the area blocks as HTML (pure rendering, before any site build)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest

from generator.config import load_config
from generator.coverage import measure
from generator.coverage.site import render_area_gaps, render_coverage_page
from generator.validate import load
from tests.conftest import FIXTURE_PROJECT


@pytest.fixture(scope="module")
def result():
    return measure(load(load_config(FIXTURE_PROJECT)).registry)


class _Tags(HTMLParser):
    """Collects tags and checks every opened element is closed (a cheap well-formedness check)."""

    VOID: ClassVar[set[str]] = {"br", "img", "input", "meta", "link", "hr", "rect"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    return parser


def _rows(html: str, start: str) -> list[str]:
    """Text of each table row after the heading whose id is ``start`` (until the next table ends)."""
    part = html.split(f'id="{start}"', 1)[1].split("</table>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", row).replace("✓ ", "").replace("✗ ", "").strip()
        for row in re.findall(r"<tr>(.*?)</tr>", part)
    ]


def test_page_is_well_formed_with_headings_and_charts(result):
    html = render_coverage_page(result, "zh")
    parsed = _parse(html)
    assert [tag for tag, _ in parsed.tags if tag == "h1"] == ["h1"]
    ids = [attrs.get("id") for tag, attrs in parsed.tags if tag == "h2"]
    assert ids == ["towns", "matrix-district", "matrix-town", "villages", "blank-spots", "completeness"]
    svgs = re.findall(r"<svg.*?</svg>", html)
    assert len(svgs) == 4  # towns, town kinds, village kinds, fields
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
    svg_ids = [i for svg in svgs for i in re.findall(r' id="([^"]+)"', svg)]
    assert len(svg_ids) == len(set(svg_ids))


def test_town_matrix_and_villages(result):
    html = render_coverage_page(result, "zh")
    assert _rows(html, "matrix-town")[1:] == [
        "大良街道有有缺缺缺2/5 · 40.0%",
        "容桂街道有有有有有5/5 · 100.0%",
    ]
    assert _rows(html, "town-440606006")[1:] == [
        "桂洲社区居委会有有有有4/4 · 100.0%",
        "上佳市社区居委会缺缺缺缺0/4 · 0.0%",
        "穗香村委会有缺缺缺1/4 · 25.0%",
    ]
    assert '<a href="../area/440606005/">大良街道</a>' in html


def test_blank_spots_list(result):
    html = render_coverage_page(result, "en")
    assert "<p>19 blank spots in 6 divisions.</p>" in html
    rows = _rows(html, "blank-spots")
    assert rows[0] == "DivisionLevelTownMissingNote"
    assert (
        rows[1] == "Shunde DistrictDistrictDisabled persons&#x27; federations: MISSING "
        "Federations of industry and commerce and chambers: MISSING"
    )
    assert rows[-1] == (
        "穗香村委会Village/communityRonggui SubdistrictTrade unions: MISSING Women&#x27;s home: "
        "MISSING Youth center: MISSINGdissolved or merged: wh-sx"
    )
    assert len(rows) == 7


def test_completeness_tables_and_least_complete(result):
    html = render_coverage_page(result, "zh")
    assert _rows(html, "completeness-registry")[1] == (
        "枢纽组织142/14 · 14.3%1/14 · 7.1%2/14 · 14.3%1/14 · 7.1%2/14 · 14.3%1/11 · 9.1%9/81 · 11.1%"
    )
    assert _rows(html, "completeness-town")[1].startswith("区直属3")
    least = _rows(html, "least-complete")
    assert len(least) == 11
    assert least[1] == "示例区妇联枢纽组织顺德区0/6 · 0.0%电话、地址、坐标、开放时间、服务、统一社会信用代码"
    assert '<a href="../org/hub-d-women/">示例区妇联</a>' in html


def test_names_from_yaml_are_escaped(project: Path):
    path = project / "content/womens_homes/wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace('opening_hours: "Mo-Fr 09:00-17:00"\n', ""), "utf-8")
    config = project / "site_config.yml"
    config.write_text(config.read_text("utf-8") + "coverage:\n  least_complete: 100\n", "utf-8")
    res = measure(load(load_config(project)).registry)
    html = render_coverage_page(res, "zh")
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    en = render_coverage_page(res, "en")
    assert 'onmouseover="alert(1)' not in en and "&quot; onmouseover=&quot;alert(1)" in en
    _parse(html)
    _parse(en)


def test_area_blocks(result):
    village = render_area_gaps(result, "440606006201", "zh")
    _parse(village)
    items = [
        re.sub(r"<[^>]+>", "", li).replace("✓ ", "").replace("✗ ", "").strip()
        for li in re.findall(r"<li>(.*?)</li>", village)
    ]
    assert items == [
        "妇联：有 示例穗香村妇联",
        "工会：缺",
        "妇女之家：缺 已撤销或合并：wh-sx",
        "社区青年坊：缺",
    ]
    assert "<p>应建 4 项，已建 1 项（25.0%）。</p>" in village
    assert 'href="../../coverage/#town-440606006"' in village
    town = render_area_gaps(result, "440606005", "en")
    assert "<p>2 of 5 required in place (40.0%).</p>" in town
    assert (
        "<p>Its villages/communities: 1 of 8 required in place (12.5%); 2 of 2 have blank spots.</p>" in town
    )
    assert "<p>Completeness of the 4 active records here: 5/22 (22.7%).</p>" in town
    district = render_area_gaps(result, "440606", "zh")
    assert "<p>全区：应建 35 项，已建 16 项（45.7%）。</p>" in district
    assert render_area_gaps(result, "999", "zh") == ""


def test_town_block_lists_its_villages(result):
    town = render_area_gaps(result, "440606006", "zh")
    _parse(town)
    rows = [re.sub(r"✓ |✗ ", "", re.sub(r"<[^>]+>", "", r)) for r in re.findall(r"<tr>(.*?)</tr>", town)]
    assert rows[1:] == [
        "桂洲社区居委会有有有有4/4 · 100.0%",
        "上佳市社区居委会缺缺缺缺0/4 · 0.0%",
        "穗香村委会有缺缺缺1/4 · 25.0%",
    ]
    assert '<a href="../../area/440606006201/">穗香村委会</a>' in town


def test_too_many_villages_stay_on_their_towns_pages(result, monkeypatch: pytest.MonkeyPatch):
    """At province scale the coverage page stays a summary: no village matrices, no village rows of blank spots."""
    from generator.coverage import site

    monkeypatch.setattr(site, "VILLAGE_DETAIL_LIMIT", 4)  # the fixture has 5 villages/communities
    html = render_coverage_page(result, "zh")
    _parse(html)
    assert 'id="town-440606006"' not in html and "穗香村委会" not in html.split('id="completeness"')[0]
    assert "<p>共有 5 个村（社区），太多，不在此逐个列出" in html
    assert "<p>另有 4 个村（社区）共 14 处空白点，列在各镇（街道）的页面上。</p>" in html
    rows = _rows(html, "blank-spots")[1:]
    assert len(rows) == 2 and rows[0].startswith("顺德区区残联：缺") and rows[1].startswith("大良街道镇（街道）")
    village = render_area_gaps(result, "440606006201", "zh")
    assert 'href="../../coverage/#villages"' in village
    assert "穗香村委会" in render_area_gaps(result, "440606006", "zh")  # still on its town's page


def test_page_is_deterministic(result):
    assert render_coverage_page(result, "zh") == render_coverage_page(result, "zh")
