"""Fragments of the previous export, so that a second build after a one-record edit redoes little.

Why: at 100,000 records a full export is tens of seconds of CPU (workbook XML, HSDS rows, deflate),
and after one edit nearly all of it would come out byte for byte as before.  A ``Memo`` holds the
values of *pure functions of their key* from the previous export: a key names everything its value
shows (a record's content hash, the names it shows of other records, a chunk's bytes), so a value
taken from the memo is the value the function would compute now, and the output equals a clean
export's.  Everything global (hubdir's code, the configuration, ``datasets/package.yml``, the
schemas) is in the build cache's own key (``incremental.Cache.base``): a memo from another one is
never read.

The memo lives in the build cache (``build/.site-cache/datasets-memo.pickle``); only the entries
this export used or made are kept for the next one, so it does not grow with history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

#: The name of the memo in the build cache (``incremental.Cache.side_file``).
SIDE_FILE = "datasets-memo"


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


#: Rows ``[start, end)`` of a table and the digest of their values (``b""`` when not memoized).
Span = tuple[int, int, bytes]


def spans(rows: list[list[Any]], keyed: bool) -> list[Span]:
    """``rows`` cut into runs that end with a record (``zipped.cuts_after`` its id, the first cell: a
    record's rows of a link table stay together), each with the digest of its rows' ``repr`` (types
    and values: all that the CSV text or the sheet XML of those rows shows) when ``keyed``."""
    from generator.export import zipped

    bounds: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(rows)):
        key = rows[index - 1][0]
        if key != rows[index][0] and zipped.cuts_after(str(key)):
            bounds.append((start, index))
            start = index
    if start < len(rows):
        bounds.append((start, len(rows)))
    return [(a, b, digest(repr(rows[a:b])) if keyed else b"") for a, b in bounds]


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
