"""Coverage: where the three-level network has blank spots (空白点), and which details are missing.

The reform asks for every district, town and village/community to have the
organizations and carriers it should have (应建尽建).  ``site_config.yml``'s
``coverage`` section says what each level must have and which fields count
towards a record's completeness; this module measures the registry against it.

Everything here is a pure function of a :class:`~generator.registry.Registry`
and a :class:`Spec`, so the CLI, the site and the datasets show the same
figures.  Rules (the same everywhere, and stated on the coverage page):

* Only active records count: dissolved and merged ones never fill a gap (they
  are listed beside the gap, so a reader sees why it is empty).
* A hub fills a division's slot only if it sits at that division *and at that
  division's level*: an enterprise union (level ``sector``) inside a community
  is not the community's trade union federation.
* Percentages are exact fractions rounded half-up to one decimal; the counts
  behind them are always published too.
"""

from __future__ import annotations

import difflib
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from operator import attrgetter
from typing import Any
from weakref import WeakKeyDictionary

from generator import gcpause, geography
from generator.config import Config
from generator.i18n import t
from generator.registry import REGISTRIES, Record, Registry

#: Division levels that can carry requirements, in display order (the geography's levels).
LEVELS: tuple[str, ...] = geography.LEVELS
#: Registries whose records are carriers a village/community can be required to have.
CARRIER_REGISTRIES: tuple[str, ...] = ("womens_homes", "youth_centers")
#: Registries measured for completeness, in display order.
COMPLETENESS_REGISTRIES: tuple[str, ...] = tuple(r for r in REGISTRIES if r != "divisions")

PHONE_TYPES = ("office_phone", "hotline")


def _contact(kind: tuple[str, ...]) -> Callable[[dict[str, Any]], bool]:
    def test(data: dict[str, Any]) -> bool:
        # a plain loop rather than ``any`` over a generator: asked of every record (100,000 at 100k)
        contacts = data.get("contacts")
        if not isinstance(contacts, list):
            return False
        for c in contacts:  # noqa: SIM110 - no generator frame per record
            if isinstance(c, dict) and c.get("type") in kind and str(c.get("value", "")).strip():
                return True
        return False

    return test


def _text(name: str) -> Callable[[dict[str, Any]], bool]:
    def test(data: dict[str, Any]) -> bool:
        value = data.get(name)  # (read once: asked of every record for each of its counted fields)
        return isinstance(value, str) and bool(value.strip())

    return test


def _items(name: str) -> Callable[[dict[str, Any]], bool]:
    def test(data: dict[str, Any]) -> bool:
        value = data.get(name)
        return isinstance(value, list) and len(value) > 0

    return test


def _location(data: dict[str, Any]) -> bool:
    loc = data.get("location")
    return isinstance(loc, dict) and loc.get("lat") is not None and loc.get("lon") is not None


#: Every field that can count towards completeness, and what "has it" means.
#: ``phone`` is any public phone line (office phone or hotline).
FIELD_TESTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "phone": _contact(PHONE_TYPES),
    "email": _contact(("email",)),
    "website": _contact(("website",)),
    "wechat": _contact(("wechat",)),
    "address": _text("address"),
    "address_en": _text("address_en"),
    "postal_code": _text("postal_code"),
    "location": _location,
    "opening_hours": _text("opening_hours"),
    "services": _items("services"),
    "target_groups": _items("target_groups"),
    "uscc": _text("uscc"),
    "name_en": _text("name_en"),
    "description": _text("description"),
    "last_verified": _text("last_verified"),
}

DEFAULT_TOWN_HUBS = (
    "trade_union",
    "youth_league",
    "womens_federation",
    "disabled_persons_federation",
    "federation_of_commerce",
)
#: Used for any part of the ``coverage`` section a project leaves out.
DEFAULT_SECTION: dict[str, Any] = {
    "required": {
        "district": {"hubs": list(DEFAULT_TOWN_HUBS)},
        "town": {"hubs": list(DEFAULT_TOWN_HUBS)},
        "village": {
            "hubs": ["womens_federation", "trade_union"],
            "carriers": ["womens_homes", "youth_centers"],
        },
    },
    "completeness": {
        "hubs": ["phone", "address", "location", "opening_hours", "services", "uscc"],
        "youth_centers": ["phone", "address", "location", "opening_hours", "services"],
        "womens_homes": ["phone", "address", "location", "opening_hours", "services"],
        "social_orgs": ["phone", "address", "location", "services", "uscc"],
    },
    "hub_uscc_levels": ["district", "town", "sector"],
    "least_complete": 10,
}


