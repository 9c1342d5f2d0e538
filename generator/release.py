"""``hubdir release VERSION``: a dated, immutable copy of the open datasets, with a changelog.

Why: journalists and researchers cite a version and compare versions; a
release must therefore never change once published.  Each release is a
folder ``datasets/releases/<VERSION>/`` holding:

- everything ``generator.export.write_datasets`` writes (datapackage.json,
  CSV, XLSX, and zipped JSON, GeoJSON, SQLite and HSDS);
- ``CHANGELOG.md``: what changed since the previous release (Chinese, then
  English), computed by ``generator.diff`` against the previous release's
  ``json/all.json.zip`` (``json/all.json`` in releases before issue 16);
- ``delta.json``: only the records added, removed or changed, with their
  field changes and new data;
- ``release.json``: version, date, previous version, record counts;

A semantic VERSION must equal the ``version`` in ``datasets/package.yml``
(the package, workbook and citation print that one, with the release date);
a date VERSION leaves the package version as it is and its package says
``<version>+<date>`` (``export.package.Edition``).  ``hubdir validate`` checks
every release against its ``SHA256SUMS`` (``release_problems``) and the site
serves each one at ``releases/<VERSION>/`` (``publish_releases``).
- ``SHA256SUMS`` over every file above (``sha256sum -c SHA256SUMS`` checks it).

The folder is written under a temporary name and renamed into place; an
existing release is never overwritten, and its files are made read-only.
``list_releases(root)`` gives the site's data page the list of releases.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import diff
from generator.config import Config
from generator.i18n import t
from generator.problems import Report
from generator.registry import REGISTRIES

RELEASES_DIR = Path("datasets") / "releases"
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
META_FILE = "release.json"
CHANGELOG_FILE = "CHANGELOG.md"
DELTA_FILE = "delta.json"
SUMS_FILE = "SHA256SUMS"


class ReleaseError(Exception):
    """The release was not written; ``key`` is a workflow catalogue key, ``report`` the validation report."""

    def __init__(self, key: str, *, report: Report | None = None, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.report = report
        self.args_dict = args


@dataclass(frozen=True)
class ReleaseInfo:
    """One published release, as the site's data page lists it.

    ``changelog`` is ``{"zh": text, "en": text}``: plain text, one line per
    changed record (no Markdown, ready for a list on a web page);
    ``changelog_md`` is the CHANGELOG.md file (both languages, Markdown).
    """

    version: str
    date: str
    path: Path
    changelog: dict[str, str]
    previous: str | None
    records: dict[str, int]
    summary: dict[str, int]
    changelog_md: str = ""


def releases_dir(root: Path) -> Path:
    return root / RELEASES_DIR


def parse_date(text: str) -> dt.date | None:
    if not DATE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def check_version(version: str) -> None:
    """Semantic version (``1.2.0``, ``1.2.0-rc.1``) or a date (``2026-11-23``); nothing else."""
    if SEMVER.match(version):
        return
    if DATE.match(version) and parse_date(version) is not None:
        return
    raise ReleaseError("workflow.release.bad_version", version=version)


def _order(info: ReleaseInfo) -> tuple[str, tuple[int, ...], str]:
    match = SEMVER.match(info.version)
    numbers = tuple(int(x) for x in match.groups()[:3]) if match else ()
    return info.date, numbers, info.version


def list_releases(root: Path) -> list[ReleaseInfo]:
    """Every release under ``datasets/releases/``, newest first (by date, then version)."""
    folder = releases_dir(root)
    found: list[ReleaseInfo] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        meta_path = path / META_FILE
        if path.name.startswith(".") or not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            text = (path / CHANGELOG_FILE).read_text("utf-8") if (path / CHANGELOG_FILE).is_file() else ""
            found.append(
                ReleaseInfo(
                    str(meta["version"]),
                    str(meta["date"]),
                    path,
                    {lang: str(v) for lang, v in dict(meta.get("changelog", {})).items()},
                    meta.get("previous"),
                    dict(meta.get("records", {})),
                    dict(meta.get("summary", {})),
                    text,
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=_order, reverse=True)


def release_problems(root: Path) -> list[Any]:
    """Every published release checked against its ``SHA256SUMS`` (issue 15 D9), as validation problems.

    ``validate`` and ``build`` both load through ``generator.validate.load``, which adds these:
    an edited, deleted or added file in a release, or a release without its sums, is an error
    naming the file, so CI rejects the change.
    """
    from generator.problems import Problem

    folder = releases_dir(root)
    if not folder.is_dir():
        return []
    problems: list[Any] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        rel = _rel(path, root)
        if not (path / SUMS_FILE).is_file():
            problems.append(Problem.make(f"{rel}/{SUMS_FILE}", 0, 0, "R004", version=path.name))
            continue
        for code, name in verify_release_detail(path):
            problems.append(Problem.make(f"{rel}/{name}", 0, 0, code, version=path.name, file=name))
    return problems


def verify_release_detail(path: Path) -> list[tuple[str, str]]:
    """(problem code, file) for each file that differs from ``SHA256SUMS``: R001 changed, R002
    missing, R003 not listed; a line of the sums that cannot be read is R004."""
    from generator.export.checksums import sha256_file

    expected: dict[str, str] = {}
    try:
        lines = (path / SUMS_FILE).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return [("R004", SUMS_FILE)]
    for line in lines:
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            return [("R004", SUMS_FILE)]
        expected[rel] = digest
    actual = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {SUMS_FILE}
    found = [("R003", rel) for rel in sorted(actual - set(expected))]
    for rel, digest in sorted(expected.items()):
        if rel not in actual:
            found.append(("R002", rel))
        elif sha256_file(path / rel) != digest:
            found.append(("R001", rel))
    return sorted(found, key=lambda item: item[1])


#: Where the site publishes each release (a stable address per version, beside ``data/``).
SITE_DIR = "releases"
#: The files of a release the data page links to, in this order (when the release has them).
LINKED = ("hubdir.xlsx", "datapackage.json", "hubdir.sqlite.zip", "hubdir.sqlite", CHANGELOG_FILE, "README.md",
          SUMS_FILE)  # hubdir.sqlite: releases made before issue 16


def release_files(folder: Path, version: str, site_root: str = "") -> list[dict[str, str]]:
    """The data page's links to one release: ``releases/<version>/<file>`` (relative to the site root)."""
    return [{"name": name, "path": f"{site_root}{SITE_DIR}/{version}/{name}"}
            for name in LINKED if (Path(folder) / name).is_file()]


