"""Fragments of the previous export, so that a second build after a one-record edit redoes little.

Why: at 100,000 records a full export is tens of seconds of CPU (workbook XML, HSDS rows, deflate),
and after one edit nearly all of it would come out byte for byte as before.  A ``Memo`` holds the
values of *pure functions of their key* from the previous export: a key names everything its value
shows (a record's content hash, the names it shows of other records, a chunk's bytes), so a value
taken from the memo is the value the function would compute now, and the output equals a clean
export's.  Everything global (hubdir's code, the configuration, ``datasets/package.yml``, the
schemas) is in the build cache's own key (``incremental.Cache.base``): a memo from another one is
never read.

The memo lives in the build cache in ``SHARDS`` files (``build/.site-cache/datasets-memo-NN.pickle``,
a key's file chosen by its ``repr``); only the entries this export used or made are kept for the next
one, so it does not grow with history.  Why shards: at 100,000 records the memo is some 400 MB, and a
one-record edit changes a few entries; a shard holding exactly the entries it held before is not
written again (``dump_shards``).  Any shard can be missing, stale or unreadable: its keys are then
missed and their values made, which gives the same bytes.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: The name of the memo in the build cache (``incremental.Cache.side_file``): ``SIDE_FILE-NN`` each shard.
SIDE_FILE = "datasets-memo"
#: How many files the memo is kept in.
SHARDS = 64


def shard_name(number: int) -> str:
    return f"{SIDE_FILE}-{number:02d}"


#: Kind → (first shard, how many): a kind of its own shards, so that the few entries an edit changes
#: (a deflated chunk of SQLite is one of dozens, a chunk of all.json one of a hundred) rewrite few bytes.
_SHARDS_OF = {"deflate": (0, 4), "json": (4, 12), "segment": (16, 4), "csv": (20, 16), "xlsx": (36, 14),
              "hsds": (50, 8), "fastcheck": (58, 4)}
_OTHER = (62, 2)


def shard_of(key: tuple[Any, ...]) -> int:
    """The shard of ``key``: its kind's range, and in it by the ``repr`` of the key (str, bytes and
    ints: the same in every process)."""
    first, count = _SHARDS_OF.get(key[0], _OTHER)
    return first + zlib.crc32(repr(key).encode("utf-8", "surrogatepass")) % count


def environment() -> str:
    """The libraries whose output a memo holds (zlib's deflate, openpyxl's parts of the workbook);
    hubdir's own code is in the build cache's key."""
    import zlib

    import openpyxl

    return f"zlib {zlib.ZLIB_RUNTIME_VERSION}; openpyxl {openpyxl.__version__}"


def digest(*parts: str | bytes) -> bytes:
    """A key of ``parts`` (length-prefixed, so no two different sequences share one)."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.digest()


def digest_texts(label: str, texts: list[str]) -> bytes:
    """``digest`` of many short texts under ``label``, by the ``repr`` of their list (one step that
    tells any two lists apart, where ``digest`` makes two hash updates a part: 0.4 CPU-s for the
    300,000 parts of a registry key at 100,000 records)."""
    return digest(label, repr(texts))


#: Rows ``[start, end)`` of a table and the digest of their values (``b""`` when not memoized).
Span = tuple[int, int, bytes]


def spans(rows: list[list[Any]], keyed: bool, table: str = "", parts: dict[str, bytes] | None = None,
          by: int = 0) -> list[Span]:
    """``rows`` cut into runs that end with a record (``zipped.cuts_after`` its id, the cell ``by``, by
    default the first: a record's rows of a link table stay together), each with a digest of what its
    rows show when ``keyed``.  A table whose first cell is not a record's (``completeness``: the
    registry, then the id) is cut by its id column (``cut_column``): cut by its first cell it was one
    run of 97,647 rows at 100,000 records, its sheet and CSV made again after any edit.

    With ``parts`` (record id → the digest of everything that record's rows of ``table`` show:
    ``row_parts``) a run's digest is made of its records' parts, which costs nothing per cell; a
    run with a first cell not in ``parts`` (and every run without ``parts``) is digested by its rows'
    ``repr`` (types and values: all that the CSV text or the sheet XML of those rows shows).  The
    two kinds of digest never coincide (a different first part).
    """
    from generator.export import zipped

    bounds: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(rows)):
        key = rows[index - 1][by]
        if key != rows[index][by] and zipped.cuts_after(str(key)):
            bounds.append((start, index))
            start = index
    if start < len(rows):
        bounds.append((start, len(rows)))
    if not keyed:
        return [(a, b, b"") for a, b in bounds]
    return [(a, b, _span_digest(rows, a, b, table, parts)) for a, b in bounds]


