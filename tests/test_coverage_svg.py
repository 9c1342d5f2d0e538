"""The build-time SVG bar charts: well-formed, accessible, escaped, stable."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from generator.coverage import Ratio
from generator.coverage.svg import Bar, bar_chart

NS = "{http://www.w3.org/2000/svg}"


def _chart(lang: str = "zh") -> str:
    bars = [
        Bar("大良街道", Ratio(3, 13)),
        Bar('<script>alert("x")</script> & co', Ratio(10, 17)),
        Bar("空", Ratio(0, 0)),
    ]
    return bar_chart("Towns & <more>", "各镇（街道）覆盖率", "说明 <b>", bars, lang)


def test_chart_is_well_formed_and_accessible():
    svg = _chart()
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "cov-towns-more-title cov-towns-more-desc"
    assert root.find(f"{NS}title").text == "各镇（街道）覆盖率"
    assert root.find(f"{NS}title").get("id") == "cov-towns-more-title"
    desc = root.find(f"{NS}desc").text
    assert desc == (
        '说明 <b> 大良街道：23.1%（3/13）；<script>alert("x")</script> & co：58.8%（10/17）；空：–（0/0）'
    )
    groups = root.findall(f"{NS}g")
    assert len(groups) == 3
    texts = [[t.text for t in g.findall(f"{NS}text")] for g in groups]
    assert texts == [
        ["大良街道", "23.1% (3/13)"],
        ['<script>alert("x")</script> & co', "58.8% (10/17)"],
        ["空", "–"],
    ]


def test_labels_are_escaped_and_no_script_reaches_the_markup():
    svg = _chart()
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg


def test_bar_lengths_are_proportional():
    root = ET.fromstring(_chart())
    rects = [g.findall(f"{NS}rect") for g in root.findall(f"{NS}g")]
    track = float(rects[0][0].get("width"))
    assert float(rects[0][1].get("width")) == round(track * 3 / 13, 1)
    assert float(rects[2][1].get("width")) == 0


def test_text_follows_the_page_colour_and_output_is_stable():
    svg = _chart("en")
    assert 'fill="currentColor"' in svg
    assert svg == _chart("en")
    assert "Daliang" not in svg and "大良街道: 23.1% (3/13)" in svg


def test_long_labels_are_shortened_but_spoken_in_full():
    label = "很长的名字" * 20
    root = ET.fromstring(bar_chart("x", "t", "d", [Bar(label, Ratio(1, 2))], "zh"))
    shown = root.find(f"{NS}g").find(f"{NS}text").text
    assert shown.endswith("…") and len(shown) < len(label)
    assert label in root.find(f"{NS}desc").text
