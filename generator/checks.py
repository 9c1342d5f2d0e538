"""Meaning checks: what a JSON Schema cannot say about one record in isolation.

Each check takes the whole registry (references need it) and yields located
problems.  Records that failed the shape layer are still checked where the
fields a check reads are sound, so one run reports as much as it can.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from stdnum.cn import ric, uscc

from generator import yamlio
from generator.problems import Problem, Severity
from generator.registry import (
    CODE_LENGTH_LEVEL,
    HUB_FIELD,
    LEVEL_RANK,
    LINKS,
    LIST_LINKS,
    Record,
    Registry,
    division_contains,
)

LANDLINE = re.compile(r"(?:\+86[- ]?)?(?:0\d{2,3}-?|\(0\d{2,3}\))[2-9]\d{6,7}(?:-\d{1,6})?\Z")
MOBILE = re.compile(r"(?:\+86[- ]?)?1[3-9]\d{9}\Z")
HOTLINE = re.compile(r"(?:1\d{4}|9\d{4}|[48]00-?\d{3}-?\d{4})\Z")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\Z")
URL = re.compile(r"https?://[^\s/$.?#][^\s]*\Z")
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
DATE_FIELDS = ("established_on", "dissolved_on", "last_verified")
#: Hub kinds a carrier must belong to.
CARRIER_HUB_KIND = {"youth_centers": "youth_league", "womens_homes": "womens_federation"}

Check = Callable[[Registry], Iterator[Problem]]


def _at(record: Record, pointer: tuple[str | int, ...], code: str, *, severity: Severity = "error",
        key: bool = False, **args: Any) -> Problem:
    line, column = yamlio.locate(record.path, pointer, key=key) if pointer else (1, 1)
    field = ".".join(str(p) for p in pointer)
    return Problem.make(record.rel, line, column, code, severity=severity, field=field, **args)


def check_ids(registry: Registry, records: list[Record]) -> Iterator[Problem]:
    """Ids equal file names and are unique across all registries (they are URLs)."""
    seen: dict[str, Record] = {}
    for record in records:
        rid = record.get("id")
        if isinstance(rid, str) and rid != record.path.stem:
            yield _at(record, ("id",), "M001", id=rid, stem=record.path.stem)
        if not isinstance(rid, str):
            continue
        if rid in seen:
            first = seen[rid]
            yield _at(record, ("id",), "M002", id=rid, other=first.rel)
        else:
            seen[rid] = record


def check_links(registry: Registry) -> Iterator[Problem]:
    for record in registry.all():
        for field, target in LINKS[record.registry].items():
            value = record.get(field)
            if not isinstance(value, str) or (record.registry == "divisions" and record.get("level") == "district"):
                continue
            if registry.get(target, value) is None:
                elsewhere = registry.by_id.get(value)
                if elsewhere is not None:
                    yield _at(record, (field,), "M003", value=value, target=target, actual=elsewhere.registry)
                else:
                    yield _at(record, (field,), "M004", value=value, target=target)
        for field, target in LIST_LINKS.get(record.registry, {}).items():
            for index, value in enumerate(record.get(field) or []):
                if isinstance(value, str) and registry.get(target, value) is None:
                    yield _at(record, (field, index), "M004", value=value, target=target)


def check_divisions(registry: Registry) -> Iterator[Problem]:
    """Division records: code length matches level, codes nest inside their parent's."""
    for record in registry.records("divisions"):
        level, code, parent = record.get("level"), record.id, record.get("parent")
        if CODE_LENGTH_LEVEL.get(len(code)) != level:
            yield _at(record, ("level",), "M005", code=code, level=str(level))
        if isinstance(parent, str) and not code.startswith(parent[: len(code) - 3]):
            yield _at(record, ("parent",), "M006", code=code, parent=parent)


def check_division_levels(registry: Registry) -> Iterator[Problem]:
    """A record's division exists at the level its kind of record sits at."""
    for record in registry.all():
        if record.registry == "divisions":
            continue
        division = registry.division(record.division)
        if division is None:
            continue
        if record.registry == "hubs":
            level = record.get("level")
            wanted = None if level == "sector" else level
        elif record.registry in ("youth_centers", "womens_homes"):
            wanted = "village"
        else:
            wanted = None
        if wanted and division.get("level") != wanted:
            yield _at(record, ("division",), "M007", code=division.id, actual=str(division.get("level")),
                      wanted=wanted)


