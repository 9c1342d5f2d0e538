"""Values derived from one record alone, kept from one build to the next by the record's content hash.

The map's worker turns every located record into a map row and a near-me entry, and splits each
kind's points into near-me leaves: ~3 CPU-s at 100,000 records, on every build, although an edit
changes one record.  A row is a function of the record's own file and of what the cache's base key
covers (hubdir's version, the configuration, the schemas; ``incremental.global_key``), so a record
whose content hash (``incremental.record_hashes``, which covers its path too) is the previous
build's gives the previous row.  A value of many records (a kind's leaves) is kept under a digest
of all its inputs instead.  A memo written under another base is never read (``Cache.side_file``),
and a build without the cache computes everything (``RecordMemo(None)``).

Values are shared between the memo and the output, so they must never be changed after ``get``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from generator.registry import Record

T = TypeVar("T")


class RecordMemo:
    """``get(name, record, compute)``: ``compute(record)``, or the previous build's value of an unchanged record."""

    def __init__(self, hashes: dict[str, str] | None, old: Any = None) -> None:
        self.hashes = hashes
        self.old: dict[str, dict[str, tuple[str, Any]]] = old if isinstance(old, dict) else {}
        self.new: dict[str, dict[str, tuple[str, Any]]] = {}
        self.computed = 0

    def get(self, name: str, record: Record, compute: Callable[[Record], T]) -> T:
        if self.hashes is None:
            self.computed += 1
            return compute(record)
        rid = record.id
        sha = self.hashes.get(rid)
        kept = self.old.get(name, {}).get(rid)
        if sha is not None and kept is not None and kept[0] == sha:
            value: T = kept[1]
        else:
            value = compute(record)
            self.computed += 1
        if sha is not None:
            self.new.setdefault(name, {})[rid] = (sha, value)
        return value

    def derived(self, name: str, digest: str, compute: Callable[[], T]) -> T:
        """A value of many records, kept under ``digest`` (a hash of everything it is computed from)."""
        if self.hashes is None:
            return compute()
        kept = self.old.get("", {}).get(name)
        value: T = kept[1] if kept is not None and kept[0] == digest else compute()
        self.new.setdefault("", {})[name] = (digest, value)
        return value