# --------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class Requirement:
    """One thing a division of ``level`` must have: a hub of a kind, or a carrier."""

    level: str
    registry: str  # "hubs" or a carrier registry
    code: str  # the hub kind, or the carrier registry's name

    def label(self, config: Config, lang: str) -> str:
        if self.registry == "hubs":
            kind = config.hub_kind(self.code)
            return kind.name.get(lang, kind.name["zh"]) if kind else self.code
        return t(lang, f"coverage.carrier.{self.code}")


@dataclass(frozen=True)
class Spec:
    """What each level must have, and which fields count per registry."""

    required: dict[str, tuple[Requirement, ...]]
    completeness: dict[str, tuple[str, ...]]
    hub_uscc_levels: tuple[str, ...]
    least_complete: int

    def requirements(self, level: str) -> tuple[Requirement, ...]:
        return self.required.get(level, ())

    def fields(self) -> tuple[str, ...]:
        """Every field counted by some registry, in the order of :data:`FIELD_TESTS`."""
        wanted = {f for fs in self.completeness.values() for f in fs}
        return tuple(f for f in FIELD_TESTS if f in wanted)

    def applies(self, record: Record, name: str) -> bool:
        if name not in self.completeness.get(record.registry, ()):
            return False
        return not (
            name == "uscc"
            and record.registry == "hubs"
            and str(record.get("level", "")) not in self.hub_uscc_levels
        )


class SpecError(Exception):
    """The ``coverage`` section names something that does not exist (exit 2, with position)."""

    def __init__(self, pointer: tuple[str | int, ...], key: str, **args: Any) -> None:
        super().__init__(key)
        self.pointer = pointer
        self.key = key
        self.args_dict = args

    def message(self, lang: str) -> str:
        return t(lang, f"coverage.error.{self.key}", **self.args_dict)

    @property
    def where(self) -> str:
        """``coverage.required.town.hubs[1]``"""
        return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.pointer).lstrip(".")

    def __str__(self) -> str:  # what a caller that does not know this error shows (e.g. the site build)
        return f"site_config.yml: {self.where}: {self.message('zh')} / {self.message('en')}"


def spec_from_config(config: Config) -> Spec:
    """Read the ``coverage`` section (shape already checked by the schema; names checked here)."""
    section: dict[str, Any] = config.raw.get("coverage") or {}
    declared = "required" in section
    required_raw = section.get("required", DEFAULT_SECTION["required"])
    known = [k.code for k in config.hub_kinds]
    required: dict[str, tuple[Requirement, ...]] = {}
    for level in LEVELS:
        spec = required_raw.get(level) or {}
        items: list[Requirement] = []
        for index, code in enumerate(spec.get("hubs", [])):
            if code not in known:
                if not declared:  # a default naming a kind this project does not have
                    continue
                guess = difflib.get_close_matches(code, known, n=1, cutoff=0.6)
                raise SpecError(
                    ("coverage", "required", level, "hubs", index),
                    "unknown_kind" if guess else "unknown_kind_plain",
                    value=code,
                    suggestion=guess[0] if guess else "",
                    known=", ".join(known),
                )
            items.append(Requirement(level, "hubs", code))
        items.extend(Requirement(level, name, name) for name in spec.get("carriers", []))
        if items:
            required[level] = tuple(items)
    completeness_raw = section.get("completeness", DEFAULT_SECTION["completeness"])
    completeness = {name: tuple(completeness_raw.get(name, ())) for name in COMPLETENESS_REGISTRIES}
    return Spec(
        required=required,
        completeness={k: v for k, v in completeness.items() if v},
        hub_uscc_levels=tuple(section.get("hub_uscc_levels", DEFAULT_SECTION["hub_uscc_levels"])),
        least_complete=int(section.get("least_complete", DEFAULT_SECTION["least_complete"])),
    )


