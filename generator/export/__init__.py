"""Open datasets: the validated registry as a Frictionless Data Package and its other formats.

``write_datasets(loaded, out_dir)`` is the one entry point (``hubdir export``
and ``hubdir build`` call it).  Everything is written into a temporary
folder beside ``out_dir``; the package is validated there (the Data Package
v2 profile, then Frictionless itself: types, primary and foreign keys,
bytes and hashes) and only then swapped into place, so a failed export
leaves the previous output exactly as it was.

Layout of ``out_dir``::

    datapackage.json          Data Package v2 descriptor (the CSV tables)
    csv/<table>.csv           one per registry and per list field
    hubdir.xlsx               every table + data dictionary + code lists
    json/<registry>.json      full nested records; json/all.json has them all
    hubdir.geojson            records with coordinates (WGS-84, lon/lat)
    hubdir.sqlite             every table, keys, indexes, FTS5 ``search``
    metadata.json             Datasette metadata for hubdir.sqlite
    records/<registry>/<id>.json   one record per file (a static API)
    SHA256SUMS                sha256 of every file above
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.export import checksums, csvout, geojson, jsonout, package, sqlite, xlsx
from generator.export.tables import DictionaryRow, Table, dictionary, table_specs
from generator.i18n import t
from generator.problems import Report
from generator.registry import REGISTRIES, Registry
from generator.validate import Loaded

XLSX_NAME = "hubdir.xlsx"
SQLITE_NAME = "hubdir.sqlite"
GEOJSON_NAME = "hubdir.geojson"
DATASETTE_NAME = "metadata.json"
SUMS_NAME = "SHA256SUMS"


class ExportError(Exception):
    """The export did not happen; the previous output is untouched.

    ``kind`` says why: ``content`` (the registry has errors: ``report``),
    ``metadata`` (datasets/package.yml: ``problems``), ``package`` (the
    package failed validation: ``messages``).
    """

    def __init__(self, kind: str, *, report: Report | None = None, messages: list[str] | None = None,
                 meta: package.MetaError | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.report = report
        self.messages = messages or []
        self.meta = meta


@dataclass(frozen=True)
class ExportedFile:
    """One downloadable file: path relative to out_dir (posix), format, size, sha256, rows (tables)."""

    path: str
    format: str
    bytes: int
    sha256: str
    rows: int | None = None
    resource: str = ""
    title_zh: str = ""
    title_en: str = ""


@dataclass
class ExportResult:
    out_dir: Path
    version: str
    created: str
    licence: dict[str, str]
    citation: dict[str, str]
    records: dict[str, int]
    files: list[ExportedFile] = field(default_factory=list)
    record_files: int = 0
    record_bytes: int = 0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def total_rows(self) -> int:
        return sum(f.rows or 0 for f in self.files if f.format == "csv")


def data_dictionary(config: Any) -> list[DictionaryRow]:
    """Rows of the data dictionary (resource, field, zh/en title, type, zh/en description, codes).

    ``config`` is a ``Config`` (its schemas folder is used) or a schemas folder path.
    """
    folder = config if isinstance(config, Path) else config.schemas_dir
    return dictionary(folder)


def write_datasets(loaded: Loaded, out_dir: Path, *, lang: str = "zh", validate: bool = True) -> ExportResult:
    """Write every format into ``out_dir`` atomically; raise ``ExportError`` and leave it untouched on failure."""
    if loaded.report.errors:
        raise ExportError("content", report=loaded.report)
    registry = loaded.registry
    config = registry.config
    try:
        meta = package.load_meta(config)
    except package.MetaError as exc:
        raise ExportError("metadata", meta=exc) from None
    created = package.source_date(config, [r.path for r in loaded.records])
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        result = _write_all(work, registry, meta, created, validate)
        _swap(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result.out_dir = out_dir
    return result


def _swap(work: Path, out_dir: Path) -> None:
    """Put ``work`` where ``out_dir`` is; the old folder is removed only after the rename succeeded."""
    os.chmod(work, 0o755)
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        old.rmdir()
        out_dir.rename(old)
        try:
            work.rename(out_dir)
        except BaseException:
            old.rename(out_dir)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(out_dir)


def _file(root: Path, rel: str, fmt: str, rows: int | None = None, resource: str = "",
          title: tuple[str, str] = ("", "")) -> ExportedFile:
    path = root / rel
    return ExportedFile(rel, fmt, path.stat().st_size, checksums.sha256_file(path), rows, resource, *title)


def _write_all(work: Path, registry: Registry, meta: package.Meta, created: dt.datetime,
               validate: bool) -> ExportResult:
    config = registry.config
    all_tables: tuple[Table, ...] = table_specs(config.schemas_dir)
    by_registry = {name: registry.records(name) for name in REGISTRIES}
    pairs = [(table, by_registry[table.registry]) for table in all_tables]
    files: list[ExportedFile] = []

    # CSV tables and their descriptors.
    (work / "csv").mkdir()
    resources: list[dict[str, Any]] = []
    csv_files: list[ExportedFile] = []
    for table, records in pairs:
        rel = f"csv/{table.name}.csv"
        rows = csvout.write_csv(work / rel, table, records)
        info = _file(work, rel, "csv", rows, table.name, (table.title_zh, table.title_en))
        csv_files.append(info)
        resources.append(package.resource_descriptor(table, rel, info.bytes, info.sha256))

    descriptor = package.descriptor(config, meta, created, resources)
    problems = package.profile_errors(descriptor)
    if problems:
        raise ExportError("package", messages=problems)
    package.write_descriptor(work / "datapackage.json", descriptor)
    if validate:
        problems = package.frictionless_errors(work / "datapackage.json")
        if problems:
            raise ExportError("package", messages=problems)

    # Nested JSON, per-record JSON, GeoJSON.
    counts = jsonout.write_registries(work, registry)
    record_files, record_bytes = jsonout.write_records(work, registry)
    features = geojson.write_geojson(work / GEOJSON_NAME, registry)

    # XLSX and SQLite.
    cite = package.citation(meta, created)
    lic = package.licence(config)
    raw = meta.raw
    about = [
        (_both("export.about.title"), package.both(raw["title"])),
        (_both("export.about.description"), f"{raw['description']['zh']}\n\n{raw['description']['en']}"),
        (_both("export.about.version"), raw["version"]),
        (_both("export.about.created"), package.iso(created)),
        (_both("export.about.licence"), f"{lic['title']} ({lic['name']}) {lic['path']}"),
        (_both("export.about.citation"), f"{cite['zh']}\n{cite['en']}"),
        (_both("export.about.publisher"), package.both(raw["publisher"]) + (
            f" {raw['publisher']['url']}" if raw["publisher"].get("url") else "")),
        (_both("export.about.contact"), package.both(raw["contact"]) + (
            f" {raw['contact']['url']}" if raw["contact"].get("url") else "")),
        (_both("export.about.homepage"), config.site["url"]),
    ] + [(_both("export.about.sources"), s["title"] + (f" — {package.both(s['note'])}" if s.get("note") else ""))
         for s in raw["sources"]]
    xlsx.write_xlsx(work / XLSX_NAME, pairs, dictionary(config.schemas_dir), about, created,
                    raw["publisher"]["zh"])
    sqlite.write_sqlite(work / SQLITE_NAME, pairs, registry)
    source_titles = "; ".join(s["title"] for s in raw["sources"])
    sqlite.write_datasette_metadata(work / DATASETTE_NAME, Path(SQLITE_NAME).stem, all_tables, {
        "title": package.both(raw["title"]),
        "description": f"{raw['description']['zh']}\n\n{raw['description']['en']}",
        "license": lic["name"],
        "license_url": lic["path"],
        "source": source_titles,
        "source_url": raw["publisher"].get("url", config.site["url"]),
    })

    files.append(_file(work, "datapackage.json", "datapackage"))
    files.extend(csv_files)
    files.append(_file(work, XLSX_NAME, "xlsx", sum(f.rows or 0 for f in csv_files)))
    for name in REGISTRIES:
        files.append(_file(work, f"json/{name}.json", "json", counts[name], name))
    files.append(_file(work, "json/all.json", "json", sum(counts.values())))
    files.append(_file(work, GEOJSON_NAME, "geojson", features))
    files.append(_file(work, SQLITE_NAME, "sqlite", sum(f.rows or 0 for f in csv_files)))
    files.append(_file(work, DATASETTE_NAME, "datasette-metadata"))
    checksums.write_sums(work, SUMS_NAME)
    files.append(_file(work, SUMS_NAME, "sha256sums"))
    return ExportResult(
        out_dir=work, version=raw["version"], created=package.iso(created), licence=lic, citation=cite,
        records=counts, files=files, record_files=record_files, record_bytes=record_bytes,
    )


def _both(key: str) -> str:
    return f"{t('zh', key)} / {t('en', key)}"


__all__ = ["DictionaryRow", "ExportError", "ExportResult", "ExportedFile", "data_dictionary", "write_datasets"]
