"""JSON: the full nested records, exactly as the YAML holds them (nothing flattened away).

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

from generator.registry import REGISTRIES, Registry


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _array(lines: list[str]) -> str:
    if not lines:
        return "[]"
    return "[\n" + ",\n".join(lines) + "\n]"


def write_all(out: Path, registry: Registry, sums: dict[str, str]) -> tuple[dict[str, int], int, int]:
    """Write ``json/<registry>.json``, ``json/all.json`` and ``records/<registry>/<id>.json``.

    Each record is encoded once (compact, C encoder) and that text goes into
    all three files.  The per-record files' SHA-256 are added to ``sums``
    while the bytes are in memory (re-reading 100k small files costs more
    than hashing them).  Returns (registry → count, record files, their bytes).
    Files are created relative to an open directory descriptor: at 100k
    records, path resolution is a measurable part of the cost.
    """
    folder = out / "json"
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files = size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    with (folder / "all.json").open("w", encoding="utf-8", newline="\n") as everything:
        everything.write("{\n")
        for index, name in enumerate(REGISTRIES):
            records_dir = out / "records" / name
            records_dir.mkdir(parents=True, exist_ok=True)
            lines: list[str] = []
            dir_fd = os.open(records_dir, os.O_RDONLY)
            try:
                for record in registry.records(name):
                    line = dumps(record.data)
                    lines.append(line)
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
            counts[name] = len(lines)
            body = _array(lines)
            (folder / f"{name}.json").write_text(body + "\n", encoding="utf-8", newline="\n")
            everything.write(("," if index else "") + f"{dumps(name)}:{body}\n")
        everything.write("}\n")
    return counts, files, size
