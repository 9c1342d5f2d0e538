"""The package description: ``datasets/package.yml``, the build timestamp and ``datapackage.json``.

What describes the package (title, description, version, publisher, contact,
citation, contributors, sources, in zh and en) is written by people in
``datasets/package.yml`` and validated by ``package.schema.json``; the licence
comes from ``site_config.yml``.  The descriptor is a Data Package v2 with one
Table Schema per table, built from the same column list as every format.

Timestamps are never read from the clock: ``SOURCE_DATE_EPOCH`` if set, else
the time of the last git commit of the project, else the newest modification
time among the content files, so the same content always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from generator import yamlio
from generator.config import Config
from generator.export.tables import Table
from generator.i18n import t
from generator.problems import Problem

HERE = Path(__file__).resolve().parent
PROFILE_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
PROFILE_PATH = HERE / "profiles" / "datapackage-2.0.json"
META_SCHEMA_PATH = HERE / "package.schema.json"
#: The description shipped with hubdir, used when a project has no ``datasets/package.yml``.
BUNDLED_META = HERE.parent.parent / "datasets" / "package.yml"
META_NAME = Path("datasets") / "package.yml"


class MetaError(Exception):
    """``datasets/package.yml`` is missing or invalid; carries located problems."""

    def __init__(self, path: Path | None, problems: list[Problem]) -> None:
        super().__init__(str(path))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Meta:
    raw: dict[str, Any]
    path: Path


def meta_path(config: Config) -> Path:
    own = config.root / META_NAME
    return own if own.is_file() else BUNDLED_META


def load_meta(config: Config) -> Meta:
    path = meta_path(config)
    try:
        rel = path.relative_to(config.root).as_posix()
    except ValueError:
        rel = path.as_posix()
    if not path.is_file():
        raise MetaError(None, [])
    try:
        raw = yamlio.load_file(path)
    except yamlio.LoadError as exc:
        raise MetaError(path, [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]) from None
    from generator.schema import _to_problems

    validator = _meta_validator()
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_to_problems(error, path, rel))
    if problems:
        raise MetaError(path, problems)
    return Meta(raw, path)


@cache
def _meta_validator() -> Draft7Validator:
    doc = json.loads(META_SCHEMA_PATH.read_text("utf-8"))
    Draft7Validator.check_schema(doc)
    return Draft7Validator(doc)


@cache
def profile_validator() -> Draft7Validator:
    """The Data Package v2 profile, vendored (it cannot be fetched at build time)."""
    doc = json.loads(PROFILE_PATH.read_text("utf-8"))
    return Draft7Validator(doc)


def profile_errors(descriptor: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in profile_validator().iter_errors(descriptor)]


def source_date(config: Config, files: list[Path] | None = None) -> dt.datetime:
    """The package's timestamp: SOURCE_DATE_EPOCH, else the last git commit, else the newest content file."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return dt.datetime.fromtimestamp(int(env), dt.timezone.utc)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=config.root, capture_output=True,
                             text=True, timeout=20, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return dt.datetime.fromtimestamp(int(out.stdout.strip()), dt.timezone.utc)
    except (OSError, subprocess.SubprocessError):
        pass
    newest = max((int(p.stat().st_mtime) for p in files or [] if p.exists()), default=0)
    return dt.datetime.fromtimestamp(newest, dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def both(pair: dict[str, str], sep: str = " / ") -> str:
    return f"{pair['zh']}{sep}{pair['en']}"


def citation(meta: Meta, created: dt.datetime) -> dict[str, str]:
    date = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%d")
    return {lang: meta.raw["citation"][lang].replace("{version}", meta.raw["version"]).replace("{date}", date)
            for lang in ("zh", "en")}


def licence(config: Config) -> dict[str, str]:
    lic = config.licence
    return {"name": lic["id"], "path": lic["url"], "title": lic["title"]}


def field_descriptor(column: Any) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "title": f"{column.title_zh} / {column.title_en}",
        "description": f"{column.description_zh}\n\n{column.description_en}".strip(),
    }
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.enum:
        constraints["enum"] = list(column.enum)
    if constraints:
        field["constraints"] = constraints
    return field


def resource_descriptor(table: Table, path: str, size: int, digest: str) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [field_descriptor(c) for c in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": [fk.column], "reference": {"resource": fk.resource, "fields": [fk.target]}}
            for fk in table.foreign_keys
        ]
    return {
        "name": table.name,
        "type": "table",
        "path": path,
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": size,
        "hash": f"sha256:{digest}",
        "title": f"{table.title_zh} / {table.title_en}",
        "description": f"{table.description_zh}\n\n{table.description_en}",
        "dialect": {"delimiter": ",", "header": True, "lineTerminator": "\r\n", "quoteChar": '"'},
        "schema": schema,
    }


def descriptor(config: Config, meta: Meta, created: dt.datetime,
               resources: list[dict[str, Any]]) -> dict[str, Any]:
    raw = meta.raw
    cite = citation(meta, created)
    doc: dict[str, Any] = {
        "$schema": PROFILE_URL,
        "name": raw["name"],
        "title": both(raw["title"]),
        "description": f"{raw['description']['zh']}\n\n{raw['description']['en']}\n\n"
                       f"{t('zh', 'export.package.cite')}{cite['zh']}\n\n{t('en', 'export.package.cite')}{cite['en']}",
        "homepage": config.site["url"],
        "version": raw["version"],
        "created": iso(created),
        "licenses": [licence(config)],
        "keywords": list(raw.get("keywords", [])) or ["hubdir"],
        "contributors": [
            {k: v for k, v in c.items() if k in ("title", "path", "email", "organization", "roles")}
            for c in raw["contributors"]
        ],
        "sources": [
            {k: v for k, v in (("title", s["title"] + (f" — {both(s['note'], ' / ')}" if s.get("note") else "")),
                               ("path", s.get("path"))) if v}
            for s in raw["sources"]
        ],
        "resources": resources,
    }
    return doc


def write_descriptor(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")


def frictionless_errors(path: Path) -> list[str]:
    """Validate the written package with the Frictionless API (data, types, keys, hashes)."""
    import frictionless

    report = frictionless.validate(str(path))
    if report.valid:
        return []
    messages: list[str] = []
    for task in report.tasks:
        for error in task.errors:
            messages.append(f"{task.name}: {error.message}")
    for error in report.errors:
        messages.append(error.message)
    return messages
