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
import json
import os
import re
import resource
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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


def write_sqlite(path: Path, tables: Iterable[tuple[Table, list[Record]]], registry: Registry,
                 memo: Any = None) -> None:
    """Write the database (rows in key order, so the same data give the same bytes); ``memo`` keeps
    each record's segmented search text (``segment`` is a pure function of the text)."""
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("BEGIN")
        for table, records in tables:
            db.execute(create_sql(table))
            marks = ", ".join("?" for _ in table.columns)
            db.executemany(f"INSERT INTO {_q(table.name)} VALUES ({marks})",
                           table.rows(records))  # sqlite3 binds a bool as the integer 0/1 itself
            for fk in table.foreign_keys:
                if fk.column == table.primary_key[0]:
                    continue  # the primary key's b-tree is its index
                db.execute(f"CREATE INDEX {_q(f'idx_{table.name}_{fk.column}')} "
                           f"ON {_q(table.name)} ({_q(fk.column)})")
        columns = "registry, id, name, name_en, aliases, address"
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
        rows = [(n, r.registry, r.id, r.name, r.get("name_en", "") or "", " ".join(r.get("aliases") or []),
                 r.get("address", "") or "")
                for n, r in enumerate((r for name in REGISTRIES for r in registry.records(name)), start=1)]
        db.executemany(f"INSERT INTO {_q(SEARCH_ROWS)} ({'rowid, ' + columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       rows)
        db.executemany(f"INSERT INTO {_q(TRIGRAM_TABLE)} (rowid, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany(f"INSERT INTO {_q(SEARCH_TABLE)} (rowid, {columns}, terms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       ((*row, _segmented(" ".join((row[3], row[5], row[6])), memo)) for row in rows))
        for fts in (SEARCH_TABLE, TRIGRAM_TABLE):  # FTS5's defaults, for anyone who writes to the copy
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('automerge', 4)")
            db.execute(f"INSERT INTO {_q(fts)}({_q(fts)}, rank) VALUES ('crisismerge', 16)")
        db.execute("COMMIT")
        bad = db.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise ForeignKeyError(", ".join(f"{row[0]} rowid {row[1]} → {row[2]}" for row in bad[:10]))
        db.execute("PRAGMA optimize")
    except sqlite3.OperationalError as exc:
        raise _write_failure(exc, path) from None
    finally:
        db.close()


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
