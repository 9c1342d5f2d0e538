"""Search: a sharded static index of names, pinyin and text, written at build time.

Why not Pagefind or lunr: both keep one entry per page in a file every query
downloads (lunr: the whole index; Pagefind: its page list), so a query's bytes
grow with the directory.  Measured at 100k records Pagefind fetched 976 KB and
answered after 9.9 s, and indexing took 6 GB of memory.  Here a query fetches
only what its own words need:

* ``search/i/meta.json`` — a few hundred bytes: sizes, labels, a version;
* ``search/i/k/<n>.json`` — key shards: a key (a Chinese character pair, a
  single character of a name, or a 2–4 letter prefix of the pinyin / initials /
  English words of a name) hashes (FNV-1a) to one shard, which maps the key to
  two posting lists: the documents whose *name or alias* has it, and the
  documents whose *text* has it (name, aliases, kind, place, services, target
  groups, address, description);
* ``search/i/d/<n>.json`` — document shards of ``DOCS_PER_SHARD`` documents in
  rank order, holding what a result shows and what the browser needs to check
  a candidate (names, aliases, the pinyin syllables).

Posting lists are sorted document numbers stored in the shorter of two forms:
a gap list (a negative number extends the previous document into a run) or a
base64 bitmap, so a key shared by every women's home costs at most N/8 bytes.
The browser (``assets/hubdir.js``) intersects the lists of a query's keys as
bitsets, shows name matches before text matches, both in document order
(active before inactive; towns, then hubs, youth centers, women's homes,
social organizations, villages/communities), and fetches document shards only
for the results it shows.  ``find`` below is the same algorithm in Python; the
tests hold the two to each other through a real browser.

Pinyin is made per character with a two/three-character phrase lookup, not by
segmenting every name: segmenting costs ~0.3 ms a name (30 s at 100k records)
and place names are rarely in the segmenter's dictionary anyway.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from generator.site.model import SiteModel, record_path

#: Where the index lives under the site root (both languages use the one index).
INDEX_DIR = "search/i"
DOCS_PER_SHARD = 64
#: Aim for key shards of about this many bytes; a query fetches one shard per key.
SHARD_TARGET = 8192
#: Prefix lengths indexed for latin keys (pinyin, initials, English words); a query uses its first four letters.
LATIN_KEY_LENGTHS = (2, 3, 4)  # latin_keys() slices these three
FORMAT = 1

#: Chinese characters, the supplementary planes included: rare place-name characters live there.
_HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN = re.compile(f"[{_HAN_CHARS}]+")
_LATIN = re.compile(r"[a-z0-9]+")
#: Document groups in rank order (areas above and below the organizations: a town is what people type first).
_GROUP = {
    **{level: 0 for level in ("province", "city", "district", "town")},
    **{"hubs": 1, "youth_centers": 2, "womens_homes": 3, "social_orgs": 4},
}
_LAST_GROUP = 5

# -- text → keys ---------------------------------------------------------------


@cache
def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL))


def syllables(text: str) -> list[str]:
    """Pinyin syllables of the Chinese characters of ``text`` (a two/three-character phrase table first)."""
    out: list[str] = []
    for run in _HAN.findall(text):
        i = 0
        while i < len(run):
            for size in (3, 2, 1):
                chunk = run[i : i + size]
                if size == 1 or (len(chunk) == size and chunk in PHRASES_DICT):
                    out.extend(_phrase(chunk))
                    i += size
                    break
    return out


def normalize(text: str) -> str:
    """What both the index and the query see: NFKC (full-width letters become ASCII), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def latin_forms(names: Iterable[str]) -> list[str]:
    """Space-separated latin token sequences of names: their pinyin, and their own latin words."""
    forms: dict[str, None] = {}
    for name in names:
        text = normalize(name)
        for tokens in (syllables(text), _LATIN.findall(text)):
            if tokens:
                forms.setdefault(" ".join(tokens))
    return list(forms)


