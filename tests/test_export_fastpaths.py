"""Issue 16: the full export's fast paths write exactly what the per-cell writers write.

The workbook's rows go through a template per shape of cell types (``xlsx.RowXml``), the CSV rows
are converted cell by cell only when they hold a boolean, the search terms join single characters
in C: each is checked here against the plain writer on the values that need care (escapes, spaces
at either end, empty texts, booleans, floats, dates, a DEL, a ``_xHHHH_`` literal).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import uuid
from typing import Any

import pytest

from generator.export import csvout, sqlite, xlsx
from generator.export.hsds import NAMESPACE, uid

AWKWARD: list[Any] = [
    "plain", "中文名称", "", " leading", "trailing ", "\u3000全角空格", "a&b", "<tag>", "x > y", "_x0041_",
    "a_x00_b", "tab\tinside", "line\nbreak", "\x01control", "del\x7fin", "\x7f", "del\x7f ", "=1+1", "#N/A",
    True, False, 0, 1, -7, 2.5, 1e-9, float("inf"), None, dt.date(2024, 1, 31),
]


class Text(str):
    """A ``str`` subclass: not a type the templates know (the plain writer takes it)."""


def _rows() -> list[list[Any]]:
    rows = [list(combo) for combo in itertools.product(AWKWARD[:12], AWKWARD[12:22], AWKWARD[19:])]
    rows += [[value] for value in AWKWARD] + [[], [None, None], [Text(" sub"), "x"], ["a", "b", "c", "d", "e"]]
    return rows


def test_row_templates_write_what_the_cell_writer_writes() -> None:
    letters = ["A", "B", "C", "D"]  # fewer letters than the longest row: both stop at the shorter
    writer = xlsx.RowXml(letters)
    for number, row in enumerate(_rows(), start=2):
        assert writer(number, row) == xlsx._row_xml(number, letters, row), row
        assert writer(number, iter(row)) == xlsx._row_xml(number, letters, row), row
    assert writer.templates  # the shapes were looked at once each


@pytest.mark.parametrize("rows", [_rows(), [[1, "x", 2.0], [None, "", "y"]], []])
def test_csv_text_is_each_cell_converted(rows: list[list[Any]]) -> None:
    handle = io.StringIO(newline="")
    csv.writer(handle, lineterminator="\r\n").writerows([csvout.cell(v) for v in row] for row in rows)
    assert csvout._text(rows) == handle.getvalue()


def _segment_by_grams(text: str) -> str:
    """``sqlite.segment`` written out plainly: every 1- to 3-character piece of each Chinese run."""
    def grams(match: Any) -> str:
        run = match.group()
        return " " + " ".join(run[i:i + n] for n in range(1, 4) for i in range(len(run) - n + 1)) + " "

    return " ".join(sqlite._CJK.sub(grams, text).split())


@pytest.mark.parametrize("text", ["", "a", "容", "容桂", "容桂街道 abc 工会", " x 中文 y ", "𠀀𠀁a𠀂",
                                  "妇女之家（大良）"])
def test_search_terms_are_every_short_piece(text: str) -> None:
    assert sqlite.segment(text) == _segment_by_grams(text)


@pytest.mark.parametrize("key", ["hub-a", "中文", "", "x" * 200, *map(str, range(50))])
def test_hsds_ids_are_uuid5(key: str) -> None:
    assert uid("pkg", "organization", key) == str(uuid.uuid5(NAMESPACE, f"pkg:organization:{key}"))
