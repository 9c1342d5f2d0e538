"""SQLite: every table with declared types, primary and foreign keys, key indexes and a search index.

One database a journalist can open in DB Browser or Datasette.  Values are
stored with their real type (TEXT codes keep leading zeros; booleans are 0/1;
absent values are NULL, an empty string stays ``''``).

Full-text search over names, aliases and addresses, for the SQLite that
people have (3.40 and later; nothing beyond the built-in FTS5) and for
Datasette's ``_search`` (which quotes each space-separated word of the query
as an FTS5 phrase):

- ``search`` uses the ``unicode61`` tokenizer, which would keep a run of
  Chinese characters as one token.  So its ``terms`` column holds the text
  pre-segmented: every Chinese character and every pair of adjacent ones as
  its own token, and so is every run of three (容桂街道 → 容 桂 街 道 容桂
  桂街 街道 容桂街 桂街道).  A word of one to three characters (桂, 容桂, 工会,
  总工会) is then a token and matches; longer words are found by writing them
  as shorter words separated by spaces (妇女 之家), which Datasette turns into
  an AND of phrases; Latin text is split into words by unicode61 itself.
- ``search_trigram`` uses the ``trigram`` tokenizer: any substring of three
  or more characters (容桂街道工会), as before.

Both indexes are external-content FTS5 tables over one ordinary table,
``search_rows`` (registry, id, name, name_en, aliases, address), so the text
is stored once rather than three times; ``search``'s ``terms`` column is
indexed but not stored (``search_rows.terms`` is NULL): the segmented text
was 14 MB of a 91 MB file at 20,000 records and nobody reads it.  Queries,
``highlight()`` of the stored columns and Datasette's ``_search`` (on
``search`` and on ``search_rows``) work as before; the database is a
read-only release, so the FTS5 ``rebuild`` and ``delete`` commands, which
would re-read ``terms`` from the content table, are not for it.

Every table is ``WITHOUT ROWID``, stored in its primary key's b-tree (no
second copy of the key as an index), and a foreign key gets an index of its
own only when it is not the first column of the primary key (the link
tables' ``record_id`` is): together several MB at 20,000 records.

``metadata.json`` beside the database gives Datasette the titles, licence,
source and column descriptions.

Rows go in with foreign keys off (a child hub may sort before its parent)
and ``PRAGMA foreign_key_check`` must come back empty before the file is used.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import json
import os
import re
import resource
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.export import memo as memos
from generator.export import zipped
from generator.export.tables import Table
from generator.i18n import t
from generator.registry import REGISTRIES, Record, Registry

SQL_TYPES = {"string": "TEXT", "date": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
SEARCH_TABLE = "search"
#: The external content of both full-text tables.
SEARCH_ROWS = "search_rows"
TRIGRAM_TABLE = "search_trigram"
#: Runs of CJK ideographs (the unified blocks, compatibility ideographs and the supplementary planes).
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


#: The search rows go in runs of about this many ``zipped.SPAN``s of records, each its own step
#: (``write_sqlite``; a run ends where a chunk of the other files does): fewer runs, fewer FTS5 segments
#: repeating the same terms (the database zipped at 20,000 records: 8.32 MB with runs of ~1024 records,
#: 8.06 with ~2048, 7.94 with ~4096), but the larger the run an edit falls in, the more pages change and
#: are deflated again (a chunk of 1 MiB each, ``zipped.FILE_CHUNK``: 15, 11 and 35 MB after the same
#: one-record edit at 100,000 records).
SEARCH_SPANS = 2
#: FTS5's ``hashsize`` while the rows go in: a run's terms are held in memory and written as one segment
#: (with the default of 1 MiB a run of a few thousand records was flushed as several segments).
HASH_SIZE = 64 << 20


#: Longest run of adjacent Chinese characters indexed as one token of ``search``.
GRAMS = 3


def segment(text: str) -> str:
    """Chinese runs → every 1- to ``GRAMS``-character piece, space-separated; other text unchanged."""
    def grams(match: re.Match[str]) -> str:
        run = match.group()
        size = len(run)
        # The single characters joined in C; the spaces around and between the groups (none when a
        # group is empty) collapse in the ``split`` below.
        longer = [run[i:i + n] for n in range(2, GRAMS + 1) for i in range(size - n + 1)]
        return f" {' '.join(run)} {' '.join(longer)} "

    return " ".join(_CJK.sub(grams, text).split())


def _segmented(text: str, memo: Any) -> str:
    if memo is None:
        return segment(text)
    return memo.cached(("segment", text), lambda: segment(text))  # type: ignore[no-any-return]


class ForeignKeyError(Exception):
    """``PRAGMA foreign_key_check`` found rows whose reference does not resolve."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_sql(table: Table) -> str:
    parts = []
    for column in table.columns:
        line = f"{_q(column.name)} {SQL_TYPES[column.type]}"
        if column.required:
            line += " NOT NULL"
        parts.append(line)
    parts.append(f"PRIMARY KEY ({', '.join(_q(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        parts.append(f"FOREIGN KEY ({_q(fk.column)}) REFERENCES {_q(fk.resource)} ({_q(fk.target)})")
    return f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(parts) + "\n) WITHOUT ROWID"


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


#: The memo key of the previous database's steps (``Steps``); its file is kept beside the memo.
STEPS_KEY = ("sqlite-steps", 2)
#: The previous database in the build cache (which keeps side files under ``.pickle`` names; this one is
#: a SQLite file, read only through ``Steps``).
KEPT_FILE = "datasets-sqlite"
#: A rollback journal's first bytes (SQLite's file format, "the rollback journal").
_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


@dataclass(frozen=True)
class Steps:
    """How a database was made, so that the next build can take its unchanged steps' pages as they are.

    The file is made in steps, each its own transaction: step 0 creates every table and full-text
    table (empty); step ``k`` fills table ``k``; then one step creates the foreign keys' indexes
    (``_index``) and the last ones fill the search tables, a run of records each.  A step writes the
    pages it allocates, which follow the file's end in order (``pages``: the page count after each
    step), and changes some pages that were there before it: ``dirty[k]``, read from the step's
    rollback journal, which holds each such page as it was before the step (``before[k]``: their
    sha256).  ``after[k]`` holds the pages step ``k`` wrote (allocated or changed) that a later step
    changed again, as step ``k`` left them (each one is the later step's journal copy); every other
    page it wrote is in the kept file as it left them.

    So when step ``k``'s inputs (``digests``) are those of the previous file, the file before it has
    the previous page count and no free pages, and the pages it changes are byte for byte what they
    were before the previous step ``k``, the step would write those very pages: they are copied from
    the previous file instead of made (``write_sqlite``).  A table's step reads only its own b-tree
    and page 1; a search run reads the search tables' b-trees, which only the runs before it wrote:
    a run is copied only when every run before it was.  ``start`` (the bytes of step 0), the SQLite
    version and the number of tables guard the rest; ``file`` is the kept file's identity
    (``_identity``).  The index step (it reads every table) is always made.
    """

    version: str
    tables: int
    start: bytes
    digests: tuple[bytes, ...]
    pages: tuple[int, ...]
    frees: tuple[int, ...]
    dirty: tuple[tuple[int, ...], ...]
    before: tuple[bytes, ...]
    after: tuple[dict[int, bytes], ...]
    file: bytes
    #: The kept file's ``zipped.FILE_CHUNK``s: (sha256, CRC-32, length) of each (``write_zip``).
    chunks: tuple[tuple[bytes, int, int], ...] = ()


@dataclass(frozen=True)
class Written:
    """What ``write_sqlite`` leaves for ``write_zip``: the ``Steps`` it kept (``None``: none) and the
    previous file's, and the pages that may differ from the previous file's (``None``: any)."""

    steps: Steps | None
    previous: Steps | None
    changed: bytearray | None
    page_size: int


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    # A rollback journal (emptied at each commit), never synced: its pages say what a step changed
    # (``Steps``); the database's bytes are those ``journal_mode=OFF`` gives.
    db.execute("PRAGMA journal_mode=TRUNCATE")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")
    return db


def _journal_of(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def _journal(path: Path, page_size: int, count: int) -> dict[int, bytes] | None:
    """The pages the open transaction changed, as they were before it (read from its rollback journal,
    which SQLite writes as it first changes each page); ``None`` when the journal is not one record per
    page of the file's first ``count`` pages, each with a good checksum (nothing is then proven);
    empty when the transaction changed nothing."""
    try:
        data = _journal_of(path).read_bytes()
    except OSError:
        return None
    if not data:
        return {}  # nothing changed (a table without rows)
    if len(data) < 28 or data[:8] != _JOURNAL_MAGIC:
        return None
    nonce, _, sector, size = (int.from_bytes(data[n:n + 4], "big") for n in (12, 16, 20, 24))
    if size != page_size or sector < 28:
        return None
    out: dict[int, bytes] = {}
    step = page_size + 8
    if (len(data) - sector) % step:
        return None
    for offset in range(sector, len(data), step):
        number = int.from_bytes(data[offset:offset + 4], "big")
        page = data[offset + 4:offset + 4 + page_size]
        check = nonce
        for index in range(page_size - 200, 0, -200):
            check += page[index]
        if not 0 < number <= count or number in out or check & 0xFFFFFFFF != int.from_bytes(
                data[offset + 4 + page_size:offset + step], "big"):
            return None
        out[number] = page
    return out


def _changed(db: sqlite3.Connection, path: Path, page_size: int, count: int,
             first: dict[int, bytes]) -> dict[int, bytes] | None:
    """The pages of the file's first ``count`` that the open transaction changed, as they were before it
    (``_journal``).  A savepoint first: FTS5 writes its pending terms, its structure and its totals
    when one opens (else only at the commit, after the journal was read), and the file's bytes are
    the same; page 1 (``first``, as it was before), whose header the commit changes, always."""
    db.execute("SAVEPOINT journal")
    db.execute("RELEASE journal")
    found = _journal(path, page_size, count)
    if found is not None:
        for number, page in first.items():
            found.setdefault(number, page)
    return found


def _read_pages(path: Path, page_size: int, numbers: Iterable[int]) -> dict[int, bytes]:
    with path.open("rb") as handle:
        out = {}
        for number in numbers:
            handle.seek((number - 1) * page_size)
            out[number] = handle.read(page_size)
        return out


def _pages_digest(pages: dict[int, bytes]) -> bytes:
    h = hashlib.sha256()
    for number in sorted(pages):
        h.update(number.to_bytes(8, "little"))
        h.update(pages[number])
    return h.digest()


def _header(handle: Any) -> tuple[int, int, int]:
    """(page size, page count, free-list pages) of the file open in ``handle``."""
    handle.seek(0)
    head = handle.read(100)
    size = int.from_bytes(head[16:18], "big")
    return (65536 if size == 1 else size), int.from_bytes(head[28:32], "big"), int.from_bytes(head[36:40], "big")


def _identity(path: Path) -> bytes:
    """The kept file as the build cache knows its files: its size and modification time, as ``Cache``
    checks the previous site's (a write changes them; a move or a copy that keeps times does not).
    Not its sha256: that read 265 MB twice in every build at 100,000 records (0.3 CPU-s)."""
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}".encode()


def _search_row(number: int, record: Record) -> tuple[Any, ...]:
    return (number, record.registry, record.id, record.name, record.get("name_en", "") or "",
            " ".join(record.get("aliases") or []), record.get("address", "") or "")


def write_sqlite(path: Path, tables: Iterable[tuple[Table, list[Record]]], registry: Registry,
                 memo: Any = None, digests: list[bytes] | None = None) -> Written:
    """Write the database (rows in key order, so the same data give the same bytes); ``memo`` keeps
    each record's segmented search text (``segment`` is a pure function of the text).

    With ``digests`` (one per table: what its step shows, ``b""`` when unknown) and the memo of a
    previous build (``Steps`` and its kept file: ``memo.saved``), the unchanged steps' pages are
    copied from the previous file (``Steps``); the file is the same.  With ``memo.leave`` the file is
    linked (or copied) there for the next build.  Any doubt: made whole.  ``write_zip`` zips it.
    """
    pairs = list(tables)
    records = [r for name in REGISTRIES for r in registry.records(name)]
    # The search rows in runs that end with a record ``zipped.cuts_after`` chooses, each its own step (a
    # commit: FTS5 writes each run's terms as a segment of their own), so an edit changes one run's
    # segment rather than every segment after it (its pages and their deflated chunks; ``SEARCH_SPANS``).
    # A run's rows are made only when its step is (``_write_steps``); its digest is of its place and of
    # its records' content hashes (all that its rows show).
    span = SEARCH_SPANS * zipped.SPAN
    runs: list[tuple[int, int]] = []
    begin = 0
    for index, record in enumerate(records):
        if zipped.cuts_after(record.id, span):
            runs.append((begin, index + 1))
            begin = index + 1
    if begin < len(records):
        runs.append((begin, len(records)))
    searched: list[bytes] = []
    hashes: dict[str, str] = getattr(memo, "records", None) or {}  # ``Memo.record_key`` of each record
    for begin, end in runs:
        shown = [(r.registry, r.id, hashes.get(r.id)) for r in records[begin:end]]
        known = all(key is not None for _, _, key in shown)
        searched.append(memos.digest("search", str(begin), repr(shown)) if known else b"")
    wanted = [*digests, *searched] if digests is not None and len(digests) == len(pairs) else [b""] * (
        len(pairs) + len(runs))
    previous: Steps | None = None
    saved = getattr(memo, "saved", None) if memo is not None else None
    kept = Path(saved) / f"{KEPT_FILE}.pickle" if saved is not None else None
    if kept is not None and any(wanted):
        found = memo.get(STEPS_KEY)
        if (isinstance(found, Steps) and found.version == sqlite3.sqlite_version
                and found.tables == len(pairs) and len(found.digests) == len(wanted) and kept.is_file()):
            previous = found if _identity(kept) == found.file else None
    fill = [(records, begin, end) for begin, end in runs]
    try:
        steps, changed, page_size = _write_steps(path, pairs, fill, memo, wanted, previous,
                                                 kept if previous else None)
    except (sqlite3.DatabaseError, OSError, _Unsure):
        if previous is None:
            raise
        previous = None
        steps, changed, page_size = _write_steps(path, pairs, fill, memo, wanted, None, None)  # whole
    leave = getattr(memo, "leave", None) if memo is not None else None
    if leave is not None and steps is not None:
        Path(leave).mkdir(parents=True, exist_ok=True)
        target = Path(leave) / f"{KEPT_FILE}.pickle"
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)  # the export removes its own name once it is zipped
        except OSError:
            shutil.copyfile(path, target)
        steps = replace(steps, file=_identity(target))
        memo.put(STEPS_KEY, steps)
    else:
        steps = None
    return Written(steps, previous, changed if previous is not None else None, page_size)


