"""XLSX: one workbook with an "about" sheet, the data dictionary, the code lists and a sheet per table.

Most people in China open a spreadsheet, not a CSV, so this is the file
that must keep codes and phone numbers as text: every string is written as
an explicit string cell (a value such as ``=1+1`` or ``#N/A`` would
otherwise become a formula or an error cell).  Headers are the Chinese
column titles; the dictionary maps them to field names and English.

openpyxl (``write_only``) lays out the workbook and writes the small sheets;
the table sheets, which hold millions of cells at province scale, are
streamed straight into the archive as inline-string worksheet XML (openpyxl's
own cell writer was 60 s for 20k records; this is linear and a few seconds).
openpyxl stamps the current time into ``docProps/core.xml`` and every zip
entry carries a local time; both are replaced by the package's fixed
timestamp and the archive is written again by ``zipped.write_zip`` with fixed
entry metadata, so two exports of the same content are byte-identical.  The
sheets are deflated in chunks of rows (``spans``), so a second export after
an edit takes the unchanged chunks from the memo (``memo``).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from generator.export import memo as memos
from generator.export import zipped
from generator.export.tables import DictionaryRow, LazyRows, Table
from generator.i18n import t
from generator.registry import Record

#: zlib level for the archive: level 1 is several times faster than 6 on the large sheets, ~15% bigger.
COMPRESSLEVEL = 1
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"}


def _escape(text: str) -> str:
    """Control characters cannot be stored in XLSX; write them as Excel's ``_xHHHH_`` escapes."""
    return _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _cells(ws: Any, row: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for value in row:
        if isinstance(value, str):
            text = _escape(value) if _ILLEGAL.search(value) else value
            if text.startswith("=") or text in _ERRORS:
                cell = WriteOnlyCell(ws, value=None)
                cell._value = text
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(text)
        else:
            out.append(value)
    return out


def write_xlsx(path: Path, tables: Iterable[tuple[Table, list[Record]]], dictionary: list[DictionaryRow],
               about: list[tuple[str, str]], created: dt.datetime, creator: str, memo: Any = None,
               cuts: dict[str, list[memos.Span]] | None = None) -> None:
    """Write the workbook: openpyxl lays out the package, the table sheets are streamed in afterwards.

    The layout (every part but the table sheets) shows the about sheet, the dictionary, the sheet
    names, the date and the creator: with a ``memo`` it is keyed by those.
    """
    pairs = list(tables)
    names = [table.name for table, _ in pairs]
    key = None
    if memo is not None:
        key = ("xlsx-layout", memos.digest(repr(about), repr(dictionary), repr(names), created.isoformat(), creator))
    layout: list[tuple[str, Any]] | None = memo.get(key) if key is not None else None
    if layout is None:
        layout = _layout(path, names, dictionary, about, created, creator)
        if key is not None:
            memo.put(key, layout)
    members: list[tuple[str, Iterable[zipped.Piece]]] = [
        (name, sheet_pieces(*pairs[part], memo, (cuts or {}).get(pairs[part][0].name)) if isinstance(part, int)
         else [part])
        for name, part in layout
    ]
    zipped.write_zip(path, members, created)


def _layout(path: Path, names: list[str], dictionary: list[DictionaryRow], about: list[tuple[str, str]],
            created: dt.datetime, creator: str) -> list[tuple[str, Any]]:
    """The workbook's parts in order: a deflated ``Piece``, or the index of the table whose sheet goes there."""
    wb = Workbook(write_only=True)
    stamp = created.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = creator
    wb.properties.lastModifiedBy = creator

    sheet = wb.create_sheet(t("zh", "export.xlsx.about_sheet"))
    for key, value in about:
        sheet.append(_cells(sheet, [key, value]))

    sheet = wb.create_sheet(t("zh", "export.dictionary.sheet"))
    keys = ("resource", "field", "title_zh", "title_en", "type", "required",
            "description_zh", "description_en")
    sheet.append([t("zh", f"export.dictionary.{k}") for k in keys])
    for row in dictionary:
        sheet.append(_cells(sheet, [row.resource, row.field, row.title_zh, row.title_en, row.type,
                                    t("zh", f"export.dictionary.{'yes' if row.required else 'no'}"),
                                    row.description_zh, row.description_en]))

    sheet = wb.create_sheet(t("zh", "export.dictionary.codes_sheet"))
    code_keys = ("resource", "field", "code", "label_zh", "label_en")
    sheet.append([t("zh", f"export.dictionary.{k}") for k in code_keys])
    for row in dictionary:
        for code, zh, en in row.codes:
            sheet.append(_cells(sheet, [row.resource, row.field, code, zh, en]))

    streamed: dict[str, int] = {}
    first = len(wb.worksheets) + 1
    for index, name in enumerate(names):
        wb.create_sheet(name)  # an empty placeholder; its XML is replaced by the table's
        streamed[f"xl/worksheets/sheet{first + index}.xml"] = index

    raw = path.with_suffix(".raw.xlsx")
    try:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
        with zipfile.ZipFile(raw) as src:
            parts = src.namelist()
            missing = set(streamed) - set(parts)
            if missing:
                raise RuntimeError(f"openpyxl did not lay out sheets as expected: {sorted(missing)}")
            return [(name, streamed[name] if name in streamed else zipped.piece(src.read(name), COMPRESSLEVEL))
                    for name in parts]
    finally:
        raw.unlink(missing_ok=True)


_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         '<sheetPr><outlinePr summaryBelow="1" summaryRight="1"/></sheetPr>'
         '<sheetViews><sheetView workbookViewId="0">'
         '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
         '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
         '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/><sheetData>')
