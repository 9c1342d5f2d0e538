"""Near me on a static site: small per-area files written at build time, read by ``assets/nearby.js``.

A phone never loads the whole directory.  Located active organizations of each kind
are put into grid cells of ``BASE`` degrees (WGS-84); a cell holding more than
``LEAF_LIMIT`` records is split into four, again and again, so every file stays
small whatever the density (a city centre at province scale), and a sparse kind's
leaf covers a wide area.  ``near/index.json`` lists the leaves (kind, level, row,
column, count); the browser measures its distance to each leaf's rectangle and, for
every kind in parallel, fetches that kind's leaves nearest first while one could
still hold a nearer place (branch and bound: the answer is exact, the fetches few).

Without a location the resident picks a division: ``near/a/<code>.json`` lists the
children of one division (``[code, name, name_en, lat, lon, has children, page path,
organizations]``) with a point to search from (its own ``location``, else the mean of
the located organizations inside it, else its parent's point; ``null`` when none of these
exists).  A division without a point still gets a row: while no organization is located
(the shipped Shunde content) the picker leads to the town's own page, and a phone's
position finds the nearest town from the divisions' centres (an optional ``location``
of a division, see the divisions schema) even when no organization has coordinates.

Everything is linear in records and divisions and written in a fixed order, so two
builds of the same content give the same bytes.  Coordinates stay WGS-84 (what a
phone's geolocation gives); the browser converts them only to draw or to link.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from generator import hours
from generator.registry import Record
from generator.site.model import PHONE_TYPES, SiteModel, record_path
from generator.site.recordmemo import RecordMemo

NEAR_DIR = "near"
#: Side of the top cell in degrees (≈ 350 km: a quadtree whose leaves split where a kind is dense,
#: so a sparse kind is one file for a whole district) and the most records one leaf may hold.
BASE = 3.2
LEAF_LIMIT = 100
MAX_LEVEL = 12
FORMAT = 1


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def located(record: Record) -> tuple[float, float] | None:
    loc = record.get("location")
    if not isinstance(loc, dict):
        return None
    lat, lon = loc.get("lat"), loc.get("lon")
    if isinstance(lat, bool) or isinstance(lon, bool):
        return None
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    return float(lat), float(lon)


def phone_of(record: Record) -> str:
    """The first public phone line (office phone or hotline), as written."""
    for item in record.get("contacts") or []:
        if isinstance(item, dict) and item.get("type") in PHONE_TYPES and item.get("value"):
            return str(item["value"])
    return ""


def hours_of(record: Record) -> str:
    """The compact week of ``generator.hours`` ('' when none or unreadable: validation said so)."""
    value = record.get("opening_hours")
    return _compact_week(value) if isinstance(value, str) else ""


@lru_cache(maxsize=8192)
def _compact_week(value: str) -> str:
    """Why cached (``hours.parse`` is, ``compact`` is not): the near-me files and the map data need every
    located record's week, twice per build, and most records share a handful of schedules."""
    try:
        return hours.compact(hours.parse(value))
    except hours.HoursError:
        return ""


def entry(model: SiteModel, record: Record, point: tuple[float, float], kind: int) -> list[Any]:
    """One place: ``[path, name, name_en, kind, lat, lon, phone, hours]`` (the address stays on its page:
    every byte counts on slow 3G)."""
    return [
        record_path(record),
        record.name,
        str(record.get("name_en") or ""),
        kind,
        round(point[0], 6),
        round(point[1], 6),
        phone_of(record),
        hours_of(record),
    ]


def _cell(lat: float, lon: float, level: int) -> tuple[int, int]:
    size = BASE / (1 << level)
    return math.floor((lat + 90.0) / size), math.floor((lon + 180.0) / size)


def leaves(points: list[tuple[float, float, Any]]) -> dict[tuple[int, int, int], list[Any]]:
    """Split points into leaves of at most ``LEAF_LIMIT`` (unless ``MAX_LEVEL`` is reached)."""
    out: dict[tuple[int, int, int], list[Any]] = {}
    todo: dict[tuple[int, int, int], list[tuple[float, float, Any]]] = defaultdict(list)
    for lat, lon, item in points:
        todo[(0, *_cell(lat, lon, 0))].append((lat, lon, item))
    while todo:
        key, items = todo.popitem()
        level, row, col = key
        if len(items) <= LEAF_LIMIT or level >= MAX_LEVEL:
            out[key] = [item for _, _, item in items]
            continue
        for lat, lon, item in items:
            r, c = _cell(lat, lon, level + 1)
            # float rounding must never move a point out of its parent
            r = min(max(r, 2 * row), 2 * row + 1)
            c = min(max(c, 2 * col), 2 * col + 1)
            todo[(level + 1, r, c)].append((lat, lon, item))
    return out


def division_points(model: SiteModel) -> dict[str, tuple[float, float]]:
    """A point to search from for every division (see the module's docstring), linear in records."""
    geo = model.registry.geo
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for record in model.organizations():
        point = located(record) if record.active else None
        if point is None:
            continue
        for division in geo.chain(record.division):
            acc = sums[division.id]
            acc[0] += point[0]
            acc[1] += point[1]
            acc[2] += 1
    out: dict[str, tuple[float, float]] = {}
    divisions = model.registry.records("divisions")
    for division in divisions:
        own = located(division)
        if own is not None:
            out[division.id] = own
        elif division.id in sums:
            s = sums[division.id]
            out[division.id] = (round(s[0] / s[2], 6), round(s[1] / s[2], 6))

    def inherit(code: str, depth: int = 0) -> tuple[float, float] | None:
        if code in out or depth > 8:
            return out.get(code)
        division = geo.get(code)
        parent = str(division.get("parent") or "") if division else ""
        found = inherit(parent, depth + 1) if parent else None
        if found is not None:
            out[code] = found
        return found

    for division in divisions:
        inherit(division.id)
    return out