def cut_column(names: list[str]) -> int:
    """The column a table's runs are cut by (``spans``): its first record id column (``id``, a link
    table's ``record_id``) when the first column is not one, else the first."""
    if names and names[0] not in ("id", "record_id"):
        for index, name in enumerate(names):
            if name in ("id", "record_id"):
                return index
    return 0


def _span_digest(rows: list[list[Any]], start: int, end: int, table: str, parts: dict[str, bytes] | None) -> bytes:
    if parts is not None:
        found = _parts_digest((rows[index][0] for index in range(start, end)), table, parts)
        if found is not None:
            return found
    return digest(repr(rows[start:end]))


def _parts_digest(idents: Iterable[Any], table: str, parts: dict[str, bytes]) -> bytes | None:
    """The digest of a run by its records' ``parts`` (``idents``: its rows' first cells), ``None``
    when one is not there."""
    found: list[bytes] = []
    last: Any = None
    for ident in idents:
        if ident != last:
            part = parts.get(ident) if isinstance(ident, str) else None
            if part is None:
                return None
            found.append(part)
            last = ident
    return digest("records", table, *found)


def record_spans(rows: Any, table: str, parts: dict[str, bytes]) -> list[Span]:
    """``spans(rows, True, table, parts)`` of a ``places.RecordRows`` (cut by its first cell), made
    from its records: no row is made but those of a run with a record not in ``parts``."""
    out: list[Span] = []
    for start, end, idents in rows.runs():
        found = _parts_digest(idents, table, parts)
        out.append((start, end, found if found is not None else digest(repr(rows[start:end]))))
    return out


def row_parts(records: dict[str, str], extra: dict[str, str]) -> dict[str, bytes]:
    """Record id → a digest of its content hash (``Memo.records``) and ``extra`` (what its rows show
    of other records: the names of its place), for ``spans``: a record's rows of a published table
    are a pure function of these and of the configuration and schemas (in the build cache's key)."""
    return {ident: digest(content, extra.get(ident, "")) for ident, content in records.items()}


