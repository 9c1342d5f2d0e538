"""JSON: the full nested records, as the YAML holds them (nothing flattened away), plus effective defaults.

Every value the YAML holds is written unchanged.  A field the YAML may leave
out and the model reads with a default (``status``: ``active``, see
``registry.EFFECTIVE_DEFAULTS``) is written with that effective value, so
``status == "active"`` finds every record in use in the JSON as in the
tables; the data dictionary and the README say so.  Nothing else is added.

``json/all.json.zip`` holds ``all.json``: one object of every registry, each
an array of records sorted by id, one record per line so that diffs between
releases stay readable.  It is the only JSON file (issue 16): the
per-registry copies duplicated it byte for byte (24 MB at 20,000 records)
and the per-record files (``records/<registry>/<id>.json``, 20,000 files and
26 MB) had no reader; ``all.json[registry]`` is the registry's array, and
the SQLite file finds one record by id.  Zipped: 25 MB → 2 MB at 20,000
records (JSON repeats every key on every record), and one unzip for a reader.
The edition compares the *uncompressed* bytes with a release's (``read_all``),
so a different zlib cannot make identical data look unreleased.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from generator.export import memo as memos
from generator.export import zipped
from generator.registry import REGISTRIES, Record, Registry, with_defaults

MEMBER = "all.json"
ZIP_PATH = "json/all.json.zip"
#: Where releases made before issue 16 hold the same bytes, uncompressed.
PLAIN_PATH = "json/all.json"


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` without making an encoder at each
#: call (``dumps`` is called once per record by ``all.json`` and the GeoJSON).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> str:
    return _ENCODE(value)


#: One part of ``all.json``: literal text, or a record's JSON after a prefix (``(prefix, registry, record)``).
Part = str | tuple[str, str, Record]


class AllJson:
    """``json/all.json`` in chunks that end at record boundaries (``zipped.cuts_after``): one object of
    every registry, each an array with one record per line.

    Why chunks with keys (issue 16): a chunk's text is a pure function of its literal text and of its
    records' registries and content hashes (a record shows nothing but itself and the effective
    defaults, which are code), so with a ``memo`` each chunk's deflated piece is keyed by those and an
    edit makes one chunk again; no record of the other chunks is serialized, and the memo holds a
    piece per chunk rather than a text per record (a tenth of a second build's memo at 100,000
    records).  The uncompressed bytes are made only when asked for (``sha256``: a release to compare).
    """

    def __init__(self, registry: Registry, memo: Any = None) -> None:
        self.memo = memo
        self.counts = {name: len(registry.records(name)) for name in REGISTRIES}
        self.plan: list[list[Part]] = []
        self._bytes: dict[int, bytes] = {}
        run: list[Part] = ["{\n"]
        for index, name in enumerate(REGISTRIES):
            run.append(("," if index else "") + f"{dumps(name)}:")
            records = registry.records(name)
            if not records:
                run.append("[]\n")
                continue
            run.append("[\n")
            for position, record in enumerate(records):
                run.append((",\n" if position else "", name, record))
                if zipped.cuts_after(record.id):
                    self.plan.append(run)
                    run = []
            run.append("\n]\n")
        run.append("}\n")
        self.plan.append(run)

    def _key(self, parts: list[Part]) -> tuple[str, bytes] | None:
        """The memo key of a chunk: its literal text and its records' registries and content hashes
        (``None`` when one has no hash: the chunk is then made)."""
        if self.memo is None:
            return None
        texts: list[str] = []
        for part in parts:
            if isinstance(part, str):
                texts.append("L" + part)
                continue
            prefix, name, record = part
            content = self.memo.record_key(record.id)
            if content is None:
                return None
            texts.append(f"R{prefix}\0{name}\0{content}")
        return ("json", memos.digest_texts("all.json chunk", texts))

    def chunk(self, number: int) -> bytes:
        """The bytes of chunk ``number`` (made once)."""
        found = self._bytes.get(number)
        if found is None:
            text = [part if isinstance(part, str) else part[0] + dumps(with_defaults(part[1], part[2].data))
                    for part in self.plan[number]]
            found = self._bytes[number] = "".join(text).encode("utf-8", "surrogatepass")
        return found

    def chunks(self) -> list[bytes]:
        return [self.chunk(number) for number in range(len(self.plan))]

    def sha256(self) -> str:
        """The hash of the uncompressed ``all.json`` (which release, if any, these data are)."""
        digest = hashlib.sha256()
        for number in range(len(self.plan)):
            digest.update(self.chunk(number))
        return digest.hexdigest()

    def pieces(self) -> list[zipped.Piece]:
        """Each chunk deflated (``zipped.piece``), from the memo when its key is there."""
        out: list[zipped.Piece] = []
        for number, parts in enumerate(self.plan):
            key = self._key(parts)
            found = self.memo.get(key) if key is not None else None
            if found is None:
                found = zipped.piece(self.chunk(number))
                if key is not None:
                    self.memo.put(key, found)
            out.append(found)
        return out

    def write(self, out: Path, created: dt.datetime | None = None) -> dict[str, int]:
        """Write ``json/all.json.zip`` (one member, ``all.json``); return registry → record count."""
        (out / "json").mkdir(parents=True, exist_ok=True)
        zipped.write_zip(out / ZIP_PATH, [(MEMBER, self.pieces())], created)
        return dict(self.counts)


def read_all(path: Path) -> bytes:
    """The ``all.json`` bytes of an export or release folder: ``json/all.json.zip``, or the
    uncompressed ``json/all.json`` of releases made before issue 16."""
    if (path / ZIP_PATH).is_file():
        return zipped.read_member(path / ZIP_PATH, MEMBER)
    return (path / PLAIN_PATH).read_bytes()
