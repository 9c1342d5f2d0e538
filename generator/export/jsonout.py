"""JSON: the full nested records, as the YAML holds them (nothing flattened away), plus effective defaults.

Every value the YAML holds is written unchanged.  A field the YAML may leave
out and the model reads with a default (``status``: ``active``, see
``registry.EFFECTIVE_DEFAULTS``) is written with that effective value, so
``status == "active"`` finds every record in use in the JSON as in the
tables; the data dictionary and the README say so.  Nothing else is added.

``json/<registry>.json`` is an array of records sorted by id, one record per
line so that diffs between releases stay readable; ``json/all.json`` is an
object of every registry; ``records/<registry>/<id>.json`` is one file per
record, a static API that a page or script can fetch by id.
"""

from __future__ import annotations

import hashlib
import json
import os
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


def write_registries(out: Path, registry: Registry, dumped: Lines | None = None,
                     everything: bytes | None = None) -> dict[str, int]:
    """Write ``json/<registry>.json`` and ``json/all.json``; return registry → record count."""
    dumped = dumped if dumped is not None else dump_all(registry)
    folder = out / "json"
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name in REGISTRIES:
        lines = dumped[name]
        counts[name] = len(lines)
        (folder / f"{name}.json").write_text(_array(lines) + "\n", encoding="utf-8", newline="\n")
    (folder / "all.json").write_bytes(everything if everything is not None else all_json(dumped))
    return counts


def write_records(out: Path, registry: Registry, dumped: Lines | None = None) -> tuple[int, int, dict[str, str]]:
    """Write ``records/<registry>/<id>.json``; return (files, bytes, path → SHA-256).

    The hashes are taken while the bytes are in memory (re-reading 100k small
    files for SHA256SUMS costs more than hashing them here).  Files are
    created relative to an open directory descriptor: at 100k records, path
    resolution is a measurable part of the cost.
    """
    dumped = dumped if dumped is not None else dump_all(registry)
    files = size = 0
    sums: dict[str, str] = {}
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for name in REGISTRIES:
        folder = out / "records" / name
        folder.mkdir(parents=True, exist_ok=True)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            for record, line in zip(registry.records(name), dumped[name], strict=True):
                data = (line + "\n").encode("utf-8")
                fd = os.open(f"{record.id}.json", flags, 0o644, dir_fd=dir_fd)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
                sums[f"records/{name}/{record.id}.json"] = hashlib.sha256(data).hexdigest()
                files += 1
                size += len(data)
        finally:
            os.close(dir_fd)
    return files, size, sums