class Memo:
    """``key → value`` taken from the previous export (``old``) or made now; ``new`` is what to keep.

    ``records`` is id → content hash of each record (``incremental.record_hashes``): the per-record
    fragments are keyed by it.  Without it (``hubdir export``, or no previous build) nothing is
    looked up per record and every value is computed, so a ``Memo()`` makes the same bytes.
    """

    def __init__(self, old: dict[Any, Any] | None = None, records: dict[str, str] | None = None) -> None:
        self.old: dict[Any, Any] = old if isinstance(old, dict) else {}
        self.new: dict[Any, Any] = {}
        self.records: dict[str, str] = records or {}
        #: How many values came from the previous export / were computed (the tests read these).
        self.hits: dict[str, int] = {}
        self.made: dict[str, int] = {}
        #: Shard number → how many entries it was loaded with; key → its shard (``load_shards``).
        self.origin: dict[int, int] = {}
        self.shard: dict[Any, int] = {}
        #: The build cache's folder, where the previous export left files too large for a shard (the
        #: SQLite database: ``sqlite.Steps``), and the folder to leave this export's in (``None``: none).
        self.saved: Path | None = None
        self.leave: Path | None = None

    def get(self, key: tuple[Any, ...]) -> Any:
        """The value of ``key`` (its first element names the kind), or ``None`` if it must be made."""
        value = self.new.get(key)
        if value is None:
            value = self.old.get(key)
            if value is not None:
                self.new[key] = value
                self.hits[key[0]] = self.hits.get(key[0], 0) + 1
        return value

    def put(self, key: tuple[Any, ...], value: Any) -> Any:
        self.new[key] = value
        self.made[key[0]] = self.made.get(key[0], 0) + 1
        return value

    def cached(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        return self.put(key, make())  # type: ignore[no-any-return]

    def record_key(self, record_id: str) -> str | None:
        """The content hash of a record, or ``None`` when fragments are not memoized."""
        return self.records.get(record_id)

    # -- the build cache keeps it between builds ---------------------------------------------------
    @classmethod
    def load(cls, saved: Any, records: dict[str, str] | None) -> Memo:
        """A memo from what ``dump`` gave (nothing of it when the libraries that made it changed)."""
        if isinstance(saved, tuple) and len(saved) == 2 and saved[0] == environment():
            return cls(saved[1], records)
        return cls(None, records)

    def dump(self) -> tuple[str, dict[Any, Any]]:
        return environment(), self.new

    @classmethod
    def load_shards(cls, saved: list[Any], records: dict[str, str] | None) -> Memo:
        """A memo from the shards ``dump_shards`` gave (in order; ``None`` or anything else for a shard
        that is missing, unreadable or made with other libraries: its entries are made again)."""
        memo = cls(None, records)
        env = environment()
        for number, value in enumerate(saved[:SHARDS]):
            if isinstance(value, tuple) and len(value) == 2 and value[0] == env and isinstance(value[1], dict):
                memo.old.update(value[1])
                memo.origin[number] = len(value[1])
                memo.shard.update(dict.fromkeys(value[1], number))  # (a C loop: ~100,000 keys at 100k)
        return memo

    def dump_shards(self) -> dict[int, tuple[str, dict[Any, Any]]]:
        """Shard number → its value, for the shards that differ from those loaded (a shard whose
        entries are exactly the ones it was loaded with is left as it is in the cache).

        A new key goes into a shard of its kind that is written anyway (one that lost entries: an
        edit's new fragments replace old ones), the smallest of them, else into ``shard_of`` its
        key: so an edit rewrites the shards its old fragments were in, not those and as many more
        (a shard is read whatever shard its keys would be given by ``shard_of``).
        """
        groups: dict[int, dict[Any, Any]] = {number: {} for number in range(SHARDS)}
        known, old = self.shard, self.old
        fresh: list[Any] = []
        changed: set[int] = set()  # a key loaded from the shard and ``put`` again with a new value
        for key, value in self.new.items():
            number = known.get(key)
            if number is None:
                fresh.append(key)
            else:
                groups[number][key] = value
                if value is not old.get(key):
                    changed.add(number)
        dirty = changed | {number for number, entries in groups.items() if self.origin.get(number) != len(entries)}
        for key in fresh:
            number = shard_of(key)
            if number not in dirty:
                first, count = _SHARDS_OF.get(key[0], _OTHER)
                written = [n for n in range(first, first + count) if n in dirty]
                if written:
                    number = min(written, key=lambda n: (len(groups[n]), n))
                else:
                    dirty.add(number)
            groups[number][key] = self.new[key]
        env = environment()
        return {number: (env, groups[number]) for number in sorted(dirty)}

    # -- forked writers (``background.Background``) send back what they used and made --------------
    def delta(self) -> tuple[dict[Any, Any], list[Any], dict[str, int], dict[str, int]]:
        """What this (forked) memo made, and the keys it took from ``old`` (the parent holds those)."""
        made = {key: value for key, value in self.new.items() if key not in self.old}
        return made, [key for key in self.new if key in self.old], self.hits, self.made

    def merge(self, delta: tuple[dict[Any, Any], list[Any], dict[str, int], dict[str, int]]) -> None:
        made, taken, hits, counts = delta
        self.new.update(made)
        for key in taken:
            self.new[key] = self.old[key]
        for name, count in hits.items():
            self.hits[name] = self.hits.get(name, 0) + count
        for name, count in counts.items():
            self.made[name] = self.made.get(name, 0) + count
