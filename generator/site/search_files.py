"""The search index's files, written so that a second build rewrites only the shards that change.

Why: at 100k records the index is ~7,000 files.  Recomputing every posting list and rewriting and
re-hashing every shard after a one-record edit cost 13.6 s, though such an edit changes a few
shards.  What ``search.py`` decides (documents, their keys, the formats) is untouched; this module
keeps, per build, what the next one needs to change only what moved (``Index``):

* the documents in document order (their memo keys) and each key's two encoded posting lists;
* per key shard the keys it holds, in file order, and the bytes' total (it fixes the shard count);
* every file's sha256.

A document whose number is unchanged and whose memo key is unchanged has the same keys and row, so
only the keys of documents that changed or moved (an edited name moves its document among its
neighbours) get new posting lists; a key shard is rebuilt when one of its entries changed, a
document shard when one of its documents did.  Everything else is the previous build's file, taken
through ``reuse`` (the incremental cache links it and keeps its manifest entry).  When the
numbering moves for many documents (an addition or deletion near the front), the bitmaps change
length, or the shard count changes, every posting list is made again, and still only the files
whose bytes differ are written.  Either way the files are the bytes of a clean build.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import marshal
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.site.search import (
    BITS,
    DOCS_PER_SHARD,
    INDEX_DIR,
    SHARD_TARGET,
    Doc,
    Memo,
    _json,
    _pinyin_table,
    bucket,
    decode,
    encode,
    shard_of,
)

#: ``reuse(rel, sha256)``: the previous build's file ``rel`` (relative to the site), whose bytes had
#: this digest, is the new site's file too (the incremental cache keeps it where it is, with its
#: manifest entry); ``False`` when it cannot be (then the file is written).
Reuse = Callable[[str, str], bool]
#: Per key shard: its posting keys, then its place keys, each sorted (the order of the file's entries).
Buckets = list[tuple[list[str], list[str]]]
#: Above this share of the documents changed or moved, posting lists are made from scratch.
INCREMENTAL_SHARE = 8


@dataclass
class Index:
    """What one build of the index leaves for the next (pickled in the cache as a side file)."""

    #: Document memo (``search.documents``): memo key → what the document was.
    docs: Memo = field(default_factory=Memo)
    #: The memo key of every document, by document number ("" for a document made without one).
    order: list[str] = field(default_factory=list)
    #: The kind numbers of the rows (``row[3]``), in the order ``search.documents`` gave them.
    kinds: dict[str, int] = field(default_factory=dict)
    #: Key → (names posting list, all posting list), encoded as in the shard ("0": none).
    postings: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Place dictionary key → its entry text.
    places: dict[str, str] = field(default_factory=dict)
    #: Per key shard: its posting keys and then its place keys, each sorted (the file's order).
    buckets: Buckets = field(default_factory=list)
    #: Bytes of all key shard entries (with their commas), which fixes the shard count.
    size: int = 0
    #: Site-relative path → sha256 of every file of the index.
    files: dict[str, str] = field(default_factory=dict)
    #: The files this build wrote (the others were the previous build's).
    written: list[str] = field(default_factory=list)
    pinyin_shards: int = 0

    def __getstate__(self) -> dict[str, Any]:
        # marshal, not pickle, for the plain containers: a third of the time to write and read them
        plain = {name: getattr(self, name) for name in _PLAIN}
        return {**self.__dict__, **{name: marshal.dumps(value) for name, value in plain.items()}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({**state, **{name: marshal.loads(state[name]) for name in _PLAIN}})

    def version(self) -> str:
        """``meta.json``'s version: of the shards' digests in file order (the shards' URLs carry it)."""
        digest = hashlib.sha256()
        for part in ("k", "d", "p"):
            prefix = f"{INDEX_DIR}/{part}/"
            count = sum(1 for rel in self.files if rel.startswith(prefix))
            for i in range(count):
                digest.update(self.files[f"{prefix}{i}.json"].encode("ascii"))
        return digest.hexdigest()[:12]


#: The fields of ``Index`` stored with ``marshal`` (strings, numbers, lists, tuples and dicts of them).
_PLAIN = ("order", "kinds", "postings", "places", "buckets", "files")


class _Out:
    """Each file either taken from the previous build (same digest) or written; digests recorded."""

    def __init__(self, site: Path, index: Index, previous: Index | None, reuse: Reuse | None) -> None:
        self.site = site
        self.index = index
        self.old = previous.files if previous is not None else {}
        self.reuse = reuse

    def put(self, rel: str, text: str) -> None:
        """A file whose bytes are known: the previous file when they are the same."""
        data = text.encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        if not (self.old.get(rel) == sha and self.reuse is not None and self.reuse(rel, sha)):
            self._write(rel, data)
        self.index.files[rel] = sha

    def keep(self, rel: str, make: Callable[[], str]) -> None:
        """A file known unchanged: the previous one, or ``make()`` when it cannot be taken."""
        sha = self.old.get(rel)
        if sha is not None and self.reuse is not None and self.reuse(rel, sha):
            self.index.files[rel] = sha
            return
        data = make().encode("utf-8")
        self._write(rel, data)
        self.index.files[rel] = hashlib.sha256(data).hexdigest()

    def _write(self, rel: str, data: bytes) -> None:
        (self.site / rel).write_bytes(data)
        self.index.written.append(rel)


def decode_text(text: str) -> list[int]:
    """Document numbers of one encoded posting list as the shard holds it (``encode``'s output or "0")."""
    if text == "0":
        return []
    return decode(text[1:-1] if text[0] == '"' else json.loads(text))


def _entry(key: str, value: tuple[str, str]) -> str:
    return f"{_json(key)}:[{value[0]},{value[1]}]"


def _size(entry: str) -> int:
    return len(entry.encode("utf-8")) + 1


def _split(joined: bytes) -> list[str]:
    return joined.decode("utf-8").split("\0") if joined else []


def full_postings(docs: Sequence[Doc], total: int) -> dict[str, tuple[str, str]]:
    """Every key's posting lists, from every document."""
    names: defaultdict[str, list[int]] = defaultdict(list)
    texts: defaultdict[str, list[int]] = defaultdict(list)
    for number, doc in enumerate(docs):
        name_keys, text_keys = doc.keys()
        for key in name_keys:
            names[key].append(number)
        for key in text_keys:
            texts[key].append(number)
    made: dict[tuple[int, ...], str] = {}

    def encoded(numbers: list[int]) -> str:
        """``encode``, once per distinct long list: half the long lists' documents are in lists that
        other keys have too (示例 → shi, sh, shl, sl… of every name that starts with it)."""
        if len(numbers) <= _ALONE:
            return encode(numbers, total)
        whole = tuple(numbers)
        text = made.get(whole)
        if text is None:
            text = made[whole] = encode(numbers, total)
        return text

    out: dict[str, tuple[str, str]] = {}
    for key in names.keys() | texts.keys():
        in_name, in_text = names.get(key, []), texts.get(key)
        first = encoded(in_name) if in_name else "0"
        second = encoded(sorted(in_text + in_name)) if in_text else "0"
        out[key] = (first, second)
    return out


#: Lists up to this long are encoded each time (looking them up costs about as much).
_ALONE = 32


def changed_postings(
    previous: Index, docs: Sequence[Doc], order: list[str]
) -> tuple[dict[str, tuple[str, str]], set[str]] | None:
    """The previous posting lists with the documents that changed or moved put right, and the keys
    whose lists changed; ``None`` when that is not cheaper or not possible (then ``full_postings``)."""
    old = previous.order
    total = len(order)
    if not old or (len(old) + 31) // 32 != (total + 31) // 32 or "" in order:
        return None  # bitmaps of another length, or documents without a memo key
    moved = [n for n, (a, b) in enumerate(zip(old, order, strict=False)) if a != b]
    gone = [*moved, *range(total, len(old))]
    came = [*moved, *range(len(old), total)]
    if len(gone) + len(came) > max(64, total // INCREMENTAL_SHARE):
        return None
    old_name: defaultdict[str, list[int]] = defaultdict(list)
    old_text: defaultdict[str, list[int]] = defaultdict(list)
    for number in gone:
        known = previous.docs.known(old[number])
        if known is None:
            return None  # its keys were not remembered
        for key in _split(known[0]):
            old_name[key].append(number)
        for key in _split(known[1]):
            old_text[key].append(number)
    add_name: defaultdict[str, list[int]] = defaultdict(list)
    add_text: defaultdict[str, list[int]] = defaultdict(list)
    for number in came:
        name_keys, text_keys = docs[number].keys()
        for key in name_keys:
            add_name[key].append(number)
        for key in text_keys:
            add_text[key].append(number)
    # a key held at the same numbers before and after (a town's facet across its documents) is unchanged
    affected = {
        key
        for key in old_name.keys() | old_text.keys() | add_name.keys() | add_text.keys()
        if old_name.get(key) != add_name.get(key) or old_text.get(key) != add_text.get(key)
    }
    size = (total + 7) // 8 + 1
    kept = ~_mask_of(gone, max(len(old), total))
    postings = dict(previous.postings)
    changed: set[str] = set()
    for key in affected:
        before = previous.postings.get(key, ("0", "0"))
        in_name = _mask(before[0])
        in_all = _mask(before[1]) if before[1] != "0" else in_name
        added = _mask_of(add_name.get(key, ()), size)
        in_name = in_name & kept | added
        in_all = in_all & kept | added | _mask_of(add_text.get(key, ()), size)
        if not in_all:
            postings.pop(key, None)
        else:
            first = _encode_mask(in_name, total) if in_name else "0"
            second = _encode_mask(in_all, total) if in_all & ~in_name else "0"
            postings[key] = (first, second)
        if postings.get(key) != previous.postings.get(key):
            changed.add(key)
    return postings, changed


def _mask_of(numbers: Sequence[int], size: int) -> int:
    """Document numbers as the bits of an int (``size``: bytes enough for the largest)."""
    if not numbers:
        return 0
    bits = bytearray(max(size, (max(numbers) >> 3) + 1))
    for n in numbers:
        bits[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(bits, "little")


def _mask(text: str) -> int:
    """An encoded posting list as the bits of an int: a bitmap as it is, a gap list decoded."""
    if text == "0":
        return 0
    if text[0] == '"':
        return int.from_bytes(base64.b64decode(text[1:-1]), "little")
    docs = decode_text(text)
    return _mask_of(docs, (docs[-1] >> 3) + 1 if docs else 0)


def _encode_mask(bits: int, total: int) -> str:
    """``encode`` of the documents of ``bits``, without listing them when the bitmap must win.

    A gap list has an element per run at least, and a comma between elements, so ``2 * runs + 1``
    characters at least: above the bitmap's length it cannot be the shorter form.
    """
    words = (total + 31) // 32
    runs = (bits ^ (bits << 1)).bit_count() // 2
    if 2 * runs + 1 > (words * 4 + 2) // 3 * 4 + 2:
        return '"' + base64.b64encode(bits.to_bytes(words * 4, "little")).decode("ascii") + '"'
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    return encode([i * 8 + b for i, byte in enumerate(raw) if byte for b in BITS[byte]], total)


def _layout(postings: dict[str, tuple[str, str]], places: dict[str, str], shards: int) -> Buckets:
    buckets: Buckets = [([], []) for _ in range(shards)]
    for key in sorted(postings):
        buckets[shard_of(bucket(key), shards)][0].append(key)
    for key in sorted(places):
        buckets[shard_of(bucket(key), shards)][1].append(key)
    return buckets


def _move(buckets: Buckets, dirty: set[int], number: int, side: int, key: str, present: bool) -> None:
    """Put ``key`` into shard ``number``'s sorted keys (``side`` 0: postings, 1: places) or take it out;
    the shard's lists are copied first (the previous build's stay as they were)."""
    if number not in dirty:
        dirty.add(number)
        buckets[number] = (list(buckets[number][0]), list(buckets[number][1]))
    keys = buckets[number][side]
    at = bisect.bisect_left(keys, key)
    there = at < len(keys) and keys[at] == key
    if present and not there:
        keys.insert(at, key)
    elif there and not present:
        del keys[at]


def _pinyin_files() -> list[str]:
    table = _pinyin_table()
    shards = max(1, math.ceil(sum(len(c.encode()) + len(r) + 6 for c, r in table.items()) / SHARD_TARGET))
    readings: list[dict[str, str]] = [{} for _ in range(shards)]
    for char, reading in table.items():
        readings[shard_of(char, shards)][char] = reading
    return [_json(part) for part in readings]


def write(
    site: Path,
    docs: list[Doc],
    kinds: dict[str, int],
    places: dict[str, Any],
    memo: Memo,
    previous: Index | None = None,
    reuse: Reuse | None = None,
) -> Index:
    """Write the key, document and pinyin shards of ``docs`` (in document order) under ``site``.

    ``places`` is the place dictionary (``search.place_entries``); ``memo`` this build's document
    memo; ``previous`` what the previous build returned (its files are in the previous site, where
    ``reuse`` takes them from).  ``meta.json`` is the caller's.
    """
    total = len(docs)
    order = [d.key for d in docs]
    index = Index(docs=memo, order=order, kinds=dict(kinds))
    index.places = {key: f"{_json(key)}:{_json(value)}" for key, value in places.items()}
    out = _Out(site, index, previous, reuse)
    root = site / INDEX_DIR
    for part in ("k", "d", "p"):
        (root / part).mkdir(parents=True, exist_ok=True)

    update = changed_postings(previous, docs, order) if previous is not None else None
    entry_of: dict[str, str] = {}  # key → its shard entry, when every entry is made anyway
    if update is not None and previous is not None:
        index.postings, changed = update
        size = previous.size
        for key in changed:
            if key in previous.postings:
                size -= _size(_entry(key, previous.postings[key]))
            if key in index.postings:
                size += _size(_entry(key, index.postings[key]))
        changed_places = {
            k for k in index.places.keys() | previous.places.keys() if index.places.get(k) != previous.places.get(k)
        }
        for key in changed_places:
            size += _size(index.places[key]) if key in index.places else 0
            size -= _size(previous.places[key]) if key in previous.places else 0
        index.size = size
    else:
        index.postings = full_postings(docs, total)
        entry_of = {k: _entry(k, v) for k, v in index.postings.items()}  # once, for the size and the shards
        index.size = sum(map(_size, entry_of.values()))
        index.size += sum(_size(entry) for entry in index.places.values())
    shards = max(1, math.ceil(index.size / SHARD_TARGET))

    def text(number: int) -> str:
        names, place_keys = index.buckets[number]
        entries = [entry_of.get(k) or _entry(k, index.postings[k]) for k in names]
        entries += [index.places[k] for k in place_keys]
        return "{" + ",".join(entries) + "}"

    if update is not None and previous is not None and len(previous.buckets) == shards:
        index.buckets = list(previous.buckets)
        dirty: set[int] = set()
        for key in changed:
            _move(index.buckets, dirty, shard_of(bucket(key), shards), 0, key, key in index.postings)
        for key in changed_places:
            _move(index.buckets, dirty, shard_of(bucket(key), shards), 1, key, key in index.places)
        for number in range(shards):
            rel = f"{INDEX_DIR}/k/{number}.json"
            if number in dirty:
                out.put(rel, text(number))
            else:
                out.keep(rel, lambda number=number: text(number))  # type: ignore[misc]
    else:
        index.buckets = _layout(index.postings, index.places, shards)
        for number in range(shards):
            out.put(f"{INDEX_DIR}/k/{number}.json", text(number))

    same_rows = previous is not None and previous.kinds == kinds
    old_order = previous.order if previous is not None else []
    for number in range(math.ceil(total / DOCS_PER_SHARD)):
        start, end = number * DOCS_PER_SHARD, (number + 1) * DOCS_PER_SHARD
        rel = f"{INDEX_DIR}/d/{number}.json"

        def rows(start: int = start, end: int = end) -> str:
            return _json([d.row for d in docs[start:end]])

        if same_rows and "" not in order[start:end] and order[start:end] == old_order[start:end]:
            out.keep(rel, rows)
        else:
            out.put(rel, rows())

    known = previous.pinyin_shards if previous is not None else 0
    if known:
        made: list[str] = []

        def pinyin(number: int) -> str:
            if not made:
                made.extend(_pinyin_files())
            return made[number]

        for number in range(known):
            out.keep(f"{INDEX_DIR}/p/{number}.json", lambda number=number: pinyin(number))  # type: ignore[misc]
        index.pinyin_shards = known
    else:
        files = _pinyin_files()
        for number, part in enumerate(files):
            out.put(f"{INDEX_DIR}/p/{number}.json", part)
        index.pinyin_shards = len(files)
    return index
