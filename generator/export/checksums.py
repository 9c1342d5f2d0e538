"""SHA-256 of files, and the ``SHA256SUMS`` file (``sha256sum -c`` compatible)."""

from __future__ import annotations

import hashlib
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
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != name:
            sums[rel] = known.get(rel) or sha256_file(path)
    text = "".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items()))
    (root / name).write_text(text, encoding="utf-8", newline="\n")
    return sums
