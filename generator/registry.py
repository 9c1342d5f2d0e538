"""The in-memory model: validated records by registry, with indexes and resolved links.

Everything downstream (site, datasets, diff, coverage) reads this model and
never the YAML files, so the rules about what a link means live in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from generator.config import Config
from generator.geography import Geography

#: Registries in the order they are loaded, checked and published.
REGISTRIES: tuple[str, ...] = ("divisions", "hubs", "youth_centers", "womens_homes", "social_orgs")

#: Prefix that ``hubdir new`` gives each registry's ids (divisions use their code).
ID_PREFIX = {"hubs": "hub", "youth_centers": "yc", "womens_homes": "wh", "social_orgs": "so"}

#: Single-valued link fields: field → registry it points into.
LINKS: dict[str, dict[str, str]] = {
    "divisions": {"parent": "divisions"},
    "hubs": {"division": "divisions", "parent": "hubs", "successor": "hubs"},
    "youth_centers": {"division": "divisions", "host": "hubs", "successor": "youth_centers"},
    "womens_homes": {"division": "divisions", "hub": "hubs", "successor": "womens_homes"},
    "social_orgs": {"division": "divisions", "hub": "hubs", "successor": "social_orgs"},
}
#: List-valued link fields.
LIST_LINKS: dict[str, dict[str, str]] = {"youth_centers": {"groups": "social_orgs"}}

#: The hub a carrier belongs to, by registry.
HUB_FIELD = {"youth_centers": "host", "womens_homes": "hub", "social_orgs": "hub"}

#: What the model reads when the YAML leaves a field out (the one owner of these defaults; the open
#: datasets publish the effective value).
EFFECTIVE_DEFAULTS: dict[str, str] = {"status": "active"}
#: Registries whose records have those fields (divisions have no status).
DEFAULTED_REGISTRIES = ("hubs", "youth_centers", "womens_homes", "social_orgs")
_STATUS_DEFAULT = EFFECTIVE_DEFAULTS["status"]
_FIRST = itemgetter(0)



@dataclass(slots=True)
class Record:
    """One YAML file's record. ``data`` is exactly what the file says (strictly loaded).

    ``id``, ``active`` and ``division`` are plain slots, set whenever ``data`` (or ``registry``) is
    (``__setattr__``): ``id`` is read ~1.3 million times a build at 20,000 records across the
    processes (indexes, keys, links, rows), and a property computing ``str(data.get("id", ""))``
    each time was ~0.3 CPU-s of them; ``active`` and ``division`` are each read ~400,000 times in
    the main process of a build at 100k alone (counts, listings, coverage, completeness: ~0.6 CPU-s
    as properties).  ``data`` is never changed in place (a new value is assigned: ``serve``,
    ``incremental._load_again``), so the slots always say what ``data`` says.
    """

    registry: str
    data: dict[str, Any]
    path: Path
    rel: str
    id: str = field(init=False, repr=False, compare=False)
    #: ``status == "active"`` (the effective status: ``EFFECTIVE_DEFAULTS`` when the YAML leaves it out).
    active: bool = field(init=False, repr=False, compare=False)
    #: The division the record lies in (a division's own code for a division).
    division: str = field(init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "data" or (name == "registry" and hasattr(self, "data")):
            self._derive()

    def _derive(self) -> None:
        """Set the slots read from ``data`` (``id``, ``active``, ``division``)."""
        data = self.data
        rid = str(data.get("id", ""))
        status = data.get("status", _STATUS_DEFAULT)
        object.__setattr__(self, "id", rid)
        object.__setattr__(self, "active", (status if status.__class__ is str else str(status)) == "active")
        object.__setattr__(
            self, "division", rid if self.registry == "divisions" else str(data.get("division", ""))
        )

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def status(self) -> str:
        value = self.data.get("status", _STATUS_DEFAULT)
        return value if value.__class__ is str else str(value)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


class Registry:
    """All records, indexed.  Build it with ``Registry(config, records)``."""

    def __init__(self, config: Config, records: list[Record]) -> None:
        self.config = config
        self.by_registry: dict[str, dict[str, Record]] = {name: {} for name in REGISTRIES}
        # each record's id read once (the sort's key and the index's): 100,000 records a build
        keyed = [((record.registry, record.id), record) for record in records]
        keyed.sort(key=_FIRST)  # stable, so the first of a duplicate id stays the one indexed
        for (name, rid), record in keyed:
            self.by_registry[name].setdefault(rid, record)
        self.by_id: dict[str, Record] = {}
        for name in REGISTRIES:
            for rid, record in self.by_registry[name].items():
                self.by_id.setdefault(rid, record)
        self.by_division: dict[str, list[Record]] = defaultdict(list)
        self.children: dict[str, list[Record]] = defaultdict(list)
        #: The geography (levels, parents, children, ancestors, roll-up, labels): ask it, not codes.
        self.geo = Geography(self.by_registry["divisions"].values(), config.root_area.code)
        self.carriers: dict[str, list[Record]] = defaultdict(list)
        self.successors_of: dict[str, list[Record]] = defaultdict(list)
        for name in REGISTRIES:
            if name == "divisions":
                continue
            hub_field = HUB_FIELD.get(name)
            by_division, children, carriers, successors = (
                self.by_division, self.children, self.carriers, self.successors_of
            )
            for record in self.by_registry[name].values():
                data = record.data  # (``record.get`` is ``data.get``)
                by_division[record.division].append(record)
                if name == "hubs" and data.get("parent"):
                    children[data["parent"]].append(record)
                if hub_field and data.get(hub_field):
                    carriers[data[hub_field]].append(record)
                if data.get("successor"):
                    successors[data["successor"]].append(record)

    # -- access ---------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(v) for v in self.by_registry.values())

    def records(self, registry: str) -> list[Record]:
        """Records of one registry, sorted by id."""
        return list(self.by_registry[registry].values())

    def all(self) -> Iterator[Record]:
        for name in REGISTRIES:
            yield from self.by_registry[name].values()

    def get(self, registry: str, rid: str) -> Record | None:
        return self.by_registry.get(registry, {}).get(rid)

    def link(self, record: Record, field: str) -> Record | None:
        """Resolve a single-valued link field to its record (``None`` when empty or dangling)."""
        target = LINKS.get(record.registry, {}).get(field)
        value = record.get(field)
        return self.get(target, value) if target and isinstance(value, str) else None

    # -- divisions ------------------------------------------------------------
    def division(self, code: str) -> Record | None:
        return self.by_registry["divisions"].get(code)

    # Thin delegates to :attr:`geo`, kept for callers written before the geography module.
    @property
    def sub_divisions(self) -> Mapping[str, list[Record]]:
        """Division code → its children (the geography's index; missing codes have none)."""
        return self.geo.children_index

    def towns(self) -> list[Record]:
        return self.geo.at_level("town")

    def villages(self, town: str | None = None) -> list[Record]:
        """Villages/communities (of one town, through the children index: O(answer))."""
        if town is None:
            return self.geo.at_level("village")
        return list(self.geo.descendants(town, "village"))

    def division_chain(self, code: str) -> list[Record]:
        """The division and its ancestors inside the registry, nearest first."""
        return list(self.geo.chain(code))

    def town_of(self, code: str) -> Record | None:
        return self.geo.ancestor_at(code, "town")

    def hub_of(self, record: Record) -> Record | None:
        """The hub a youth center, women's home or social organization belongs to."""
        hub_field = HUB_FIELD.get(record.registry)
        return self.link(record, hub_field) if hub_field else None


def with_defaults(registry: str, data: dict[str, Any]) -> dict[str, Any]:
    """The record as the model reads it: every YAML value as written, plus the effective defaults it
    leaves out (appended; ``data`` itself is not changed)."""
    if registry not in DEFAULTED_REGISTRIES or not isinstance(data, dict):
        return data
    missing = {k: v for k, v in EFFECTIVE_DEFAULTS.items() if k not in data}
    return {**data, **missing} if missing else data