# --------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class Ratio:
    """``present`` of ``total``; ``percent`` is rounded half-up to 0.1 (``None`` when total is 0)."""

    present: int
    total: int

    @property
    def percent(self) -> Decimal | None:
        if not self.total:
            return None
        value = Decimal(self.present * 100) / Decimal(self.total)
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def missing(self) -> int:
        return self.total - self.present

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.present + other.present, self.total + other.total)

    def text(self) -> str:
        """``40.0%`` or ``–`` when nothing is required."""
        pct = self.percent
        return "–" if pct is None else f"{pct}%"

    def as_dict(self) -> dict[str, Any]:
        pct = self.percent
        return {"present": self.present, "total": self.total, "percent": None if pct is None else float(pct)}


def total(ratios: Iterable[Ratio]) -> Ratio:
    """The sum, counted in plain integers (a ``Ratio`` per addition cost a second at 100k)."""
    present = count = 0
    for ratio in ratios:
        present += ratio.present
        count += ratio.total
    return Ratio(present, count)


@dataclass(frozen=True)
class Slot:
    """One requirement at one division: the active records that fill it, and inactive ones there."""

    requirement: Requirement
    present: tuple[str, ...]
    inactive: tuple[str, ...]

    @property
    def filled(self) -> bool:
        return bool(self.present)


@dataclass(frozen=True)
class DivisionCoverage:
    code: str
    name: str
    name_en: str
    level: str
    town: str  # the town's code ("" for the district)
    slots: tuple[Slot, ...]

    @property
    def ratio(self) -> Ratio:
        return Ratio(sum(1 for s in self.slots if s.filled), len(self.slots))

    @property
    def missing(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if not s.filled)

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


@dataclass(frozen=True)
class TownCoverage:
    """A town, its own slots and its villages' slots."""

    town: DivisionCoverage
    villages: tuple[DivisionCoverage, ...]

    @property
    def own(self) -> Ratio:
        return self.town.ratio

    @property
    def village_ratio(self) -> Ratio:
        return total(v.ratio for v in self.villages)

    @property
    def combined(self) -> Ratio:
        return self.own + self.village_ratio


@dataclass(frozen=True)
class Coverage:
    """Every division in the project's scope, measured: the root, the levels between it and the
    towns (cities, districts), each town with its villages, and any village outside a town."""

    spec: Spec
    district: DivisionCoverage | None  # the root, whatever its level (name kept for renderers)
    towns: tuple[TownCoverage, ...]
    upper: tuple[DivisionCoverage, ...] = ()
    loose: tuple[DivisionCoverage, ...] = ()
    #: Parent code of each measured division (inside the scope), for roll-up.
    parents: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> DivisionCoverage | None:
        return self.district

    @cached_property
    def _all(self) -> tuple[DivisionCoverage, ...]:
        out: list[DivisionCoverage] = []
        if self.district is not None:
            out.append(self.district)
        out.extend(self.upper)
        for town in self.towns:
            out.append(town.town)
            out.extend(town.villages)
        out.extend(self.loose)
        return tuple(out)

    def divisions(self, level: str | None = None) -> list[DivisionCoverage]:
        """Every measured division: the root, the levels above towns, each town followed by its
        villages, then villages outside any town (none is dropped)."""
        return [d for d in self._all if level is None or d.level == level]

    @cached_property
    def rolled(self) -> dict[str, Ratio]:
        """Division code → slots filled in it and everything below it (one pass, O(divisions))."""
        totals: dict[str, Ratio] = {}
        for d in reversed(self._all):  # children come after their parents in ``_all``
            totals[d.code] = totals.get(d.code, Ratio(0, 0)) + d.ratio
            parent = self.parents.get(d.code, "")
            if parent:
                totals[parent] = totals.get(parent, Ratio(0, 0)) + totals[d.code]
        return totals

    def subtree_ratio(self, code: str) -> Ratio:
        """Coverage of a division and all divisions below it (the roll-up through every level)."""
        return self.rolled.get(code, Ratio(0, 0))

    @cached_property
    def _subtree_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for d in reversed(self._all):
            mine = counts.setdefault(d.code, {})
            mine[d.level] = mine.get(d.level, 0) + 1
            parent = self.parents.get(d.code, "")
            if parent:
                into = counts.setdefault(parent, {})
                for level, n in mine.items():
                    into[level] = into.get(level, 0) + n
        return counts

    def count_below(self, code: str, level: str) -> int:
        """Measured divisions at ``level`` in the subtree of ``code`` (itself included)."""
        return self._subtree_counts.get(code, {}).get(level, 0)

    @cached_property
    def _by_code(self) -> dict[str, DivisionCoverage]:
        return {d.code: d for d in self.divisions()}

    def get(self, code: str) -> DivisionCoverage | None:
        return self._by_code.get(code)

    @cached_property
    def _towns_by_code(self) -> dict[str, TownCoverage]:
        return {tw.town.code: tw for tw in self.towns}

    def town(self, code: str) -> TownCoverage | None:
        """A town with its villages (every town page asks: a lookup, not a scan)."""
        return self._towns_by_code.get(code)

    @cached_property
    def village_count(self) -> int:
        """Villages/communities measured; every area page asks, so it is counted once."""
        return sum(len(town.villages) for town in self.towns) + sum(
            1 for d in self.loose if d.level == "village"
        )

    def level_ratio(self, level: str) -> Ratio:
        return total(d.ratio for d in self.divisions(level))

    def requirement_ratio(self, requirement: Requirement) -> Ratio:
        """How many divisions of the requirement's level have it."""
        divisions = self.divisions(requirement.level)
        filled = sum(1 for d in divisions for s in d.slots if s.requirement == requirement and s.filled)
        return Ratio(filled, len(divisions))

    @property
    def overall(self) -> Ratio:
        return total(d.ratio for d in self.divisions())

    def blank_spots(self, level: str | None = None) -> list[tuple[DivisionCoverage, Slot]]:
        return [(d, s) for d in self.divisions(level) for s in d.missing]