def latin_keys(forms: Iterable[str]) -> set[str]:
    """2–4 letter prefixes of the pinyin and of the initials, starting at every token of every form."""
    keys: set[str] = set()
    for form in forms:
        tokens = form.split(" ")
        for i in range(len(tokens)):
            full = "".join(tokens[i : i + 4])
            initials = "".join([t[0] for t in tokens[i : i + 4]])
            keys.update((full[:2], full[:3], full[:4], initials[:2], initials[:3], initials[:4]))
    shortest = LATIN_KEY_LENGTHS[0]
    return {key for key in keys if len(key) >= shortest}


def han_keys(text: str, *, singles: bool) -> set[str]:
    """Neighbouring character pairs of every run of Chinese characters (and the characters themselves)."""
    keys: set[str] = set()
    for run in _HAN.findall(text):
        keys.update(map(str.__add__, run, run[1:]))
        if singles or len(run) == 1:
            keys.update(run)
    return keys


def query_terms(query: str) -> list[tuple[str, str]]:
    """A query's terms: (``"han"``, run of Chinese characters) or (``"latin"``, letters/digits of 2+)."""
    terms: list[tuple[str, str]] = []
    for match in re.finditer(f"[{_HAN_CHARS}]+|[a-z0-9]+", normalize(query)):
        word = match.group()
        if _HAN.fullmatch(word):
            terms.append(("han", word))
        elif len(word) >= 2:
            terms.append(("latin", word))
    return terms


def shard_of(key: str, shards: int) -> int:
    """FNV-1a (32 bit) of the key's UTF-8 bytes, modulo the shard count; ``hubdir.js`` computes the same."""
    h = 0x811C9DC5
    for byte in key.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % shards


# -- posting lists ----------------------------------------------------------------


def encode(docs: list[int], total: int) -> str:
    """JSON of the shorter form: a gap list (runs as negative extensions) or a base64 bitmap of ``total`` bits."""
    gaps: list[int] = []
    end = 0  # one past the last document written
    for doc in docs:
        if gaps and doc == end:  # extends the previous document into a run
            if gaps[-1] < 0:
                gaps[-1] -= 1
            else:
                gaps.append(-1)
        else:
            gaps.append(doc - end)
        end = doc + 1
    text = json.dumps(gaps, separators=(",", ":"))
    words = (total + 31) // 32
    if len(text) <= (words * 4 + 2) // 3 * 4 + 2:
        return text
    bits = bytearray(words * 4)
    for doc in docs:
        bits[doc >> 3] |= 1 << (doc & 7)
    return '"' + base64.b64encode(bytes(bits)).decode("ascii") + '"'


def decode(value: str | list[int] | int) -> list[int]:
    """Sorted document numbers from either form (``0``: the empty list)."""
    if isinstance(value, str):
        raw = base64.b64decode(value)
        return [i * 8 + b for i, byte in enumerate(raw) for b in range(8) if byte >> b & 1]
    if not value:
        return []
    out: list[int] = []
    end = 0
    for gap in value:  # type: ignore[union-attr]
        if gap < 0:
            out.extend(range(end, end - gap))
            end -= gap
        else:
            out.append(end + gap)
            end += gap + 1
    return out


# -- documents ----------------------------------------------------------------------


@dataclass
class Doc:
    """One search result: what is shown and what a candidate is checked against (``row``), and its words."""

    rank: tuple[int, int, str]
    row: list[Any]
    names: list[str]
    text: list[str]

    def keys(self) -> tuple[set[str], set[str]]:
        """(name keys, text-only keys); made one document at a time so the sets never pile up."""
        name_keys = latin_keys(self.row[8])
        for name in self.names:
            name_keys |= han_keys(normalize(name), singles=True)
        return name_keys, han_keys(normalize(" ".join(self.text)), singles=False) - name_keys


