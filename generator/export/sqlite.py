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
        return " " + " ".join(run[i:i + n] for n in range(1, GRAMS + 1) for i in range(len(run) - n + 1)) + " "

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
STEPS_KEY = ("sqlite-steps",)
#: The previous database in the build cache (which keeps side files under ``.pickle`` names; this one is
#: a SQLite file, read only through ``Steps``).
KEPT_FILE = "datasets-sqlite"


@dataclass(frozen=True)
class Steps:
    """How a database was made, so that the next build can take its unchanged tables' pages as they are.

    The file is made in steps, each its own transaction: step 0 creates every table and full-text
    table (empty); step ``k`` fills table ``k``; then one step creates the foreign keys' indexes
    (``_index``) and the last ones fill the search tables, a run of records each.  A step writes only
    the pages it allocates, which follow the file's end in order (``pages``: the page count after each
    step), the root pages of its own tables and page 1; ``shared[k]`` holds the pages of step 0's
    region (``pages[0]``: page 1, the schema, every table's root) as step ``k`` left them.  So when
    step ``k``'s inputs (``digests``) are those of the previous file and the file before it has the
    previous page count, the step would write those very pages: they are copied from the previous file
    instead of made (``write_sqlite``).  ``start`` (the bytes of step 0), the SQLite version, the
    number of tables and an empty free list before and after the step (``frees``: its length after
    each step) guard the rest; ``file`` is the kept file's identity (``_identity``).  Only the tables' steps are copied;
    the index step (it reads the tables, writes its own new pages and the schema's, which are step 0's
    or its own) and the search runs' steps (they also rewrite rows of earlier runs' pages: FTS5's
    structure and averages) are always made, and no step after a table's writes that table's pages.
    """

    version: str
    tables: int
    start: bytes
    digests: tuple[bytes, ...]
    pages: tuple[int, ...]
    frees: tuple[int, ...]
    shared: tuple[dict[int, bytes], ...]
    file: bytes


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")
    return db


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


def write_sqlite(path: Path, tables: Iterable[tuple[Table, list[Record]]], registry: Registry,
                 memo: Any = None, digests: list[bytes] | None = None) -> None:
    """Write the database (rows in key order, so the same data give the same bytes); ``memo`` keeps
    each record's segmented search text (``segment`` is a pure function of the text).

    With ``digests`` (one per table: what its step shows, ``b""`` when unknown) and the memo of a
    previous build (``Steps`` and its kept file: ``memo.saved``), the unchanged tables' pages are
    copied from the previous file (``Steps``); the file is the same.  With ``memo.leave`` the file is
    linked (or copied) there for the next build.  Any doubt: made whole.
    """
    pairs = list(tables)
    records = [r for name in REGISTRIES for r in registry.records(name)]
    search_rows = [(n, r.registry, r.id, r.name, r.get("name_en", "") or "", " ".join(r.get("aliases") or []),
                    r.get("address", "") or "")
                   for n, r in enumerate(records, start=1)]
    # The search rows in runs that end with a record ``zipped.cuts_after`` chooses, each its own step (a
    # commit: FTS5 writes each run's terms as a segment of their own), so an edit changes one run's
    # segment rather than every segment after it (its pages and their deflated chunks; ``SEARCH_SPANS``).
    # These steps are always made (``_write_steps``); their digests only say what they showed.
    runs = list(zipped.groups(search_rows, lambda row: str(row[2]), SEARCH_SPANS * zipped.SPAN))
    keys = [memo.record_key(r.id) if memo is not None else None for r in records]
    searched: list[bytes] = []
    done = 0
    for run in runs:
        parts = [f"{row[0]}\0{row[1]}\0{row[2]}\0{keys[row[0] - 1]}" for row in run]
        known = all(k is not None for k in keys[done:done + len(run)])
        searched.append(memos.digest_texts("search", parts) if known else b"")
        done += len(run)
    wanted = [*digests, *searched] if digests is not None and len(digests) == len(pairs) else [b""] * (
        len(pairs) + len(runs))
    previous: Steps | None = None
    saved = getattr(memo, "saved", None) if memo is not None else None
    kept = Path(saved) / f"{KEPT_FILE}.pickle" if saved is not None else None
    if kept is not None and all(wanted):
        found = memo.get(STEPS_KEY)
        if (isinstance(found, Steps) and found.version == sqlite3.sqlite_version
                and found.tables == len(pairs) and kept.is_file()):
            previous = found if _identity(kept) == found.file else None
    try:
        steps = _write_steps(path, pairs, runs, memo, wanted, previous, kept if previous else None)
    except (sqlite3.DatabaseError, OSError, _Unsure):
        if previous is None:
            raise
        steps = _write_steps(path, pairs, runs, memo, wanted, None, None)  # whole, as a clean build
    leave = getattr(memo, "leave", None) if memo is not None else None
    if leave is not None and all(wanted):
        Path(leave).mkdir(parents=True, exist_ok=True)
        target = Path(leave) / f"{KEPT_FILE}.pickle"
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)  # the export removes its own name once it is zipped
        except OSError:
            shutil.copyfile(path, target)
        memo.put(STEPS_KEY, replace(steps, file=_identity(target)))


