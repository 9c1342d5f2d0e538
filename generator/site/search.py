"""Search: a sharded static index that understands what residents type, written at build time.

Why not Pagefind or lunr: both keep one entry per page in a file every query downloads, so a
query's bytes grow with the directory (Pagefind at 100k records: 976 KB, 9.9 s).  Here a query
fetches only what its own words need:

* ``search/i/meta.json`` — sizes, kind and status labels, the lexicon (kind, service and
  target-group words with their synonyms, zh, en and pinyin; filler words) and the few
  traditional→simplified character pairs the directory needs;
* ``search/i/k/<n>.json`` — key shards.  A key hashes (FNV-1a) to one shard and maps to two
  posting lists, [documents with it in a name or alias, documents with it anywhere].  Keys:
  Chinese character pairs (single characters of names), 2–4 letter prefixes of pinyin, initials
  and English words of names; facets ``@p<division>`` (everything inside a division, at any
  depth, by parent links), ``@e<division>`` (organizations right at it), ``@k<kind>``,
  ``@s<service>``, ``@g<target group>``; ``=<whole name>`` (name, alias, short name, pinyin,
  English name) and ``#<digits>`` (phone numbers and hotlines).  ``@d<pair>`` is the place
  dictionary: the divisions whose names (full, short, without 街道/社区/村…, English, pinyin)
  start with that character pair or those four letters, stored in the shard of the pair itself
  so the query's first fetch brings it;
* ``search/i/d/<n>.json`` — document shards of ``DOCS_PER_SHARD`` documents in document order;
* ``search/i/p/<n>.json`` — pinyin of every character, fetched only when nothing matched and
  the query is tried again by sound (荣桂 → ronggui → 容桂).

Document order (active first; areas, hubs, youth centers, women's homes, social organizations,
villages; hub kind; level; position in the division tree; name) makes every kind and every
subtree a few runs, so their posting lists are a few numbers, and it puts the place asked for
before the places inside it.

A query is read as segments (``interpret``): places, kinds, services, target groups (longest
match, exact before a missing or extra character), filler words, free text.  Results come in
tiers, each in document order, a document shown once: exact name · phone number · the whole
query inside a name · kind (with place, service…) · the same kind at the places above the one
asked for, nearest first (a query of only a place and a kind puts the whole-query tier here, after
them) · every segment inside a name · place/service/target group (venues
first for a service) · every segment in the text.  ``search_query.py`` is the algorithm in
Python; ``assets/search.js`` is the same in the browser, and the tests hold the two to each
other in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import re
import unicodedata
from collections import deque
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import compress, pairwise, repeat
from operator import ne, sub
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from generator import gcpause, synonyms
from generator.geography import HUB_LEVELS
from generator.registry import HUB_FIELD, LINKS
from generator.site.model import SiteModel, record_path

if TYPE_CHECKING:
    from generator.site.search_files import Index, Reuse

#: Where the index lives under the site root (both languages use the one index).
INDEX_DIR = "search/i"
DOCS_PER_SHARD = 32
#: Aim for key shards of about this many bytes; a query fetches one shard per key.
SHARD_TARGET = 8192
#: Prefix lengths indexed for latin keys (pinyin, initials, English words); a query uses its first four letters.
LATIN_KEY_LENGTHS = (2, 3, 4)
LATIN_KEY = 4
FORMAT = 2

#: Chinese characters, the supplementary planes included: rare place-name characters live there.
_HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN = re.compile(f"[{_HAN_CHARS}]+")
_LATIN = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(f"[{_HAN_CHARS}]+|[a-z0-9]+")
#: Document groups in document order (areas above villages first: a town is what people type first).
_GROUP = {"hubs": 1, "youth_centers": 2, "womens_homes": 3, "social_orgs": 4}
_AREA_GROUP, _VILLAGE_GROUP = 0, 5
#: Where a service is asked for, venues come first: women's homes, youth centers, hubs, social orgs, areas.
VENUE_ORDER = (3, 2, 1, 4, 0, 5)
LEVELS = HUB_LEVELS
#: Endings of division names that residents leave out (容桂街道 → 容桂, 桂洲社区居委会 → 桂洲).
_PLACE_ENDINGS = (
    "社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "街道办事处",
    "街道", "社区", "自治县", "自治州", "地区", "新区", "镇", "乡", "村", "区", "县", "市", "省",
)
_PLACE_ENDINGS_EN = {
    "province", "city", "district", "county", "subdistrict", "town", "township", "village",
    "community", "residents", "committee",
}

# -- text ------------------------------------------------------------------------------------------


@cache
def _t2s() -> dict[int, str]:
    """Traditional → simplified, character by character (OpenCC's table, one call for all characters)."""
    import opencc

    chars = [chr(cp) for a, b in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)) for cp in range(a, b)]
    simple = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    return {ord(c): s for c, s in zip(chars, simple, strict=True) if len(s) == 1 and s != c}


