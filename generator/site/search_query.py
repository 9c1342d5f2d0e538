"""Search, the query side: how ``assets/search.js`` reads the index, in Python.

Why a Python copy: the tests and the relevance benchmark ask it what a query finds, and the
browser tests hold ``search.js`` to it result for result.  The steps (see ``search.py`` for the
index): read the query as segments (``segment``: places, kinds, services, target groups, filler
words, free text; longest match, exact before one missing or extra character), plan the tiers
(``plan``), check each candidate's row (``verify``), and when nothing matched, read the query
again by sound (荣桂 → ronggui → 容桂), then with the words it does not know left out.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.site.search import (
    _HAN,
    LATIN_KEY,
    bucket,
    decode,
    shard_of,
    stem,
    tokens,
    unpack,
)

_PHONE_QUERY = re.compile(r"^[0-9\s\-+()（）]+$")


@dataclass
class Segment:
    """A piece of the query: ``concepts`` empty for free text; ``chains`` for places."""

    surface: str
    latin: bool
    concepts: list[str]
    chains: list[list[str]] = field(default_factory=list)

    @property
    def type(self) -> str:
        return self.concepts[0][0] if self.concepts else ""


@dataclass
class Tier:
    name: str
    docs: list[int]
    verify: str  # "none" | "whole" | "names" | "free"


@dataclass
class Plan:
    """What a query was read as and the tiers of its results (before rows are checked)."""

    segments: list[Segment]
    tiers: list[Tier]
    mode: str  # "exact"; "sound": read again by pinyin; "partial": free words left out
    count: int
    exact_count: bool
    raw: list[str]


def _also(seg: Segment, chain: list[str]) -> None:
    """A second place of the same name (two villages called 新村): the segment stands for both."""
    if "p:" + chain[0] not in seg.concepts:
        seg.concepts.append("p:" + chain[0])
        seg.chains.append(chain)


def _match(chars: list[str], i: int, surface: str) -> tuple[int, bool]:
    """How many query characters from ``i`` the word covers: exactly, or with one character
    missing or one extra (never the first, never an extra last one; words of three or more)."""
    word = list(surface)
    size = len(word)
    if chars[i : i + size] == word:
        return size, True
    if size >= 3:
        window = chars[i : i + size + 1]
        if len(window) == size + 1:
            for j in range(1, size):
                if window[:j] + window[j + 1 :] == word:
                    return size + 1, False
        window = chars[i : i + size - 1]
        if len(window) == size - 1:
            for j in range(1, size):
                if word[:j] + word[j + 1 :] == window:
                    return size - 1, False
    return 0, False


class Index:
    """The index files read as the browser reads them (one shard at a time, on demand)."""

    def __init__(self, index_dir: Path) -> None:
        self.dir = index_dir
        self.meta: dict[str, Any] = json.loads((index_dir / "meta.json").read_text("utf-8"))
        pairs = list(self.meta["t2s"])
        self.t2s = {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}
        self.lex = unpack(self.meta["lex"])
        self.shards: dict[str, dict[str, Any]] = {}
        self.rows: dict[int, list[Any]] = {}
        self.fetched: list[str] = []

    def _file(self, part: str, n: int) -> dict[str, Any]:
        name = f"{part}/{n}.json"
        if name not in self.shards:
            self.fetched.append(name)
            self.shards[name] = json.loads((self.dir / name).read_text("utf-8"))
        return self.shards[name]

    def entry(self, key: str) -> Any:
        return self._file("k", shard_of(bucket(key), self.meta["key_shards"])).get(key)

    def lists(self, key: str) -> tuple[set[int], set[int]]:
        value = self.entry(key) or [0, 0]
        name = set(decode(value[0]))
        return name, (name if value[1] == 0 else set(decode(value[1])))

    def reading(self, char: str) -> str:
        return str(self._file("p", shard_of(char, self.meta["pinyin_shards"])).get(char, ""))

    def row(self, n: int) -> list[Any]:
        if n not in self.rows:
            per = self.meta["docs_per_shard"]
            shard = n // per
            data = json.loads((self.dir / "d" / f"{shard}.json").read_text("utf-8"))
            for j, r in enumerate(data):
                self.rows[shard * per + j] = r
        return self.rows[n]

    def group(self, n: int) -> int:
        found = 0
        for start, group in self.meta["groups"]:
            if start > n:
                break
            found = group
        return found


def prepare(index: Index, query: str) -> list[str]:
    text = unicodedata.normalize("NFKC", query).lower()
    text = "".join(index.t2s.get(c, c) for c in text)
    return tokens(text)


def _places_at(index: Index, head: str) -> list[list[Any]]:
    return list(index.entry("@d" + head) or [])


def segment(index: Index, toks: list[str]) -> list[Segment]:
    """Read the query's words as places, kinds, services, target groups, filler words and free text."""
    lex = index.lex
    out: list[Segment] = []
    i = 0
    while i < len(toks):
        if _HAN.fullmatch(toks[i]):
            out.extend(_segment_han(index, lex.han, toks[i]))
            i += 1
            continue
        j = i
        while j < len(toks) and not _HAN.fullmatch(toks[j]):
            j += 1
        out.extend(_segment_latin(index, lex.latin, toks[i:j]))
        i = j
    return [s for s in out if s.concepts != ["x:"]]


