"""Meaning checks: what a JSON Schema cannot say about one record in isolation.

Two kinds of check:

* **record checks** read one record only (USCC check digit, coordinates,
  phone numbers, personal data, dates).  They run right after the shape
  check, inside the worker processes when the registry is large, so they
  cost no wall time on a multi-core machine.
* **registry checks** need the whole model (ids, references, the hierarchy,
  successors, codes used twice) and run once the model is built.

Records that failed the shape layer are still checked where the fields a
check reads are sound, so one run reports as much as it can.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stdnum.cn import ric, uscc

from generator import geography, hours, yamlio
from generator.problems import Problem, Severity, Text
from generator.registry import HUB_FIELD, LINKS, LIST_LINKS, Record, Registry
from generator.schema import enum_label, is_blank

LANDLINE = re.compile(r"(?:\+86[- ]?)?(?:0\d{2,3}-?|\(0\d{2,3}\))[2-9]\d{6,7}(?:-\d{1,6})?\Z", re.ASCII)
MOBILE = re.compile(r"(?:\+86[- ]?)?1[3-9]\d{9}\Z", re.ASCII)
HOTLINE = re.compile(r"(?:1\d{4}|9\d{4}|[48]00-?\d{3}-?\d{4})\Z", re.ASCII)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\Z", re.ASCII)
URL = re.compile(r"https?://[^\s/$.?#][^\s]*\Z")  # \s: every Unicode space (U+3000 too)
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", re.ASCII)
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)", re.ASCII)
USCC_SHAPE = re.compile(r"[0-9A-Z]{18}\Z", re.ASCII)
DATE_SHAPE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?\Z", re.ASCII)
DATE_FIELDS = ("established_on", "dissolved_on", "last_verified")
#: Hub kinds a carrier must belong to.
CARRIER_HUB_KIND = {"youth_centers": "youth_league", "womens_homes": "womens_federation"}
#: Contact types meant for public office lines: a mobile number there is allowed.
PUBLIC_PHONE_TYPES = ("office_phone", "hotline")

RecordCheck = Callable[[Record, "Context"], Iterator[Problem]]
Check = Callable[[Registry], Iterator[Problem]]


class Context:
    """What record checks need besides the record: the root's settings and today's date."""

    __slots__ = ("bounds", "place", "prefix", "text", "today")

    def __init__(self, district: dict[str, Any], today: dt.date) -> None:
        #: The root's name in both languages, for messages that say "outside 佛山市".
        name = district.get("name") or {}
        self.place = Text(str(name.get("zh", district.get("code", ""))), str(name.get("en", name.get("zh", ""))))
        #: ``None`` until the project states its bounds: coordinates are then not boxed in.
        self.bounds: dict[str, float] | None = district.get("bounds")
        self.prefix: str = district["uscc_region_prefix"]
        self.today = today
        #: The source text of the record being checked, when the loader has it (a fast pre-check).
        self.text: str | None = None


def _at(
    record: Record,
    pointer: tuple[str | int, ...],
    code: str,
    /,
    *,
    severity: Severity = "error",
    key: bool = False,
    **args: Any,
) -> Problem:
    line, column = yamlio.locate(record.path, pointer, key=key) if pointer else (1, 1)
    field = ".".join(str(p) for p in pointer)
    return Problem.make(record.rel, line, column, code, severity=severity, field=field, **args)


def _label(schemas_dir: Path, registry: str, field: str, value: Any) -> Text:
    return Text(*enum_label(schemas_dir, registry, field, value))


def _kind_label(registry: Registry, code: Any) -> Text:
    kind = registry.config.hub_kind(str(code))
    if kind is None:
        return Text(str(code), str(code))
    return Text(kind.name.get("zh", kind.code), kind.name.get("en", kind.code))


# -- record checks ------------------------------------------------------------------


def check_uscc(record: Record, ctx: Context) -> Iterator[Problem]:
    """Unified social credit code: check character (GB 32100-2015) and a region inside the city."""
    code = record.get("uscc")
    if not isinstance(code, str) or not USCC_SHAPE.match(code):
        return  # the shape layer reports the format
    if not uscc.is_valid(code):
        yield _at(record, ("uscc",), "M023", value=code)
    elif not code[2:8].startswith(ctx.prefix):
        yield _at(record, ("uscc",), "M024", value=code, region=code[2:8], prefix=ctx.prefix)


def check_location(record: Record, ctx: Context) -> Iterator[Problem]:
    loc = record.get("location")
    if not isinstance(loc, dict):
        return
    lat, lon = loc.get("lat"), loc.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return
    if isinstance(lat, bool) or isinstance(lon, bool):
        return
    b = ctx.bounds
    if b is None:
        return
    if not (b["south"] <= lat <= b["north"] and b["west"] <= lon <= b["east"]):
        swapped = b["south"] <= lon <= b["north"] and b["west"] <= lat <= b["east"]
        yield _at(
            record,
            ("location",),
            "M026" if swapped else "M025",
            lat=lat,
            lon=lon,
            place=ctx.place,
            south=_coord(b["south"]),
            north=_coord(b["north"]),
            west=_coord(b["west"]),
            east=_coord(b["east"]),
            mid_lat=_coord((b["south"] + b["north"]) / 2),
            mid_lon=_coord((b["west"] + b["east"]) / 2),
        )


def _coord(value: float) -> str:
    """A bound as people write it: 22.6, not 22.600000000000001."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def check_contacts(record: Record, ctx: Context) -> Iterator[Problem]:
    """Phones are landlines with an area code, mobiles or service hotlines; mail and web well formed."""
    contacts = record.get("contacts")
    if not isinstance(contacts, list):
        return
    for index, contact in enumerate(contacts):
        if not isinstance(contact, dict) or not isinstance(contact.get("value"), str):
            continue
        kind, value = contact.get("type"), contact["value"]
        if is_blank(value) or "\n" in value or "\r" in value:
            continue  # the shape layer reports blank values and line breaks (S010, S011)
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