def _fills(record: Record, requirement: Requirement, level: str) -> bool:
    if record.registry != requirement.registry:
        return False
    if record.registry == "hubs":
        return record.get("kind") == requirement.code and record.get("level") == level
    return True


def _measure(registry: Registry, spec: Spec, division: Record, town: str) -> DivisionCoverage:
    level = str(division.get("level", ""))
    here = registry.by_division.get(division.id, [])
    slots = []
    for requirement in spec.requirements(level):
        matching = [r for r in here if _fills(r, requirement, level)]
        slots.append(
            Slot(
                requirement,
                present=tuple(sorted(r.id for r in matching if r.active)),
                inactive=tuple(sorted(r.id for r in matching if not r.active)),
            )
        )
    return DivisionCoverage(
        code=division.id,
        name=division.name,
        name_en=str(division.get("name_en", "") or ""),
        level=level,
        town=town,
        slots=tuple(slots),
    )


def compute_coverage(registry: Registry, spec: Spec) -> Coverage:
    """Measure every division in scope (the root and everything below it) against ``spec``.

    The scope comes from the geography's parent links; with no root record in the project,
    every division is measured.  Linear in divisions: one walk, children from the index.
    """
    geo = registry.geo
    scope = geo.in_scope()
    codes = {d.id for d in scope}
    root = geo.root
    root_cov = _measure(registry, spec, root, "") if root is not None else None
    upper: list[DivisionCoverage] = []
    towns: list[TownCoverage] = []
    loose: list[DivisionCoverage] = []
    parents: dict[str, str] = {}
    for division in scope:
        parent = str(division.get("parent", ""))
        if parent in codes:
            parents[division.id] = parent
        if root is not None and division.id == root.id:
            continue
        level = str(division.get("level", ""))
        if level == "town":
            villages = tuple(
                _measure(registry, spec, v, division.id) for v in geo.descendants(division.id, "village")
            )
            towns.append(TownCoverage(_measure(registry, spec, division, division.id), villages))
        elif level == "village":
            if geo.ancestor_at(division.id, "town") is None or not _town_in(geo, division, codes):
                loose.append(_measure(registry, spec, division, ""))
        elif level in geography.LEVELS:
            upper.append(_measure(registry, spec, division, ""))
    return Coverage(
        spec=spec,
        district=root_cov,
        towns=tuple(towns),
        upper=tuple(upper),
        loose=tuple(loose),
        parents=parents,
    )


def _town_in(geo: geography.Geography, village: Record, codes: set[str]) -> bool:
    town = geo.ancestor_at(village.id, "town")
    return town is not None and town.id in codes


# --------------------------------------------------------------------------- completeness
@dataclass(frozen=True)
class RecordCompleteness:
    registry: str
    id: str
    name: str
    division: str
    town: str  # "" when the record sits at district level
    present: tuple[str, ...]
    missing: tuple[str, ...]
    rel: str
    name_en: str = ""

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    @property
    def ratio(self) -> Ratio:
        return Ratio(len(self.present), len(self.present) + len(self.missing))