def publish_releases(root: Path, target: Path) -> int:
    """Put every release under ``target/<version>/`` (hard links where the file system allows, else
    copies): the site serves each release at a stable address.  Returns the number of files."""
    count = 0
    for info in list_releases(root):
        for path in sorted(info.path.rglob("*")):
            if not path.is_file():
                continue
            dest = target / info.version / path.relative_to(info.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, dest)
            except OSError:
                shutil.copyfile(path, dest)
            count += 1
    return count


def verify_release(path: Path) -> list[str]:
    """Files of a release whose SHA-256 no longer matches ``SHA256SUMS`` (or that are missing/extra)."""
    from generator.export.checksums import sha256_file

    expected: dict[str, str] = {}
    for line in (path / SUMS_FILE).read_text("utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        expected[rel] = digest
    actual = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()} - {SUMS_FILE}
    bad = sorted(rel for rel in actual - set(expected))
    for rel, digest in sorted(expected.items()):
        if rel not in actual or sha256_file(path / rel) != digest:
            bad.append(rel)
    return bad


def _snapshot(records: list[Any], label: str) -> diff.Snapshot:
    snapshot = diff.Snapshot(label)
    for record in records:
        snapshot.entries.setdefault(
            record.id,
            diff.Entry(record.registry, record.id, f"{record.registry}/{record.path.name}", record.data),
        )
    return snapshot


def changelog(
    changes: diff.Changes, config: Config, version: str, date: str, previous: ReleaseInfo | None, total: int
) -> str:
    """CHANGELOG.md: the Chinese section, then the English one."""
    parts: list[str] = []
    for lang in ("zh", "en"):
        parts += [t(lang, "workflow.release.cl_title", version=version, date=date), ""]
        if previous is None:
            parts += [t(lang, "workflow.release.cl_first", total=total), ""]
        else:
            parts += [
                t(lang, "workflow.release.cl_since", previous=previous.version, date=previous.date),
                "",
                diff.md(diff.counts_line(changes, lang)),
                "",
            ]
            parts += diff.markdown_sections(changes, lang, config, level=2)
        parts.append("")
    text = "\n".join(parts).rstrip("\n") + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def short_changelog(
    changes: diff.Changes, config: Config, lang: str, previous: ReleaseInfo | None, total: int
) -> str:
    """Plain text for the site's data page: the counts, then one line per changed record."""
    if previous is None:
        return t(lang, "workflow.release.first", total=total)
    lines = [
        t(lang, "workflow.release.since", previous=previous.version, counts=diff.counts_line(changes, lang))
    ]
    for change in changes.changes:
        labels = dict.fromkeys(diff.field_label(config, change.registry, fc, lang) for fc in change.fields)
        fields = t(lang, "workflow.release.field_sep").join(labels)
        key = "workflow.release.line_fields" if fields else "workflow.release.line"
        lines.append(
            t(
                lang,
                key,
                kind=t(lang, f"workflow.diff.kind.{change.kind}"),
                name=change.name,
                id=change.id,
                fields=fields,
            )
        )
    return "\n".join(lines)


def delta(changes: diff.Changes, version: str, date: str, previous: ReleaseInfo | None) -> dict[str, Any]:
    doc = diff.to_json(changes)
    doc.update({"release": version, "date": date, "previous": previous.version if previous else None})
    for item, change in zip(doc["changes"], changes.changes, strict=True):
        item["record"] = None if change.kind == "removed" else change.data
    return doc


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(
        json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8", newline="\n"
    )


def _freeze(folder: Path) -> None:
    """Make every file read-only: a release is never edited in place."""
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


@dataclass
class Made:
    info: ReleaseInfo
    changes: diff.Changes
    files: int


