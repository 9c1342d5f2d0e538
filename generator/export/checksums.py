"""SHA-256 of files, and the ``SHA256SUMS`` file (``sha256sum -c`` compatible)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_sums(root: Path, name: str = "SHA256SUMS", known: dict[str, str] | None = None) -> dict[str, str]:
    """Hash every file under ``root`` (except the sums file), sorted by path; return path → hash.

    ``known`` holds hashes computed while writing (path relative to ``root`` → hex digest).
    """
    sums: dict[str, str] = {}
    known = known or {}
    # os.walk on strings, not Path.rglob: at 100k per-record files pathlib's overhead is seconds of CPU.
    base = str(root)
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        prefix = os.path.relpath(folder, base).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for entry in names:
            rel = prefix + entry
            if rel == name:
                continue
            full = os.path.join(folder, entry)
            if not os.path.isfile(full):
                continue
            sums[rel] = known.get(rel) or sha256_file(Path(full))
    text = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items()))
    (root / name).write_text(text, encoding="utf-8", newline="\n")
    return sums
