"""The geography: division levels, parent links, a children index, ancestors, roll-up and labels.

One owner for "where is what": checks, coverage, pages, search and ``hubdir new``
ask this module instead of reading code prefixes.  Rules (the project's contract):

* Levels, top to bottom: ``province``, ``city``, ``district`` (any county-level
  unit), ``town``, ``village``; hubs may also sit at ``sector`` (enterprises,
  parks), below every division level.
* A division's ``level`` is what its record says, never derived from its code;
  containment follows ``parent`` links, never code prefixes.  A parent may be any
  higher level: 东莞/中山 towns have the city (4419/4420) as parent, a
  municipality's districts the province.
* The project root's parent may lie outside the project.

Everything is built once in O(divisions) (one pass for the index, memoised
chains), so every question below costs O(answer), whatever the province.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from generator.i18n import t

if TYPE_CHECKING:  # pragma: no cover - typing only (registry imports this module)
    from generator.registry import Record

#: Division levels, top to bottom.
LEVELS: tuple[str, ...] = ("province", "city", "district", "town", "village")
#: Levels a hub can sit at: every division level, then sector units (enterprises, parks).
HUB_LEVELS: tuple[str, ...] = (*LEVELS, "sector")
#: Rank of a level: smaller is higher.  ``sector`` is below every division level.
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(HUB_LEVELS)}
#: Digits of an NBS short code at each level (a consistency check, never a way to find the level).
CODE_DIGITS: dict[str, int] = {"province": 2, "city": 4, "district": 6, "town": 9, "village": 12}

T = TypeVar("T")


def rank(level: Any) -> int:
    """The rank of ``level`` (-1 when unknown)."""
    return LEVEL_RANK.get(level, -1) if isinstance(level, str) else -1


def higher(level: Any, than: Any) -> bool:
    """Whether ``level`` is strictly above ``than`` (both known levels)."""
    a, b = rank(level), rank(than)
    return a >= 0 and b >= 0 and a < b


def level_label(level: str, lang: str, *, short: bool = False) -> str:
    """``区县级`` / ``County level``; short: ``区`` / ``County`` (for breadcrumbs and headings)."""
    key = f"geography.level_short.{level}" if short else f"geography.level.{level}"
    return t(lang, key) if level in LEVEL_RANK else level


def children_heading(level: str, lang: str) -> str:
    """Heading of the list of a division's children at ``level`` (下辖区县…)."""
    return t(lang, f"geography.children.{level}") if level in LEVELS else level


def browse_heading(level: str, lang: str) -> str:
    """Heading of the home page's way down the hierarchy (按区县浏览…)."""
    return t(lang, f"geography.browse.{level}") if level in LEVELS else level