def check_opening_hours(record: Record, ctx: Context) -> Iterator[Problem]:
    """What the schema's pattern cannot say: ``25:00`` is no time, ``09:00-09:00`` is empty (``generator.hours``)."""
    value = record.get("opening_hours")
    if isinstance(value, str) and (error := hours.problem(value)) is not None:
        detail = Text(error.message("zh"), error.message("en"))
        yield _at(record, ("opening_hours",), "M141", value=value, detail=detail)


def _strings(data: Any, pointer: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(data, str):
        yield pointer, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*pointer, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*pointer, index))


#: Either pattern, to skip records that hold neither an ID-like nor a mobile-like number.
_SUSPECT = re.compile(f"{ID_LIKE.pattern}|{MOBILE_LIKE.pattern}", re.ASCII)
#: Code fields whose digits are checked by their own pattern (a village code has 12 digits).
_CODE_FIELDS = frozenset(("id", "division", "parent", "uscc", "postal_code", "urban_rural_code"))


#: A necessary condition for both, with a literal first character (a fast scan): mobiles start
#: with 1[3-9]; ID numbers hold a birth year 19xx or 20xx followed by 9 more characters.
_PREFILTER = re.compile(r"1[3-9]\d{9}|20\d{9}[\dXx]", re.ASCII)
_CODE_LINES = tuple(f"{name}:" for name in sorted(_CODE_FIELDS))


#: A digit other than 0-9 (full-width ２, Arabic-Indic ٣…): such text is compared in its NFKC form,
#: so an ID or mobile number typed in full-width digits is still found.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _digits_folded(text: str) -> str:
    """``text`` with every Unicode digit (and full-width letter) in its ASCII form, when it has any."""
    return unicodedata.normalize("NFKC", text) if _OTHER_DIGIT.search(text) else text


