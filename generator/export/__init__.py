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
    json/all.json.zip         full nested records of every registry (``all.json``)
    hubdir.geojson.zip        records with coordinates (WGS-84, lon/lat)
    hubdir.sqlite.zip         every table, keys, indexes, FTS5 ``search``
    metadata.json             Datasette metadata for hubdir.sqlite
    hsds.zip                  the directory as Open Referral HSDS 3.0 (a zipped tabular package)
    SHA256SUMS                sha256 of every file above
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import gcpause
from generator.export import (
    checksums,
    csvout,
    docs,
    geojson,
    hsds,
    jsonout,
    package,
    places,
    sqlite,
    summary,
    xlsx,
    zipped,
)
from generator.export import memo as memos
from generator.export.background import Background
from generator.export.tables import DictionaryRow, Table, dictionary, table_specs
from generator.i18n import t
from generator.problems import Report
from generator.registry import REGISTRIES, Registry
from generator.validate import Loaded

XLSX_NAME = "hubdir.xlsx"
SQLITE_NAME = "hubdir.sqlite"
GEOJSON_NAME = "hubdir.geojson.zip"
#: The single-file bulk formats are published zipped (issue 16: the data at 20,000 records went
#: from 273 MB to about 60 MB); the CSV tables of the Data Package and the workbook are not.
SQLITE_ZIP = SQLITE_NAME + ".zip"
DATASETTE_NAME = "metadata.json"
SUMS_NAME = "SHA256SUMS"
DOC_FORMATS = {docs.README: "readme", docs.CITATION: "citation", docs.DCAT: "dcat", docs.SCHEMA_ORG: "schema-org"}
#: From this many table rows on, the workbook is written by a forked process on another core.
BACKGROUND_ROWS = 50_000


