"""CSV, one file per table: UTF-8 without BOM, RFC 4180 (comma, CRLF, quotes only where needed).

Values are written as text exactly as the YAML held them: codes and phone
numbers are strings in the records and stay strings here, so no leading zero
is lost.  Booleans are ``true``/``false`` and numbers use Python's shortest
round-tripping form, which Frictionless and every CSV reader parse back
unchanged.  An absent value and an empty string are both an empty cell
(CSV cannot tell them apart; the JSON and SQLite files can).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from generator.export.memo import Span
from generator.export.tables import LazyRows, Table
from generator.registry import Record


def cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path: Path, table: Table, records: list[Record], memo: Any = None,
              cut: list[Span] | None = None) -> int:
    """Write ``table`` to ``path``; return the number of data rows.

    With a ``memo`` and the rows' spans (``memo.spans``) the text of each span is keyed by its rows'
    digest (the text shows nothing else), so unchanged rows are not written out again.
    """
    rows: Any = records if isinstance(records, LazyRows) else list(table.rows(records))
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(table.column_names())
        for start, end, rows_digest in cut if cut is not None else [(0, len(rows), b"")]:
            if memo is None or not rows_digest:
                handle.write(_text(rows[start:end]))
            else:
                handle.write(memo.cached(("csv", rows_digest), lambda a=start, b=end: _text(rows[a:b])))
    return len(rows)


def _text(rows: list[list[Any]]) -> str:
    handle = io.StringIO(newline="")
    writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    # The csv module writes every cell as ``cell`` does (None empty, a float by its repr, the rest
    # by str()) but a boolean ("True"): only a row holding one is converted (a test in C, where
    # converting every cell in Python was most of the CSV's CPU).
    writer.writerows(row if bool not in map(type, row) else [cell(v) for v in row] for row in rows)
    return handle.getvalue()