@cache
def _traditional() -> re.Pattern[str]:
    return re.compile("[" + "".join(sorted(map(chr, _t2s()))) + "]")


def normalize(text: str) -> str:
    """What the index and the query both see: NFKC (full-width letters and digits become ASCII),
    lower case, traditional characters simplified (translated only when there are any: most text has none)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.translate(_t2s()) if _traditional().search(text) else text


def tokens(text: str) -> list[str]:
    """Runs of Chinese characters and latin words (2+ letters or digits) of normalized text."""
    return [t for t in _TOKEN.findall(text) if _HAN.fullmatch(t) or len(t) >= 2]


def searchable(text: str) -> str:
    """The words of ``text`` run together ("" when nothing in it can be searched)."""
    return _run_together(normalize(text))


def _run_together(normalized: str) -> str:
    """``searchable`` of a text already ``normalize``d."""
    return "".join(tokens(normalized))


def stem(word: str) -> str:
    """federations → federation: plural English words (five letters or more) lose their s."""
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


@cache
def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL))


def syllables(text: str) -> list[str]:
    """Pinyin syllables of the Chinese characters of ``text`` (a two/three-character phrase table first)."""
    out: list[str] = []
    for run in _HAN.findall(text):
        out.extend(_run_syllables(run))
    return out


@lru_cache(maxsize=1 << 15)
def _run_syllables(run: str) -> tuple[str, ...]:
    """``syllables`` of one run of Chinese characters, made once per distinct run: names share runs
    (a town's name before the organization's number, the kind after it)."""
    out: list[str] = []
    i = 0
    while i < len(run):
        for size in (3, 2, 1):
            chunk = run[i : i + size]
            if size == 1 or (len(chunk) == size and chunk in PHRASES_DICT):
                out.extend(_phrase(chunk))
                i += size
                break
    return tuple(out)


@lru_cache(maxsize=4096)
def _name_pinyin(name: str) -> tuple[str, tuple[str, ...]]:
    """``normalize(name)`` and its ``syllables``: a document asks for both of each of its names
    three times (its row's forms, its exact keys, its name keys); kept for the names of the last
    few documents only."""
    text = normalize(name)
    return text, tuple(syllables(text))


def latin_forms(names: Iterable[str]) -> list[str]:
    """Space-separated latin token sequences of names: their pinyin, and their own latin words."""
    forms: dict[str, None] = {}
    for name in names:
        text, pinyin = _name_pinyin(name)
        for toks in (pinyin, _LATIN.findall(text)):
            if toks:
                forms.setdefault(" ".join(toks))
    return list(forms)


def latin_keys(forms: Iterable[str]) -> set[str]:
    """2–4 letter prefixes (``LATIN_KEY_LENGTHS``) of the pinyin and of the initials, starting at
    every token of every form."""
    keys: set[str] = set()
    for form in forms:
        keys.update(_form_keys(form))
    return keys


@lru_cache(maxsize=1 << 15)
def _form_keys(form: str) -> tuple[str, ...]:
    """``latin_keys`` of one form, made once per distinct form: half the forms of a directory repeat
    (the pinyin of a name leaves out its number: 示例桑麻村第3工会 and …第4工会 are one form).

    The prefixes of the tokens from the i-th on, run together, are slices of the whole form's letters
    at the i-th token's offset, and those of their initials slices of all initials at i: no join per
    token.  A slice shorter than two letters is no key: only the last initial, and the letters after
    the second-to-last offset (``last``).
    """
    keys: set[str] = set()
    toks = form.split(" ")
    letters = "".join(toks)
    initials = "".join([t[0] for t in toks])
    last = len(letters) - 2
    at = 0
    for tok in toks:
        if at > last:
            break
        keys.update((letters[at : at + 2], letters[at : at + 3], letters[at : at + 4]))
        at += len(tok)
    for i in range(len(initials) - 1):
        keys.update((initials[i : i + 2], initials[i : i + 3], initials[i : i + 4]))
    return tuple(keys)


def han_keys(text: str, *, singles: bool) -> set[str]:
    """Neighbouring character pairs of every run of Chinese characters (and the characters themselves)."""
    keys: set[str] = set()
    for run in _HAN.findall(text):
        keys.update(_pairs(run))
        if singles or len(run) == 1:
            keys.update(run)
    return keys


@lru_cache(maxsize=1 << 16)
def _pairs(run: str) -> tuple[str, ...]:
    """The neighbouring character pairs of a run of Chinese characters, made once per distinct run:
    the runs of the text repeat across documents (the same sentences of descriptions, the same
    service and place names), and the same pair strings then go into every document's keys."""
    return tuple(map(str.__add__, run, run[1:]))


def query_terms(query: str) -> list[tuple[str, str]]:
    """A query's terms: (``"han"``, run of Chinese characters) or (``"latin"``, letters/digits of 2+)."""
    return [("han" if _HAN.fullmatch(t) else "latin", t) for t in tokens(normalize(query))]


def shard_of(key: str, shards: int) -> int:
    """FNV-1a (32 bit) of the key's UTF-8 bytes, modulo the shard count; ``search.js`` computes the same."""
    h = 0x811C9DC5
    for byte in key.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % shards


def bucket(key: str) -> str:
    """The key whose shard holds ``key``: the place dictionary ``@d<pair>`` lives beside ``<pair>``."""
    return key[2:] if key.startswith("@d") else key


def place_names(name: str, short: str) -> list[str]:
    """A division's names as residents say them: full, short, and without the ending (≥ 2 characters)."""
    out: dict[str, None] = {}
    for text in (name, short):
        if not text:
            continue
        out.setdefault(text)
        for ending in _PLACE_ENDINGS:
            if text.endswith(ending) and len(text) - len(ending) >= 2:
                out.setdefault(text[: -len(ending)])
                break
    return list(out)


def latin_phrase(text: str, stop: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """English words as the lexicon compares them: stemmed, filler words left out, one space apart."""
    return " ".join(stem(t) for t in _LATIN.findall(normalize(text)) if len(t) >= 2 and t not in stop)


# -- posting lists ----------------------------------------------------------------------------------


def encode(docs: list[int], total: int) -> str:
    """JSON of the shorter form: a gap list (runs as negative extensions) or a base64 bitmap of ``total`` bits.

    Most lists hold one document (a word of one name): written at once.  A long list (the pinyin of
    a town every name there starts with) is taken run by run, its runs found by its steps (1 inside
    a run) without a Python loop per document; a gap list has an element per run at least and a
    comma between elements, so ``2 * runs + 1`` characters at least: a list with more runs than the
    bitmap allows is a bitmap at once.
    """
    words = (total + 31) // 32
    bitmap = (words * 4 + 2) // 3 * 4 + 2  # the bitmap's length, its quotes included
    count = len(docs)
    if count == 1:
        text = f"[{docs[0]}]"
        if len(text) <= bitmap:
            return text
    gaps: list[int] = []
    end = 0  # one past the last document written
    if count <= _SHORT:
        for doc in docs:
            if gaps and doc == end:  # extends the previous document into a run
                if gaps[-1] < 0:
                    gaps[-1] -= 1
                else:
                    gaps.append(-1)
            else:
                gaps.append(doc - end)
            end = doc + 1
    else:
        steps = list(map(sub, docs[1:], docs))
        if 2 * (count - steps.count(1)) + 1 > bitmap:  # (as many runs as steps that are not 1, and one)
            return _bitmap(_mask(docs, words * 32), words)
        starts = [0, *compress(range(1, count), map(ne, steps, repeat(1))), count]
        for at, after in pairwise(starts):  # the run docs[at:after]
            first = docs[at]
            gaps.append(first - end)
            if after - at > 1:
                gaps.append(at + 1 - after)
            end = first + after - at
    text = "[" + ",".join(map(str, gaps)) + "]"  # json.dumps of an int list, without its machinery
    if len(text) <= bitmap:
        return text
    return _bitmap(_mask(docs, words * 32), words)


#: Lists up to this long are encoded a document at a time (finding runs costs more than it saves).
_SHORT = 24


def _mask(docs: Iterable[int], bits: int) -> int:
    """Document numbers (each below ``bits``) as the bits of an int, without a Python loop: its
    binary digits as text, document 0's first, then turned round (the lowest digit comes last)."""
    digits = bytearray(b"0") * bits
    deque(map(digits.__setitem__, docs, repeat(ord("1"))), 0)
    digits.reverse()
    return int(digits, 2)


def _bitmap(mask: int, words: int) -> str:
    """The JSON of a bitmap posting list: ``words`` 32-bit words, document 0 the lowest bit of the first byte."""
    return '"' + base64.b64encode(mask.to_bytes(words * 4, "little")).decode("ascii") + '"'


def decode(value: str | list[int] | int) -> list[int]:
    """Sorted document numbers from either form (``0``: the empty list)."""
    if isinstance(value, str):
        raw = base64.b64decode(value)
        return [i * 8 + b for i, byte in enumerate(raw) if byte for b in BITS[byte]]
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


#: The set bits of each byte value, for decoding bitmaps a byte at a time.
BITS = [tuple(b for b in range(8) if value >> b & 1) for value in range(256)]


# -- the lexicon --------------------------------------------------------------------------------------


@dataclass
class Lexicon:
    """Words → concepts, split into Chinese surfaces and latin phrases (English, pinyin, digits)."""

    han: dict[str, list[str]] = field(default_factory=dict)
    latin: dict[str, list[str]] = field(default_factory=dict)

    def add(self, table: dict[str, list[str]], surface: str, concept: str) -> None:
        if not surface:
            return
        have = table.setdefault(surface, [])
        if have and have[0][0] != concept[0]:
            return  # a word names one type of concept: the earlier source wins
        if concept not in have:
            have.append(concept)

    def packed(self) -> dict[str, list[str]]:
        """concept → [Chinese words, latin phrases], "|"-joined: a word is written once per concept."""
        out: dict[str, list[list[str]]] = {}
        for i, table in enumerate((self.han, self.latin)):
            for word, concepts in table.items():
                for concept in concepts:
                    out.setdefault(concept, [[], []])[i].append(word)
        return {c: ["|".join(h), "|".join(latin)] for c, (h, latin) in out.items()}


def unpack(packed: dict[str, list[str]]) -> Lexicon:
    """The lexicon from meta.json: concept → [Chinese words, latin phrases], each "|"-joined."""
    lex = Lexicon()
    for concept, (han, latin) in packed.items():
        for table, words in ((lex.han, han), (lex.latin, latin)):
            for word in words.split("|") if words else []:
                table.setdefault(word, []).append(concept)
    return lex


def lexicon(terms: Iterable[synonyms.Term]) -> Lexicon:
    """Kinds, services, target groups and filler words (places come from the divisions)."""
    terms = [t for t in terms if not t.concept.startswith("p:")]
    stop = {latin_phrase(t.text) for t in terms if t.concept == "x:"}
    lex = Lexicon()
    for term in terms:
        text = normalize(term.text)
        toks = tokens(text)
        if not toks:
            continue
        if all(_HAN.fullmatch(t) for t in toks):
            surface = "".join(toks)
            lex.add(lex.han, surface, term.concept)
            pinyin = "".join(syllables(surface))
            if len(pinyin) >= 4 and term.concept != "x:":
                lex.add(lex.latin, pinyin, term.concept)
        elif not any(_HAN.fullmatch(t) for t in toks):
            phrase = latin_phrase(text, stop if term.concept != "x:" else set())
            lex.add(lex.latin, phrase, term.concept)
    return lex


# -- documents --------------------------------------------------------------------------------------


@dataclass
class Doc:
    """One search result: what is shown and checked (``row``), its words and its facet keys."""

    rank: tuple[Any, ...]
    row: list[Any]
    names: list[str]
    #: The pieces of its text besides its names (kind, place, services, address, description…): a
    #: name's words are its name keys already, which its text keys leave out.
    text: list[str]
    facets: set[str]
    #: The kind code (``row[3]`` is its number, given in document order by ``documents``).
    kind: str = ""
    #: ``keys()`` as computed by an earlier build (``Memo.keys``: UTF-8, each joined by NUL), or ``None``.
    known: tuple[bytes, bytes] | None = None
    #: The document's memo key ("" when made without record hashes): equal keys, equal documents.
    key: str = ""
    #: Made by this build (not taken from the memo): ``remember`` puts it into the next build's memo.
    made: bool = False
    #: ``names`` as ``normalize`` makes them, for their keys: made with the document, as ``keys()`` may
    #: be asked for in document order, long after (``_name_pinyin`` keeps only the last few).
    folded: list[str] = field(default_factory=list)

    def keys(self) -> tuple[Collection[str], Collection[str]]:
        """(name keys, text-only keys); made one document at a time so the sets never pile up.

        A document with a memo key keeps what it made as ``known`` (the memo's form), so the memo
        takes them from there rather than making them again (``remember``)."""
        if self.known is not None:
            return tuple(part.decode("utf-8").split("\0") if part else [] for part in self.known)  # type: ignore[return-value]
        name_keys = latin_keys(self.row[8])
        for name in self.folded:
            name_keys |= han_keys(name, singles=True)
        name_keys |= self.facets
        text_keys: set[str] = set()
        for piece in self.text:
            text_keys.update(_piece_keys(piece))
        text_keys -= name_keys
        if self.key:
            self.known = _joined(name_keys, text_keys)
        return name_keys, text_keys


@lru_cache(maxsize=1 << 14)
def _piece_keys(piece: str) -> tuple[str, ...]:
    """The text keys of one piece of a document's text, made once per distinct piece: most pieces
    repeat (kind, place, service and target group labels).  A document's text keys are those of its
    pieces: ``normalize`` works character by character, and nothing of it reaches across the space
    the pieces were once joined with (no character composes with a space, nor a final sigma sees
    past one), nor does a run of Chinese characters."""
    return tuple(han_keys(normalize(piece), singles=False))


def _joined(name_keys: Collection[str], text_keys: Collection[str]) -> tuple[bytes, bytes] | None:
    """Name and text keys in the memo's form (UTF-8, joined by NUL); ``None`` when the joins would not
    be exact (an empty key, or one holding a NUL: then the document is made again next time)."""
    names_text, texts_text = "\0".join(name_keys), "\0".join(text_keys)
    if (
        "" not in name_keys
        and "" not in text_keys
        and names_text.count("\0") == max(len(name_keys) - 1, 0)
        and texts_text.count("\0") == max(len(text_keys) - 1, 0)
    ):
        return names_text.encode("utf-8"), texts_text.encode("utf-8")
    return None


def remember(docs: Iterable[Doc], memo: Memo) -> None:
    """Put every document this build made into ``memo`` with its keys, after the posting lists: a
    full build's postings made every document's keys already (``Doc.known``), and are not made twice."""
    for doc in docs:
        if doc.made and doc.key:
            if doc.known is None:
                doc.keys()  # (an incremental build's postings needed only the documents that moved)
            if doc.known is not None:
                memo.add(doc.key, doc.rank, doc.row, doc.kind, *doc.known)
    memo.seal()


#: Keys of gone documents a memo carries before it is compacted (beyond as many as live ones).
MEMO_SLACK = 1 << 20


class Memo:
    """What one build remembers of each document for the next (``write(..., previous=)``).

    ``docs``: document key → (rank, row, kind, start, middle, end); the document's name keys are
    ``keys[start:middle]`` and its text keys ``keys[middle:end]`` (UTF-8, joined by NUL).  One
    ``bytes`` for all keys, not two strings per document: at 100k documents that is 150 MB of
    strings pickled and unpickled every build, and most builds never look at them.  A document's
    key hashes its record's file and the files of the divisions it is placed in (its place names, its
    chain), so an unchanged key is an unchanged document; everything else a document shows (labels,
    kinds, configuration) is in the global key of ``generator/incremental.py``, which empties the memo
    when it changes.
    """

    def __init__(self, after: Memo | None = None) -> None:
        """An empty memo; ``after``: one that starts from that memo's keys (``keep`` takes its documents
        without copying their keys; the dead ones are dropped once they are half of them)."""
        self.docs: dict[str, tuple[tuple[Any, ...], list[Any], str, int, int, int]] = {}
        self.keys: bytes = after.keys if after is not None else b""
        self._parts: list[bytes] = []
        self._end = len(self.keys)
        self._live = 0

    def __getstate__(self) -> dict[str, Any]:
        self.seal()
        return {"docs": marshal.dumps(self.docs), "keys": self.keys}  # marshal: 3× pickle's speed for these

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.docs, self.keys, self._parts = marshal.loads(state["docs"]), state["keys"], []
        self._end = self._live = len(self.keys)

    def known(self, key: str) -> tuple[bytes, bytes] | None:
        """The name and text keys of the document remembered under ``key`` (``None``: not remembered)."""
        hit = self.docs.get(key)
        if hit is None:
            return None
        self.seal()
        return self.keys[hit[3] : hit[4]], self.keys[hit[4] : hit[5]]

    def add(self, key: str, rank: tuple[Any, ...], row: list[Any], kind: str, names: bytes, texts: bytes) -> None:
        start = self._end
        self._parts += (names, texts)
        self._end += len(names) + len(texts)
        self._live += len(names) + len(texts)
        self.docs[key] = (rank, row, kind, start, start + len(names), self._end)

    def keep(self, key: str, hit: tuple[tuple[Any, ...], list[Any], str, int, int, int]) -> None:
        """A document of the memo this one was made ``after``, its keys where they are."""
        self.docs[key] = hit
        self._live += hit[5] - hit[3]

    def seal(self) -> None:
        """Join what ``add`` collected onto ``keys`` (done before pickling)."""
        if self._parts:
            self.keys += b"".join(self._parts)
            self._parts = []
        if len(self.keys) > 2 * self._live + MEMO_SLACK:  # mostly the keys of documents gone: compact
            keys, docs, self.keys, self._end, self._live = self.keys, self.docs, b"", 0, 0
            self.docs = {}
            for key, (rank, row, kind, start, middle, end) in docs.items():
                self.add(key, rank, row, kind, keys[start:middle], keys[middle:end])
            self.seal()


class _Places:
    """Per division, computed once: its path below the root in both languages, and its chain up."""

    def __init__(self, model: SiteModel) -> None:
        self.geo = model.registry.geo
        self.cache: dict[str, tuple[str, str]] = {}
        self.chains: dict[str, list[str]] = {}

    def __call__(self, code: str) -> tuple[str, str]:
        """``容桂 · 桂洲社区`` (every level below the root, top down); in English a division without an
        English name is written in pinyin."""
        if code not in self.cache:
            below = list(self.geo.chain(code))
            ids = [d.id for d in below]
            if self.geo.root_code in ids:
                below = below[: ids.index(self.geo.root_code)]
            below.reverse()
            self.cache[code] = (
                " · ".join(self.geo.label(d.id, "zh") for d in below),
                " · ".join(self.geo.label(d.id, "en") if d.get("name_en") else _roman(d) for d in below),
            )
        return self.cache[code]

    def chain(self, code: str) -> list[str]:
        """The division and its ancestors inside the registry, nearest first (parent links)."""
        chain = self.chains.get(code)
        if chain is None:
            chain = self.chains[code] = [d.id for d in self.geo.chain(code)] or [code]
        return chain


def _roman(division: Any) -> str:
    """A division without an English name, for English pages: its short name in pinyin (桂洲社区 → Guizhou)."""
    names = place_names(division.name, str(division.get("short_name") or ""))
    return "".join(syllables(min(names, key=len))).capitalize() or division.name


_NON_DIGITS = re.compile(r"\D")
_PHONE_PARTS = re.compile(r"[-\s]")


def _phones(record: Any) -> set[str]:
    out: set[str] = set()
    for item in record.get("contacts") or []:
        if not isinstance(item, dict) or item.get("type") not in ("office_phone", "hotline"):
            continue
        value = str(item.get("value", ""))
        digits = _NON_DIGITS.sub("", value)
        if len(digits) >= 3:
            out.add("#" + digits)
        local = _NON_DIGITS.sub("", _PHONE_PARTS.split(value.strip())[-1])
        if len(local) >= 5:
            out.add("#" + local)
    return out


def _exact(names: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for name in names:
        text, syllables_of = _name_pinyin(name)
        compact = _run_together(text)  # ``searchable(name)``
        if compact:
            out.add("=" + compact)
            pinyin = "".join(syllables_of)
            if pinyin and pinyin != compact:
                out.add("=" + pinyin)
    return out


def documents(
    model: SiteModel,
    kind_index: dict[str, int],
    memo: Memo | None = None,
    hashes: dict[str, str] | None = None,
    fresh: Memo | None = None,
) -> Iterator[Doc]:
    """A document per record page and per area page.

    With ``hashes`` (record id → content hash) each document's key is computed and the document is
    taken from ``memo`` when the key is there; ``fresh`` gets those at once, and ``remember`` the
    others (marked ``made``) once their keys are known.
    """
    labels = model.labels
    places = _Places(model)
    kind_rank = {k.code: i for i, k in enumerate(model.kinds)}
    old = memo or Memo()
    chain_parts: dict[str, str] = {}  # division → its chain's part of a key, made once
    for record in model.registry.all():
        division = record.division
        key = ""
        if hashes is not None:
            part = chain_parts.get(division)
            if part is None:
                part = chain_parts[division] = "".join(f"\0{c}={hashes.get(c, '-')}" for c in places.chain(division))
            rid = record.id
            ident = f"{rid}\0{rid}={hashes.get(rid, '-')}{part}"
            key = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
            hit = old.docs.get(key)
            if hit is not None:
                rank, row, kind, start, middle, end = hit
                row = [*row[:3], kind_index.setdefault(kind, len(kind_index)), *row[4:]]
                doc = Doc(rank, row, [], [], set(), kind, (old.keys[start:middle], old.keys[middle:end]), key)
                doc.names = [row[1], *row[7]]
                if fresh is not None:
                    if fresh.keys is old.keys:
                        fresh.keep(key, hit)
                    else:
                        fresh.add(key, rank, hit[1], kind, *doc.known)  # type: ignore[misc]
                yield doc
                continue
        chain = places.chain(division)
        path_key = tuple(reversed(chain))
        facets = {f"@p{code}" for code in chain}
        if record.registry == "divisions":
            level = str(record.get("level"))
            kind = f"area:{level}"
            group = _VILLAGE_GROUP if level == "village" else _AREA_GROUP
            short = str(record.get("short_name") or "")
            names = [record.name, *(n for n in place_names(record.name, short) if n != record.name)]
            place, place_en = places(str(record.get("parent"))) if level == "village" else ("", "")
            text = [place]
            order = 0
        else:
            found = model.kind_of(record)
            kind = found.code if found else record.registry
            group = _GROUP.get(record.registry, _VILLAGE_GROUP)
            level = str(record.get("level") or "village")
            names = [record.name, *(str(a) for a in record.get("aliases") or [])]
            place, place_en = places(division)
            text = [
                model.kind_label(record, "zh"),
                place,
                *(labels.enum("services", s, "zh") for s in record.get("services") or []),
                *(labels.enum("target_groups", g, "zh") for g in record.get("target_groups") or []),
                str(record.get("address") or ""),
                str(record.get("description") or ""),
            ]
            facets.add(f"@e{division}")
            facets.add(f"@k{kind}")
            facets.update(f"@s{s}" for s in record.get("services") or [])
            facets.update(f"@g{g}" for g in record.get("target_groups") or [])
            facets |= _phones(record)
            order = kind_rank.get(kind, len(kind_rank))
        names = list(dict.fromkeys(names))
        name_en = str(record.get("name_en") or "")
        facets |= _exact([*names, name_en])
        status = "" if record.active else record.status
        folded = [_name_pinyin(n)[0] for n in names]
        normalized = list(dict.fromkeys(folded))
        if normalized == [record.name, *names[1:]]:
            normalized = []  # the usual case: the names as written are what a query is checked against
        row = [record_path(record), record.name, name_en, kind_index.setdefault(kind, len(kind_index)), status,
               place, place_en, names[1:], latin_forms([*names, name_en]), normalized]
        level_rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
        rank = (0 if record.active else 1, group, order, level_rank, path_key, record.name, record.id)
        yield Doc(rank, row, names, text, facets, kind, key=key, made=fresh is not None, folded=folded)


def _kind_labels(model: SiteModel, kinds: dict[str, int], hotlines: dict[str, str]) -> list[list[str]]:
    out = [["", "", "", "", ""]] * len(kinds)
    for code, i in kinds.items():
        if code.startswith("area:"):
            level = code[5:]
            out[i] = [model.labels.enum("level", level, "zh"), model.labels.enum("level", level, "en"), code, "", ""]
        else:
            kind = next((k for k in model.kinds if k.code == code), None)
            zh, en = (kind.label("zh"), kind.label("en")) if kind else (code, code)
            out[i] = [zh, en, code, hotlines.get(code, ""), f"kinds/{code}/" if kind else ""]
    return out


def _hotlines(model: SiteModel) -> dict[str, str]:
    """Each kind's hotline: a hub kind's own (configuration), a carrier's that of the hubs it belongs to."""
    own = {k.code: k.hotline for k in model.config.hub_kinds if k.hotline}
    out = dict(own)
    reg = model.registry
    for registry in synonyms.CARRIERS:
        counts: dict[str, int] = {}
        field = HUB_FIELD.get(registry, "")
        targets = reg.by_registry.get(LINKS.get(registry, {}).get(field, ""), {})  # ``hub_of``, once per registry
        for record in reg.by_registry[registry].values():
            value = record.data.get(field)
            hub = targets.get(value) if isinstance(value, str) else None
            code = str(hub.data.get("kind")) if hub is not None else ""
            if code in own:
                counts[code] = counts.get(code, 0) + 1
        if counts:
            out[registry] = own[max(sorted(counts), key=lambda c: counts[c])]
    return out


def place_entries(model: SiteModel, stop: set[str]) -> dict[str, list[list[Any]]]:
    """The place dictionary: ``@d<first pair or four letters>`` → [[name as typed, chain], …]."""
    extra: dict[str, list[str]] = {}
    for term in synonyms.builtin_terms() + synonyms.project_terms(model.config):
        if term.concept.startswith("p:"):
            extra.setdefault(term.concept[2:], []).append(term.text)
    out: dict[str, dict[str, list[Any]]] = {}
    places = _Places(model)

    def add(surface: str, chain: list[str]) -> None:
        if not surface:
            return
        head = surface[:2] if _HAN.fullmatch(surface[0]) else surface.split(" ")[0][:LATIN_KEY]
        if len(head) < 2:
            return
        entries = out.setdefault("@d" + head, {})
        entries.setdefault(f"{surface}\t{chain[0]}", [surface, chain])

    for division in model.registry.records("divisions"):
        chain = places.chain(division.id)
        han = place_names(division.name, str(division.get("short_name") or ""))
        han += extra.get(division.id, [])
        for name in han:
            compact = searchable(name)
            if compact and _HAN.fullmatch(compact) and len(compact) >= 2:
                add(compact, chain)
                pinyin = "".join(syllables(compact))
                if len(pinyin) >= 4:
                    add(pinyin, chain)
        name_en = str(division.get("name_en") or "")
        if name_en:
            phrase = latin_phrase(name_en, stop)
            add(phrase, chain)
            words = phrase.split(" ")
            while len(words) > 1 and words[-1] in _PLACE_ENDINGS_EN:
                words.pop()
                add(" ".join(words), chain)
    return {key: [value[k] for k in sorted(value)] for key, value in out.items()}


@cache
def _pinyin_table() -> dict[str, str]:
    """Every character pypinyin knows → its first reading, tones dropped (ü as v, as pypinyin writes it)."""
    out: dict[str, str] = {}
    for cp in sorted(PINYIN_DICT):
        char = chr(cp)
        first = unicodedata.normalize("NFD", PINYIN_DICT[cp].split(",")[0]).replace("u\u0308", "v")
        reading = "".join(c for c in first if not unicodedata.combining(c))
        if _HAN.fullmatch(char) and reading.isascii() and reading.isalpha():
            out[char] = reading
    return out


def write(
    model: SiteModel,
    site_dir: Path,
    previous: Index | None = None,
    hashes: dict[str, str] | None = None,
    reuse: Reuse | None = None,
) -> Index:
    """Write the index under ``site_dir/search/i``; deterministic (same registry, same bytes).

    ``previous`` (the ``search_files.Index`` the previous build returned) and ``hashes`` (record
    id → content hash) let unchanged documents skip their words, pinyin and keys, and unchanged
    shards be the previous build's files (``reuse``, see ``search_files``): the same bytes, a
    fraction of the work.  Returns the ``search_files.Index`` for the next build.
    """
    # Hundreds of thousands of small lists, tuples and strings, none in a cycle: the collector's
    # passes over them and over the model (in the build's worker, all of the parent's heap) were a
    # third of a second build's index at 20k records.
    with gcpause.paused():
        return _write(model, site_dir, previous, hashes, reuse)


def _write(
    model: SiteModel, site_dir: Path, previous: Index | None, hashes: dict[str, str] | None, reuse: Reuse | None
) -> Index:
    from generator.site import search_files

    terms = synonyms.all_terms(model.config)
    lex = lexicon(terms)
    stop = {s for s, c in lex.latin.items() if c == ["x:"]}
    kind_index: dict[str, int] = {}
    memo = previous.docs if previous is not None and hashes is not None else None
    fresh = Memo(after=memo)
    docs = sorted(
        documents(model, kind_index, memo, hashes, fresh if hashes is not None else None), key=lambda d: d.rank
    )
    total = len(docs)
    active = sum(1 for d in docs if not d.row[4])
    groups: list[list[int]] = []
    for number, doc in enumerate(docs):
        if not groups or groups[-1][1] != doc.rank[1]:
            groups.append([number, doc.rank[1]])
    chars = set("".join(["".join(doc.names) for doc in docs]))
    index = search_files.write(
        site_dir, docs, kind_index, place_entries(model, stop), fresh, previous if hashes is not None else None, reuse
    )
    remember(docs, fresh)
    needed = chars | {c for word in lex.han for c in word}
    t2s = "".join(chr(cp) + simple for cp, simple in sorted(_t2s().items()) if simple in needed)
    meta = {
        "format": FORMAT,
        "version": index.version(),
        "docs": total,
        "active": active,
        "key_shards": len(index.buckets),
        "pinyin_shards": index.pinyin_shards,
        "docs_per_shard": DOCS_PER_SHARD,
        "groups": groups,
        "venue_order": list(VENUE_ORDER),
        "kinds": _kind_labels(model, kind_index, _hotlines(model)),
        "status": {
            code: [model.labels.enum("status", code, "zh"), model.labels.enum("status", code, "en")]
            for code in sorted({str(d.row[4]) for d in docs if d.row[4]})
        },
        "t2s": t2s,
        "lex": lex.packed(),
    }
    data = _json(meta).encode("utf-8")
    (site_dir / INDEX_DIR / "meta.json").write_bytes(data)
    rel = f"{INDEX_DIR}/meta.json"
    index.files[rel] = hashlib.sha256(data).hexdigest()
    index.written.append(rel)
    return index


def _json(value: Any) -> str:
    if isinstance(value, str) and not _JSON_ESCAPE.search(value):
        return f'"{value}"'  # what json.dumps writes for a string without quotes, backslashes or controls
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_JSON_ESCAPE = re.compile(r'[\x00-\x1f\\"]')
