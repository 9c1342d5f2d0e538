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
import hashlib
import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterable
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
from generator.schema import Shapes

HERE = Path(__file__).resolve().parent
PROFILE_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
PROFILE_PATH = HERE / "profiles" / "datapackage-2.0.json"
#: ``package.schema.json`` and the ``common.schema.json`` its validator bundles (same ``$defs``).
META_SCHEMAS = HERE / "schema"
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
    return config.root / META_NAME


def load_meta(config: Config, memo: Any = None) -> Meta:
    """The project's ``datasets/package.yml``; without one, the description ``hubdir init`` writes.

    A project made by hand (or before ``init`` wrote the file) must not publish another place's
    title, publisher and citation: the description is derived from its root division, exactly as
    ``hubdir init`` would have written it, so adding the file later changes nothing unexpected.
    With a ``memo`` (``export.memo``) that derived text is kept by the division's code: it is a pure
    function of it and of the bundled division table (in the build cache's key), whose reading is
    half a CPU-second of a second build.
    """
    path = meta_path(config)
    rel = META_NAME.as_posix()
    if not path.is_file():
        return Meta(_derived_meta(config, memo), path)
    try:
        raw = yamlio.load_file(path)
    except yamlio.LoadError as exc:
        raise MetaError(path, [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]) from None
    problems = Shapes(META_SCHEMAS).check("package", raw, path, rel)
    if problems:
        raise MetaError(path, problems)
    return Meta(raw, path)


def _derived_meta(config: Config, memo: Any = None) -> dict[str, Any]:
    """``hubdir init``'s ``package.yml`` for the project's root division (``MetaError`` if unknown)."""
    from generator.init.project import package_text
    from generator.init.table import TableError

    code = config.root_area.code
    try:
        text = package_text(code) if memo is None else memo.cached(("meta", code), lambda: package_text(code))
    except TableError:
        raise MetaError(None, []) from None
    return yamlio.loads(text)


@cache
def profile_validator() -> Draft7Validator:
    """The Data Package v2 profile, vendored (it cannot be fetched at build time)."""
    doc = json.loads(PROFILE_PATH.read_text("utf-8"))
    return Draft7Validator(doc)


@cache
def _split_profile() -> tuple[Draft7Validator, Draft7Validator]:
    """The profile in two: the package without its resources' own schema, and that of one resource
    (the profile is self-contained: no ``$ref`` leads out of the resource's schema)."""
    doc = json.loads(PROFILE_PATH.read_text("utf-8"))
    resources = doc["properties"]["resources"]
    item = resources.pop("items")
    return Draft7Validator(doc), Draft7Validator(item)


def _messages(errors: Any, prefix: tuple[Any, ...] = ()) -> tuple[str, ...]:
    return tuple(f"{'/'.join(map(str, (*prefix, *e.absolute_path))) or '(root)'}: {e.message}" for e in errors)


def profile_errors(descriptor: dict[str, Any], memo: Any = None) -> list[str]:
    """The descriptor's problems against the Data Package profile.

    With a ``memo`` (``export.memo``) the package without its resources and each resource are checked
    on their own (the same rules: the resources' schema applies to each item alone), each outcome kept
    by its text, a pure function of it and of the vendored profile (in the build cache's key): after
    an edit only the changed tables' resources (their bytes and hash) are checked again, where
    jsonschema's walk over the whole descriptor is a quarter of a CPU-second at 100,000 records.
    """
    if memo is None:
        return list(_messages(profile_validator().iter_errors(descriptor)))
    from generator.export.memo import digest

    package_check, resource_check = _split_profile()
    problems = list(_messages(package_check.iter_errors(descriptor)))
    resources = descriptor.get("resources")
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        text = json.dumps(resource, ensure_ascii=False, sort_keys=True, default=repr)
        found = memo.cached(("profile", digest(text)),
                            lambda r=resource: _messages(resource_check.iter_errors(r), ("resources",)))
        problems += [message.replace("resources", f"resources/{index}", 1) for message in found]
    return problems


def source_date(
    config: Config, files: list[Path] | None = None, mtimes: Callable[[], Iterable[int]] | None = None
) -> dt.datetime:
    """The package's timestamp: SOURCE_DATE_EPOCH, else the last git commit, else the newest content file.

    ``mtimes`` (instead of ``files``) gives the files' times in whole seconds as ``_mtime`` reads
    them, when the caller has them already (``hubdir build``: its load stat-ed every record file).
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env.isdigit():
        return dt.datetime.fromtimestamp(int(env), dt.UTC)
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=config.root, capture_output=True,
                             text=True, timeout=20, check=False)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return dt.datetime.fromtimestamp(int(out.stdout.strip()), dt.UTC)
    except (OSError, subprocess.SubprocessError):
        pass
    newest = max(mtimes() if mtimes is not None else (_mtime(p) for p in files or []), default=0)
    return dt.datetime.fromtimestamp(newest, dt.UTC)


def _mtime(path: Path) -> int:
    """A file's modification time in whole seconds, 0 when it is gone: one ``stat`` (100,000 at 100k)."""
    try:
        return int(path.stat().st_mtime)
    except OSError:
        return 0


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def both(pair: dict[str, str], sep: str = " / ") -> str:
    return f"{pair['zh']}{sep}{pair['en']}"