def _spot(model: SiteModel, record: Record, kind: int) -> tuple[float, float, list[Any]] | None:
    """An active located record's point and entry (``None`` for any other)."""
    point = located(record) if record.active else None
    return None if point is None else (point[0], point[1], entry(model, record, point, kind))


def _sorted_leaves(spots: list[tuple[float, float, Any]]) -> dict[tuple[int, int, int], list[int]]:
    """``leaves`` of ``spots``, each leaf as the positions of its spots in the order of their pages."""
    numbered = [(lat, lon, (n, str(item[0]))) for n, (lat, lon, item) in enumerate(spots)]
    return {key: [n for n, _ in sorted(items, key=lambda e: e[1])] for key, items in leaves(numbered).items()}


def _spots_digest(spots: list[tuple[float, float, Any]]) -> str:
    """What ``_sorted_leaves`` reads: every point (exactly, as ``repr``) and its page, in order."""
    text = "\n".join(f"{lat!r} {lon!r} {item[0]}" for lat, lon, item in spots)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _leaf_key(kind: int, name: str, owners: list[str]) -> str:
    """A leaf file's key: its kind and cell, and the content hash of each record in it, in order (an
    entry is a function of its record's file and the cache's base key: ``site.recordmemo``)."""
    text = "\n".join(["near-leaf", str(FORMAT), str(kind), name, *owners])
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def write(
    model: SiteModel,
    site: Path,
    memo: RecordMemo | None = None,
    reuse: Callable[[str, str], bool] | None = None,
    keyed: dict[str, tuple[str, str]] | None = None,
) -> dict[str, int]:
    """Write ``near/`` under the site root; return counts (leaves, places, files) for the benchmark.

    ``memo`` (the build's, with the cache) gives an unchanged record's entry and an unchanged kind's
    leaves as the previous build computed them.  ``reuse(rel, key)`` (with ``memo``'s record hashes):
    whether the previous site's leaf file ``rel``, written under ``key`` (``_leaf_key``), stays as it
    is; the leaves it keeps are neither dumped nor written (at 100k one edit changes one or two of
    ~1,800), and ``keyed`` receives the key and sha256 of every leaf written."""
    memo = memo or RecordMemo(None)
    hashes = memo.hashes if reuse is not None else None
    target = site / NEAR_DIR
    (target / "l").mkdir(parents=True, exist_ok=True)
    (target / "a").mkdir(parents=True, exist_ok=True)
    kinds = {k.code: i for i, k in enumerate(model.kinds)}
    by_kind: dict[int, list[tuple[float, float, Any]]] = defaultdict(list)
    owners: dict[int, list[str]] = defaultdict(list)  # each spot's record's content hash ("" unknown)
    places = 0
    for code, records in model.by_kind.items():
        number = kinds[code]
        for record in records:
            spot = memo.get("near", record, partial(_spot, model, kind=number))
            if spot is not None:
                by_kind[spot[2][3]].append(spot)
                if hashes is not None:
                    owners[spot[2][3]].append(hashes.get(record.id, ""))
                places += 1
    index = []
    for kind in sorted(by_kind):  # one grid per kind: a sparse kind's leaf covers a wide area
        spots = by_kind[kind]
        cells = memo.derived(f"leaves-{kind}", _spots_digest(spots), partial(_sorted_leaves, spots))
        for key in sorted(cells):
            positions = cells[key]
            index.append([kind, *key, len(positions)])
            name = f"{kind}-{key[0]}-{key[1]}-{key[2]}.json"
            leaf = None
            if reuse is not None and hashes is not None:
                who = [owners[kind][n] for n in positions]
                if "" not in who:
                    leaf = _leaf_key(kind, name, who)
                    if reuse(f"{NEAR_DIR}/l/{name}", leaf):
                        continue
            data = _dump([spots[n][2] for n in positions]).encode("utf-8")
            (target / "l" / name).write_bytes(data)
            if leaf is not None and keyed is not None:
                keyed[f"{NEAR_DIR}/l/{name}"] = (leaf, hashlib.sha256(data).hexdigest())
    where = division_points(model)
    # ``centres``: divisions with a point, so a phone's position can find the nearest town
    (target / "index.json").write_text(
        _dump({"v": FORMAT, "base": BASE, "kinds": list(kinds), "leaves": index, "centres": len(where)}), "utf-8"
    )
    files = len(index) + 1
    geo = model.registry.geo
    children = geo.children_index
    for parent in sorted(children):
        rows = []
        for child in children[parent]:
            p = where.get(child.id)
            rows.append(
                [
                    child.id,
                    str(child.get("short_name") or child.name),
                    str(child.get("name_en") or ""),
                    p[0] if p else None,
                    p[1] if p else None,
                    1 if children.get(child.id) else 0,
                    record_path(child),
                    model.counts_in.get(child.id, 0),
                ]
            )
        if rows:
            rows.sort(key=lambda r: str(r[0]))
            (target / "a" / f"{parent}.json").write_text(_dump(rows), "utf-8")
            files += 1
    return {"leaves": len(index), "places": places, "files": files}


def any_place(model: SiteModel) -> bool:
    """Whether some active organization has coordinates (else near me has nothing to offer)."""
    return any(record.active for records in model.located_by_kind.values() for record in records)


def any_centre(model: SiteModel) -> bool:
    """Whether some division has its own ``location`` (a centre a phone's position can be matched to)."""
    return any(located(division) is not None for division in model.registry.records("divisions"))


def root_code(model: SiteModel) -> str:
    """The division the picker starts from: the configured root division."""
    return model.config.root_area.code
