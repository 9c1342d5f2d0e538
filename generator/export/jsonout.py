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
import json
from pathlib import Path
from typing import Any

from generator.export import zipped
from generator.registry import REGISTRIES, Registry, with_defaults

MEMBER = "all.json"
ZIP_PATH = "json/all.json.zip"
#: Where releases made before issue 16 hold the same bytes, uncompressed.
PLAIN_PATH = "json/all.json"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


Lines = dict[str, list[tuple[str, str]]]


def dump_all(registry: Registry, memo: Any = None) -> Lines:
    """Registry → each record's (id, JSON text), in id order: serialized once for both uses.

    With a ``memo`` (``memo.Memo``) a record's text is keyed by its content hash: it shows nothing
    but the record itself (and the effective defaults, which are code).
    """
    out: Lines = {}
    for name in REGISTRIES:
        lines: list[tuple[str, str]] = []
        for record in registry.records(name):
            content = memo.record_key(record.id) if memo is not None else None
            if content is None:
                text = dumps(with_defaults(name, record.data))
            else:
                text = memo.cached(("json", content),
                                   lambda name=name, record=record: dumps(with_defaults(name, record.data)))
            lines.append((record.id, text))
        out[name] = lines
    return out


def all_json_chunks(dumped: Lines) -> list[bytes]:
    """The bytes of ``json/all.json`` in chunks that end at record boundaries (``zipped.Chunks``):
    one object of every registry, each an array with one record per line."""
    out = zipped.Chunks()
    out.add("{\n")
    for index, name in enumerate(REGISTRIES):
        out.add(("," if index else "") + f"{dumps(name)}:")
        lines = dumped[name]
        if not lines:
            out.add("[]\n")
            continue
        out.add("[\n")
        for position, (rid, text) in enumerate(lines):
            out.add(f",\n{text}" if position else text)
            out.end_record(rid)
        out.add("\n]\n")
    out.add("}\n")
    return out.chunks()


def all_json(dumped: Lines) -> bytes:
    """The bytes of ``json/all.json`` (its hash says which release, if any, these data are)."""
    return b"".join(all_json_chunks(dumped))


def write_all(out: Path, registry: Registry, dumped: Lines | None = None,
              chunks: list[bytes] | None = None, created: dt.datetime | None = None,
              memo: Any = None) -> dict[str, int]:
    """Write ``json/all.json.zip`` (one member, ``all.json``); return registry → record count."""
    dumped = dumped if dumped is not None else dump_all(registry)
    folder = out / "json"
    folder.mkdir(parents=True, exist_ok=True)
    zipped.write_bytes(out / ZIP_PATH, MEMBER, chunks if chunks is not None else all_json_chunks(dumped),
                       created, memo)
    return {name: len(dumped[name]) for name in REGISTRIES}


def read_all(path: Path) -> bytes:
    """The ``all.json`` bytes of an export or release folder: ``json/all.json.zip``, or the
    uncompressed ``json/all.json`` of releases made before issue 16."""
    if (path / ZIP_PATH).is_file():
        return zipped.read_member(path / ZIP_PATH, MEMBER)
    return (path / PLAIN_PATH).read_bytes()