def _suspect_text(text: str) -> bool:
    """Whether the source text may hold an ID or mobile number outside the code fields."""
    for match in _PREFILTER.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text.startswith(_CODE_LINES, line_start):
            return True
    return False


def _has_long_digits(data: dict[str, Any]) -> bool:
    """True when some string value (codes aside) holds something shaped like an ID or mobile number."""
    stack: list[Any] = [v for k, v in data.items() if k not in _CODE_FIELDS]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if len(item) >= 11 and _SUSPECT.search(_digits_folded(item)):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def is_resident_id(number: str) -> bool:
    """An 18-character resident ID number: a real birth date and a valid check character (GB 11643).

    The region part is not looked up: python-stdnum's region list misses
    codes such as Shunde's 440606, and an unknown region must not hide a number.
    """
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return birth.year >= 1900 and ric.calc_check_digit(number) == number[-1].upper()


def check_personal_data(record: Record, ctx: Context) -> Iterator[Problem]:
    """No resident ID number anywhere (error); mobile numbers only in public phone fields (warning)."""
    text = ctx.text
    if text is not None and "\\" not in text and not _OTHER_DIGIT.search(text) and not _suspect_text(text):
        return  # fast path: the file holds nothing shaped like an ID or mobile number (and no escapes)
    if not isinstance(record.data, dict) or not _has_long_digits(record.data):
        return  # nothing shaped like an ID number or a mobile number outside the code fields
    contacts = record.get("contacts")
    phone_fields: set[tuple[str | int, ...]] = {
        ("contacts", i, "value")
        for i, c in enumerate(contacts if isinstance(contacts, list) else [])
        if isinstance(c, dict) and c.get("type") in PUBLIC_PHONE_TYPES
    }
    for pointer, text in _strings(record.data):
        if pointer and pointer[0] in _CODE_FIELDS:
            continue
        text = _digits_folded(text)
        for match in ID_LIKE.finditer(text):
            if is_resident_id(match.group()):
                yield _at(record, pointer, "M030", masked=match.group()[:6] + "********" + match.group()[-4:])
        if pointer not in phone_fields:
            for match in MOBILE_LIKE.finditer(text):
                yield _at(
                    record,
                    pointer,
                    "M031",
                    severity="warning",
                    masked=match.group()[:3] + "****" + match.group()[-4:],
                )


def _parse_date(text: str) -> dt.date | None:
    """Full or partial ISO date; partial dates compare as their first day."""
    parts = [int(p) for p in text.split("-")]
    try:
        return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return None


_DATE_NAMES = frozenset((*DATE_FIELDS, "date", "since", "until"))
#: Dates that describe something that has already happened.
_PAST_NAMES = frozenset(("last_verified", "established_on", "dissolved_on", "date"))