def _segment_han(index: Index, lex: dict[str, list[str]], text: str) -> list[Segment]:
    chars = list(text)
    out: list[Segment] = []
    free: list[str] = []
    i = 0
    while i < len(chars):
        best: tuple[int, bool] = (0, False)
        found: Segment | None = None
        for surface, concepts in lex.items():
            size, exact = _match(chars, i, surface)
            if size and (size, exact) > best and (size >= 2 or (exact and concepts == ["x:"])):
                best, found = (size, exact), Segment(surface, False, list(concepts))
        if i + 1 < len(chars):
            for surface, chain in _places_at(index, chars[i] + chars[i + 1]):
                size, exact = _match(chars, i, surface)
                if size >= 2 and (size, exact) > best:
                    best, found = (size, exact), Segment(surface, False, ["p:" + chain[0]], [chain])
                elif size >= 2 and (size, exact) == best and found is not None and found.type == "p":
                    _also(found, chain)
        if found is None:
            free.append(chars[i])
            i += 1
            continue
        if free:
            out.append(Segment("".join(free), False, []))
            free = []
        out.append(found)
        i += best[0]
    if free:
        out.append(Segment("".join(free), False, []))
    return out


def _segment_latin(index: Index, lex: dict[str, list[str]], words: list[str]) -> list[Segment]:
    stems = [stem(w) for w in words]
    out: list[Segment] = []
    t = 0
    while t < len(words):
        found: Segment | None = None
        size = 0
        for k in range(min(4, len(words) - t), 0, -1):
            phrase = " ".join(stems[t : t + k])
            if phrase in lex:
                found, size = Segment(phrase, True, list(lex[phrase])), k
                break
        for surface, chain in _places_at(index, words[t][:LATIN_KEY]):
            k = surface.count(" ") + 1
            if " ".join(stems[t : t + k]) != surface:
                continue
            if k > size:
                found, size = Segment(surface, True, ["p:" + chain[0]], [chain]), k
            elif k == size and found is not None and found.type == "p":
                _also(found, chain)
        if found is not None:
            out.append(found)
            t += size
            continue
        out.extend(_split_word(index, lex, stems[t], words[t]))
        t += 1
    return out


def _split_word(index: Index, lex: dict[str, list[str]], word: str, raw: str) -> list[Segment]:
    """rongguifulian → 容桂 + 妇联: a place at the start, then lexicon words, then free letters."""
    parts: list[Segment] = []
    pos = 0
    places = [(s, c) for s, c in _places_at(index, word[:LATIN_KEY]) if " " not in s]
    while pos < len(word):
        best: Segment | None = None
        for surface, concepts in lex.items():
            longer = best is None or len(surface) > len(best.surface)
            if longer and " " not in surface and len(surface) >= 3 and word.startswith(surface, pos):
                best = Segment(surface, True, list(concepts))
        if pos == 0:
            for surface, chain in places:
                if word.startswith(surface) and (best is None or len(surface) > len(best.surface)):
                    best = Segment(surface, True, ["p:" + chain[0]], [chain])
                elif best is not None and best.type == "p" and surface == best.surface:
                    _also(best, chain)
        if best is None:
            break
        parts.append(best)
        pos += len(best.surface)
    if parts and pos == len(word):
        return parts
    if parts and len(word) - pos >= 2:
        return [*parts, Segment(word[pos:], True, [])]
    return [Segment(raw, True, [])]