class Geography:
    """The divisions of a registry as a tree (a forest when parents lie outside the project)."""

    def __init__(self, divisions: Iterable[Record], root_code: str = "") -> None:
        self.by_code: dict[str, Record] = {}
        for record in divisions:
            self.by_code.setdefault(record.id, record)
        self.root_code = root_code
        self._children: dict[str, list[Record]] = {}
        self._at_level: dict[str, list[Record]] = {}
        for code in sorted(self.by_code):
            record = self.by_code[code]
            parent = record.get("parent")
            if isinstance(parent, str) and parent:
                self._children.setdefault(parent, []).append(record)
            self._at_level.setdefault(str(record.get("level", "")), []).append(record)
        self._chains: dict[str, tuple[Record, ...]] = {}

    # -- one division ------------------------------------------------------------
    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self.by_code

    def __len__(self) -> int:
        return len(self.by_code)

    def get(self, code: Any) -> Record | None:
        return self.by_code.get(code) if isinstance(code, str) else None

    def level(self, code: Any) -> str:
        record = self.get(code)
        return str(record.get("level", "")) if record is not None else ""

    def parent(self, code: Any) -> Record | None:
        """The parent division inside the project (``None`` at the top or when it lies outside)."""
        record = self.get(code)
        return self.get(record.get("parent")) if record is not None else None

    @property
    def root(self) -> Record | None:
        """The configured root division, when the project holds its record."""
        return self.get(self.root_code)

    @property
    def root_level(self) -> str:
        return self.level(self.root_code)

    # -- the index ---------------------------------------------------------------
    @property
    def children_index(self) -> Mapping[str, list[Record]]:
        """Parent code → children in code order (read-only view; unknown codes are absent)."""
        return MappingProxyType(self._children)

    def children(self, code: str, level: str | None = None) -> list[Record]:
        """Direct children in code order (optionally only those at ``level``)."""
        found = self._children.get(code, [])
        return found if level is None else [d for d in found if d.get("level") == level]

    def at_level(self, level: str) -> list[Record]:
        """Every division at ``level``, in code order."""
        return self._at_level.get(level, [])

    def chain(self, code: Any) -> tuple[Record, ...]:
        """The division and its ancestors inside the project, nearest first (a cycle stops it)."""
        if not isinstance(code, str):
            return ()
        cached = self._chains.get(code)
        if cached is not None:
            return cached
        walk: list[Record] = []
        seen: set[str] = set()
        current = self.get(code)
        while current is not None and current.id not in seen:
            known = self._chains.get(current.id)
            if known is not None:
                walk.extend(known)
                break
            walk.append(current)
            seen.add(current.id)
            current = self.get(current.get("parent"))
        chain = tuple(walk)
        # memoise every suffix of the walk as its own chain: each division is walked once in total
        for index, record in enumerate(chain):
            if record.id in self._chains:
                break
            self._chains[record.id] = chain[index:]
        return self._chains.get(code, chain)

    def ancestors(self, code: Any) -> tuple[Record, ...]:
        """The ancestors inside the project, nearest first (the division itself excluded)."""
        return self.chain(code)[1:]

    def ancestor_at(self, code: Any, level: str) -> Record | None:
        """The division itself or its nearest ancestor at ``level`` (a village's town, a town's city…)."""
        return next((d for d in self.chain(code) if d.get("level") == level), None)

    def contains(self, outer: Any, inner: Any) -> bool:
        """Whether ``inner`` is ``outer`` or lies inside it, following parent links."""
        return isinstance(outer, str) and any(d.id == outer for d in self.chain(inner))

    def descendants(self, code: str, level: str | None = None) -> Iterator[Record]:
        """Every division below ``code`` (pre-order, children in code order), optionally at one level.

        A cycle in the parent links cannot make this loop: each division is visited once.
        """
        stack = list(reversed(self._children.get(code, [])))
        seen: set[str] = {code}
        while stack:
            record = stack.pop()
            if record.id in seen:
                continue
            seen.add(record.id)
            if level is None or record.get("level") == level:
                yield record
            stack.extend(reversed(self._children.get(record.id, [])))

    def in_scope(self, level: str | None = None) -> list[Record]:
        """The root and every division below it (optionally at ``level``); all divisions when the
        project has no root record, so nothing is ever silently dropped."""
        root = self.root
        if root is None:
            return list(self.by_code.values()) if level is None else self.at_level(level)
        out = [root] if level is None or root.get("level") == level else []
        out.extend(self.descendants(root.id, level))
        return out

    def levels_in_scope(self) -> tuple[str, ...]:
        """The division levels present at or below the root, top to bottom."""
        present = {str(d.get("level")) for d in self.in_scope()}
        return tuple(level for level in LEVELS if level in present)

    def child_level(self, code: str) -> str:
        """The highest level among a division's children (``town`` below 东莞's city), or ""."""
        levels = {str(d.get("level")) for d in self._children.get(code, [])}
        return next((level for level in LEVELS if level in levels), "")

    # -- roll-up -------------------------------------------------------------------
    def rollup(self, values: dict[str, T], add: Callable[[T, T], T], zero: T) -> dict[str, T]:
        """Sum ``values`` (division code → value) up the parent links: every division gets its own
        value plus those of all its descendants.  O(divisions + values)."""
        totals: dict[str, T] = {}
        for code, value in values.items():
            for division in self.chain(code):
                totals[division.id] = add(totals.get(division.id, zero), value)
        return totals

    # -- labels --------------------------------------------------------------------
    def label(self, code: Any, lang: str) -> str:
        """What a page calls a division: the English name in English, else the short name, else
        the full name (the code itself when unknown)."""
        record = self.get(code)
        if record is None:
            return str(code)
        if lang == "en" and record.get("name_en"):
            return str(record.get("name_en"))
        return str(record.get("short_name") or record.name)

    def full_name(self, code: Any, lang: str) -> str:
        """The official full name (English name in English when there is one)."""
        record = self.get(code)
        if record is None:
            return str(code)
        if lang == "en" and record.get("name_en"):
            return str(record.get("name_en"))
        return record.name

    def path_label(self, code: Any, lang: str, *, below: str = "") -> str:
        """``佛山 · 顺德 · 容桂`` from just below ``below`` (default: the root) down to ``code``."""
        stop = below or self.root_code
        names: list[str] = []
        for division in self.chain(code):
            if division.id == stop:
                break
            names.append(self.label(division.id, lang))
        return " · ".join(reversed(names))

    # -- drafting ------------------------------------------------------------------
    def guess_parent(self, code: str) -> str:
        """For ``hubdir new divisions`` only: the longest existing division whose code starts
        ``code`` at a level boundary (so a 东莞 town finds 4419, not the pseudo-county 441900).
        A draft's suggestion, written into the file for the user to confirm; containment is
        never read from codes."""
        for digits in sorted(CODE_DIGITS.values(), reverse=True):
            if digits < len(code) and code[:digits] in self.by_code:
                return code[:digits]
        return ""


def level_for_code(code: str) -> str:
    """The level an NBS short code of this length has (for drafting a new division only)."""
    return next((level for level, digits in CODE_DIGITS.items() if digits == len(code)), "")