def _date_values(data: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Date-like fields: top level, and inside the items of list fields (sources, posts, undertakes)."""
    for key, value in data.items():
        if isinstance(value, str):
            if key in _DATE_NAMES:
                yield (key,), value
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    for name in sorted(_DATE_NAMES.intersection(item)):
                        if isinstance(item[name], str):
                            yield (key, index, name), item[name]


def check_dates(record: Record, ctx: Context) -> Iterator[Problem]:
    """Dates exist, are not in the future, and come in order (established ≤ dissolved, since ≤ until)."""
    parsed: dict[tuple[str | int, ...], dt.date] = {}
    for pointer, text in _date_values(record.data):
        if not DATE_SHAPE.match(text):
            continue  # the shape layer reports the format
        value = _parse_date(text)
        if value is None:
            yield _at(record, pointer, "M020", value=text)
            continue
        parsed[pointer] = value
        if value > ctx.today and pointer[-1] in _PAST_NAMES:
            yield _at(record, pointer, "M021", value=text)
    pairs: list[tuple[tuple[str | int, ...], tuple[str | int, ...]]] = [
        (("established_on",), ("dissolved_on",)),
        (("established_on",), ("last_verified",)),
    ]
    pairs.extend(((*pointer[:2], "since"), pointer) for pointer in parsed if pointer[-1] == "until")
    for start, end in pairs:
        first, last = parsed.get(start), parsed.get(end)
        if first and last and last < first:
            yield _at(
                record,
                end,
                "M022",
                start=_value_at(record.data, start),
                end=_value_at(record.data, end),
                start_field=".".join(map(str, start)),
                end_field=".".join(map(str, end)),
            )


def _value_at(data: Any, pointer: tuple[str | int, ...]) -> Any:
    for step in pointer:
        data = data[step]
    return data


RECORD_CHECKS: tuple[RecordCheck, ...] = (
    check_uscc,
    check_location,
    check_contacts,
    check_opening_hours,
    check_personal_data,
    check_dates,
)


def check_record(record: Record, ctx: Context, text: str | None = None) -> list[Problem]:
    """Every record check on one record (runs in worker processes); ``text`` is its source, if known."""
    ctx.text = text
    problems: list[Problem] = []
    for check in RECORD_CHECKS:
        problems.extend(check(record, ctx))
    return problems


# -- registry checks ------------------------------------------------------------------


def check_ids(registry: Registry, records: list[Record]) -> Iterator[Problem]:
    """Ids equal file names and are unique across all registries (they are URLs)."""
    seen: dict[str, Record] = {}
    for record in sorted(records, key=lambda r: r.rel):
        rid = record.get("id")
        if not isinstance(rid, str):
            continue
        if rid != record.path.stem:
            yield _at(record, ("id",), "M001", id=rid, stem=record.path.stem)
        if rid in seen:
            yield _at(record, ("id",), "M002", id=rid, other=seen[rid].rel)
        else:
            seen[rid] = record


def check_links(registry: Registry) -> Iterator[Problem]:
    """Every reference resolves to a record of the registry the field points into."""
    for record in registry.all():
        for field, target in LINKS[record.registry].items():
            value = record.get(field)
            if not isinstance(value, str) or (
                record.registry == "divisions" and _parent_may_be_outside(registry, record)
            ):
                continue
            if registry.get(target, value) is None:
                elsewhere = registry.by_id.get(value)
                if elsewhere is not None:
                    yield _at(record, (field,), "M003", value=value, target=target, actual=elsewhere.registry)
                else:
                    yield _at(record, (field,), "M004", value=value, target=target)
        for field, target in LIST_LINKS.get(record.registry, {}).items():
            values = record.get(field)
            for index, value in enumerate(values if isinstance(values, list) else []):
                if not isinstance(value, str) or registry.get(target, value) is not None:
                    continue
                elsewhere = registry.by_id.get(value)
                if elsewhere is not None:
                    yield _at(
                        record, (field, index), "M003", value=value, target=target, actual=elsewhere.registry
                    )
                else:
                    yield _at(record, (field, index), "M004", value=value, target=target)


def _parent_may_be_outside(registry: Registry, division: Record) -> bool:
    """The root's parent (and that of any division at or above the root's level) may lie
    outside the project: Shunde's parent is Foshan, which a district directory does not hold."""
    root = registry.config.root_area
    return division.id == root.code or (
        geography.rank(division.get("level")) <= geography.rank(root.level)
        and registry.division(str(division.get("parent", ""))) is None
    )


