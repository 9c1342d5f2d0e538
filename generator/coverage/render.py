"""Coverage figures as text tables, Markdown, JSON, CSV and dataset rows.

Renderers take a :class:`generator.coverage.Result` and a language and
return a string; they never compute a figure themselves, so every output
shows the same numbers.  Ordering is fixed (division code, the order of the
requirements in ``site_config.yml``, registry order, id), so the same
registry gives byte-identical output.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.config import Config
from generator.coverage import (
    FIELD_TESTS,
    LEVELS,
    Coverage,
    DivisionCoverage,
    Ratio,
    Requirement,
    Result,
    Slot,
    Spec,
)
from generator.i18n import t
from generator.safetext import printable

FORMATS = ("table", "csv", "json", "markdown")
ROW_SETS = ("coverage", "completeness")


# --------------------------------------------------------------------------- small helpers
def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, size: int, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def _single_line(text: str) -> str:
    return " ".join(str(text).split())


def text_grid(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A plain aligned table; ``numeric`` columns are right-aligned."""
    cells = [[_single_line(c) for c in headers], *[[_single_line(c) for c in row] for row in rows]]
    sizes = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(pad(c, sizes[i], i in numeric) for i, c in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]<>()#+!|~"}


def md_text(text: str) -> str:
    """Text safe inside Markdown (and the HTML it becomes): every special character as an entity."""
    out = _single_line(text).replace("&", "&amp;")
    return "".join(_MD_SPECIAL.get(c, c) for c in out)


