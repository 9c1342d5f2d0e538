"""Horizontal bar charts drawn at build time as inline SVG (no JavaScript, no external assets).

Why SVG strings rather than a plotting library: the charts must be readable
without JavaScript and on paper, identical from build to build, and served by
the site itself.  Each chart is an accessible image (``role="img"`` with
``<title>`` and ``<desc>`` naming every value), every bar carries its value as
text (so colour is never the only cue, and grey-scale print stays readable),
and text uses ``currentColor`` so it follows the page's light or dark scheme.
Every label is escaped: labels come from YAML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from generator.coverage.render import width
from generator.i18n import t

if TYPE_CHECKING:
    from generator.coverage import Ratio

ROW = 40  # px per bar: its label on one line, the bar below (a phone shows the chart at its own width)
TOP = 8
FONT = 13
CHAR = 7.2  # px per terminal column at FONT (a CJK character takes two columns)
VALUE_W = 118  # px reserved right of the bars for "100.0% (10/10)"
BAR_H = 16
FILL = "#1f5f99"
TRACK = "#8a8a8a"
FONT_FAMILY = "system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str
    ratio: Ratio


def _truncate(text: str, columns: int) -> str:
    if width(text) <= columns:
        return text
    out = ""
    for ch in text:
        if width(out + ch + "…") > columns:
            break
        out += ch
    return out + "…"


def _num(value: float) -> str:
    """Coordinates with at most one decimal, so output is stable across platforms."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def slug(ident: str) -> str:
    """A safe id fragment (ids must be unique per page: the caller passes a distinct name)."""
    return re.sub(r"[^a-z0-9-]+", "-", ident.lower()).strip("-") or "chart"


def value_text(ratio: Ratio) -> str:
    return f"{ratio.text()} ({ratio.present}/{ratio.total})" if ratio.total else ratio.text()


def bar_chart(
    ident: str, title: str, description: str, bars: Sequence[Bar], lang: str, size: int = 360
) -> str:
    """One chart as an ``<svg>`` element string; ``ident`` makes the ids of title/desc unique.

    ``size`` 360: a phone shows the chart at about its own width, so 13 px labels stay ≥ 12 px.
    """
    ident = f"cov-{slug(ident)}"
    max_label_cols = int((size - 4) / CHAR)
    labels = [_truncate(b.label, max_label_cols) for b in bars]
    label_w = 2  # labels sit above their bars, so the bars use the whole width
    bar_w = max(60, size - label_w - VALUE_W)
    height = TOP * 2 + ROW * max(1, len(bars))
    spoken = "；" if lang == "zh" else "; "
    summary = spoken.join(
        t(
            lang,
            "coverage.chart.bar",
            label=b.label,
            value=b.ratio.text(),
            present=b.ratio.present,
            total=b.ratio.total,
        )
        for b in bars
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hubdir-chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {size} {height}" '
        f'width="{size}" height="{height}" style="max-width:100%;height:auto" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="{FONT}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)} {escape(summary)}</desc>',
    ]
    for i, (bar, label) in enumerate(zip(bars, labels, strict=True)):
        text_y = TOP + i * ROW + FONT
        mid = TOP + i * ROW + FONT + 6 + BAR_H / 2
        top = _num(mid - BAR_H / 2)
        filled = bar_w * bar.ratio.present / bar.ratio.total if bar.ratio.total else 0.0
        spoken_bar = t(lang, "coverage.chart.bar", label=bar.label, value=bar.ratio.text(),
                       present=bar.ratio.present, total=bar.ratio.total)
        parts.append(
            f"<g><title>{escape(spoken_bar)}</title>"
            f'<text x="{label_w}" y="{_num(text_y)}" fill="currentColor">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{top}" width="{bar_w}" height="{BAR_H}" '
            f'fill="{TRACK}" fill-opacity="0.18" stroke="{TRACK}" stroke-width="0.5"/>'
            f'<rect x="{label_w}" y="{top}" width="{_num(filled)}" height="{BAR_H}" fill="{FILL}"/>'
            f'<text x="{label_w + bar_w + 6}" y="{_num(mid)}" dy="0.35em" '
            f'fill="currentColor">{escape(value_text(bar.ratio))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