def check_divisions(registry: Registry) -> Iterator[Problem]:
    """Division records: the code has the digits of its level; the parent is at a higher level.

    The level is what the record says; the digits are only checked against it.  The parent
    may be any higher level (东莞's towns sit directly under the city 4419).
    """
    schemas = registry.config.schemas_dir
    for record in registry.records("divisions"):
        level, code = record.get("level"), record.id
        if not isinstance(level, str) or level not in geography.CODE_DIGITS:
            continue
        if geography.CODE_DIGITS[level] != len(code):
            yield _at(
                record, ("level",), "M005", code=code, level=_label(schemas, "divisions", "level", level)
            )
            continue
        if level != "province" and not record.get("parent"):
            yield _at(record, ("level",), "M101", code=code, level=_label(schemas, "divisions", "level", level))
            continue
        root = registry.geo.root
        parent_code = str(record.get("parent", ""))
        dangling = registry.division(parent_code) is None and not _parent_may_be_outside(registry, record)
        if root is not None and record is not root and not dangling and not registry.geo.contains(root.id, code):
            # coverage, pages and counts follow the root down: a division outside it would be dropped
            name = Text(root.name, str(root.get("name_en") or root.name))
            yield _at(record, ("parent",), "M102", code=code, root=root.id, name=name)
            continue
        parent = registry.division(str(record.get("parent", "")))
        if parent is not None and not geography.higher(parent.get("level"), level):
            yield _at(
                record,
                ("parent",),
                "M006",
                code=code,
                parent=parent.id,
                level=_label(schemas, "divisions", "level", level),
                parent_level=_label(schemas, "divisions", "level", parent.get("level")),
            )


def _wanted_level(record: Record) -> str | None:
    if record.registry == "hubs":
        level = record.get("level")
        return level if level in geography.LEVELS else None
    if record.registry in ("youth_centers", "womens_homes"):
        return "village"
    return None


def check_division_levels(registry: Registry) -> Iterator[Problem]:
    """A record's division exists at the level its kind of record sits at."""
    schemas = registry.config.schemas_dir
    for record in registry.all():
        if record.registry == "divisions":
            continue
        division = registry.division(record.division)
        wanted = _wanted_level(record)
        if division is None or not wanted or division.get("level") == wanted:
            continue
        yield _at(
            record,
            ("division",),
            "M007",
            code=division.id,
            actual=_label(schemas, "divisions", "level", division.get("level")),
            wanted=_label(schemas, "divisions", "level", wanted),
        )


def check_hierarchy(registry: Registry) -> Iterator[Problem]:
    """Hub kinds exist; a hub's parent sits higher up, in the same system, around its division.

    "Higher" is any higher level, not exactly the next one: 东莞's town hubs answer to the city.
    Containment follows the divisions' parent links (``registry.geo``), never code prefixes.
    """
    kinds = sorted(k.code for k in registry.config.hub_kinds)
    schemas = registry.config.schemas_dir
    root_level = registry.config.root_area.level
    for hub in registry.records("hubs"):
        kind = hub.get("kind")
        if isinstance(kind, str) and kind not in kinds:
            guess = difflib.get_close_matches(kind, kinds, n=1)
            yield _at(
                hub,
                ("kind",),
                "M008",
                value=kind,
                suggestion=guess[0] if guess else kinds[0],
                options=", ".join(kinds),
            )
        level = hub.get("level")
        parent = registry.link(hub, "parent")
        if parent is None:
            if not hub.get("parent") and isinstance(level, str) and geography.higher(root_level, level):
                yield _at(
                    hub, ("level",), "M009", severity="warning", level=_label(schemas, "hubs", "level", level)
                )
            continue
        if parent.id == hub.id:
            yield _at(hub, ("parent",), "M010", chain=f"{hub.id} → {hub.id}")
            continue
        child_rank = geography.rank(level)
        parent_level = parent.get("level")
        parent_rank = geography.rank(parent_level)
        if (
            child_rank >= 0
            and parent_rank >= 0
            and not (child_rank > parent_rank or level == parent_level == "sector")
        ):
            yield _at(
                hub,
                ("parent",),
                "M011",
                parent=parent.id,
                level=_label(schemas, "hubs", "level", level),
                parent_level=_label(schemas, "hubs", "level", parent_level),
            )
        if isinstance(kind, str) and parent.get("kind") != kind:
            yield _at(
                hub,
                ("parent",),
                "M012",
                severity="warning",
                parent=parent.id,
                kind=_kind_label(registry, kind),
                parent_kind=_kind_label(registry, parent.get("kind")),
            )
        if (
            parent.division in registry.geo
            and hub.division in registry.geo
            and not registry.geo.contains(parent.division, hub.division)
        ):
            yield _at(
                hub, ("division",), "M013", code=hub.division, parent=parent.id, parent_code=parent.division
            )
    yield from _cycles(registry, "hubs", "parent", "M010")
    yield from _cycles(registry, None, "successor", "M014")