class _Places:
    """"Town · village" of a division in both languages, computed once per division."""

    def __init__(self, model: SiteModel) -> None:
        self.model = model
        self.cache: dict[str, tuple[str, str]] = {}

    def __call__(self, code: str) -> tuple[str, str]:
        if code not in self.cache:
            geo = self.model.registry.geo  # every level below the root, top down
            self.cache[code] = (geo.path_label(code, "zh"), geo.path_label(code, "en"))
        return self.cache[code]


def documents(model: SiteModel, kind_index: dict[str, int]) -> Iterator[Doc]:
    """A document per record page and per area page."""
    labels = model.labels
    places = _Places(model)
    for record in model.registry.all():
        if record.registry == "divisions":
            level = str(record.get("level"))
            kind = f"area:{level}"
            group = _GROUP.get(level, _LAST_GROUP)
            path = f"area/{record.id}/"
            names = [record.name, *(str(a) for a in [record.get("short_name")] if a)]
            place, place_en = places(str(record.get("parent"))) if level == "village" else ("", "")
            text = [record.name, place]
        else:
            found = model.kind_of(record)
            kind = found.code if found else record.registry
            group = _GROUP.get(record.registry, _LAST_GROUP)
            path = record_path(record)
            names = [record.name, *(str(a) for a in record.get("aliases") or [])]
            place, place_en = places(record.division)
            text = [
                *names,
                model.kind_label(record, "zh"),
                place,
                *(labels.enum("services", s, "zh") for s in record.get("services") or []),
                *(labels.enum("target_groups", g, "zh") for g in record.get("target_groups") or []),
                str(record.get("address") or ""),
                str(record.get("description") or ""),
            ]
        names = list(dict.fromkeys(names))
        name_en = str(record.get("name_en") or "")
        status = "" if record.active else record.status
        row = [path, record.name, name_en, kind_index.setdefault(kind, len(kind_index)), status, place, place_en,
               names[1:], latin_forms([*names, name_en])]
        yield Doc((0 if record.active else 1, group, record.id), row, names, text)


def _kind_labels(model: SiteModel, kinds: dict[str, int]) -> list[list[str]]:
    out = [["", ""]] * len(kinds)
    for code, i in kinds.items():
        if code.startswith("area:"):
            level = code[5:]
            out[i] = [model.labels.enum("level", level, "zh"), model.labels.enum("level", level, "en")]
        else:
            kind = next((k for k in model.kinds if k.code == code), None)
            out[i] = [kind.label("zh"), kind.label("en")] if kind else [code, code]
    return out