def write_zip(target: Path, path: Path, created: Any, memo: Any, written: Written | None = None) -> None:
    """``target`` = a zip of the database ``path`` in ``zipped.FILE_CHUNK`` chunks, each deflated
    as ``zipped.piece`` does (its memo key).  A chunk none of whose pages may differ from the previous file's
    (``Written.changed``) and of the same length is the previous file's chunk: its digest and CRC are
    taken from ``Steps.chunks`` and its deflated bytes from the memo, without reading it (265 MB at
    100,000 records).  The chunks' digests are kept in the memo's ``Steps`` for the next build."""
    size = path.stat().st_size
    step = zipped.FILE_CHUNK
    old = written.previous.chunks if written is not None and written.previous is not None else ()
    changed = written.changed if written is not None else None
    page_size = written.page_size if written is not None else 0
    pieces: list[zipped.Piece] = []
    chunks: list[tuple[bytes, int, int]] = []
    with path.open("rb") as handle:
        for number, offset in enumerate(range(0, size, step)):
            length = min(step, size - offset)
            piece: zipped.Piece | None = None
            if (changed is not None and number < len(old) and old[number][2] == length >= zipped.MEMO_MIN
                    and page_size and step % page_size == 0 and (offset + length) // page_size < len(changed)
                    and changed.find(1, offset // page_size + 1, (offset + length - 1) // page_size + 2) < 0):
                digest, crc, _ = old[number]
                data = memo.get(("deflate", zipped.LEVEL, digest))
                if isinstance(data, bytes):
                    piece = zipped.Piece(data, crc, length)
                    chunks.append(old[number])
                    _count(memo, "hits", "sqlite-chunk")
            if piece is None:
                handle.seek(offset)
                raw = handle.read(length)
                piece = zipped.piece(raw, zipped.LEVEL, memo)
                chunks.append((hashlib.sha256(raw).digest(), piece.crc, length))
            pieces.append(piece)
    zipped.write_zip(target, [(path.name, pieces)], created)
    steps = written.steps if written is not None else None
    if steps is not None and memo is not None:
        memo.put(STEPS_KEY, replace(steps, chunks=tuple(chunks)))


class _Unsure(Exception):
    """A spliced step would not provably give a clean build's pages: the file is made whole."""


#: A run of search rows: all the records, and the run's ``[begin, end)`` (rowid ``begin + 1`` on).
Run = tuple[list[Record], int, int]


def _write_steps(path: Path, pairs: list[tuple[Table, list[Record]]], runs: list[Run],
                 memo: Any, wanted: list[bytes], previous: Steps | None,
                 kept: Path | None) -> tuple[Steps | None, bytearray | None, int]:
    """The database in steps (``Steps``), each copied from ``kept`` when it provably would be the same,
    else made; the ``Steps`` of this file (``None`` when a journal could not be read: nothing is kept),
    the pages that may differ from ``kept`` (1 in a byte per page, from page 1 at index 1: those a made
    step wrote, and those a copied step wrote but not as the kept file holds them) and the page size."""
    journal = _journal_of(path)
    path.unlink(missing_ok=True)
    journal.unlink(missing_ok=True)
    db: sqlite3.Connection | None = _connect(path)
    try:
        assert db is not None
        db.execute("BEGIN")
        for table, _ in pairs:
            db.execute(create_sql(table))
        db.execute(f"CREATE TABLE {_q(SEARCH_ROWS)} (rowid INTEGER PRIMARY KEY, registry TEXT NOT NULL, "
                   "id TEXT NOT NULL, name TEXT, name_en TEXT, aliases TEXT, address TEXT, terms TEXT)")
        # ``content="…"`` in double quotes: the form Datasette recognises as a table's full-text index.
        content = f'content="{SEARCH_ROWS}", content_rowid="rowid"'
        db.execute(f"CREATE VIRTUAL TABLE {_q(SEARCH_TABLE)} USING fts5("
                   f"registry UNINDEXED, id UNINDEXED, name, name_en, aliases, address, terms, "
                   f"tokenize='unicode61', {content})")
        db.execute(f"CREATE VIRTUAL TABLE {_q(TRIGRAM_TABLE)} USING fts5("
                   f"registry UNINDEXED, id UNINDEXED, name, name_en, aliases, address, "
                   f"tokenize='trigram', {content})")
        # No segment merges while the rows go in (FTS5's ``automerge``/``crisismerge``; the defaults
        # are set again after): merged segments are rewritten wherever one record changed, so a
        # one-record edit changed some 49 of the 75 MB of the index (each re-deflated, ``zipped``),
        # against 13 without; it is also ~15% less CPU and a slightly smaller file.
        for fts in (SEARCH_TABLE, TRIGRAM_TABLE):
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('automerge', 0)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('crisismerge', 2000)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('hashsize', {HASH_SIZE})")
        db.execute("COMMIT")
        with path.open("rb") as handle:
            page_size, first, free = _header(handle)
            handle.seek(0)
            start = hashlib.sha256(handle.read(first * page_size)).digest()
        pages = [first]
        frees = [free]
        made: set[str] = set()  # the tables made rather than copied from the previous file
        dirty: list[tuple[int, ...]] = []
        befores: list[dict[int, bytes]] = []  # each step's changed pages as they were before it
        known = True  # every made step's journal was read
        usable = previous is not None and kept is not None and previous.start == start and previous.pages[0] == first
        copied: list[bool] = []  # each step copied from ``kept``
        searching = True  # every search run so far was copied: the search tables are the previous file's
        for number in range(len(pairs) + 1 + len(runs)):  # the tables, the indexes (``_index``), the runs
            index = number if number < len(pairs) else number - 1  # into ``wanted`` (the index step: none)
            spliced = False
            # With a free list before it, a step would reuse freed pages anywhere in the file: not spliced;
            # nor a step that left one (a later step may have written its freed pages in the kept file).
            if (usable and previous is not None and kept is not None and number != len(pairs)
                    and (number < len(pairs) or searching) and wanted[index]
                    and previous.digests[index] == wanted[index]
                    and previous.pages[number] == pages[-1] and previous.frees[number] == 0 == frees[-1]
                    and previous.frees[number + 1] == 0):
                now = _read_pages(path, page_size, previous.dirty[number])
                if _pages_digest(now) == previous.before[number]:
                    if db is not None:
                        db.close()
                        db = None
                    _splice(path, kept, page_size, previous, number)
                    _count(memo, "hits")
                    dirty.append(previous.dirty[number])
                    befores.append(now)
                    spliced = True
                    copied.append(True)
            if not spliced:
                if number > len(pairs):
                    searching = False
                _count(memo, "made")
                if db is None:
                    db = _connect(path)
                first_page = _read_pages(path, page_size, [1])
                db.execute("BEGIN")
                if number < len(pairs):
                    table, records = pairs[number]
                    made.add(table.name)
                    marks = ", ".join("?" for _ in table.columns)
                    db.executemany(f"INSERT INTO {_q(table.name)} VALUES ({marks})",
                                   table.rows(records))  # sqlite3 binds a bool as the integer 0/1 itself
                elif number == len(pairs):
                    _index(db, [table for table, _ in pairs])
                else:
                    _fill_search(db, runs[number - len(pairs) - 1], memo)
                before = _changed(db, path, page_size, pages[-1], first_page)
                db.execute("COMMIT")
                known = known and before is not None
                copied.append(False)
                dirty.append(tuple(sorted(before or {})))
                befores.append(before or {})
            with path.open("rb") as handle:
                _, count, free = _header(handle)
            pages.append(count)
            frees.append(free)
        if db is None:
            db = _connect(path)
        first_page = _read_pages(path, page_size, [1])
        db.execute("BEGIN")  # after the last step: never copied into a later file
        for fts in (SEARCH_TABLE, TRIGRAM_TABLE):  # FTS5's defaults, for anyone who writes to the copy
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('automerge', 4)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('crisismerge', 16)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('hashsize', {1 << 20})")
        last = _changed(db, path, page_size, pages[-1], first_page)
        db.execute("COMMIT")
        known = known and last is not None
        bad = []
        # A table copied from the previous file holds the rows it held there, where no key was broken:
        # a broken key is a row of a table made now, or a row pointing into one.
        for table, _ in pairs if len(made) < len(pairs) else []:
            if table.name in made or any(fk.resource in made for fk in table.foreign_keys):
                bad += db.execute(f"PRAGMA foreign_key_check({_q(table.name)})").fetchall()
        if len(made) == len(pairs):
            bad = db.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise ForeignKeyError(", ".join(f"{row[0]} rowid {row[1]} → {row[2]}" for row in bad[:10]))
        counter = _changes(path)
        db.execute("PRAGMA optimize")
        known = known and _changes(path) == counter  # it wrote nothing no journal saw
    except sqlite3.OperationalError as exc:
        raise _write_failure(exc, path) from None
    finally:
        if db is not None:
            db.close()
        journal.unlink(missing_ok=True)
    if not known or last is None:
        return None, None, page_size
    with path.open("rb") as handle:
        final = _header(handle)[1]
    changed = bytearray(final + 1)
    changed[1:first + 1] = b"\x01" * first  # step 0
    for number, (was_copied, pages_changed) in enumerate(zip(copied, dirty, strict=True)):
        if previous is not None and was_copied:
            for page in previous.after[number]:
                changed[page] = 1
        else:
            low, high = pages[number], min(pages[number + 1], final)
            changed[low + 1:high + 1] = b"\x01" * max(0, high - low)
            for page in pages_changed:
                changed[page] = 1
    for page in last:
        changed[page] = 1
    changed[pages[-1] + 1:] = b"\x01" * (final - pages[-1])
    steps = Steps(sqlite3.sqlite_version, len(pairs), start, tuple(wanted), tuple(pages), tuple(frees),
                  tuple(dirty), tuple(_pages_digest(b) for b in befores),
                  tuple(_afters(pages, [*dirty, tuple(sorted(last))], [*befores, last])), b"")
    return steps, changed, page_size


def _changes(path: Path) -> bytes:
    """The file change counter (page 1, bytes 24–27): every write transaction moves it."""
    with path.open("rb") as handle:
        handle.seek(24)
        return handle.read(4)


def _afters(pages: list[int], dirty: list[tuple[int, ...]], befores: list[dict[int, bytes]]) -> list[dict[int, bytes]]:
    """``Steps.after`` of each step (the last of ``dirty``/``befores``, the settings after the steps,
    has none): a page a step wrote and a later step changed is, as the first wrote it, the journal's
    copy of the first later step that changed it.  A page's writer is the last step that changed it,
    else the step that allocated it (``pages[w] < page <= pages[w + 1]``; step 0's region: none)."""
    steps = len(pages) - 1
    afters: list[dict[int, bytes]] = [{} for _ in range(steps)]
    last: dict[int, int] = {}
    for number, (changed, before) in enumerate(zip(dirty, befores, strict=True)):
        for page in changed:
            writer = last.get(page)
            if writer is None:
                writer = bisect.bisect_left(pages, page) - 1
            if 0 <= writer < steps and page not in afters[writer]:
                afters[writer][page] = before[page]
            last[page] = number
    return afters


def _index(db: sqlite3.Connection, tables: list[Table]) -> None:
    """The foreign keys' indexes, after every row is in: built sorted, their pages are full (an index
    filled row by row in key order was ~70% full and 10% larger zipped).

    The step after the tables', always made.  It reads the tables' pages and writes only pages it
    allocates at the file's end (each index, and sqlite_schema's pages when its rows overflow theirs)
    and step 0's region (page 1, sqlite_schema's pages, which no table step writes): no page of a
    spliced step changes, so the kept file still holds each step's pages as it left them (``Steps``).
    Before the search runs rather than after: an edit that changes the page count of a run's segment
    moves every page after it, and so deflates its chunks again (``zipped.FILE_CHUNK``).
    """
    for table in tables:
        for fk in table.foreign_keys:
            if fk.column == table.primary_key[0]:
                continue  # the primary key's b-tree is its index
            db.execute(f"CREATE INDEX {_q(f'idx_{table.name}_{fk.column}')} "
                       f"ON {_q(table.name)} ({_q(fk.column)})")


def _count(memo: Any, which: str, what: str = "sqlite-step") -> None:
    """A step (or a chunk) taken from the previous file (``hits``) or made (``made``), as
    ``ExportResult.reused`` shows."""
    if memo is not None:
        counts = getattr(memo, which)
        counts[what] = counts.get(what, 0) + 1


def _splice(path: Path, kept: Path, page_size: int, previous: Steps, number: int) -> None:
    """Step ``number`` of ``previous`` into ``path`` as it left its pages: those it allocated and those it
    changed, from ``kept``, then those a later step changed again as it left them (``Steps.after``)."""
    before, after = previous.pages[number], previous.pages[number + 1]
    with path.open("r+b") as out, kept.open("rb") as source:
        if _header(out)[1] != before or _header(source)[0] != page_size:
            raise _Unsure
        _copy(source, out, before * page_size, (after - before) * page_size)
        for page in previous.dirty[number]:
            source.seek((page - 1) * page_size)
            data = source.read(page_size)
            if len(data) != page_size:
                raise _Unsure
            out.seek((page - 1) * page_size)
            out.write(data)
        for page, data in sorted(previous.after[number].items()):
            out.seek((page - 1) * page_size)
            out.write(data)
        out.truncate(after * page_size)


def _copy(source: Any, out: Any, offset: int, length: int) -> None:
    """``length`` bytes at ``offset`` of ``source`` to the same place in ``out``: in the kernel
    (``os.copy_file_range``, no copy through this process: some 160 MB at 100,000 records) where it can,
    else read and written."""
    done = 0
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        out.flush()
        try:
            while done < length:
                moved = copy(source.fileno(), out.fileno(), length - done, offset + done, offset + done)
                if moved <= 0:
                    raise _Unsure
                done += moved
        except OSError:
            pass  # not on this file system: the rest read and written
    source.seek(offset + done)
    out.seek(offset + done)
    while done < length:
        chunk = source.read(min(length - done, 1 << 22))
        if not chunk:
            raise _Unsure
        out.write(chunk)
        done += len(chunk)


def _fill_search(db: sqlite3.Connection, run: Run, memo: Any) -> None:
    records, begin, end = run
    rows = [_search_row(number + 1, records[number]) for number in range(begin, end)]
    columns = "registry, id, name, name_en, aliases, address"
    db.executemany(f"INSERT INTO {_q(SEARCH_ROWS)} ({'rowid, ' + columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(f"INSERT INTO {_q(TRIGRAM_TABLE)} (rowid, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(f"INSERT INTO {_q(SEARCH_TABLE)} (rowid, {columns}, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   ((*row, _segmented(" ".join((row[3], row[5], row[6])), memo)) for row in rows))


def _write_failure(exc: sqlite3.OperationalError, path: Path) -> Exception:
    """SQLite's "disk I/O error" / "database or disk is full" as the ``OSError`` a plain write gives.

    SQLite keeps the errno to itself; a full disk is its own code, and a write refused at the size
    limit (``ulimit -f``, EFBIG) is an I/O error with the file at that limit.  Then the user reads the
    same located message as for any other file the export writes (``oswrite.describe``).
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    if code == sqlite3.SQLITE_IOERR:
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        number = errno.EFBIG if limit != resource.RLIM_INFINITY and size + (1 << 16) >= limit else errno.EIO
        return OSError(number, os.strerror(number), str(path))
    return exc


def write_datasette_metadata(path: Path, database: str, tables: Iterable[Table],
                             info: dict[str, Any]) -> None:
    """Datasette ``metadata.json``: title, licence and source, and each table's column descriptions."""
    doc: dict[str, Any] = {
        **info,
        "databases": {
            database: {
                "tables": {
                    table.name: {
                        "title": f"{table.title_zh} / {table.title_en}",
                        "description": f"{table.description_zh}\n\n{table.description_en}",
                        "columns": {
                            c.name: f"{c.title_zh}（{c.title_en}）：{c.description_zh} / {c.description_en}"
                            for c in table.columns
                        },
                    }
                    for table in tables
                }
                | {
                    name: {
                        "title": f"{t('zh', f'opendata.sqlite.{key}_title')} / "
                                 f"{t('en', f'opendata.sqlite.{key}_title')}",
                        "description": f"{t('zh', f'opendata.sqlite.{key}_description')}\n\n"
                                       f"{t('en', f'opendata.sqlite.{key}_description')}",
                    }
                    for name, key in ((SEARCH_TABLE, "search"), (TRIGRAM_TABLE, "trigram"), (SEARCH_ROWS, "rows"))
                },
            }
        },
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
