"""Deterministic zip archives for the bulk downloads (``hsds.zip``, ``hubdir.sqlite.zip`` …).

A zip entry carries a local time and the writer's platform; both are fixed
here (the package's timestamp, Unix permissions 0644) so two exports of the
same data are byte-identical, as every other file of the package is.  Zip
rather than gzip: every desktop opens it with a double-click (Windows 10
cannot open ``.gz``), and pandas, DuckDB, Frictionless and GDAL read it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

#: zlib level: 6 is within 4% of 9 on these files at a fifth of its CPU, and 20% smaller than 1.
LEVEL = 6
CHUNK = 1024 * 1024


def stamp(created: dt.datetime | None) -> tuple[int, int, int, int, int, int]:
    """The zip date of ``created`` (UTC; zip cannot store dates before 1980)."""
    moment = (created or dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).astimezone(dt.UTC)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


def entry(name: str, created: dt.datetime | None, level: int = LEVEL) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp(created))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = level  # type: ignore[attr-defined]  # a ZipInfo keeps its own level (3.13: compress_level)
    info.external_attr = 0o644 << 16
    info.create_system = 0
    return info


def write_bytes(path: Path, name: str, data: bytes, created: dt.datetime | None) -> None:
    """``path`` = a zip of one member ``name`` holding ``data``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.writestr(entry(name, created), data)


def write_file(path: Path, source: Path, created: dt.datetime | None) -> None:
    """``path`` = a zip of ``source`` (under its own name), streamed (a province's database is large)."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        source.open("rb") as handle,
        archive.open(entry(source.name, created), "w", force_zip64=True) as out,
    ):
        shutil.copyfileobj(handle, out, CHUNK)


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)