class _Clock:
    """Seconds per phase, so the benchmark can say where an export spends its time."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()
        self.last_cpu = time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 3)
        self.laps[f"{name} (cpu)"] = round(self.laps.get(f"{name} (cpu)", 0.0) + cpu - self.last_cpu, 3)
        self.last, self.last_cpu = now, cpu


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
    #: True when these data are a published release (``package.Edition``); ``date`` is its date.
    released: bool = False
    date: str = ""
    #: The schema.org ``Dataset`` (``dataset.jsonld``), embedded in the site's data page.
    schema_org: dict[str, Any] = field(default_factory=dict)
    #: Seconds per phase, wall clock and "(cpu)" of this process (for the benchmark); not part of the output.
    timings: dict[str, float] = field(default_factory=dict)
    #: Fragments taken from the previous export, by kind (``memo.Memo.hits``); not part of the output.
    reused: dict[str, int] = field(default_factory=dict)

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
    if isinstance(config, Path):
        return dictionary(config)
    return places.dictionary(places.tables(config))


def write_datasets(loaded: Loaded, out_dir: Path, *, lang: str = "zh",
                   validate: bool = True, validator: str | None = None,
                   release: tuple[str, str] | None = None, memo: memos.Memo | None = None,
                   created: dt.datetime | None = None) -> ExportResult:
    """Write every format into ``out_dir`` atomically.

    ``validator`` (``"frictionless"`` or ``"fast"``) picks the package check; by default it
    follows the size (``package.choose_validator``).  ``release`` is ``(version, date)`` when
    ``hubdir release`` writes a release (see ``package.edition``).  On any failure raise (``ExportError``
    for expected ones) and leave ``out_dir`` untouched.  ``memo`` (``hubdir build``) holds the fragments
    of the previous export (see ``memo``); the files are the same with or without it.  ``created`` is
    ``package.source_date`` when the caller knows it already (``hubdir build``: its cache key).
    """
    if loaded.report.errors:
        raise ExportError("content", report=loaded.report)
    registry = loaded.registry
    config = registry.config
    try:
        meta = package.load_meta(config, memo)
    except package.MetaError as exc:
        raise ExportError("metadata", meta=exc) from None
    created = created or package.source_date(config, [r.path for r in loaded.records])
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _sweep(out_dir)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        memo = memo if memo is not None else memos.Memo()
        # The tables' rows (a million lists at 100,000 records) and the memo live until the end and
        # hold no cycles: collections triggered by making them would only scan them (seconds).
        with gcpause.paused():
            result = _write_all(work, registry, meta, created, validate, validator, release, memo)
        result.reused = dict(memo.hits)
        started = time.perf_counter()
        # An output from before issue 16 holds one file per record: delete it in the background.
        _swap(work, out_dir, background=(out_dir / "records").is_dir())
        result.timings["swap"] = round(time.perf_counter() - started, 3)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result.out_dir = out_dir
    return result


def _swap(work: Path, out_dir: Path, background: bool = False) -> None:
    """Put ``work`` where ``out_dir`` is; the old folder is removed only after the rename succeeded.

    Removing a previous output of 100k small files takes tens of seconds on a
    busy disk; with ``background`` the old folder (already renamed out of the
    way, so nothing can see it) is deleted by a detached process instead.
    """
    os.chmod(work, 0o755)
    if not out_dir.exists():
        work.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        work.rename(out_dir)
    except BaseException:
        old.rename(out_dir)
        raise
    _discard(old, background)


def _discard(folder: Path, background: bool) -> None:
    if background:
        try:
            subprocess.Popen(
                [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
                 str(folder)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def _sweep(out_dir: Path) -> None:
    """Old outputs a killed background removal left behind (``.<name>.old-*``)."""
    for stale in out_dir.parent.glob(f".{out_dir.name}.old-*"):
        if stale.is_dir():
            _discard(stale, True)


def _file(root: Path, rel: str, fmt: str, rows: int | None = None, resource: str = "",
          title: tuple[str, str] = ("", "")) -> ExportedFile:
    path = root / rel
    return ExportedFile(rel, fmt, path.stat().st_size, checksums.sha256_file(path), rows, resource, *title)


def _write_all(work: Path, registry: Registry, meta: package.Meta, created: dt.datetime,
               validate: bool, validator: str | None, release: tuple[str, str] | None,
               memo: memos.Memo) -> ExportResult:
    config = registry.config
    # The records' JSON first: its hash says whether these data are a published release (D10).
    records_json = jsonout.AllJson(registry, memo)
    edition = package.edition(config, meta, created, records_json.sha256, release)
    base: tuple[Table, ...] = table_specs(config.schemas_dir)
    by_registry = {name: registry.records(name) for name in REGISTRIES}
    # Each table's rows are built once and shared by CSV, SQLite and the (forked) XLSX writer.
    # The published tables add effective defaults, the place and code labels (``places``).
    place_index = places.Places(registry)
    # With a previous export in the memo (``hubdir build`` after an edit) nearly every run of rows is
    # taken from it: the rows are made only where a writer asks (``places.RecordRows``).
    lazy = bool(memo.old and memo.records)
    make = places.RecordRows if lazy else places.rows
    pairs: list[tuple[Table, Any]] = [
        (table, make(table, schema_table, by_registry[schema_table.registry], place_index))
        for table, schema_table in zip(places.publish(config, base), base, strict=True)
    ]
    # Issue 6: the coverage and completeness tables (foreign keys to divisions) in every tabular format.
    from generator.coverage.export import pairs as coverage_pairs

    pairs += coverage_pairs(registry)
    pairs += summary.pairs(registry, tuple(table for table, _ in pairs))
    all_tables = tuple(table for table, _ in pairs)
    clock = _Clock()
    # The workbook, HSDS and the SQLite database are the largest single jobs: when the package is
    # large they run in forked processes, started as soon as their inputs are ready, while this one
    # writes the rest (in an incremental build the pages leave the other core mostly idle, so the
    # export's wall time is its longest job's).
    # Not when the memo holds a previous export (``hubdir build`` after an edit): the writers then
    # mostly take fragments from it, and a fork costs more than it saves (the children's touches of
    # the shared heap are copied page by page, what they took from the memo is pickled back: 29 rather
    # than 22 CPU-s at 100,000 records), while the build's pages keep the other core busy anyway.
    fork = not memo.old and sum(len(rows) for _, rows in pairs) >= BACKGROUND_ROWS  # (``len`` of lazy rows: work)
    raw = meta.raw
    # The rows' spans and digests, shared by the CSV, the workbook and the database (``memo.spans``); a
    # published table of records is digested by its records' content hashes and places, not cell by cell.
    cuts = _cuts(pairs, len(base), memo, place_index)
    database = Background(_write_sqlite, work, registry, meta, all_tables, pairs, created, memo,
                          _step_digests(pairs, cuts), fork=fork, memo=memo)
    sheets = [(table, rows) for table, rows in pairs if table.name != summary.CODES]  # 代码表 holds them
    workbook = Background(xlsx.write_xlsx, work / XLSX_NAME, sheets, places.dictionary(all_tables),
                          _about(config, meta, edition, created), created, raw["publisher"]["zh"], memo, cuts,
                          fork=fork, memo=memo)
    hsds_job = Background(hsds.write_hsds, work / hsds.ZIP_NAME, registry, raw["name"], raw.get("hsds"),
                           created, memo, fork=fork, memo=memo)
    try:
        return _write_csv(work, registry, meta, created, edition, pairs, cuts, clock, records_json,
                          memo, validate, validator, (database, workbook, hsds_job))
    finally:
        database.close()
        workbook.close()
        hsds_job.close()


def _cuts(pairs: list[tuple[Table, Any]], published: int, memo: memos.Memo,
          place_index: places.Places) -> dict[str, list[memos.Span]]:
    """``memo.spans`` of every table: the first ``published`` pairs are ``places.rows`` of records
    (first cell: the record's id), the rest (coverage, summary) are digested by their values.

    The runs of a table of records (``places.RecordRows``) are a pure function of its definition (in
    the build cache's key) and of its registry's records' ids, content hashes and places, in order:
    with the memo they are keyed by those (``_registry_key``), so after an edit only the tables of
    the edited record's registry are cut again, and those record by record, not row by row.
    """
    if not memo.records:
        return {table.name: memos.spans(rows, False, by=memos.cut_column(table.column_names()))
                for table, rows in pairs}
    places_shown: dict[str, str] = {}  # division code → what a record there shows of its place

    def shown_of(records: Iterable[Any]) -> dict[str, str]:
        """Record id → its place's cells (made for the records of the registries cut again only)."""
        out = {}
        for record in records:
            code = record.division
            text = places_shown.get(code)
            if text is None:
                place = place_index.of(code)
                text = places_shown[code] = f"{place.division_name}\0{place.town_code}\0{place.town_name}"
            out[record.id] = text
        return out

    parts: dict[str, bytes] | None = None
    registry_keys: dict[str, bytes | None] = {}
    registry_parts: dict[str, dict[str, bytes]] = {}
    cuts: dict[str, list[memos.Span]] = {}
    for number, (table, rows) in enumerate(pairs):
        first = table.columns[0].name if table.columns else ""
        by_record = number < published and first == ("record_id" if table.is_link else "id")
        by = memos.cut_column(table.column_names())
        if by_record and by == 0:
            name = table.registry
            records = place_index.registry.records(name)
            if name not in registry_keys:
                registry_keys[name] = _registry_key(records, memo.records, place_index)
            known = registry_keys[name]
            key = ("spans", zipped.SPAN, table.name, known) if known is not None else None
            found = memo.get(key) if key is not None else None
            if found is not None:
                length, cut = found
                if isinstance(rows, places.RecordRows):
                    rows.length = length
                cuts[table.name] = list(cut)
                continue
            if isinstance(rows, places.RecordRows):
                if name not in registry_parts:  # the parts of this registry's records only
                    registry_parts[name] = memos.row_parts(
                        {r.id: memo.records[r.id] for r in records if r.id in memo.records}, shown_of(records))
                cuts[table.name] = memos.record_spans(rows, table.name, registry_parts[name])
            else:
                if parts is None:
                    parts = memos.row_parts(memo.records, shown_of(place_index.registry.all()))
                cuts[table.name] = memos.spans(rows, True, table.name, parts, by=by)
            if key is not None:
                memo.put(key, (len(rows), tuple(cuts[table.name])))
            continue
        if isinstance(rows, places.RecordRows):
            rows = rows.all()
        cuts[table.name] = memos.spans(rows, True, table.name, None, by=by)
    return cuts


def _registry_key(records: list[Any], hashes: dict[str, str], place_index: places.Places) -> bytes | None:
    """A digest of ``records``' ids and content hashes in order and of the places they show (``None``
    when a record has no hash: its runs are then digested by their rows).

    A record's place cells are a function of its division's code, which its content holds (a
    division's own: its id): so the places enter once per division, not once per record.
    """
    texts: list[str] = []
    divisions: dict[str, None] = {}
    for record in records:
        ident = record.id
        content = hashes.get(ident)
        if content is None:
            return None
        texts += (ident, content)
        divisions[record.division] = None
    for code in divisions:
        place = place_index.of(code)
        texts += (code, place.division_name, place.town_code, place.town_name)
    texts.append(str(len(divisions)))
    return memos.digest_texts("records of a registry, then their places", texts)


def _step_digests(pairs: list[tuple[Table, Any]], cuts: dict[str, list[memos.Span]]) -> list[bytes]:
    """What each table's step of the database shows (``sqlite.Steps``): its definition and its rows'
    digests; ``b""`` when unknown."""
    out = []
    for table, _ in pairs:
        parts = [digest for _, _, digest in cuts[table.name]]
        out.append(memos.digest("table", sqlite.create_sql(table), *parts) if all(parts) else b"")
    return out


def _write_csv(work: Path, registry: Registry, meta: package.Meta, created: dt.datetime,
               edition: package.Edition, pairs: list[tuple[Table, Any]], cuts: dict[str, list[memos.Span]],
               clock: _Clock, json_text: jsonout.AllJson, memo: memos.Memo, validate: bool,
               validator: str | None, jobs: tuple[Background, Background, Background]) -> ExportResult:
    """The CSV tables and the descriptor, then the rest (``_write_rest``) while the package is checked."""
    config = registry.config

    # CSV tables and their descriptors.
    (work / "csv").mkdir()
    resources: list[dict[str, Any]] = []
    csv_files: list[ExportedFile] = []
    for table, records in pairs:
        rel = f"csv/{table.name}.csv"
        rows = csvout.write_csv(work / rel, table, records, memo, cuts[table.name])
        info = _file(work, rel, "csv", rows, table.name, (table.title_zh, table.title_en))
        csv_files.append(info)
        resources.append(package.resource_descriptor(table, rel, info.bytes, info.sha256))

    clock.lap("csv")
    descriptor = package.descriptor(config, meta, created, edition, resources)
    problems = package.profile_errors(descriptor, memo)
    if problems:
        raise ExportError("package", messages=problems)
    package.write_descriptor(work / "datapackage.json", descriptor)
    rows = sum(f.rows or 0 for f in csv_files)
    validation = (
        package.Validation(work / "datapackage.json", resources, rows, validator=validator, memo=memo)
        if validate else None
    )
    try:
        result = _write_rest(work, registry, meta, created, edition, csv_files, clock, json_text, memo, jobs)
        problems = validation.errors() if validation else []
        clock.lap("frictionless (wait)")
    finally:
        if validation:
            validation.close()
    if problems:
        raise ExportError("package", messages=problems)
    return result


def _about(config: Any, meta: package.Meta, edition: package.Edition, created: dt.datetime) -> list[tuple[str, str]]:
    """The workbook's "about" sheet: title, description, version, dates, licence, citation, sources."""
    cite = package.citation(meta, edition)
    lic = package.licence(config)
    raw = meta.raw
    return [
        (_both("export.about.title"), package.both(raw["title"])),
        (_both("export.about.description"), f"{raw['description']['zh']}\n\n{raw['description']['en']}"),
        (_both("export.about.version"), edition.version),
        (_both("export.about.created"), package.iso(created)),
        (_both("export.about.licence"), f"{lic['title']} ({lic['name']}) {lic['path']}"),
        (_both("export.about.citation"), f"{cite['zh']}\n{cite['en']}"),
        (_both("export.about.publisher"), package.both(raw["publisher"]) + (
            f" {raw['publisher']['url']}" if raw["publisher"].get("url") else "")),
        (_both("export.about.contact"), package.both(raw["contact"]) + (
            f" {raw['contact']['url']}" if raw["contact"].get("url") else "")),
        (_both("export.about.homepage"), config.site["url"]),
    ] + [(_both("export.about.sources"), _source_text(s)) for s in raw["sources"]]


def _write_rest(work: Path, registry: Registry, meta: package.Meta, created: dt.datetime,
                edition: package.Edition, csv_files: list[ExportedFile], clock: _Clock,
                json_text: jsonout.AllJson, memo: memos.Memo,
                jobs: tuple[Background, Background, Background]) -> ExportResult:
    config = registry.config
    files: list[ExportedFile] = []
    clock.lap("descriptor")
    cite = package.citation(meta, edition)
    lic = package.licence(config)
    raw = meta.raw
    rows = sum(f.rows or 0 for f in csv_files)
    database, workbook, hsds_job = jobs
    counts = json_text.write(work, created)
    clock.lap("json")
    features = geojson.write_geojson(work / GEOJSON_NAME, registry, created, memo)
    clock.lap("geojson")
    database.wait()
    clock.lap("sqlite (wait)")
    workbook.wait()
    clock.lap("xlsx (wait)")
    hsds_rows = hsds_job.wait()
    clock.lap("hsds (wait)")

    files.append(_file(work, "datapackage.json", "datapackage"))
    files.extend(csv_files)
    files.append(_file(work, XLSX_NAME, "xlsx", rows))
    files.append(_file(work, jsonout.ZIP_PATH, "json", sum(counts.values())))
    files.append(_file(work, GEOJSON_NAME, "geojson", features))
    files.append(_file(work, SQLITE_ZIP, "sqlite", rows))
    files.append(_file(work, DATASETTE_NAME, "datasette-metadata"))
    files.append(_file(work, hsds.ZIP_NAME, "hsds", hsds_rows))
    clock.lap("files")
    # README, CITATION.cff, DCAT-AP and schema.org describe the files above, so they come last.
    names, dataset = docs.write_all(work, config, raw, edition, package.iso(created), cite, list(files),
                                    registry.all())
    files.extend(_file(work, name, DOC_FORMATS[name]) for name in names)
    clock.lap("docs")
    checksums.write_sums(work, SUMS_NAME, {f.path: f.sha256 for f in files})
    clock.lap("sha256")
    files.append(_file(work, SUMS_NAME, "sha256sums"))
    return ExportResult(
        out_dir=work, version=edition.version, created=package.iso(created), licence=lic, citation=cite,
        released=edition.released, date=edition.date, schema_org=dataset,
        records=counts, files=files, timings=clock.laps,
    )


def _write_sqlite(work: Path, registry: Registry, meta: package.Meta, all_tables: tuple[Table, ...],
                  pairs: list[tuple[Table, list[Any]]], created: dt.datetime, memo: memos.Memo,
                  digests: list[bytes]) -> None:
    """``hubdir.sqlite.zip`` (the database is built beside it, zipped, then removed) and ``metadata.json``."""
    config = registry.config
    raw = meta.raw
    lic = package.licence(config)
    written = sqlite.write_sqlite(work / SQLITE_NAME, pairs, registry, memo, digests)
    sqlite.write_zip(work / SQLITE_ZIP, work / SQLITE_NAME, created, memo, written)
    (work / SQLITE_NAME).unlink()
    source_titles = "; ".join(s["title"] for s in raw["sources"])
    sqlite.write_datasette_metadata(work / DATASETTE_NAME, Path(SQLITE_NAME).stem, all_tables, {
        "title": package.both(raw["title"]),
        "description": f"{raw['description']['zh']}\n\n{raw['description']['en']}",
        "license": lic["name"],
        "license_url": lic["path"],
        "source": source_titles,
        "source_url": raw["publisher"].get("url", config.site["url"]),
    })


def _source_text(source: dict[str, Any]) -> str:
    note = f" — {package.both(source['note'])}" if source.get("note") else ""
    path = f" {source['path']}" if source.get("path") else ""
    return f"{source['title']}{note}{path}"


def _both(key: str) -> str:
    return f"{t('zh', key)} / {t('en', key)}"


__all__ = [
    "DictionaryRow", "ExportError", "ExportResult", "ExportedFile", "data_dictionary", "write_datasets",
]


def run_command(config: Any, out_dir: Path | None, lang: str) -> int:
    """``hubdir export``: validate, export, print a summary; return the exit code (0 ok, 1 problems)."""
    import click

    from generator.problems import render_text
    from generator.validate import load

    target = out_dir if out_dir is not None else config.root / "build" / "site" / "data"
    loaded = load(config)
    try:
        result = write_datasets(loaded, target, lang=lang)
    except ExportError as exc:
        if exc.kind == "content" and exc.report is not None:
            click.echo(render_text(exc.report, lang), err=True)
            click.echo(t(lang, "export.cli.content_invalid"), err=True)
        elif exc.kind == "metadata" and exc.meta is not None:
            if exc.meta.path is None:
                click.echo(t(lang, "export.cli.metadata_missing"), err=True)
            else:
                click.echo(t(lang, "export.cli.metadata_invalid", path=exc.meta.path), err=True)
                click.echo(render_text(Report(problems=exc.meta.problems, files_checked=1), lang), err=True)
        else:
            click.echo(t(lang, "export.cli.package_invalid"), err=True)
            for message in exc.messages[:50]:
                click.echo(f"  {message}", err=True)
        return 1
    except OSError as exc:  # a full disk, a read-only folder: name the place and the reason
        from generator import oswrite

        detail = oswrite.describe(exc, exc.filename or target).get(lang)
        click.echo(t(lang, "export.cli.failed", detail=detail), err=True)
        return 1
    try:
        shown: Path = result.out_dir.relative_to(Path.cwd())
    except ValueError:
        shown = result.out_dir
    click.echo(t(lang, "export.cli.done", files=len(result.files),
                 records=result.total_records, rows=result.total_rows, out=shown))
    return 0
