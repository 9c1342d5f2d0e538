"""What the site shows, computed once from the registry: URLs, kinds, rows and views.

Templates receive plain data from here (never YAML front matter), and every
link a template prints goes through ``safe_href`` so only http(s), mailto and
tel links can reach a page.
"""

from __future__ import annotations

import heapq
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any

from generator.config import Config
from generator.i18n import t
from generator.registry import Record, Registry
from generator.site import geo
from generator.site.labels import Labels, opening_hours

#: Registries that are not hubs but have their own listing, in display order.
CARRIER_KINDS = ("youth_centers", "womens_homes", "social_orgs")
SCHEMA_TYPE = {
    "hubs": "GovernmentOrganization",
    "social_orgs": "NGO",
    "youth_centers": "Organization",
    "womens_homes": "Organization",
}
_TEL = re.compile(r"^\+?[0-9][0-9\- ]{2,24}$")
_EMAIL = re.compile(r"^[^@\s<>\"'()]+@[^@\s<>\"'()]+\.[^@\s<>\"'()]+$")
_HTTP = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
PHONE_TYPES = ("office_phone", "hotline")
#: Longest list of related records printed on one page (the rest are counted).
LIST_LIMIT = 40
#: The same on a record page: a hub's forty member unions cost 3.6 KB of a light page (the target is
#: 8 KB); past this many, the page links to the kind's listing, where every one of them is.
RECORD_LIST_LIMIT = 4


#: ``SiteModel.capped``'s other two keys for the lists a record page caps (made once, not per page).
_CAPPED_KEYS = {key: (f"{key}_more", f"{key}_kind") for key in ("predecessors", "children", "carriers", "hosts")}