#: Appended to the package version when the exported data are not those of a published release.
UNRELEASED = "+unreleased"


@dataclass(frozen=True)
class Edition:
    """Which data these are: the version and date to print and cite (D10).

    ``released`` is true when the export *is* a release (``hubdir release``
    passes it) or its records are byte for byte those of a published release
    (its ``all.json``, see ``_same_records``); the
    version and date are then that release's.  Otherwise the version is the
    package version plus ``+unreleased`` (a SemVer build suffix) and the date
    is the export's, so nobody cites changed data under a released number.
    """

    version: str
    date: str
    released: bool


def edition(config: Config, meta: Meta, created: dt.datetime, records_sha256: str | Callable[[], str],
            release: tuple[str, str] | None = None) -> Edition:
    """The edition of an export; ``release`` is ``(version, date)`` while ``hubdir release`` writes one.

    ``records_sha256`` may be a function giving the hash: it is called only when there is a release
    to compare with (the uncompressed ``all.json`` it hashes is not otherwise made in a second build).
    """
    version = str(meta.raw["version"])
    if release is not None:
        name, day = release
        return Edition(name if not _is_date(name) else f"{version}+{name}", day, True)
    from generator.release import RELEASES_DIR, SUMS_FILE

    folder = config.root / RELEASES_DIR
    candidates = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in candidates:
        sums, info = path / SUMS_FILE, path / "release.json"
        if not (sums.is_file() and info.is_file()):
            continue
        try:
            listed: dict[str, str] = {}
            for line in sums.read_text("utf-8").splitlines():
                digest, _, rel = line.partition("  ")
                listed[rel] = digest
            if callable(records_sha256):
                records_sha256 = records_sha256()
            if not _same_records(path, listed, records_sha256):
                continue
            meta_doc = json.loads(info.read_text("utf-8"))
            published = json.loads((path / "datapackage.json").read_text("utf-8")).get("version")
            return Edition(str(published or meta_doc["version"]), str(meta_doc["date"]), True)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            continue
    return Edition(f"{version}{UNRELEASED}", created.astimezone(dt.UTC).strftime("%Y-%m-%d"), False)


def _same_records(path: Path, listed: dict[str, str], records_sha256: str) -> bool:
    """Whether the release in ``path`` holds these records: the hash of its uncompressed ``all.json``
    (listed in ``SHA256SUMS`` for releases before issue 16; unzipped from ``json/all.json.zip``
    after, so that another zlib, which compresses the same bytes differently, changes nothing)."""
    from generator.export import jsonout

    if listed.get(jsonout.PLAIN_PATH) == records_sha256:
        return True
    if jsonout.ZIP_PATH not in listed:
        return False
    return hashlib.sha256(jsonout.read_all(path)).hexdigest() == records_sha256


def _is_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


def citation(meta: Meta, edition: Edition) -> dict[str, str]:
    return {lang: meta.raw["citation"][lang].replace("{version}", edition.version)
            .replace("{date}", edition.date) for lang in ("zh", "en")}


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


def descriptor(config: Config, meta: Meta, created: dt.datetime, edition: Edition,
               resources: list[dict[str, Any]]) -> dict[str, Any]:
    raw = meta.raw
    cite = citation(meta, edition)
    doc: dict[str, Any] = {
        "$schema": PROFILE_URL,
        "name": raw["name"],
        "title": both(raw["title"]),
        "description": "\n\n".join([raw["description"]["zh"], raw["description"]["en"],
                                     t("zh", "export.package.cite") + cite["zh"],
                                     t("en", "export.package.cite") + cite["en"]]),
        "homepage": config.site["url"],
        "version": edition.version,
        "created": iso(created),
        "licenses": [licence(config)],
        "keywords": list(raw.get("keywords", [])) or ["hubdir"],
        "contributors": [
            {k: v for k, v in c.items() if k in ("title", "path", "email", "organization", "roles")}
            for c in raw["contributors"]
        ],
        "sources": [_source(s) for s in raw["sources"]],
        "resources": resources,
    }
    return doc


def _source(source: dict[str, Any]) -> dict[str, str]:
    note = f" — {both(source['note'])}" if source.get("note") else ""
    out = {"title": f"{source['title']}{note}"}
    if source.get("path"):
        out["path"] = source["path"]
    return out