class _Unsure(Exception):
    """A spliced step would not provably give a clean build's pages: the file is made whole."""


def _write_steps(path: Path, pairs: list[tuple[Table, list[Record]]], runs: list[list[tuple[Any, ...]]],
                 memo: Any, wanted: list[bytes], previous: Steps | None, kept: Path | None) -> Steps:
    if path.exists():
        path.unlink()
    db = _connect(path)
    try:
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
            region = handle.read(first * page_size)
        start = hashlib.sha256(region).digest()
        shared_now = {n: region[(n - 1) * page_size:n * page_size] for n in range(1, first + 1)}
        pages = [first]
        made: set[str] = set()  # the tables made rather than copied from the previous file
        shared: list[dict[int, bytes]] = []
        frees = [free]
        usable = previous is not None and previous.start == start and previous.pages[0] == first
        for number in range(len(pairs) + 1 + len(runs)):  # the tables, the indexes (``_index``), the runs
            # With a free list before it, a step would reuse freed pages anywhere in the file: not spliced;
            # nor a step that left one (a later step may have written its freed pages in the kept file).
            # The search runs' steps also rewrite FTS5's structure and averages, rows on earlier pages: made.
            if (number < len(pairs) and usable and previous is not None and kept is not None
                    and previous.digests[number] == wanted[number]
                    and previous.pages[number] == pages[-1] and previous.frees[number] == 0 == frees[-1]
                    and previous.frees[number + 1] == 0):
                db.close()
                changed = previous.shared[number]
                _splice(path, kept, page_size, previous.pages[number], previous.pages[number + 1], changed)
                db = _connect(path)
                _count(memo, "hits")
            else:
                _count(memo, "made")
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
                db.execute("COMMIT")
                with path.open("rb") as handle:
                    handle.seek(0)
                    region = handle.read(first * page_size)
                changed = {}
                for n in range(1, first + 1):
                    page = region[(n - 1) * page_size:n * page_size]
                    if page != shared_now[n]:
                        changed[n] = page
            shared_now.update(changed)
            shared.append(changed)
            with path.open("rb") as handle:
                _, count, free = _header(handle)
            pages.append(count)
            frees.append(free)
        steps = Steps(sqlite3.sqlite_version, len(pairs), start, tuple(wanted), tuple(pages), tuple(frees),
                      tuple(shared), b"")
        db.execute("BEGIN")  # after the last step: never copied into a later file
        for fts in (SEARCH_TABLE, TRIGRAM_TABLE):  # FTS5's defaults, for anyone who writes to the copy
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('automerge', 4)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('crisismerge', 16)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('hashsize', {1 << 20})")
        db.execute("COMMIT")
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
        db.execute("PRAGMA optimize")
    except sqlite3.OperationalError as exc:
        raise _write_failure(exc, path) from None
    finally:
        db.close()
    return steps


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


def _count(memo: Any, which: str) -> None:
    """A step taken from the previous file (``hits``) or made (``made``), as ``ExportResult.reused`` shows."""
    if memo is not None:
        counts = getattr(memo, which)
        counts["sqlite-step"] = counts.get("sqlite-step", 0) + 1


def _splice(path: Path, kept: Path, page_size: int, before: int, after: int, shared: dict[int, bytes]) -> None:
    """Pages ``before+1 … after`` of ``kept`` into ``path`` at the same place, and the region's pages
    as that step left them (``Steps.shared``)."""
    with path.open("r+b") as out, kept.open("rb") as source:
        if _header(out)[1] != before or _header(source)[0] != page_size:
            raise _Unsure
        source.seek(before * page_size)
        out.seek(before * page_size)
        remaining = (after - before) * page_size
        while remaining > 0:
            chunk = source.read(min(remaining, 1 << 22))
            if not chunk:
                raise _Unsure
            out.write(chunk)
            remaining -= len(chunk)
        for number, page in sorted(shared.items()):
            out.seek((number - 1) * page_size)
            out.write(page)
        out.truncate(after * page_size)


def _fill_search(db: sqlite3.Connection, rows: list[tuple[Any, ...]], memo: Any) -> None:
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