_new_object = object.__new__


def _row(
    registry: str, rid: str, name: str, division: str, town: str,
    present: tuple[str, ...], missing: tuple[str, ...], rel: str, name_en: str,
) -> RecordCompleteness:
    """``RecordCompleteness(...)`` with every field, without the frozen dataclass's ``__init__``.

    Why: that ``__init__`` sets each of the nine fields through ``object.__setattr__`` (the frozen
    guard), 0.2 of the ~0.8 CPU-s ``compute_completeness`` takes at 100,000 records, before the
    datasets worker can start.  Filling the instance's ``__dict__`` gives the very same object
    (equality, hash, pickling and ``repr`` read the same fields).
    """
    row = _new_object(RecordCompleteness)
    row.__dict__.update(
        registry=registry, id=rid, name=name, division=division, town=town,
        present=present, missing=missing, rel=rel, name_en=name_en,
    )
    return row


@dataclass(frozen=True)
class Completeness:
    spec: Spec
    records: tuple[RecordCompleteness, ...]

    def _field_ratios(self, signatures: Counter[Signature]) -> dict[str, Ratio]:
        counts: dict[str, list[int]] = {f: [0, 0] for f in self.spec.fields()}
        for (present, missing), n in signatures.items():
            for name in present:
                counts[name][0] += n
                counts[name][1] += n
            for name in missing:
                counts[name][1] += n
        return {f: Ratio(p, n) for f, (p, n) in counts.items()}

    # The figures below are the same for both languages' pages: each is computed once (cached), over
    # the rows' ``_signatures`` rather than a pass over every record per registry, town and field.
    @cached_property
    def _signatures(self) -> tuple[Counter[Signature], dict[str, Counter[Signature]], dict[str, Counter[Signature]]]:
        """How many rows share each (present, missing) pair: of all rows, by registry and by town.

        Why: the coverage page adds up the same 100,000 rows per registry, per town, per field and
        overall; a registry's rows fall into a few dozen pairs, so one pass counts the pairs and
        every figure adds per pair (``_field_ratios``, ``_ratio``) instead of per row and field."""
        rows = self.records
        columns = (map(_REGISTRY, rows), map(_TOWN, rows), map(_PRESENT, rows), map(_MISSING, rows))
        cells = Counter(zip(*columns, strict=True))
        every: Counter[Signature] = Counter()
        by_registry: dict[str, Counter[Signature]] = defaultdict(Counter)
        by_town: dict[str, Counter[Signature]] = defaultdict(Counter)
        for (registry, town, present, missing), n in cells.items():
            pair = (present, missing)
            every[pair] += n
            by_registry[registry][pair] += n
            by_town[town][pair] += n
        return every, by_registry, by_town

    @cached_property
    def _by_registry(self) -> dict[str, dict[str, Ratio]]:
        grouped = self._signatures[1]
        return {name: self._field_ratios(grouped.get(name, Counter())) for name in self.spec.completeness}

    def by_registry(self) -> dict[str, dict[str, Ratio]]:
        """Registry → field → ratio (fields the registry does not count have total 0)."""
        return {name: dict(ratios) for name, ratios in self._by_registry.items()}

    def registry_ratio(self, name: str) -> Ratio:
        return _ratio(self._signatures[1].get(name, Counter()))

    def registry_count(self, name: str) -> int:
        return sum(self._signatures[1].get(name, Counter()).values())

    @cached_property
    def _by_field(self) -> dict[str, Ratio]:
        return self._field_ratios(self._signatures[0])

    def by_field(self) -> dict[str, Ratio]:
        return dict(self._by_field)

    def towns(self) -> list[str]:
        """Town codes that hold measured records, ``""`` (district level) first."""
        return sorted({r.town for r in self.records})

    @cached_property
    def _by_town(self) -> dict[str, dict[str, Ratio]]:
        grouped = self._signatures[2]
        return {town: self._field_ratios(grouped[town]) for town in sorted(grouped)}

    def by_town(self) -> dict[str, dict[str, Ratio]]:
        return {town: dict(ratios) for town, ratios in self._by_town.items()}

    @cached_property
    def _grouped(self) -> tuple[dict[str, list[RecordCompleteness]], dict[str, list[RecordCompleteness]]]:
        towns: dict[str, list[RecordCompleteness]] = defaultdict(list)
        divisions: dict[str, list[RecordCompleteness]] = defaultdict(list)
        for row in self.records:
            towns[row.town].append(row)
            divisions[row.division].append(row)
        return towns, divisions

    def in_town(self, town: str) -> list[RecordCompleteness]:
        """Rows of one town (``""``: records at district level)."""
        return self._grouped[0].get(town, [])

    def in_division(self, code: str) -> list[RecordCompleteness]:
        return self._grouped[1].get(code, [])

    def town_ratio(self, town: str) -> Ratio:
        return _ratio(self._signatures[2].get(town, Counter()))

    @cached_property
    def overall(self) -> Ratio:
        return _ratio(self._signatures[0])

    @cached_property
    def _least_complete(self) -> list[RecordCompleteness]:
        return sorted((r for r in self.records if r.missing), key=_least_key)

    def least_complete(self, limit: int | None = None) -> list[RecordCompleteness]:
        """Lowest share first; ties: more missing fields first, then registry order and id.

        With a ``limit`` (every page and table asks for the first ten) a heap picks them, which
        ``heapq`` documents as ``sorted(...)[:limit]``, rather than sorting 100,000 rows."""
        if limit is None:
            return list(self._least_complete)
        if "_least_complete" in self.__dict__:
            return self._least_complete[:limit]
        found = self._least.get(limit)
        if found is None:
            found = self._least[limit] = heapq.nsmallest(limit, (r for r in self.records if r.missing), key=_least_key)
        return list(found)

    @cached_property
    def _least(self) -> dict[int, list[RecordCompleteness]]:
        return {}