_TAIL = ('</sheetData><pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
         '</worksheet>')
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]|_x[0-9A-Fa-f]{4}_")
_LITERAL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


_SEARCH_ESCAPE = _NEEDS_ESCAPE.search


def _xml_text(text: str) -> str:
    if _SEARCH_ESCAPE(text):
        text = _LITERAL_ESCAPE.sub(r"_x005F_\1", text)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _escape(text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _row_xml(number: int, letters: list[str], values: Iterable[Any]) -> str:
    cells: list[str] = []
    append = cells.append
    for letter, value in zip(letters, values, strict=False):
        if type(value) is str:
            # The common cell (a sheet has a million) in one step: text that needs neither an escape
            # nor ``xml:space`` is written as it is (what ``_xml_text`` gives it).
            if not value:
                continue
            if _SEARCH_ESCAPE(value) or value[0].isspace() or value[-1].isspace():
                append(f'<c r="{letter}{number}" t="inlineStr"><is>{_xml_text(value)}</is></c>')
            else:
                append(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
            continue
        if value is None or value == "":
            continue
        ref = f"{letter}{number}"
        if isinstance(value, str):
            append(f'<c r="{ref}" t="inlineStr"><is>{_xml_text(value)}</is></c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, float):
            cells.append(f'<c r="{ref}" t="n"><v>{value!r}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="n"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


#: ``_NEEDS_ESCAPE`` (its characters; its ``_xHHHH_`` is looked for only after an ``_x``) and a space
#: that begins or ends a text, in a row's texts joined between DELs (``RowXml``; a DEL within a text
#: can only make them match where no text needs care).  Three searches a regular expression engine
#: runs fast (a set of characters; a literal first character), not one with alternatives at every place.
_ROW_CHARACTERS = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]").search
_ROW_EDGE_SPACE = re.compile(r"\x7f(?:\s|(?<=\s\x7f))").search


def _needs_care(joined: str) -> bool:
    return (_ROW_CHARACTERS(joined) is not None or ("_x" in joined and _SEARCH_ESCAPE(joined) is not None)
            or _ROW_EDGE_SPACE(joined) is not None)


#: Placeholder in ``RowXml.templates``: not looked at yet.
_UNSEEN: Any = object()


class RowXml:
    """``_row_xml`` of a sheet's rows, a row in one ``str.format`` of a template per shape.

    Why: ``_row_xml`` takes some ten Python steps per cell and a sheet has a million cells. A row's
    XML depends on its cells' types (which cells are skipped, how each is written) and, for its texts,
    on whether one needs an escape or ``xml:space``; a table has a few dozen shapes of types. So a
    template per shape (the cells' types) writes a row whose texts need no care and hold no empty
    one (nearly all) in C; any other row, or a shape with another type, goes through ``_row_xml``.
    """

    def __init__(self, letters: list[str]) -> None:
        self.letters = letters
        self.templates: dict[tuple[type, ...], tuple[str, Callable[[list[Any]], Any] | None] | None] = {}

    def __call__(self, number: int, values: Iterable[Any]) -> str:
        row = values if type(values) is list else list(values)
        shape = tuple(map(type, row))
        found = self.templates.get(shape, _UNSEEN)
        if found is _UNSEEN:
            found = self.templates[shape] = self._template(shape)
        if found is not None and "" not in row:
            template, texts = found
            if texts is None or not _needs_care("\x7f" + "\x7f".join(texts(row)) + "\x7f"):
                return template.format(number, *row)
        return _row_xml(number, self.letters, row)

    def _template(self, shape: tuple[type, ...]) -> tuple[str, Callable[[list[Any]], Any] | None] | None:
        """The row's XML with ``{0}`` for its number and ``{i}`` for cell ``i - 1``, as ``_row_xml``
        writes each type, and a getter of its texts; ``None`` with a type it does not know."""
        parts = ['<row r="{0}">']
        texts: list[int] = []
        for index, (letter, kind) in enumerate(zip(self.letters, shape, strict=False)):
            ref, slot = f'<c r="{letter}{{0}}"', index + 1
            if kind is type(None):
                continue
            if kind is str:
                parts.append(f'{ref} t="inlineStr"><is><t>{{{slot}}}</t></is></c>')
                texts.append(index)
            elif kind is bool:
                parts.append(f'{ref} t="b"><v>{{{slot}:d}}</v></c>')
            elif kind is float:
                parts.append(f'{ref} t="n"><v>{{{slot}!r}}</v></c>')
            elif kind is int:
                parts.append(f'{ref} t="n"><v>{{{slot}}}</v></c>')
            else:
                return None
        parts.append("</row>")
        # (one text twice: ``itemgetter`` of one index gives the item, not a tuple)
        getter = operator.itemgetter(*(texts if len(texts) > 1 else texts * 2)) if texts else None
        return "".join(parts), getter


def sheet_pieces(table: Table, records: list[Record], memo: Any = None,
                 cut: list[memos.Span] | None = None) -> Iterator[zipped.Piece]:
    """A table as worksheet XML (inline strings, frozen Chinese header row), deflated in chunks.

    A chunk's XML shows its rows' values and their row numbers (``r="…"``), nothing else: with a
    ``memo`` its compressed bytes are keyed by those (``cut``: the rows' spans and their digests,
    ``memo.spans``), so unchanged rows are not even turned into XML.
    """
    letters = [get_column_letter(i + 1) for i in range(len(table.columns))]
    yield zipped.piece((_HEAD + _row_xml(1, letters, [c.title_zh for c in table.columns])).encode("utf-8"),
                       COMPRESSLEVEL)
    row_xml = RowXml(letters)
    rows: Any = records if isinstance(records, LazyRows) else list(table.rows(records))
    every = list(rows) if isinstance(rows, LazyRows) and cut is None else rows
    for start, end, rows_digest in cut if cut is not None else memos.spans(
            every, memo is not None, by=memos.cut_column(table.column_names())):
        first = start + 2

        def make(start: int = start, end: int = end, first: int = first) -> zipped.Piece:
            block = rows[start:end]  # made only when the memo does not hold the chunk (``LazyRows``)
            xml = "".join([row_xml(number, values) for number, values in enumerate(block, start=first)])
            return zipped.piece(xml.encode("utf-8"), COMPRESSLEVEL)

        if memo is None or not rows_digest:
            yield make()
            continue
        key = ("xlsx", COMPRESSLEVEL, memos.digest(str(len(letters)), str(first), rows_digest))
        yield memo.cached(key, make)
    yield zipped.piece(_TAIL.encode("utf-8"), COMPRESSLEVEL)