def _cycles(registry: Registry, only: str | None, field: str, code: str) -> Iterator[Problem]:
    """Each cycle of ``field`` links reported once, on the record with the smallest id."""
    reported: set[str] = set()
    for record in registry.all():
        if (only and record.registry != only) or record.registry == "divisions":
            continue
        chain = [record.id]
        on_chain = {record.id}
        current = registry.link(record, field)
        while current is not None and current.id not in on_chain:
            chain.append(current.id)
            on_chain.add(current.id)
            current = registry.link(current, field)
        if current is not None and current.id == record.id and len(chain) > 1:
            key = min(chain)
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
                yield _at(
                    record,
                    (field,),
                    "M015",
                    hub=hub.id,
                    kind=_kind_label(registry, hub.get("kind")),
                    wanted=_kind_label(registry, kind),
                )


def check_status(registry: Registry) -> Iterator[Problem]:
    """A dissolved or merged record names its date and (merged: must; dissolved: should) its successor."""
    schemas = registry.config.schemas_dir
    for record in registry.all():
        if record.registry == "divisions":
            continue
        status, successor = record.get("status", "active"), record.get("successor")
        if status not in ("active", "dissolved", "merged"):
            continue  # the shape layer reports the value
        if status == "active":
            for field in ("successor", "dissolved_on"):
                if record.get(field) is not None:
                    yield _at(record, (field,), "M016", key=True, name=field)
            continue
        label = _label(schemas, record.registry, "status", status)  # not for the active ones: 100k lookups
        if status == "merged" and not successor:
            yield _at(record, ("status",), "M017", status=label)
        if status == "dissolved" and not successor:
            yield _at(record, ("status",), "M018", severity="warning")
        if not record.get("dissolved_on"):
            yield _at(record, ("status",), "M019", status=label)
        if successor == record.id:
            yield _at(record, ("successor",), "M014", chain=f"{record.id} → {record.id}")
        target = registry.link(record, "successor")
        if target is not None and target.id != record.id and not target.active:
            yield _at(
                record,
                ("successor",),
                "M036",
                severity="warning",
                successor=target.id,
                status=_label(schemas, target.registry, "status", target.status),
            )


def check_shared_uscc(registry: Registry) -> Iterator[Problem]:
    """One unified social credit code identifies one organization: two records with one code are an error."""
    first: dict[str, Record] = {}
    for record in sorted(registry.all(), key=lambda r: r.rel):
        code = record.get("uscc")
        if not isinstance(code, str) or not code:
            continue
        if code in first:
            yield _at(record, ("uscc",), "M034", value=code, other=first[code].rel, other_id=first[code].id)
        else:
            first[code] = record


CHECKS: tuple[Check, ...] = (
    check_links,
    check_divisions,
    check_division_levels,
    check_hierarchy,
    check_carriers,
    check_status,
    check_shared_uscc,
)


def run_checks(
    registry: Registry, records: list[Record], today: dt.date | None = None, *, record_checks: bool = True
) -> list[Problem]:
    """Every meaning check.  ``record_checks=False`` when the loader already ran them per file."""
    problems = list(check_ids(registry, records))
    for check in CHECKS:
        problems.extend(check(registry))
    if record_checks:
        ctx = Context(registry.config.district, today or dt.date.today())
        for record in records:
            problems.extend(check_record(record, ctx))
    return problems