_REGISTRY_ORDER: dict[str, int] = {name: i for i, name in enumerate(REGISTRIES)}


def _least_key(r: RecordCompleteness) -> tuple[float, int, int, str]:
    """``least_complete``'s order (the share as ``r.ratio`` gives it, without a ``Ratio`` per row)."""
    present, missing = len(r.present), len(r.missing)
    return (present * 1.0 / (present + missing), -missing, _REGISTRY_ORDER[r.registry], r.id)


#: A row's (present, missing) fields (``Completeness._signatures``).
Signature = tuple[tuple[str, ...], tuple[str, ...]]
_REGISTRY = attrgetter("registry")
_TOWN = attrgetter("town")
_PRESENT = attrgetter("present")
_MISSING = attrgetter("missing")


def _ratio(signatures: Counter[Signature]) -> Ratio:
    """``total(r.ratio for r in rows)`` from the rows' ``Completeness._signatures``."""
    present = count = 0
    for (has, lacks), n in signatures.items():
        present += len(has) * n
        count += (len(has) + len(lacks)) * n
    return Ratio(present, count)


#: The rows of the last ``compute_completeness`` in this process by file: (the record's ``data``
#: object, its town, its row), with the parts of the spec they were measured under.  ``hubdir serve``
#: measures a new registry after every edit, whose unchanged records carry the very ``data`` objects
#: of the last one (``incremental.load`` keeps them; nothing changes a record's data in place, an
#: edit replaces it): a row is taken again only for the same object, registry, town and spec.
_ROWS: dict[str, Any] = {"spec": None, "rows": {}}