def make_release(
    config: Config, version: str, *, date_text: str | None = None, today: dt.date | None = None
) -> Made:
    """Validate, export, compare with the previous release and write the release atomically."""
    from generator.export import ExportError, write_datasets
    from generator.export.checksums import write_sums
    from generator.validate import load

    check_version(version)
    if date_text is None:
        day = today or dt.date.today()
    else:
        parsed = parse_date(date_text)
        if parsed is None:
            raise ReleaseError("workflow.release.bad_date", date=date_text)
        day = parsed
    date = day.isoformat()
    root = config.root
    target = releases_dir(root) / version
    if target.exists():
        raise ReleaseError("workflow.release.exists", version=version, path=_rel(target, root))
    existing = list_releases(root)
    previous = existing[0] if existing else None
    if previous is not None and previous.date > date:
        raise ReleaseError(
            "workflow.release.older",
            version=version,
            date=date,
            previous=previous.version,
            previous_date=previous.date,
        )

    _check_package_version(config, version)
    loaded = load(config)
    if loaded.report.errors:
        raise ReleaseError("workflow.release.invalid", report=loaded.report)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=target.parent))
    except OSError as exc:  # a read-only or full datasets/ folder: named, never an internal error
        from generator import oswrite

        failure = oswrite.describe(exc, target.parent, out_option=False)
        raise ReleaseError("hardening.release_failed", detail=failure) from None
    try:
        try:
            write_datasets(loaded, work, release=(version, date))
        except ExportError as exc:
            if exc.report is not None:
                raise ReleaseError("workflow.release.invalid", report=exc.report) from None
            detail = "; ".join(exc.messages) or exc.kind
            raise ReleaseError("workflow.release.export_failed", detail=detail) from None
        before = diff.read_folder(previous.path, previous.version) if previous else diff.Snapshot("")
        after = _snapshot(loaded.records, version)
        changes = diff.compare(before, after, config)
        counts = {name: len(loaded.registry.records(name)) for name in REGISTRIES}
        total = sum(counts.values())
        summary = {kind: changes.count(kind) for kind in diff.KINDS}
        (work / CHANGELOG_FILE).write_text(
            changelog(changes, config, version, date, previous, total), encoding="utf-8", newline="\n"
        )
        _write_json(work / DELTA_FILE, delta(changes, version, date, previous))
        _write_json(
            work / META_FILE,
            {
                "version": version,
                "date": date,
                "previous": previous.version if previous else None,
                "records": counts,
                "summary": summary,
                "changelog": {
                    lang: short_changelog(changes, config, lang, previous, total) for lang in ("zh", "en")
                },
            },
        )
        sums = write_sums(work, SUMS_FILE)
        _freeze(work)
        os.chmod(work, 0o755)
        if target.exists():
            raise ReleaseError("workflow.release.exists", version=version, path=_rel(target, root))
        work.rename(target)
    except OSError as exc:
        _remove(work)
        from generator import oswrite

        if oswrite.is_write_failure(exc):
            failure = oswrite.describe(exc, target, out_option=False)
            raise ReleaseError("hardening.release_failed", detail=failure) from None
        raise
    except BaseException:
        _remove(work)
        raise
    info = next(i for i in list_releases(root) if i.version == version)
    return Made(info, changes, len(sums) + 1)


#: What a release is made from: uncommitted changes there would be published without a commit.
_RELEASE_INPUTS = ("datasets/package.yml", "site_config.yml", "content")


def uncommitted(root: Path) -> list[str]:
    """The release inputs with uncommitted changes (``[]`` outside git or when git is missing).

    A release is immutable and cites a version; one made from an uncommitted
    ``datasets/package.yml`` has metadata that no commit holds, so the command says so.
    """
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", *_RELEASE_INPUTS],
            cwd=root,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if out.returncode != 0:
        return []
    changed: set[str] = set()
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        changed.add(next((p for p in _RELEASE_INPUTS if path == p or path.startswith(p + "/")), path))
    return sorted(changed)


def _check_package_version(config: Config, version: str) -> None:
    """A semver release must be the version ``datasets/package.yml`` declares: the data package,
    the workbook and the citation all print that version, and they must name this release."""
    from generator.export import package

    if not SEMVER.match(version):
        return
    try:
        meta = package.load_meta(config)
    except package.MetaError:
        return  # write_datasets reports it with positions
    current = str(meta.raw.get("version", ""))
    if current != version:
        raise ReleaseError(
            "workflow.release.version_mismatch",
            version=version,
            current=current,
            path=_rel(meta.path, config.root),
        )


def _remove(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(folder, ignore_errors=True)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def summary(made: Made, config: Config, lang: str) -> str:
    info = made.info
    lines = [
        t(
            lang,
            "workflow.release.done",
            version=info.version,
            date=info.date,
            path=_rel(info.path, config.root),
            files=made.files,
        )
    ]
    if info.previous:
        lines.append(
            t(
                lang,
                "workflow.release.since",
                previous=info.previous,
                counts=diff.counts_line(made.changes, lang),
            )
        )
    else:
        lines.append(t(lang, "workflow.release.first", total=sum(info.records.values())))
    return "\n".join(lines)
