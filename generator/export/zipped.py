"""Deterministic zip archives for the bulk downloads (``hsds.zip``, ``hubdir.sqlite.zip``, the workbook …).

A zip entry carries a local time and the writer's platform; both are fixed
here (the package's timestamp, Unix permissions 0644) so two exports of the
same data are byte-identical, as every other file of the package is.  Zip
rather than gzip: every desktop opens it with a double-click (Windows 10
cannot open ``.gz``), and pandas, DuckDB, Frictionless and GDAL read it.

Incremental (issue 16): a member is deflated in *chunks*, each by a fresh
compressor ending in a sync flush, and the chunks' outputs are concatenated
(then one empty final block).  That is an ordinary deflate stream every
reader opens, and a chunk's compressed bytes depend on that chunk's bytes
alone, so a second export takes the chunks it already compressed from the
memo (``memo.Memo``) and deflates only those an edit changed.  Chunks end
at record boundaries chosen by the record's id (``cuts_after``), not by
count, so adding or deleting a record changes one chunk, not every later
one.  A clean export writes the same chunks, hence the same bytes.  The
CRC-32 of a member is combined from its chunks' (``crc_combine``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: zlib level: 6 is within 4% of 9 on these files at a fifth of its CPU, and 20% smaller than 1.
LEVEL = 6
#: On average one record in this many ends a chunk (a chunk is then some 0.4–2 MB of text; each starts
#: without a dictionary, so smaller chunks compress worse: 256 made the 20k data/ 0.45 MB larger, while
#: an edit re-deflates one chunk per member either way, a few milliseconds).
SPAN = 1024
#: A binary file (the SQLite database) is cut every this many bytes.
FILE_CHUNK = 1024 * 1024
#: Chunks smaller than this are deflated again rather than looked up (not worth a memo entry).
MEMO_MIN = 4096
#: Sizes and offsets from this on need the zip64 extensions (a module constant so a test can lower it).
ZIP64_LIMIT = 0xFFFFFFFF
#: The value of a zip field that the zip64 extra field holds instead.
_MAX = 0xFFFFFFFF
#: The final empty block that ends a stream of sync-flushed chunks (what ``compressobj().flush()`` gives).
_END = b"\x03\x00"


def stamp(created: dt.datetime | None) -> tuple[int, int, int, int, int, int]:
    """The zip date of ``created`` (UTC; zip cannot store dates before 1980)."""
    moment = (created or dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).astimezone(dt.UTC)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


def cuts_after(key: str, span: int | None = None) -> bool:
    """Whether the record with id ``key`` ends a chunk (about one in ``span``, by default ``SPAN``:
    read at each call, which a test lowers; decided by the id alone)."""
    span = span or SPAN
    known = _CUTS.get(span)
    if known is None:
        known = _CUTS[span] = {}
    found = known.get(key)
    if found is None:
        found = known[key] = zlib.crc32(key.encode("utf-8", "surrogatepass")) % span == 0
    return found


#: ``cuts_after`` of the ids seen, by span (each id is asked once per table of every format: half a
#: million times at 100,000 records, so no tuple is made per question).
_CUTS: dict[int, dict[str, bool]] = {}


def groups(items: Iterable[T], ident: Callable[[T], str], span: int | None = None) -> Iterator[list[T]]:
    """``items`` in runs, each ending with an item whose id ``cuts_after`` (the last run: the rest)."""
    run: list[T] = []
    for item in items:
        run.append(item)
        if cuts_after(ident(item), span):
            yield run
            run = []
    if run:
        yield run


@dataclass(frozen=True)
class Piece:
    """One chunk deflated on its own: the compressed bytes, and the CRC-32 and length of the chunk."""

    data: bytes
    crc: int
    size: int


def deflate(chunk: bytes, level: int = LEVEL) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)


def piece(chunk: bytes, level: int = LEVEL, memo: Any = None) -> Piece:
    """``chunk`` deflated, taken from ``memo`` (keyed by the chunk's bytes) when it was before."""
    crc = zlib.crc32(chunk)
    if memo is None or len(chunk) < MEMO_MIN:
        return Piece(deflate(chunk, level), crc, len(chunk))
    key = ("deflate", level, hashlib.sha256(chunk).digest())
    return Piece(memo.cached(key, lambda: deflate(chunk, level)), crc, len(chunk))


def pieces(chunks: Iterable[bytes], level: int = LEVEL, memo: Any = None) -> Iterator[Piece]:
    for chunk in chunks:
        yield piece(chunk, level, memo)


def crc_combine(crc1: int, crc2: int, size2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc32(a)``, ``crc32(b)`` and ``len(b)``.

    The CRC is affine over GF(2): ``crc32(a + b) = Z(crc32(a)) ^ crc32(b)``, where ``Z`` (what
    ``len(b)`` zero bytes do to a CRC: ``crc32(zeros, c) ^ crc32(zeros)``) is linear.  ``Z`` is
    applied as the product of its powers of two (``_shift``), some twenty table lookups, not a
    pass over ``len(b)`` zero bytes (2,000 members' chunks, 0.3 CPU-s at 100,000 records).
    """
    crc, bit = crc1, 0
    while size2:
        if size2 & 1:
            t0, t1, t2, t3 = _shift(bit)
            crc = t0[crc & 0xFF] ^ t1[(crc >> 8) & 0xFF] ^ t2[(crc >> 16) & 0xFF] ^ t3[crc >> 24]
        size2 >>= 1
        bit += 1
    return crc ^ crc2


#: ``_shift(k)``: ``Z`` of 2**k zero bytes as four tables, one per byte of the CRC it is applied to.
_SHIFTS: list[tuple[list[int], ...]] = []


def _shift(k: int) -> tuple[list[int], ...]:
    while len(_SHIFTS) <= k:
        if not _SHIFTS:  # one zero byte: the images of the 32 unit vectors
            columns = [zlib.crc32(b"\0", 1 << i) ^ zlib.crc32(b"\0", 0) for i in range(32)]
        else:  # Z(2n) = Z(n) applied twice
            t0, t1, t2, t3 = _SHIFTS[-1]
            columns = []
            for i in range(32):
                c = 1 << i
                for _ in range(2):
                    c = t0[c & 0xFF] ^ t1[(c >> 8) & 0xFF] ^ t2[(c >> 16) & 0xFF] ^ t3[c >> 24]
                columns.append(c)
        tables = []
        for part in range(4):
            table = [0] * 256
            for byte in range(1, 256):
                low = byte & -byte
                table[byte] = table[byte ^ low] ^ columns[8 * part + low.bit_length() - 1]
            tables.append(table)
        _SHIFTS.append(tuple(tables))
    return _SHIFTS[k]


def _dos(created: dt.datetime | None) -> tuple[int, int]:
    year, month, day, hour, minute, second = stamp(created)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


def write_zip(path: Path, members: Iterable[tuple[str, Iterable[Piece]]], created: dt.datetime | None) -> None:
    """Write ``path``: each member's pieces in order, deflated, with fixed dates and permissions.

    The zip is written here rather than by ``zipfile`` because its members are streams of chunks
    deflated beforehand (``zipfile`` compresses what it is given itself).
    """
    time_, date = _dos(created)
    central: list[bytes] = []
    with path.open("wb") as out:
        offset = 0
        for name, parts in members:
            crc, size, data = 0, 0, [p for p in parts]
            for p in data:
                crc = crc_combine(crc, p.crc, p.size) if size else p.crc
                size += p.size
            compressed = sum(len(p.data) for p in data) + len(_END)
            raw = name.encode("utf-8")
            flags = 0 if raw.isascii() else 0x800
            big = size >= ZIP64_LIMIT or compressed >= ZIP64_LIMIT
            version = 45 if big else 20
            local_extra = struct.pack("<HHQQ", 1, 16, size, compressed) if big else b""
            out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, flags, zipfile.ZIP_DEFLATED, time_,
                                  date, crc, _MAX if big else compressed, _MAX if big else size,
                                  len(raw), len(local_extra)))
            out.write(raw)
            out.write(local_extra)
            for p in data:
                out.write(p.data)
            out.write(_END)
            wide = [v for v in (size, compressed, offset) if big or offset >= ZIP64_LIMIT]
            if offset >= ZIP64_LIMIT:
                version = 45
            extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
            central.append(struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version, flags, zipfile.ZIP_DEFLATED, time_, date,
                crc, _MAX if wide else compressed, _MAX if wide else size, len(raw), len(extra), 0,
                0, 0, 0o644 << 16, _MAX if wide else offset,
            ) + raw + extra)
            offset += 30 + len(raw) + len(local_extra) + compressed
        directory = b"".join(central)
        out.write(directory)
        count = len(central)
        if offset >= ZIP64_LIMIT or count >= 0xFFFF:
            out.write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory),
                                  offset))
            out.write(struct.pack("<4sIQI", b"PK\x06\x07", 0, offset + len(directory), 1))
            out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
        else:
            out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0))


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)
