"""Printable A4 sheets (挂牌信息) for venues: a women's home, a youth center or a hub's office.

One standalone page per active venue at ``<record page>sheet/`` (Chinese only: the sheet is
posted at a place in mainland China, and its QR code opens the Chinese page, which links
to the English one).  It carries the name, hours, phone, address, services and a QR code
of the record's page, drawn at build time by segno as inline SVG, so the sheet prints
without JavaScript, without a network and without any asset from another host.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
from markupsafe import Markup

from generator.registry import Record
from generator.site.model import record_path

#: Registries whose records are places a resident walks into.
VENUES = ("womens_homes", "youth_centers", "hubs")
SHEET_LANG = "zh"
#: A fixed mask skips segno's 8-way mask search (7.7 → 1.4 ms a code); every mask is a valid code.
_QR_OPTIONS: dict[str, Any] = {"error": "m", "mask": 3, "boost_error": False, "micro": False}
QUIET = 4


def has_sheet(record: Record) -> bool:
    return record.registry in VENUES and record.active


def sheet_path(record: Record) -> str:
    """The sheet of a record, relative to the Chinese root (beside the record's own page)."""
    return record_path(record) + "sheet/"


def qr_svg(data: str, label: str) -> Markup:
    """``data`` as a QR code: one SVG path, one run of dark modules per ``h`` segment."""
    code = segno.make(data, **_QR_OPTIONS)
    size = len(code.matrix) + 2 * QUIET
    runs = []
    for y, row in enumerate(code.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start + QUIET} {y + QUIET}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return Markup(
        '<svg class="qr" viewBox="0 0 {size} {size}" role="img" aria-label="{label}" data-qr="{data}">'
        '<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    ).format(size=size, label=label, data=data, path="".join(runs))


def render(renderer: Any, record: Record) -> tuple[str, str]:
    """One venue's sheet: ``(path relative to the Chinese root, full HTML document)``."""
    model = renderer.model
    view = model.record_view(record, SHEET_LANG)
    url = model.absolute(view["path"], SHEET_LANG)
    html = renderer.env.get_template("sheet.html").render(
        t=renderer.tr,
        v=view,
        url=url,
        qr=qr_svg(url, renderer.tr("resident.sheet.scan")),
        site=model.config.site["title"][SHEET_LANG],
        back="../",
    )
    return sheet_path(record), html


def write(renderer: Any, root: Path, tick: Callable[[int], None] | None = None) -> list[str]:
    """Write every venue's sheet under the Chinese ``root``; return their paths."""
    if renderer.lang != SHEET_LANG:
        return []
    paths = []
    for registry in VENUES:
        for record in renderer.model.registry.records(registry):
            if not has_sheet(record):
                continue
            path, html = render(renderer, record)
            folder = root / path
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.html").write_text(html, "utf-8")
            paths.append(path)
            if tick:
                tick(1)
    return paths