def check_hierarchy(registry: Registry) -> Iterator[Problem]:
    kinds = {k.code for k in registry.config.hub_kinds}
    for hub in registry.records("hubs"):
        kind = hub.get("kind")
        if isinstance(kind, str) and kind not in kinds:
            import difflib

            guess = difflib.get_close_matches(kind, sorted(kinds), n=1)
            yield _at(hub, ("kind",), "M008", value=kind, suggestion=guess[0] if guess else "",
                      options=", ".join(sorted(kinds)))
        parent = registry.link(hub, "parent")
        if parent is None:
            if not hub.get("parent") and hub.get("level") not in (None, "district"):
                yield _at(hub, ("level",), "M009", severity="warning", level=str(hub.get("level")))
            continue
        if parent.id == hub.id:
            yield _at(hub, ("parent",), "M010", chain=hub.id)
            continue
        child_rank = LEVEL_RANK.get(hub.get("level", ""), -1)
        parent_rank = LEVEL_RANK.get(parent.get("level", ""), -1)
        if child_rank >= 0 and parent_rank >= 0 and not (
            child_rank > parent_rank or (child_rank == parent_rank == LEVEL_RANK["sector"])
        ):
            yield _at(hub, ("parent",), "M011", parent=parent.id, level=str(hub.get("level")),
                      parent_level=str(parent.get("level")))
        if parent.get("kind") != hub.get("kind"):
            yield _at(hub, ("parent",), "M012", severity="warning", parent=parent.id,
                      kind=str(hub.get("kind")), parent_kind=str(parent.get("kind")))
        if isinstance(parent.get("division"), str) and not division_contains(parent.division, hub.division):
            yield _at(hub, ("division",), "M013", code=hub.division, parent=parent.id, parent_code=parent.division)
    yield from _cycles(registry, "hubs", "parent", "M010")
    yield from _cycles(registry, None, "successor", "M014")


def _cycles(registry: Registry, only: str | None, field: str, code: str) -> Iterator[Problem]:
    """Each cycle of ``field`` links reported once, on the record with the smallest id."""
    reported: set[str] = set()
    for record in registry.all():
        if (only and record.registry != only) or record.registry == "divisions":
            continue
        chain = [record.id]
        current = registry.link(record, field)
        while current is not None and current.id not in chain:
            chain.append(current.id)
            current = registry.link(current, field)
        if current is not None and current.id == record.id and len(chain) > 1:
            cycle = frozenset(chain)
            key = min(cycle)
            if key == record.id and key not in reported:
                reported.add(key)
                yield _at(record, (field,), code, chain=" → ".join([*chain, record.id]))


def check_carriers(registry: Registry) -> Iterator[Problem]:
    """Youth centers are hosted by youth league hubs, women's homes run under women's federations."""
    for name, kind in CARRIER_HUB_KIND.items():
        field = HUB_FIELD[name]
        for record in registry.records(name):
            hub = registry.link(record, field)
            if hub is not None and hub.get("kind") != kind:
                yield _at(record, (field,), "M015", hub=hub.id, kind=str(hub.get("kind")), wanted=kind)


def check_status(registry: Registry) -> Iterator[Problem]:
    for record in registry.all():
        if record.registry == "divisions":
            continue
        status, successor = record.get("status", "active"), record.get("successor")
        if status == "active":
            for field in ("successor", "dissolved_on"):
                if record.get(field) is not None:
                    yield _at(record, (field,), "M016", field=field, key=True)
            continue
        if status == "merged" and not successor:
            yield _at(record, ("status",), "M017", status=str(status))
        if status == "dissolved" and not successor:
            yield _at(record, ("status",), "M018", severity="warning")
        if not record.get("dissolved_on"):
            yield _at(record, ("status",), "M019", status=str(status))
        if successor == record.id:
            yield _at(record, ("successor",), "M014", chain=f"{record.id} → {record.id}")


def _parse_date(text: str) -> dt.date | None:
    """Full or partial ISO date; partial dates compare as their first day."""
    parts = text.split("-")
    try:
        year, month, day = int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1
        return dt.date(year, month, day)
    except (ValueError, IndexError):
        return None