def _keys_of(surface: str, latin: bool) -> list[str]:
    if latin:
        return [surface[:LATIN_KEY]]
    chars = list(surface)
    return chars if len(chars) == 1 else [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


def plan(index: Index, toks: list[str], mode: str = "exact") -> Plan:
    """The tiers of results for a query's words (see the module docstring for their order)."""
    every = set(range(index.meta["docs"]))

    def all_of(sets: Iterable[set[int]]) -> set[int]:
        out = set(every)
        for s in sets:
            out &= s
        return out

    def name_list(key: str) -> set[int]:
        return index.lists(key)[0]

    def text_list(key: str) -> set[int]:
        return index.lists(key)[1]

    def facet(seg: Segment) -> set[int]:
        out: set[int] = set()
        for concept in seg.concepts:
            out |= name_list("@" + concept[0] + concept[2:])
        return out

    compact = "".join(toks)
    raw_keys = [k for t in toks for k in _keys_of(t, not _HAN.fullmatch(t))]
    segs = segment(index, toks)
    if mode == "partial":
        segs = [s for s in segs if s.concepts]
    tiers: list[Tier] = [Tier("exact", sorted(name_list("=" + compact)), "none")]
    joined = " ".join(toks)
    if _PHONE_QUERY.match(joined) and len(re.sub(r"\D", "", joined)) >= 5:
        tiers.append(Tier("phone", sorted(name_list("#" + re.sub(r"\D", "", joined))), "none"))
    whole = Tier("whole", sorted(all_of(name_list(k) for k in raw_keys)), "whole")
    concept_segs = [s for s in segs if s.concepts]
    free = [s for s in segs if not s.concepts]
    free_sets = [all_of(name_list(k) if s.latin else text_list(k) for k in _keys_of(s.surface, s.latin)) for s in free]
    facets = {id(s): facet(s) for s in concept_segs}
    kinds = [s for s in concept_segs if s.type == "k"]
    place = next((s for s in concept_segs if s.type == "p"), None)
    sg = [s for s in concept_segs if s.type in "sg"]
    # 鸡洲妇联 is a place and a kind, and asks for that place's federation before any name that
    # happens to contain the words (a 鸡洲妇联第10执委小组); 容桂青年义工协会 says more, and is a name.
    pure = bool(kinds) and all(s.type in ("p", "k") for s in segs)
    if not pure:
        tiers.append(whole)
    if kinds:
        tiers.append(Tier("kind", sorted(all_of([*facets.values(), *free_sets])), "free"))
        if place is not None:
            others = [facets[id(s)] for s in concept_segs if s.type != "p"]
            for code in place.chains[0][1:]:
                tiers.append(Tier("near", sorted(all_of([name_list("@e" + code), *others, *free_sets])), "free"))
    if pure:
        tiers.append(whole)
    if segs:
        name_sets = [
            facets[id(s)] if s.latin and s.concepts else all_of(name_list(k) for k in _keys_of(s.surface, s.latin))
            for s in segs
        ]
        tiers.append(Tier("names", sorted(all_of(name_sets)), "names"))
    if concept_segs and not kinds:
        docs = sorted(all_of([*facets.values(), *free_sets]))
        if sg:
            venue = {g: i for i, g in enumerate(index.meta["venue_order"])}
            active = index.meta["active"]
            docs.sort(key=lambda n: (n >= active, venue.get(index.group(n), len(venue)), n))
        tiers.append(Tier("facet", docs, "free"))
    if segs:
        text_sets = [
            facets[id(s)]
            if s.concepts and s.latin
            else all_of((name_list(k) if s.latin else text_list(k)) for k in _keys_of(s.surface, s.latin))
            for s in segs
        ]
        tiers.append(Tier("text", sorted(all_of(text_sets)), "free"))
    union: set[int] = set()
    for tier in tiers:
        union.update(tier.docs)
    exact_count = mode == "exact" and all(_HAN.fullmatch(t) for t in toks)
    return Plan(segs, tiers, mode, len(union), exact_count, toks)


def _latin_match(word: str, forms: list[str]) -> bool:
    """The letters start a name's pinyin (or initials, or English words) at some word."""
    for form in forms:
        toks = form.split(" ")
        for i in range(len(toks)):
            if "".join(toks[i:]).startswith(word) or "".join(t[0] for t in toks[i:]).startswith(word):
                return True
    return False


def verify(plan: Plan, tier: Tier, row: list[Any]) -> bool:
    """Whether a candidate of ``tier`` really matches (posting lists only say "maybe")."""
    if tier.verify == "none":
        return True
    names, forms = row[9] or [row[1], *row[7]], row[8]
    if tier.verify == "whole":
        for tok in plan.raw:
            if _HAN.fullmatch(tok):
                if not any(tok in n for n in names):
                    return False
            elif not _latin_match(tok, forms):
                return False
        return True
    for seg in plan.segments:
        if seg.latin and not seg.concepts:
            if not _latin_match(seg.surface, forms):
                return False
        elif tier.verify == "names" and not seg.latin and not any(seg.surface in n for n in names):
            return False
    return True


@dataclass
class Result:
    plan: Plan | None
    docs: list[int]
    paths: list[str]


def search(index: Index, query: str) -> Result:
    """Every result of ``query`` in the order the browser shows them."""
    toks = prepare(index, query)
    if not toks:
        return Result(None, [], [])
    first = current = plan(index, toks)
    if current.count == 0 and any(_HAN.fullmatch(t) for t in toks):
        sounds = []
        for tok in toks:
            if _HAN.fullmatch(tok):
                spoken = "".join(index.reading(c) for c in tok)
                if len(spoken) >= 2:
                    sounds.append(spoken)
            else:
                sounds.append(tok)
        if sounds:
            current = plan(index, sounds, "sound")
    if current.count == 0 and any(s.concepts for s in first.segments) and any(not s.concepts for s in first.segments):
        current = plan(index, toks, "partial")  # 被家暴了怎么办: the words it knows, the rest left out
    shown: list[int] = []
    seen: set[int] = set()
    for tier in current.tiers:
        for n in tier.docs:
            if n not in seen and verify(current, tier, index.row(n)):
                seen.add(n)
                shown.append(n)
    return Result(current, shown, [index.row(n)[0] for n in shown])


def find(index_dir: Path, query: str) -> list[str]:
    """Result paths for ``query`` in the order the browser shows them."""
    return search(Index(index_dir), query).paths