def md_grid(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A GitHub-flavoured Markdown table; cells must already be escaped with :func:`md_text`."""
    rule = ["---:" if i in numeric else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(rule) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def ratio_text(ratio: Ratio) -> str:
    return f"{ratio.present}/{ratio.total} {ratio.text()}" if ratio.total else ratio.text()


def mark(slot: Slot | None, lang: str) -> str:
    if slot is None:
        return t(lang, "coverage.mark.not_required")
    return t(lang, "coverage.mark.present" if slot.filled else "coverage.mark.missing")


def level_label(level: str, lang: str) -> str:
    return t(lang, f"coverage.level_of.{level}")


def field_label(name: str, lang: str) -> str:
    return t(lang, f"coverage.field.{name}")


def registry_label(name: str, lang: str) -> str:
    return t(lang, f"coverage.registry.{name}")


def requirement_label(result: Result, requirement: Requirement, lang: str) -> str:
    return requirement.label(result.config, lang)


def slot_note(slot: Slot, lang: str) -> str:
    return t(lang, "coverage.inactive", ids=", ".join(slot.inactive)) if slot.inactive else ""


def _levels(coverage: Coverage, level: str | None) -> list[str]:
    return [lv for lv in LEVELS if (level is None or lv == level) and coverage.spec.requirements(lv)]


# --------------------------------------------------------------------------- sections as data
def summary_lines(result: Result, lang: str) -> list[str]:
    cov = result.coverage
    overall = cov.overall
    lines = [
        t(
            lang,
            "coverage.summary.overall",
            total=overall.total,
            present=overall.present,
            percent=overall.text(),
            missing=overall.missing,
        )
    ]
    for lv in _levels(cov, None):
        ratio = cov.level_ratio(lv)
        lines.append(
            t(
                lang,
                "coverage.summary.level",
                level=level_label(lv, lang),
                total=ratio.total,
                present=ratio.present,
                percent=ratio.text(),
            )
        )
    comp = result.completeness
    lines.append(
        t(
            lang,
            "coverage.summary.completeness",
            count=len(comp.records),
            total=comp.overall.total,
            present=comp.overall.present,
            percent=comp.overall.text(),
        )
    )
    return lines


def towns_table(result: Result, lang: str) -> tuple[list[str], list[list[str]]]:
    headers = [
        t(lang, "coverage.col.town"),
        t(lang, "coverage.col.own"),
        t(lang, "coverage.col.villages"),
        t(lang, "coverage.col.combined"),
    ]
    rows = [
        [
            town.town.display_name(lang),
            ratio_text(town.own),
            ratio_text(town.village_ratio),
            ratio_text(town.combined),
        ]
        for town in result.coverage.towns
    ]
    return headers, rows


def matrix_table(result: Result, level: str, lang: str) -> tuple[list[str], list[list[str]]]:
    """Divisions of ``level`` × what that level must have."""
    cov = result.coverage
    requirements = cov.spec.requirements(level)
    headers = [t(lang, "coverage.col.division")]
    if level == "village":
        headers.insert(0, t(lang, "coverage.col.town"))
    headers += [requirement_label(result, r, lang) for r in requirements] + [t(lang, "coverage.col.percent")]
    rows = []
    for division in cov.divisions(level):
        row = [division.display_name(lang)]
        if level == "village":
            row.insert(0, result.division_name(division.town, lang))
        row += [mark(s, lang) for s in division.slots] + [ratio_text(division.ratio)]
        rows.append(row)
    return headers, rows


def blank_spot_rows(result: Result, level: str | None, lang: str) -> list[tuple[DivisionCoverage, Slot]]:
    return result.coverage.blank_spots(level)


def completeness_registry_table(result: Result, lang: str) -> tuple[list[str], list[list[str]]]:
    comp = result.completeness
    fields = comp.spec.fields()
    headers = [
        t(lang, "coverage.col.registry"),
        t(lang, "coverage.col.records"),
        *[field_label(f, lang) for f in fields],
        t(lang, "coverage.col.overall"),
    ]
    rows = []
    for name, ratios in comp.by_registry().items():
        rows.append(
            [
                registry_label(name, lang),
                str(comp.registry_count(name)),
                *[ratio_text(ratios[f]) for f in fields],
                ratio_text(comp.registry_ratio(name)),
            ]
        )
    return headers, rows


def completeness_town_table(result: Result, lang: str) -> tuple[list[str], list[list[str]]]:
    comp = result.completeness
    fields = comp.spec.fields()
    headers = [
        t(lang, "coverage.col.town"),
        t(lang, "coverage.col.records"),
        *[field_label(f, lang) for f in fields],
        t(lang, "coverage.col.overall"),
    ]
    rows = []
    for town, ratios in comp.by_town().items():
        count = len(comp.in_town(town))
        rows.append(
            [
                result.division_name(town, lang),
                str(count),
                *[ratio_text(ratios[f]) for f in fields],
                ratio_text(comp.town_ratio(town)),
            ]
        )
    return headers, rows


def least_complete_rows(result: Result, lang: str, limit: int) -> list[list[str]]:
    return [
        [
            registry_label(r.registry, lang),
            r.id,
            r.display_name(lang),
            result.division_name(r.division, lang),
            r.ratio.text(),
            "、".join(field_label(f, lang) for f in r.missing)
            if lang == "zh"
            else ", ".join(field_label(f, lang) for f in r.missing),
        ]
        for r in result.completeness.least_complete(limit)
    ]


def least_complete_headers(lang: str) -> list[str]:
    return [
        t(lang, "coverage.col.registry"),
        t(lang, "coverage.col.id"),
        t(lang, "coverage.col.record"),
        t(lang, "coverage.col.division"),
        t(lang, "coverage.col.completeness"),
        t(lang, "coverage.col.fields_missing"),
    ]


def _limit(result: Result, limit: int | None) -> int:
    return limit if limit is not None else result.spec.least_complete


# --------------------------------------------------------------------------- text and Markdown
@dataclass
class _Section:
    """One part of the report, independent of how it is rendered: bullet lines, a table or a sentence."""

    title: str
    lines: list[str] | None = None
    sentence: str | None = None
    headers: list[str] | None = None
    rows: list[list[str]] | None = None
    numeric: tuple[int, ...] = ()


def _sections(result: Result, lang: str, level: str | None, limit: int) -> list[_Section]:
    """The report's content, in order, independent of how it is rendered (terminal or Markdown)."""
    summary = _Section(
        t(lang, "coverage.heading.summary"),
        lines=summary_lines(result, lang),
        sentence=t(lang, "coverage.summary.rules"),
    )
    headers, rows = towns_table(result, lang)
    out = [summary, _Section(t(lang, "coverage.heading.towns"), headers=headers, rows=rows, numeric=(1, 2, 3))]
    for lv in _levels(result.coverage, level):
        headers, rows = matrix_table(result, lv, lang)
        title = t(lang, "coverage.heading.matrix", level=level_label(lv, lang))
        out.append(_Section(title, headers=headers, rows=rows, numeric=(len(headers) - 1,)))
    spots = result.coverage.blank_spots(level)
    title = t(lang, "coverage.heading.blank_spots")
    if spots:
        headers = [t(lang, f"coverage.col.{c}") for c in ("code", "division", "level", "missing", "note")]
        rows = [
            [
                d.code,
                d.display_name(lang),
                t(lang, f"coverage.level.{d.level}"),
                requirement_label(result, s.requirement, lang),
                slot_note(s, lang),
            ]
            for d, s in spots
        ]
        out.append(_Section(title, headers=headers, rows=rows))
    else:
        out.append(_Section(title, sentence=t(lang, "coverage.no_blank_spots")))
    if not result.completeness.records:
        out.append(_Section(t(lang, "coverage.heading.completeness_registry"), sentence=t(lang, "coverage.no_records")))
        return out
    for key, table in (
        ("completeness_registry", completeness_registry_table),
        ("completeness_town", completeness_town_table),
    ):
        headers, rows = table(result, lang)
        out.append(
            _Section(
                t(lang, f"coverage.heading.{key}"), headers=headers, rows=rows, numeric=tuple(range(1, len(headers)))
            )
        )
    title = t(lang, "coverage.heading.least_complete", limit=limit)
    out.append(
        _Section(
            title, headers=least_complete_headers(lang), rows=least_complete_rows(result, lang, limit), numeric=(4,)
        )
    )
    return out


def _render(result: Result, lang: str, level: str | None, limit: int | None, *, markdown: bool) -> str:
    """Terminal text or Markdown: the same sections, two ways of drawing titles, lists and tables."""
    esc: Callable[[str], str] = md_text if markdown else printable  # names come from the YAML
    out = [f"# {md_text(t(lang, 'coverage.title'))}", ""] if markdown else []
    for section in _sections(result, lang, level, _limit(result, limit)):
        parts: list[str] = []
        if section.lines is not None:
            parts.append("\n".join(f"- {esc(line)}" if markdown else printable(line) for line in section.lines))
        if section.headers is not None and section.rows is not None:
            if markdown:
                headers, rows = [esc(h) for h in section.headers], [[esc(c) for c in r] for r in section.rows]
                parts.append(md_grid(headers, rows, section.numeric))
            else:
                rows = [[printable(c) if isinstance(c, str) else c for c in r] for r in section.rows]
                parts.append(text_grid(section.headers, rows, numeric=section.numeric))
        if section.sentence is not None:
            parts.append(esc(section.sentence))
        body = ("\n\n" if markdown else "\n").join(parts)
        if markdown:
            out.extend([f"## {md_text(section.title)}", "", body, ""])
        else:
            out.extend([section.title, "=" * width(section.title), body, ""])
    return "\n".join(out).rstrip() + "\n"


def render_table(result: Result, lang: str, level: str | None = None, limit: int | None = None) -> str:
    """The terminal report."""
    return _render(result, lang, level, limit, markdown=False)


def render_markdown(result: Result, lang: str, level: str | None = None, limit: int | None = None) -> str:
    """The same report as GitHub-flavoured Markdown (for pull-request comments and issues)."""
    return _render(result, lang, level, limit, markdown=True)


# --------------------------------------------------------------------------- JSON
def as_data(result: Result, lang: str, level: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """The whole report as plain data (labels in ``lang``; codes are language-neutral)."""
    limit = _limit(result, limit)
    cov, comp = result.coverage, result.completeness

    def requirement(r: Requirement) -> dict[str, str]:
        return {"code": r.code, "registry": r.registry, "label": requirement_label(result, r, lang)}

    def division(d: DivisionCoverage) -> dict[str, Any]:
        return {
            "code": d.code,
            "name": d.display_name(lang),
            "level": d.level,
            "town": d.town or None,
            **d.ratio.as_dict(),
            "slots": [
                {
                    "requirement": s.requirement.code,
                    "registry": s.requirement.registry,
                    "present": s.filled,
                    "records": list(s.present),
                    "inactive_records": list(s.inactive),
                }
                for s in d.slots
            ],
        }

    by_registry = comp.by_registry()
    by_town = comp.by_town()
    return {
        "version": 1,
        "lang": lang,
        "level": level,
        "rules": t(lang, "coverage.summary.rules"),
        "required": {lv: [requirement(r) for r in cov.spec.requirements(lv)] for lv in _levels(cov, None)},
        "summary": {
            "overall": cov.overall.as_dict(),
            "levels": {lv: cov.level_ratio(lv).as_dict() for lv in _levels(cov, None)},
            "requirements": {
                lv: {r.code: cov.requirement_ratio(r).as_dict() for r in cov.spec.requirements(lv)}
                for lv in _levels(cov, level)
            },
        },
        "towns": [
            {
                "code": tw.town.code,
                "name": tw.town.display_name(lang),
                "own": tw.own.as_dict(),
                "villages": tw.village_ratio.as_dict(),
                "combined": tw.combined.as_dict(),
            }
            for tw in cov.towns
        ],
        "divisions": [division(d) for d in cov.divisions(level)],
        # every division above the villages with what lies below it, rolled up through every level
        "rollup": [
            {
                "code": d.code,
                "name": d.display_name(lang),
                "level": d.level,
                "parent": cov.parents.get(d.code) or None,
                **cov.subtree_ratio(d.code).as_dict(),
                "divisions": {lv: cov.count_below(d.code, lv) for lv in LEVELS if cov.count_below(d.code, lv)},
            }
            for d in cov.divisions()
            if d.level != "village"
        ],
        "blank_spots": [
            {
                "division": d.code,
                "name": d.display_name(lang),
                "level": d.level,
                "town": d.town or None,
                "requirement": s.requirement.code,
                "registry": s.requirement.registry,
                "label": requirement_label(result, s.requirement, lang),
                "inactive_records": list(s.inactive),
            }
            for d, s in cov.blank_spots(level)
        ],
        "completeness": {
            "fields": {f: field_label(f, lang) for f in comp.spec.fields()},
            "counted": {name: list(fs) for name, fs in comp.spec.completeness.items()},
            "overall": comp.overall.as_dict(),
            "by_registry": {
                name: {
                    "records": comp.registry_count(name),
                    "overall": comp.registry_ratio(name).as_dict(),
                    "fields": {f: r.as_dict() for f, r in ratios.items() if r.total},
                }
                for name, ratios in by_registry.items()
            },
            "by_town": [
                {
                    "town": town or None,
                    "name": result.division_name(town, lang),
                    "records": len(comp.in_town(town)),
                    "overall": comp.town_ratio(town).as_dict(),
                    "fields": {f: r.as_dict() for f, r in ratios.items() if r.total},
                }
                for town, ratios in by_town.items()
            ],
            "least_complete": [
                {
                    "registry": r.registry,
                    "id": r.id,
                    "name": r.display_name(lang),
                    "division": r.division,
                    "file": r.rel,
                    **r.ratio.as_dict(),
                    "missing": list(r.missing),
                }
                for r in comp.least_complete(limit)
            ],
        },
    }


def render_json(result: Result, lang: str, level: str | None = None, limit: int | None = None) -> str:
    return json.dumps(as_data(result, lang, level, limit), ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- dataset rows
def coverage_rows(result: Result, level: str | None = None) -> list[dict[str, Any]]:
    """One row per division × requirement: the ``coverage`` resource (sorted by its primary key)."""
    rows = []
    for d in result.coverage.divisions(level):
        for s in d.slots:
            r = s.requirement
            rows.append(
                {
                    "division": d.code,
                    "division_name": d.name,
                    "level": d.level,
                    "town": d.town or None,
                    "requirement": r.code,
                    "requirement_registry": r.registry,
                    "requirement_zh": requirement_label(result, r, "zh"),
                    "requirement_en": requirement_label(result, r, "en"),
                    "present": s.filled,
                    "records": " ".join(s.present),
                    "inactive_records": " ".join(s.inactive),
                }
            )
    return sorted(rows, key=lambda r: (r["division"], r["requirement_registry"], r["requirement"]))


def completeness_rows(result: Result) -> list[dict[str, Any]]:
    """One row per active record: each counted field ``true``/``false``, empty where it is not counted
    for that registry; ``filled`` of ``counted``.  The ``completeness`` resource, sorted by its key.

    Wide rather than one row per record × field (issue 16): the same facts in a fifth of the rows,
    without the record's name, division and town repeated on every field (11 MB of CSV and 21 MB of
    SQLite at 20,000 records became about 3 MB and 3 MB).
    """
    names = COMPLETENESS_COLUMNS
    return [dict(zip(names, cells, strict=True)) for cells in completeness_cells(result)]


#: The columns of :func:`completeness_rows` in order (those of :func:`completeness_schema`).
COMPLETENESS_COLUMNS = ("registry", "record_id", "record_name", "division", "town", *FIELD_TESTS,
                        "filled", "counted")


def completeness_cells(result: Result) -> list[list[Any]]:
    """:func:`completeness_rows` as lists of cells in :data:`COMPLETENESS_COLUMNS` order, sorted by
    the key: the one owner of those rows (the data package takes these lists as they are).

    Why lists: at 100,000 records a dict per row, then a list made from it, cost a second of the
    datasets worker in every build.  A row's field cells and counts depend only on the record's
    ``present`` and ``missing`` fields, a handful of distinct pairs: they are made once per pair.
    """
    tails: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Any]] = {}
    rows = []
    for rec in result.completeness.records:  # 100,000 at province scale
        pair = (rec.present, rec.missing)
        tail = tails.get(pair)
        if tail is None:
            have, missing = set(rec.present), set(rec.missing)
            cells: list[Any] = [True if name in have else False if name in missing else None
                                for name in FIELD_TESTS]
            filled = sum(cell is True for cell in cells)
            tail = tails[pair] = [*cells, filled, filled + sum(cell is False for cell in cells)]
        rows.append([rec.registry, rec.id, rec.name, rec.division, rec.town or None, *tail])
    return sorted(rows, key=lambda row: (row[0], row[1]))


def _field(name: str, type_: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": type_,
        "title": zh,
        "description": zh,
        "x-en": {"title": en, "description": en},
        **extra,
    }


def coverage_schema(divisions_resource: str = "divisions") -> dict[str, Any]:
    """Table Schema of :func:`coverage_rows` (Frictionless), with foreign keys to the divisions."""
    return {
        "fields": [
            _field("division", "string", "区划代码", "Division code", constraints={"required": True}),
            _field("division_name", "string", "区划名称", "Division name"),
            _field(
                "level",
                "string",
                "区划层级",
                "Division level",
                constraints={"required": True, "enum": list(LEVELS)},
            ),
            _field(
                "town",
                "string",
                "所属镇（街道）代码；区级为空",
                "Code of the town it belongs to; empty at district level",
            ),
            _field(
                "requirement",
                "string",
                "应建项：枢纽组织类别或阵地登记册",
                "Requirement: a hub kind or a carrier registry",
                constraints={"required": True},
            ),
            _field(
                "requirement_registry",
                "string",
                "应建项所属登记册",
                "Registry that fills the requirement",
                constraints={"required": True},
            ),
            _field("requirement_zh", "string", "应建项（中文）", "Requirement (Chinese)"),
            _field("requirement_en", "string", "应建项（英文）", "Requirement (English)"),
            _field(
                "present",
                "boolean",
                "是否已建（只计在用记录）",
                "In place (active records only)",
                constraints={"required": True},
            ),
            _field(
                "records",
                "string",
                "填补此项的在用记录编号，空格分隔",
                "Ids of the active records filling it, space-separated",
            ),
            _field(
                "inactive_records",
                "string",
                "此处已撤销或合并的同类记录编号，空格分隔",
                "Ids of dissolved or merged records of that kind here, space-separated",
            ),
        ],
        "primaryKey": ["division", "requirement_registry", "requirement"],
        "foreignKeys": [
            {"fields": ["division"], "reference": {"resource": divisions_resource, "fields": ["id"]}},
            {"fields": ["town"], "reference": {"resource": divisions_resource, "fields": ["id"]}},
        ],
    }


def completeness_schema(divisions_resource: str = "divisions") -> dict[str, Any]:
    """Table Schema of :func:`completeness_rows`."""
    return {
        "fields": [
            _field("registry", "string", "登记册", "Registry", constraints={"required": True}),
            _field("record_id", "string", "记录编号", "Record id", constraints={"required": True}),
            _field("record_name", "string", "记录名称", "Record name"),
            _field("division", "string", "区划代码", "Division code", constraints={"required": True}),
            _field("town", "string", "所属镇（街道）代码；区级为空", "Code of the town; empty at district level"),
            *(
                _field(
                    name,
                    "boolean",
                    f"已填写：{field_label(name, 'zh')}（空：此登记册不计）",
                    f"Filled in: {field_label(name, 'en')} (empty: not counted for this registry)",
                )
                for name in FIELD_TESTS
            ),
            _field("filled", "integer", "已填写的计入字段数", "Counted fields filled in",
                   constraints={"required": True}),
            _field("counted", "integer", "计入完整度的字段数", "Fields counted for this record",
                   constraints={"required": True}),
        ],
        "primaryKey": ["registry", "record_id"],
        "foreignKeys": [
            {"fields": ["division"], "reference": {"resource": divisions_resource, "fields": ["id"]}},
            {"fields": ["town"], "reference": {"resource": divisions_resource, "fields": ["id"]}},
        ],
    }


def render_csv(rows: list[dict[str, Any]], schema: dict[str, Any]) -> str:
    """UTF-8 CSV text with a header; booleans as ``true``/``false``, missing values empty."""
    names = [f["name"] for f in schema["fields"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(
            [
                "" if row[n] is None else ("true" if row[n] is True else "false" if row[n] is False else row[n])
                for n in names
            ]
        )
    return buffer.getvalue()


def render(
    result: Result,
    fmt: str,
    lang: str,
    level: str | None = None,
    limit: int | None = None,
    rows: str = "coverage",
) -> str:
    """Dispatch for ``hubdir coverage --format``."""
    if fmt == "csv":
        if rows == "completeness":
            return render_csv(completeness_rows(result), completeness_schema())
        return render_csv(coverage_rows(result, level), coverage_schema())
    if fmt == "json":
        return render_json(result, lang, level, limit)
    if fmt == "markdown":
        return render_markdown(result, lang, level, limit)
    return render_table(result, lang, level, limit)


def command(
    config: Any,
    lang: str,
    *,
    level: str | None = None,
    fmt: str = "table",
    rows: str = "coverage",
    limit: int | None = None,
) -> tuple[str, str, int]:
    """What ``hubdir coverage`` prints: ``(stdout, stderr, exit code)``.

    Figures over a registry with errors would be wrong, so errors stop it
    (exit 1) like every publishing command; a wrong ``coverage`` section is a
    configuration error (exit 2) that names its line in ``site_config.yml``.
    """
    from generator.coverage import measure
    from generator.problems import render_text
    from generator.validate import load

    spec, problem = read_spec(config, lang)
    if spec is None:
        return "", problem, 2
    loaded = load(config)
    if loaded.report.errors:
        return "", render_text(loaded.report, lang) + "\n", 1
    result = measure(loaded.registry, spec)
    return render(result, fmt, lang, level, limit, rows), "", 0


def read_spec(config: Config, lang: str) -> tuple[Spec | None, str]:
    """The ``coverage`` section as a spec, or ``None`` and the located message a user sees.

    ``hubdir coverage`` and ``hubdir validate`` both stop on it (exit 2): a kind misspelt in the
    config is a configuration error, found before any figure is computed.
    """
    from generator import yamlio
    from generator.config import CONFIG_NAME
    from generator.coverage import SpecError, spec_from_config

    try:
        return spec_from_config(config), ""
    except SpecError as exc:
        from generator.problems import Problem, Report, Text, render_text

        line, column = yamlio.locate(config.root / CONFIG_NAME, exc.pointer)
        problem = Problem.make(
            CONFIG_NAME, line, column, "C008", field=exc.where, where=exc.where,
            detail=Text(exc.message("zh"), exc.message("en")),
        )
        located = render_text(Report(problems=[problem], files_checked=1), lang).rsplit("\n", 1)[0]
        return None, f"{t(lang, 'coverage.error.invalid')}\n{located}\n"


@dataclass(frozen=True)
class DatasetTable:
    """One table for the data package: rows plus a Frictionless Table Schema and zh/en texts."""

    name: str
    title: dict[str, str]
    description: dict[str, str]
    schema: dict[str, Any]
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        return render_csv(self.rows, self.schema)


#: Titles and descriptions of the two data-package resources.
TABLE_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "coverage": {
        "title": {"zh": "覆盖情况（空白点）", "en": "Coverage (blank spots)"},
        "description": {
            "zh": "每个区划 × 每项应建组织或阵地一行：是否已建（只计在用记录）及填补它的记录。"
            "按 level、town 分组求 present 的比例即得各级、各镇覆盖率。",
            "en": "One row per division × required organization or carrier: whether it is in place "
            "(active records only) and which records fill it. Group by level or town and take the share "
            "of present rows to get the coverage percentages.",
        },
    },
    "completeness": {
        "title": {"zh": "信息完整度", "en": "Completeness of records"},
        "description": {
            "zh": "每条在用记录一行：每个计入完整度的字段一列，true 为已填写、false 为未填写、空为此登记册不计；"
            "filled / counted 即该记录的完整度。phone 指办公电话或服务热线。",
            "en": "One row per active record: one column per counted field, true when filled in, false when "
            "not, empty when that registry does not count it; filled / counted is the record's completeness. "
            "phone means an office phone or a hotline.",
        },
    },
}
SCHEMAS = {"coverage": coverage_schema, "completeness": completeness_schema}


def dataset_tables(result: Result | None, divisions_resource: str = "divisions") -> list[DatasetTable]:
    """The ``coverage`` and ``completeness`` resources (foreign keys point at ``divisions_resource``).

    With ``result=None`` the tables have no rows: their shape does not depend on the registry.
    """
    rows = {
        "coverage": coverage_rows(result) if result is not None else [],
        "completeness": completeness_rows(result) if result is not None else [],
    }
    return [
        DatasetTable(
            name=name,
            title=texts["title"],
            description=texts["description"],
            schema=SCHEMAS[name](divisions_resource),
            rows=rows[name],
        )
        for name, texts in TABLE_TEXTS.items()
    ]
