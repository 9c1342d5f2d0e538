"""JSON: the full nested records, as the YAML holds them (nothing flattened away), plus effective defaults.

Every value the YAML holds is written unchanged.  A field the YAML may leave
out and the model reads with a default (``status``: ``active``, see
``registry.EFFECTIVE_DEFAULTS``) is written with that effective value, so
``status == "active"`` finds every record in use in the JSON as in the
tables; the data dictionary and the README say so.  Nothing else is added.

``json/all.json`` is one object of every registry, each an array of records
sorted by id, one record per line so that diffs between releases stay
readable.  It is the only JSON file (issue 16): the per-registry copies
duplicated it byte for byte (24 MB at 20,000 records) and the per-record
files (``records/<registry>/<id>.json``, 20,000 files and 26 MB) had no
reader; ``all.json[registry]`` is the registry's array, and the SQLite file
finds one record by id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.registry import REGISTRIES, Registry, with_defaults


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _array(lines: list[str]) -> str:
    if not lines:
        return "[]"
    return "[\n" + ",\n".join(lines) + "\n]"


Lines = dict[str, list[str]]


def dump_all(registry: Registry) -> Lines:
    """Registry → each record's JSON text, in id order: serialized once for both JSON outputs."""
    return {name: [dumps(with_defaults(name, record.data)) for record in registry.records(name)]
            for name in REGISTRIES}


def all_json(dumped: Lines) -> bytes:
    """The bytes of ``json/all.json`` (its hash says which release, if any, these data are)."""
    parts = ["{\n"]
    for index, name in enumerate(REGISTRIES):
        parts.append(("," if index else "") + f"{dumps(name)}:{_array(dumped[name])}\n")
    parts.append("}\n")
    return "".join(parts).encode("utf-8")


def write_all(out: Path, registry: Registry, dumped: Lines | None = None,
              everything: bytes | None = None) -> dict[str, int]:
    """Write ``json/all.json``; return registry → record count."""
    dumped = dumped if dumped is not None else dump_all(registry)
    folder = out / "json"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "all.json").write_bytes(everything if everything is not None else all_json(dumped))
    return {name: len(dumped[name]) for name in REGISTRIES}