def _date_values(data: Any, pointer: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    names = {*DATE_FIELDS, "date", "since", "until"}
    if isinstance(data, dict):
        for key, value in data.items():
            if key in names and isinstance(value, str):
                yield (*pointer, key), value
            else:
                yield from _date_values(value, (*pointer, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _date_values(value, (*pointer, index))


def check_dates(registry: Registry, today: dt.date) -> Iterator[Problem]:
    for record in registry.all():
        parsed: dict[str, dt.date] = {}
        for pointer, text in _date_values(record.data):
            if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", text):
                continue  # the shape layer reports the format
            value = _parse_date(text)
            if value is None:
                yield _at(record, pointer, "M020", value=text)
                continue
            if len(pointer) == 1:
                parsed[str(pointer[0])] = value
            if value > today and pointer[-1] in ("last_verified", "established_on", "dissolved_on", "date"):
                yield _at(record, pointer, "M021", value=text)
        born, gone, checked = (parsed.get(k) for k in DATE_FIELDS)
        if born and gone and gone < born:
            yield _at(record, ("dissolved_on",), "M022", start=record.get("established_on"),
                      end=record.get("dissolved_on"))
        for index, item in enumerate(record.get("undertakes") or []):
            if isinstance(item, dict) and isinstance(item.get("since"), str) and isinstance(item.get("until"), str):
                since, until = _parse_date(item["since"]), _parse_date(item["until"])
                if since and until and until < since:
                    yield _at(record, ("undertakes", index, "until"), "M022", start=item["since"], end=item["until"])
        del checked


def check_uscc(registry: Registry) -> Iterator[Problem]:
    prefix = registry.config.district["uscc_region_prefix"]
    for record in registry.all():
        code = record.get("uscc")
        if not isinstance(code, str) or not re.fullmatch(r"[0-9A-Z]{18}", code):
            continue
        if not uscc.is_valid(code):
            yield _at(record, ("uscc",), "M023", value=code)
        elif not code[2:8].startswith(prefix):
            yield _at(record, ("uscc",), "M024", value=code, region=code[2:8], prefix=prefix)


def check_location(registry: Registry) -> Iterator[Problem]:
    bounds = registry.config.district["bounds"]
    for record in registry.all():
        loc = record.get("location")
        if not isinstance(loc, dict):
            continue
        lat, lon = loc.get("lat"), loc.get("lon")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
            continue
        if not (bounds["south"] <= lat <= bounds["north"] and bounds["west"] <= lon <= bounds["east"]):
            swapped = bounds["south"] <= lon <= bounds["north"] and bounds["west"] <= lat <= bounds["east"]
            yield _at(record, ("location",), "M026" if swapped else "M025", lat=lat, lon=lon)


def check_contacts(registry: Registry) -> Iterator[Problem]:
    for record in registry.all():
        for index, contact in enumerate(record.get("contacts") or []):
            if not isinstance(contact, dict) or not isinstance(contact.get("value"), str):
                continue
            kind, value = contact.get("type"), contact["value"].strip()
            pointer = ("contacts", index, "value")
            if kind in ("office_phone", "hotline", "fax"):
                compact = value.replace(" ", "")
                if MOBILE.match(compact):
                    if kind == "fax":
                        yield _at(record, pointer, "M027", value=value)
                elif not (LANDLINE.match(compact) or HOTLINE.match(compact)):
                    yield _at(record, pointer, "M027", value=value)
            elif kind == "email" and not EMAIL.match(value):
                yield _at(record, pointer, "M028", value=value)
            elif kind == "website" and not URL.match(value):
                yield _at(record, pointer, "M029", value=value)


def _strings(data: Any, pointer: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, str):
        yield pointer, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*pointer, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*pointer, index))


def check_personal_data(registry: Registry) -> Iterator[Problem]:
    """No resident ID number anywhere; mobile numbers only in public phone fields (warning)."""
    for record in registry.all():
        phone_fields: set[tuple[str | int, ...]] = {
            ("contacts", i, "value")
            for i, c in enumerate(record.get("contacts") or [])
            if isinstance(c, dict) and c.get("type") in ("office_phone", "hotline")
        }
        for pointer, text in _strings(record.data):
            if pointer == ("uscc",):
                continue
            for match in ID_LIKE.finditer(text):
                if ric.is_valid(match.group()):
                    yield _at(record, pointer, "M030", masked=match.group()[:6] + "********" + match.group()[-4:])
            if pointer not in phone_fields:
                for match in MOBILE_LIKE.finditer(text):
                    yield _at(record, pointer, "M031", severity="warning",
                              masked=match.group()[:3] + "****" + match.group()[-4:])


CHECKS: tuple[Check, ...] = (
    check_links,
    check_divisions,
    check_division_levels,
    check_hierarchy,
    check_carriers,
    check_status,
    check_uscc,
    check_location,
    check_contacts,
    check_personal_data,
)


def run_checks(registry: Registry, records: list[Record], today: dt.date | None = None) -> list[Problem]:
    problems = list(check_ids(registry, records))
    for check in CHECKS:
        problems.extend(check(registry))
    problems.extend(check_dates(registry, today or dt.date.today()))
    return problems