def safe_href(value: Any, kind: str = "url") -> str | None:
    """A link target for ``value`` or ``None``: only http(s), mailto and tel ever become links."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if kind == "tel":
        return "tel:" + value.replace(" ", "") if _TEL.match(value) else None
    if kind == "email":
        return "mailto:" + value if _EMAIL.match(value) else None
    return value if _HTTP.match(value) else None


@dataclass(frozen=True)
class Kind:
    """One listing: a hub kind from the config, or a carrier registry."""

    code: str
    registry: str
    name: dict[str, str]

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name["zh"]


def record_path(record: Record) -> str:
    """The page of a record, relative to a language root (stable: ids never change)."""
    if record.registry == "divisions":
        return f"area/{record.id}/"
    return f"org/{record.id}/"


def relative(from_path: str, to_path: str) -> str:
    """Relative link between two directory-style pages of the same language root."""
    depth = from_path.count("/")
    return "../" * depth + to_path if (depth or to_path) else "./"


_PUNCTUATION = re.compile(r"[\s\W_]+")


def _same_words(a: Any, b: Any) -> bool:
    """The same words but for spaces and punctuation (``法定节假日休息`` = ``法定节假日：休息``)."""
    if a.__class__ is str and b.__class__ is str:  # a contact's label beside its type's: a few pairs
        key = (a, b)
        found = _SAME.get(key)
        if found is None:
            found = _words_equal(a, b)
            if len(_SAME) < _SAME_LIMIT:
                _SAME[key] = found
        return found
    return _words_equal(a, b)


def _words_equal(a: Any, b: Any) -> bool:
    return bool(a) and bool(b) and _PUNCTUATION.sub("", str(a)) == _PUNCTUATION.sub("", str(b))


#: ``_same_words``' answers for pairs of strings (bounded: past the limit, no more are kept).
_SAME: dict[tuple[str, str], bool] = {}
_SAME_LIMIT = 10_000


#: A rule of the opening hours schema.org's ``openingHours`` can say: days (Mo…Su), then times.
_SCHEMA_HOURS = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)\b")


def schema_hours(value: str) -> list[str]:
    """The record's rules (OpenStreetMap syntax, ``;``-separated) that are schema.org ``openingHours``:
    ``PH off`` and other holiday rules are not (the page's text says them)."""
    return [part.strip() for part in value.split(";") if _SCHEMA_HOURS.match(part.strip())]


def _has_point(record: Record) -> bool:
    """Whether ``record`` has coordinates to draw (``SiteModel.display_point`` converts them)."""
    loc = record.get("location")
    return isinstance(loc, dict) and "lat" in loc and "lon" in loc


def json_ld(data: dict[str, Any]) -> str:
    """JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` escaped so it can never close the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: ``SiteModel``'s cached figures that read nothing but ids, kinds, statuses, divisions, locations,
#: ``groups`` (fields of ``incremental.STRUCTURAL`` and the links), the configuration and the page size.
STRUCTURAL_FIGURES = (
    "by_kind",
    "group_hosts",
    "counts_in",
    "listing_plan",
    "active_counts",
    "located_by_kind",
)


@dataclass
class SiteModel:
    """The registry seen through the site's eyes (both languages)."""

    config: Config
    registry: Registry
    labels: Labels
    extra: dict[str, Any] = field(default_factory=dict)
    #: Rows on one listing page; a bigger kind is split by town, then into pages of this size.
    page_size: int = 300
    #: Longest list of related records printed on one record or area page (the rest are counted).
    list_limit: int = LIST_LIMIT
    record_list_limit: int = RECORD_LIST_LIMIT
    _links: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict, repr=False)
    _latest: dict[int, list[Record]] = field(default_factory=dict, repr=False)
    _places: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict, repr=False)
    _row_places: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict, repr=False)

    @property
    def record_limit(self) -> int:
        return min(self.list_limit, self.record_list_limit)

    def adopt(self, previous: SiteModel) -> None:
        """Take the figures of ``previous`` that read only the registry's structure (``STRUCTURAL_FIGURES``).

        Only for a model of the very registry object ``previous`` showed, under the same
        configuration, whose records changed since only in place and only in fields none of these
        figures read (``incremental._load_again``, ``hubdir serve``'s in-place step): at 100k they
        cost a second of every consolidating build, and came out the same.
        """
        if previous.registry is not self.registry or (previous.page_size, previous.list_limit) != (
            self.page_size,
            self.list_limit,
        ):
            return
        for name in STRUCTURAL_FIGURES:
            if name in previous.__dict__:
                self.__dict__.setdefault(name, previous.__dict__[name])

    # -- kinds ------------------------------------------------------------------
    @cached_property
    def kinds(self) -> list[Kind]:
        kinds = [Kind(k.code, "hubs", dict(k.name)) for k in self.config.hub_kinds]
        for registry in CARRIER_KINDS:
            kinds.append(
                Kind(
                    registry, registry, {lang: t(lang, f"site.registry.{registry}") for lang in ("zh", "en")}
                )
            )
        return kinds

    def kind_of(self, record: Record) -> Kind | None:
        code = str(record.get("kind")) if record.registry == "hubs" else record.registry
        return self._kinds_by_code.get(code)

    @cached_property
    def _kinds_by_code(self) -> dict[str, Kind]:
        out: dict[str, Kind] = {}
        for kind in self.kinds:
            out.setdefault(kind.code, kind)  # the first of a code, as a search along the list finds
        return out

    @cached_property
    def by_kind(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {k.code: [] for k in self.kinds}
        kinds = self._kinds_by_code
        # ``kind_of`` per registry rather than per record: only a hub's kind is its own
        for name, records in self.registry.by_registry.items():
            if name == "divisions":
                continue
            if name != "hubs":
                kind = kinds.get(name)
                if kind is not None:
                    out[kind.code].extend(records.values())
                continue
            for record in records.values():
                kind = kinds.get(str(record.data.get("kind")))
                if kind is not None:
                    out[kind.code].append(record)
        return out

    @cached_property
    def group_hosts(self) -> dict[str, list[Record]]:
        """Social organization id → youth centers that host it (``groups`` read backwards)."""
        out: dict[str, list[Record]] = {}
        for center in self.registry.records("youth_centers"):
            for group in center.get("groups") or []:
                out.setdefault(str(group), []).append(center)
        return out

    @cached_property
    def counts_in(self) -> dict[str, int]:
        """Active organizations in each division, its sub-divisions included."""
        own: dict[str, int] = {}  # by the records' own division first: one chain per division, not per record
        for record in self.organizations():
            if record.active:
                code = record.division
                own[code] = own.get(code, 0) + 1
        counts: dict[str, int] = {}
        chain = self.registry.geo.chain
        for code, count in own.items():
            for division in chain(code):
                counts[division.id] = counts.get(division.id, 0) + count
        return counts

    @cached_property
    def listing_plan(self) -> dict[str, list[dict[str, Any]]]:
        """Kinds too big for one listing page → per child of the root (a district's towns, a city's
        districts, a province's cities), chunks of ``page_size`` records and their paths.

        Grouping by the level just below the root keeps the number of groups small at any scale,
        so pages are full (not one page per town with a row or two each, as at province scale)."""
        size = self.page_size
        plan: dict[str, list[dict[str, Any]]] = {}
        groups: dict[str, str] = {}  # division → ``group_code`` (it reads the record's division alone)
        for kind, records in self.by_kind.items():
            if len(records) <= size:
                continue
            by_town: dict[str, list[Record]] = {}
            for record in records:
                division = record.division
                group = groups.get(division)
                if group is None:
                    group = groups[division] = self.group_code(record)
                by_town.setdefault(group, []).append(record)
            towns = []
            for town in sorted(by_town):
                items = by_town[town]
                chunks = [items[i : i + size] for i in range(0, len(items), size)]
                stem = f"list/{kind}-{town or 'other'}"
                towns.append(
                    {
                        "town": town,
                        "chunks": chunks,
                        "pages": [f"{stem}-{i + 1}/" for i in range(len(chunks))],
                    }
                )
            plan[kind] = towns
        return plan

    @cached_property
    def active_counts(self) -> dict[str, int]:
        """Active records of each kind: the home page's figures, once for both languages."""
        active = attrgetter("active")  # (``map`` in C rather than a generator per kind)
        return {code: sum(map(active, records)) for code, records in self.by_kind.items()}

    def latest_verified(self, limit: int) -> list[Record]:
        """The ``limit`` organizations verified last (newest first, then by id descending), once per
        model: ``heapq.nlargest`` is ``sorted(reverse=True)[:limit]`` without sorting 100,000 records."""
        found = self._latest.get(limit)
        if found is None:
            organizations = self.organizations()
            # First the ``limit``-th newest date over plain strings (no tuple per record for the
            # collector to track): only records at least that new can be among the newest by (date, id).
            dates = [str(r.data["last_verified"]) for r in organizations if r.data.get("last_verified")]
            newest = heapq.nlargest(limit, dates)
            cut = newest[-1] if newest else ""
            dated = (r for r in organizations if r.data.get("last_verified") and str(r.data["last_verified"]) >= cut)
            found = heapq.nlargest(limit, dated, key=lambda r: (str(r.data["last_verified"]), r.id))
            self._latest[limit] = found
        return found

    @cached_property
    def located_by_kind(self) -> dict[str, list[Record]]:
        """The records of each kind that have a point on the map (``display_point`` is not ``None``),
        without converting their coordinates: the section pages need only how many there are, and
        the map's points are written in a worker (``pages.map_points``)."""
        out: dict[str, list[Record]] = {}
        for code, records in self.by_kind.items():
            for record in records:
                if _has_point(record):
                    out.setdefault(code, []).append(record)
        return out

    def organizations(self) -> list[Record]:
        return [r for r in self.registry.all() if r.registry != "divisions"]

    # -- map --------------------------------------------------------------------
    @cached_property
    def map_config(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "tiles": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            "subdomains": "1234",
            "attribution": "© 高德地图 AutoNavi",
            "crs": "gcj02",
            "max_zoom": 18,
        }
        defaults.update(self.config.raw.get("map") or {})
        return defaults

    def display_point(self, record: Record) -> tuple[float, float] | None:
        if not _has_point(record):
            return None
        loc = record.get("location")
        return geo.display(float(loc["lat"]), float(loc["lon"]), str(self.map_config["crs"]))

    # -- words ------------------------------------------------------------------
    def division_name(self, code: str, lang: str) -> str:
        return self.registry.geo.label(code, lang)

    def group_code(self, record: Record) -> str:
        """The division just below the root that holds ``record`` ("" at the root itself); without
        a root record in the project, its town."""
        geo = self.registry.geo
        if geo.root is None:
            return self.town_code(record)
        chain = geo.chain(record.division)
        for index, division in enumerate(chain):
            if division.id == geo.root_code:
                return chain[index - 1].id if index else ""
        return ""

    def group_label(self, code: str, lang: str) -> str:
        """A listing group's name: the division, or the root's own level for records at the root."""
        if code:
            return self.division_name(code, lang)
        root = self.registry.geo.root
        return t(lang, "geography.listing.root_level", name=self.division_name(root.id, lang)) if root else ""

    def town_code(self, record: Record) -> str:
        town = self.registry.town_of(record.division)
        return town.id if town else ""

    def status_label(self, record: Record, lang: str) -> str:
        return self.labels.enum("status", record.status, lang)

    def kind_label(self, record: Record, lang: str) -> str:
        kind = self.kind_of(record)
        return kind.label(lang) if kind else record.registry

    # -- views --------------------------------------------------------------------
    def link(self, record: Record | None, lang: str) -> dict[str, str] | None:
        """How a page names another record; made once per record and language (a hub is named on
        the pages of all its members), so callers must not change the dict they get."""
        if record is None:
            return None
        key = (record.id, lang)
        found = self._links.get(key)
        if found is None:
            found = self._links[key] = {
                "path": record_path(record),
                "name": record.name,
                "status": record.status,
                "status_label": self.status_label(record, lang),
                "kind": self.kind_label(record, lang),
            }
        return found

    def capped(self, key: str, records: list[Record], lang: str, limit: int | None = None) -> dict[str, Any]:
        """At most ``limit`` (``LIST_LIMIT``) links, how many were left out and the kind of the
        first (its listing holds them all): a town union may have thousands of member unions,
        and a page must stay small whatever N."""
        if not records:  # most records have no children, carriers, hosts or predecessors
            more, kind_key = _CAPPED_KEYS.get(key) or (f"{key}_more", f"{key}_kind")
            return {key: [], more: 0, kind_key: ""}
        limit = self.list_limit if limit is None else limit
        kind = self.kind_of(records[0]) if len(records) > limit else None
        return {
            key: [self.link(r, lang) for r in records[:limit]],
            f"{key}_more": max(0, len(records) - limit),
            f"{key}_kind": kind.code if kind else "",
        }

    def contacts(self, record: Record, lang: str) -> list[dict[str, Any]]:
        out = []
        enum = self.labels.enum
        for item in record.data.get("contacts") or []:
            kind = str(item.get("type", ""))
            value = str(item.get("value", ""))
            href = None
            if kind in PHONE_TYPES:
                href = safe_href(value, "tel")
            elif kind == "email":
                href = safe_href(value, "email")
            elif kind == "website":
                href = safe_href(value)
            label = item.get("label")
            note = item.get("label_en") if lang == "en" and item.get("label_en") else label
            if _same_words(label, enum("type", kind, "zh")):
                note = ""  # "传真（传真）", "服务热线（服务热线）": the note says the type again
            out.append(
                {
                    "type": enum("type", kind, lang),
                    "value": value,
                    "href": href,
                    "note": note or "",
                    "kind": kind,
                }
            )
        return out

    def record_view(self, record: Record, lang: str) -> dict[str, Any]:
        """Everything a record page shows, as plain data."""
        data = record.data
        reg = self.registry
        successor = reg.link(record, "successor")
        parent = reg.link(record, "parent") if record.registry == "hubs" else reg.hub_of(record)
        limit = self.record_limit
        # read once each (properties over ``data``; ``kind_label`` is the kind's label)
        rid, name, status, kind = record.id, record.name, record.status, self.kind_of(record)
        view: dict[str, Any] = {
            "id": rid,
            "registry": record.registry,
            "path": record_path(record),
            "name": name,
            "name_en": data.get("name_en", ""),
            # an alias spelled as the name says nothing ("又称" the same words)
            "aliases": [a for a in data.get("aliases") or [] if a != name],
            "kind": kind.label(lang) if kind else record.registry,
            "kind_code": kind.code if kind else "",
            "status": status,
            "status_label": self.labels.enum("status", status, lang),
            "successor": self.link(successor, lang),
            **self.capped("predecessors", reg.successors_of.get(rid, []), lang, limit),
            "dissolved_on": data.get("dissolved_on", ""),
            "established_on": data.get("established_on", ""),
            "level": self.labels.enum("level", data["level"], lang) if data.get("level") else "",
            "org_type": self.labels.enum("org_type", data["org_type"], lang) if data.get("org_type") else "",
            "unit": data.get("unit", ""),
            "divisions": self.places(record.division, lang),
            "parent": self.link(parent, lang),
            "parent_label": t(lang, "site.record.parent" if record.registry == "hubs" else "site.record.hub"),
            **self.capped("children", reg.children.get(rid, []), lang, limit),
            **self.capped("carriers", reg.carriers.get(rid, []), lang, limit),
            "groups": [
                self.link(reg.get("social_orgs", g), lang) or {"path": "", "name": g}
                for g in data.get("groups") or []
            ],
            **self.capped("hosts", self.group_hosts.get(rid, []), lang, limit),
            "address": data.get("address_en")
            if lang == "en" and data.get("address_en")
            else data.get("address", ""),
            "postal_code": data.get("postal_code", ""),
            "location": data.get("location"),
            "point": self.display_point(record),
            "contacts": self.contacts(record, lang),
            "hours": opening_hours(str(data["opening_hours"]), lang) if data.get("opening_hours") else [],
            "hours_raw": data.get("opening_hours", ""),
            "hours_note": self.hours_note(data),
            "services": [self.labels.enum("services", s, lang) for s in data.get("services") or []],
            "target_groups": [
                self.labels.enum("target_groups", s, lang) for s in data.get("target_groups") or []
            ],
            "undertakes": [
                {**u, "service": self.labels.enum("service", u.get("service"), lang)}
                for u in data.get("undertakes") or []
            ],
            "posts": [
                {
                    **p,
                    "post": self.labels.enum("post", p.get("post"), lang),
                    "sector": self.labels.enum("sector", p.get("sector"), lang),
                }
                for p in data.get("posts") or []
            ],
            "area_sqm": data.get("area_sqm"),
            "wheelchair": data.get("wheelchair_accessible"),
            "uscc": data.get("uscc", ""),
            "description": (
                data.get("description_en")
                if lang == "en" and data.get("description_en")
                else data.get("description", "")
            ),
            "sources": [{**s, "href": safe_href(s.get("url"))} for s in data.get("sources") or []],
            "last_verified": data.get("last_verified", ""),
            "edit_url": self.edit_url(record),
            "edit_path": record.rel,
            "correction_url": self._correction_url,
        }
        # once per entity, on its canonical (Chinese) page: ``record_page``
        view["schema"] = self.schema(record, parent) if lang == "zh" else None
        return view

    def places(self, code: str, lang: str) -> list[dict[str, str]]:
        """A record page's divisions (its own first, then up the chain): the same for every record of
        a village, so made once per division and language; callers must not change the list."""
        key = (code, lang)
        found = self._places.get(key)
        if found is None:
            chain = self.registry.geo.chain(code)
            found = self._places[key] = [
                {"path": record_path(d), "name": self.division_name(d.id, lang)} for d in chain
            ]
        return found

    def _row_place(self, code: str, lang: str) -> tuple[str, str, str]:
        """A listing row's town (code and name) and village name (``""`` outside a village): the same
        for every record of a division, so found once per division and language."""
        key = (code, lang)
        found = self._row_places.get(key)
        if found is None:
            town = self.registry.town_of(code)
            village = self.registry.division(code)
            found = self._row_places[key] = (
                town.id if town else "",
                self.division_name(town.id, lang) if town else "",
                self.division_name(code, lang) if village and village.get("level") == "village" else "",
            )
        return found

    def hours_note(self, data: dict[str, Any]) -> str:
        """The record's note on its hours, unless it says what the hours' own lines say ("法定节假日休息"
        beside "法定节假日：休息")."""
        note = str(data.get("opening_hours_note") or "")
        value = data.get("opening_hours")
        if note and value and any(_same_words(note, line) for line in opening_hours(str(value), "zh")):
            return ""
        return note

    @cached_property
    def _correction_url(self) -> str | None:
        """The site's correction link, the same on every record page."""
        return safe_href(self.config.site.get("correction_url"))

    def edit_url(self, record: Record) -> str | None:
        repo = self.config.site.get("repo_url")
        branch = self.config.site.get("edit_branch", "main")
        return safe_href(f"{repo}/edit/{branch}/{record.rel}") if repo else None

    def absolute(self, path: str, lang: str) -> str:
        base = str(self.config.site["url"])
        return base + ("en/" if lang == "en" else "") + path

    def schema(self, record: Record, parent: Record | None) -> dict[str, Any]:
        """What the Chinese record page needs for its schema.org microdata (``record_page``) beyond the
        facts it shows: the types, the hours in schema.org's own syntax and which phone is "telephone".

        Why microdata, not a JSON-LD block: the block said again what the page shows (name, address,
        phone, coordinates, the parent's name and two absolute addresses): ~0.65 KB of every Chinese
        page, where the properties on the shown text cost less and can never disagree with it.  Who
        (name, tax id, parent) and where and when to reach it (address, geo, phone, hours); the rest is
        the page's text and the datasets, which carry every field."""
        data = record.data
        phones = [str(c.get("value", "")) for c in data.get("contacts") or [] if c.get("type") in PHONE_TYPES]
        hours = data.get("opening_hours")
        return {
            "type": SCHEMA_TYPE.get(record.registry, "Organization"),
            "parent_type": SCHEMA_TYPE.get(parent.registry, "Organization") if parent is not None else "",
            "hours": schema_hours(str(hours)) if hours else [],
            "telephone": phones[0] if phones else "",
        }

    def row(self, record: Record, lang: str) -> dict[str, Any]:
        """One listing row: shown cells plus the codes filters use."""
        town, town_name, place = self._row_place(record.division, lang)
        return {
            "path": record_path(record),
            "name": record.name,
            "status": record.status,
            "status_label": self.status_label(record, lang),
            "town": town,
            "town_name": town_name,
            "place": place,
            "type": self.labels.enum("level", record.get("level"), lang)
            if record.get("level")
            else (
                self.labels.enum("org_type", record.get("org_type"), lang) if record.get("org_type") else ""
            ),
            "services": list(record.get("services") or []),
            "groups": list(record.get("target_groups") or []),
            "service_labels": [self.labels.enum("services", s, lang) for s in record.get("services") or []],
            "group_labels": [
                self.labels.enum("target_groups", s, lang) for s in record.get("target_groups") or []
            ],
        }
