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
from pathlib import Path
from typing import Any

from generator.export.tables import Table
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


def write_csv(path: Path, table: Table, records: list[Record]) -> int:
    """Write ``table`` to ``path``; return the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(table.column_names())
        for row in table.rows(records):
            # Only booleans and floats differ from str(); a None cell is written empty by the csv module.
            writer.writerow([v if type(v) is str else cell(v) for v in row])
            count += 1
    return count