def write(model: SiteModel, site_dir: Path) -> None:
    """Write the index under ``site_dir/search/i``; deterministic (same registry, same bytes)."""
    kind_index: dict[str, int] = {}
    docs = sorted(documents(model, kind_index), key=lambda d: d.rank)
    total = len(docs)
    names: dict[str, list[int]] = {}
    texts: dict[str, list[int]] = {}
    for number, doc in enumerate(docs):
        name_keys, text_keys = doc.keys()
        for key in name_keys:
            names.setdefault(key, []).append(number)
        for key in text_keys:
            texts.setdefault(key, []).append(number)
    # Each key: [documents with it in a name or alias, documents with it anywhere] as JSON, the second
    # as 0 when it is the same list (names are text too, so a query needs one list per key and space).
    entries: list[tuple[str, str]] = []
    size = 0
    for key in sorted(names.keys() | texts.keys()):
        in_name, in_text = names.get(key, []), texts.get(key)
        first = encode(in_name, total) if in_name else "0"
        second = encode(sorted(in_text + in_name), total) if in_text else "0"
        entry = f"{json.dumps(key, ensure_ascii=False)}:[{first},{second}]"
        entries.append((key, entry))
        size += len(entry.encode("utf-8")) + 1
    shards = max(1, math.ceil(size / SHARD_TARGET))
    root = site_dir / INDEX_DIR
    (root / "k").mkdir(parents=True, exist_ok=True)
    (root / "d").mkdir(parents=True, exist_ok=True)
    buckets: list[list[str]] = [[] for _ in range(shards)]
    for key, entry in entries:
        buckets[shard_of(key, shards)].append(entry)
    digest = hashlib.sha256()
    for i, bucket in enumerate(buckets):
        _write(root / "k" / f"{i}.json", "{" + ",".join(bucket) + "}", digest)
    doc_shards = math.ceil(total / DOCS_PER_SHARD)
    for i in range(doc_shards):
        rows = [d.row for d in docs[i * DOCS_PER_SHARD : (i + 1) * DOCS_PER_SHARD]]
        _write(root / "d" / f"{i}.json", _json(rows), digest)
    meta = {
        "format": FORMAT,
        "version": digest.hexdigest()[:12],
        "docs": total,
        "key_shards": shards,
        "docs_per_shard": DOCS_PER_SHARD,
        "kinds": _kind_labels(model, kind_index),
        "status": {
            code: [model.labels.enum("status", code, "zh"), model.labels.enum("status", code, "en")]
            for code in sorted({str(d.row[4]) for d in docs if d.row[4]})
        },
    }
    _write(root / "meta.json", _json(meta), None)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _write(path: Path, text: str, digest: Any) -> None:
    data = text.encode("utf-8")
    if digest is not None:
        digest.update(data)
    path.write_bytes(data)


# -- the query side (hubdir.js does the same in the browser; this one lets tests read the index) --------


def _matches_latin(word: str, forms: list[str]) -> bool:
    for form in forms:
        tokens = form.split(" ")
        for i in range(len(tokens)):
            if "".join(tokens[i:]).startswith(word) or "".join(t[0] for t in tokens[i:]).startswith(word):
                return True
    return False


def find(index_dir: Path, query: str) -> list[str]:
    """Result paths for ``query`` in the order the browser shows them (name matches first)."""
    meta = json.loads((index_dir / "meta.json").read_text("utf-8"))
    terms = query_terms(query)
    if not terms:
        return []
    total = meta["docs"]
    every = set(range(total))
    in_name, in_text = set(every), set(every)
    for kind, word in terms:
        if kind == "latin":
            keys = [word[: max(LATIN_KEY_LENGTHS)]]
        elif len(word) == 1:
            keys = [word]
        else:
            keys = [word[i : i + 2] for i in range(len(word) - 1)]
        for key in keys:
            shard = json.loads((index_dir / "k" / f"{shard_of(key, meta['key_shards'])}.json").read_text("utf-8"))
            value = shard.get(key, [0, 0])
            name_docs = set(decode(value[0]))
            in_name &= name_docs
            in_text &= name_docs if value[1] == 0 else set(decode(value[1]))
    rows: dict[int, list[Any]] = {}

    def row(n: int) -> list[Any]:
        shard = n // meta["docs_per_shard"]
        if n not in rows:
            data = json.loads((index_dir / "d" / f"{shard}.json").read_text("utf-8"))
            for j, r in enumerate(data):
                rows[shard * meta["docs_per_shard"] + j] = r
        return rows[n]

    def verified(n: int) -> bool | None:
        """True: every term is in a name; False: a latin term is not really there; None: a text match."""
        r = row(n)
        names = [normalize(r[1]), *(normalize(a) for a in r[7])]
        whole = True
        for kind, word in terms:
            if kind == "latin":
                if not _matches_latin(word, r[8]):
                    return False
            elif not any(word in name for name in names):
                whole = False
        return True if whole else None

    first, deferred = [], set()
    for n in sorted(in_name):
        v = verified(n)
        if v:
            first.append(n)
        elif v is None:
            deferred.add(n)
    second = [n for n in sorted(deferred | (in_text - in_name)) if verified(n) is not False]
    return [row(n)[0] for n in first + second]