def write_descriptor(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")


def _validate_group(path: str, names: list[str], metadata: bool) -> list[str]:
    """Validate some resources of the package (with its foreign keys) with the Frictionless API."""
    import frictionless

    messages: list[str] = []
    try:
        pkg = frictionless.Package(path)
        if metadata:
            pkg.to_descriptor(validate=True)
    except frictionless.FrictionlessException as exc:
        return [error.message for error in exc.to_errors()] or [str(exc)]
    for name in names:
        report = pkg.get_resource(name).validate()
        for task in report.tasks:
            messages.extend(f"{name}: {error.message}" for error in task.errors)
        messages.extend(f"{name}: {error.message}" for error in report.errors)
    return messages


#: Up to this many rows the export is validated by Frictionless itself; above, by ``fastcheck``.
#: About 20,000 records: it was 300,000 rows when ``completeness`` had a row per record × field;
#: one row per record (issue 16) takes a quarter of the rows away, not the records' share of work.
FRICTIONLESS_MAX_ROWS = 220_000
#: Environment variable that forces one validator: ``frictionless`` or ``fast``.
VALIDATOR_ENV = "HUBDIR_EXPORT_VALIDATOR"


def choose_validator(rows: int, preferred: str | None = None) -> str:
    """The environment variable, then the caller's preference, then the size decide."""
    forced = os.environ.get(VALIDATOR_ENV, "").strip().lower()
    if forced in ("frictionless", "fast"):
        return forced
    if preferred in ("frictionless", "fast"):
        return preferred
    return "frictionless" if rows <= FRICTIONLESS_MAX_ROWS else "fast"


class Validation:
    """Validation of the written package, run alongside the other writers when it is large.

    Frictionless checks every cell (types, constraints, primary and foreign
    keys, bytes, hash) in pure Python, about a minute of CPU at province
    scale; so up to ``FRICTIONLESS_MAX_ROWS`` rows (a district has a tenth
    of that) the package is validated by Frictionless itself, its resources
    split over worker processes while the main process writes XLSX, SQLite
    and JSON, and above that by ``fastcheck``, which checks the same rules
    at the speed of the csv module (also in a worker process).
    """

    #: Below this many rows a worker pool costs more than it saves.
    PARALLEL_ROWS = 50_000

    def __init__(self, path: Path, resources: list[dict[str, Any]], rows: int,
                 workers: int | None = None, validator: str | None = None, memo: Any = None) -> None:
        from concurrent.futures import Future, ProcessPoolExecutor

        from generator.export import fastcheck
        from generator.export.background import Background

        self.futures: list[Future[Any]] = []
        self.inline: list[str] | None = None
        self.pool: ProcessPoolExecutor | None = None
        #: ``fastcheck`` in a forked process; it keeps each resource's outcome in the export's memo.
        self.fast: Background | None = None
        self.validator = choose_validator(rows, validator)
        names = [r["name"] for r in resources]
        workers = workers if workers is not None else max(2, os.cpu_count() or 1)
        # (inline too in an incremental export, for the same reason as its writers: ``_write_all``)
        if rows < self.PARALLEL_ROWS or workers < 2 or (self.validator == "fast" and getattr(memo, "old", None)):
            if self.validator == "fast":
                self.inline = fastcheck.validate_package(path, memo)
            else:
                self.inline = _validate_group(str(path), names, True)
            return
        if self.validator == "fast":
            self.fast = Background(fastcheck.validate_package, path, memo, fork=True, memo=memo)
            return
        groups: list[list[str]] = [[] for _ in range(workers)]
        load = [0] * workers
        for res in sorted(resources, key=lambda r: (-int(r.get("bytes", 0)), r["name"])):
            index = load.index(min(load))
            groups[index].append(res["name"])
            load[index] += int(res.get("bytes", 0))
        self.pool = ProcessPoolExecutor(max_workers=workers)
        self.futures = [self.pool.submit(_validate_group, str(path), group, i == 0)
                        for i, group in enumerate(groups) if group]

    def errors(self) -> list[str]:
        if self.inline is not None:
            return self.inline
        try:
            if self.fast is not None:
                return list(self.fast.wait())
            return [message for future in self.futures for message in future.result()]
        finally:
            self.close()

    def close(self) -> None:
        if self.fast is not None:
            self.fast.close()
            self.fast = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def frictionless_errors(path: Path) -> list[str]:
    """Validate the written package with the Frictionless API (data, types, keys, hashes), in this process."""
    descriptor = json.loads(path.read_text("utf-8"))
    return _validate_group(str(path), [r["name"] for r in descriptor["resources"]], True)