def compute_completeness(registry: Registry, spec: Spec) -> Completeness:
    """Which counted fields each active record has (records with no counted field are skipped)."""
    rows: list[RecordCompleteness] = []
    fields = spec.fields()  # once, not per record (every section build measures every record)
    towns: dict[str, str] = {}  # division → its town's code, once per division, not per record
    measured = (spec.completeness, spec.hub_uscc_levels)
    previous: dict[tuple[str, str], tuple[Any, str, RecordCompleteness]] = (
        _ROWS["rows"] if _ROWS["spec"] == measured else {}
    )
    memo: dict[tuple[str, str], tuple[Any, str, RecordCompleteness]] = {}
    town_of = registry.town_of
    # 100,000 rows and their tuples, acyclic and alive as long as the registry: the collections their
    # allocation would trigger (and, unfrozen, the next ones) scan them and find nothing (0.2-0.7
    # CPU-s at 100k); ``hubdir build`` unfreezes what it froze when it ends
    with gcpause.paused(freeze=True):
        for name in COMPLETENESS_REGISTRIES:
            if name not in spec.completeness:
                continue
            # ``spec.applies`` per registry rather than per record and field: only a hub's uscc depends on
            # the record (its level), the rest on the registry alone
            counted = [(f, FIELD_TESTS[f]) for f in fields if f in spec.completeness.get(name, ())]
            by_level = name == "hubs" and any(f == "uscc" for f, _ in counted)
            without_uscc = [(f, test) for f, test in counted if f != "uscc"]
            for rid, record in registry.by_registry[name].items():
                if not record.active:
                    continue
                data = record.data
                if by_level and str(data.get("level", "")) not in spec.hub_uscc_levels:
                    applicable = without_uscc
                else:
                    applicable = counted
                if not applicable:
                    continue
                division = record.division
                town = towns.get(division)
                if town is None:
                    found = town_of(division)
                    town = towns[division] = found.id if found is not None else ""
                rel = record.rel
                slot = (name, rel)
                known = previous.get(slot)
                if known is not None and known[0] is data and known[1] == town:
                    rows.append(known[2])
                    memo[slot] = known
                    continue
                present: list[str] = []
                missing: list[str] = []
                for f, test in applicable:
                    (present if test(data) else missing).append(f)
                row = _row(
                    name, rid, str(data.get("name", "")), division, town, tuple(present), tuple(missing), rel,
                    str(data.get("name_en", "") or ""),
                )
                rows.append(row)
                memo[slot] = (data, town, row)
    _ROWS["spec"], _ROWS["rows"] = measured, memo
    return Completeness(spec=spec, records=tuple(rows))


@dataclass
class Result:
    """Both measurements over one registry (what every renderer takes)."""

    registry: Registry
    spec: Spec
    coverage: Coverage
    completeness: Completeness
    names: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.registry.config

    @cached_property
    def _completeness_rolled(self) -> dict[str, tuple[Ratio, int]]:
        # plain integers per division first (a ``Ratio`` per record and addition cost a second at 100k)
        sums: dict[str, list[int]] = {}
        for row in self.completeness.records:
            found = sums.get(row.division)
            if found is None:
                found = sums[row.division] = [0, 0, 0]
            present = len(row.present)
            found[0] += present
            found[1] += present + len(row.missing)
            found[2] += 1
        own = {code: (Ratio(p, n), count) for code, (p, n, count) in sums.items()}
        return self.registry.geo.rollup(own, lambda a, b: (a[0] + b[0], a[1] + b[1]), (Ratio(0, 0), 0))

    def completeness_below(self, code: str) -> tuple[Ratio, int]:
        """Completeness of the records in a division and everything below it, and how many."""
        return self._completeness_rolled.get(code, (Ratio(0, 0), 0))

    def division_name(self, code: str, lang: str) -> str:
        if not code:  # records above every town: 区直属 in a district, 市直属 in a city…
            level = self.config.root_area.level
            return t(lang, "coverage.district_level" if level == "district" else f"geography.directly_under.{level}")
        record = self.registry.division(code)
        if record is None:
            return code
        if lang == "en" and record.get("name_en"):
            return str(record.get("name_en"))
        return record.name


def measure(registry: Registry, spec: Spec | None = None) -> Result:
    """Coverage and completeness of ``registry`` under ``spec`` (read from its config if omitted)."""
    spec = spec or spec_from_config(registry.config)
    return Result(registry, spec, compute_coverage(registry, spec), compute_completeness(registry, spec))


_MEASURED: WeakKeyDictionary[Registry, Result] = WeakKeyDictionary()


def measured(registry: Registry) -> Result:
    """``measure(registry)`` under its config's spec, computed once per registry (``hubdir serve``
    builds with a new registry each time).

    The coverage page, every area page and the datasets' two tables show these figures; ``hubdir
    build`` asks for them before it forks the datasets worker, which then shares them instead of
    measuring again (2-3 s of CPU at 100,000 records, in a second build as in a first).
    """
    found = _MEASURED.get(registry)
    if found is None:
        found = _MEASURED[registry] = measure(registry)
    return found


def forget(registry: Registry) -> None:
    """Measure ``registry`` again when next asked: its records took new data in place
    (``incremental.load`` after an edit in ``hubdir serve``)."""
    _MEASURED.pop(registry, None)
