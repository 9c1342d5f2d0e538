"""Load → shape → model → meaning: the validation pipeline every command starts with.

Files are read and shape-checked one by one (in parallel across cores for
large registries; results are put back in path order so the output stays
deterministic), then the model is built and the meaning checks run over it.
Problems from every stage are gathered into one report.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import checks, gcpause, interrupt, synonyms, yamlio
from generator.config import Config
from generator.problems import Problem, Report
from generator.registry import REGISTRIES, Record, Registry
from generator.schema import Shapes

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 3000


@dataclass
class Loaded:
    registry: Registry
    report: Report
    records: list[Record]


def discover(content_dir: Path, root: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Every ``content/<registry>/*.yml`` file, sorted; stray files and folders are problems.

    Hostile trees (a folder named ``x.yml``, a symlink loop, an unreadable
    folder) become problems, never exceptions.  A file or folder that leads
    outside the project (a symlink a pull request could point at any file of
    the build machine) is an error and is not read.  A record that would
    silently stay unpublished (``x.YML``, ``x.yml.txt``, records in a
    sub-folder or outside any registry folder) is an error; other stray files
    are warnings.
    """
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    if not _is_dir(content_dir):
        problems.append(Problem.make(_rel(content_dir, root), 0, 0, "M035"))
        return found, problems
    real_root = os.path.realpath(root)
    if _outside(content_dir, real_root, problems, root):
        return found, problems
    for entry in _listdir(content_dir, root, problems):
        if entry.name.startswith(".") or entry.name.lower() in ("readme.md",):
            continue
        if entry.name in REGISTRIES and _is_dir(entry):
            if _outside(entry, real_root, problems, root):
                continue
            kinds = _record_files(entry)
            for path in _listdir(entry, root, problems):
                name = path.name  # once: at 100k records each ``Path`` property is a measurable cost
                if name.startswith("."):
                    continue
                is_file, is_link = kinds.get(name, (False, False))
                if is_link and is_file and _outside(path, real_root, problems, root):
                    continue
                if name.endswith((".yml", ".yaml")) and is_file:  # ``path.suffix`` in those, cheaper
                    found.append((entry.name, path))
                else:
                    problems.append(_stray(path, entry.name, is_file, root))
        else:
            holds_records = _holds_records(entry)
            problems.append(
                Problem.make(
                    _rel(entry, root),
                    0,
                    0,
                    "M033",
                    severity="error" if holds_records else "warning",
                    name=entry.name,
                    registries=", ".join(REGISTRIES),
                )
            )
    return found, problems


#: A name that is meant as a record but would not be read: ``x.YML``, ``x.Yaml``, ``x.yml.txt``.
_MISNAMED = re.compile(r"(.+?)\.(ya?ml)(\.txt)?[ .]*\Z", re.IGNORECASE)


def _stray(path: Path, registry: str, is_file: bool, root: Path) -> Problem:
    """The problem for an entry of a registry folder that is not a record file."""
    rel = _rel(path, root)
    if is_file:
        misnamed = _MISNAMED.match(path.name)
        if misnamed:
            return Problem.make(rel, 0, 0, "M037", name=path.name, suggestion=f"{misnamed.group(1)}.yml")
    elif _is_dir(path):
        count = _count_records(path)
        if count:
            return Problem.make(rel, 0, 0, "M038", name=path.name, count=count, registry=registry)
    return Problem.make(rel, 0, 0, "M032", severity="warning", name=path.name)


def _count_records(folder: Path) -> int:
    """How many ``.yml``/``.yaml`` files lie anywhere under ``folder`` (symlinked folders not followed)."""
    count = 0
    try:
        for _, _, names in os.walk(folder):
            count += sum(1 for name in names if _MISNAMED.match(name))
    except OSError:
        return count
    return count


def _holds_records(entry: Path) -> bool:
    """A stray top-level entry that is, or holds, a record file (it would silently not be published)."""
    if _is_dir(entry):
        return _count_records(entry) > 0
    return _MISNAMED.match(entry.name) is not None and _is_file(entry)


def _outside(path: Path, real_root: str, problems: list[Problem], root: Path) -> bool:
    """Whether ``path`` resolves to outside the project; if so, record the located error."""
    real = os.path.realpath(path)
    if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
        return False
    problems.append(Problem.make(_rel(path, root), 0, 0, "Y015", name=path.name, target=real))
    return True


def _listdir(folder: Path, root: Path, problems: list[Problem]) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        problems.append(Problem.make(_rel(folder, root), 0, 0, "Y011", detail=exc.strerror or str(exc)))
        return []
    make = getattr(folder, "_make_child_relpath", None)  # ``folder / name`` without parsing ``name`` again:
    if make is None:  # a tenth of the time per file (0.3 s for 100,000 records); the same ``Path``
        return [folder / name for name in names]
    return [make(name) for name in names]


def _record_files(folder: Path) -> dict[str, tuple[bool, bool]]:
    """name → (is a regular file or a link to one, is a link), from one directory scan (no stat per file)."""
    found: dict[str, tuple[bool, bool]] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    found[entry.name] = (entry.is_file(), entry.is_symlink())
                except OSError:
                    found[entry.name] = (False, False)
    except OSError:
        pass
    return found


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, RuntimeError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, RuntimeError):
        return False


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to the project root, in POSIX form (cheap: no file-system calls when possible)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.as_posix()


def registry_of(path: Path) -> str | None:
    """The registry a file belongs to, from its folder name."""
    return path.parent.name if path.parent.name in REGISTRIES else None


#: Per-process settings for ``_read_one`` (set once per worker by ``_init``, not sent with every job).
_WORKER: dict[str, Any] = {}


def _init(schemas_dir: str, district: dict[str, Any], today: dt.date) -> None:
    _WORKER["shapes"] = Shapes(Path(schemas_dir))
    _WORKER["ctx"] = checks.Context(district, today)
    gc.freeze()  # what a worker starts with never needs scanning again


def _read_one(job: tuple[str, str, str]) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Load, shape-check and record-check one file."""
    registry, path_text, rel = job
    path = Path(path_text)
    try:
        raw = yamlio.read_limited(path)
    except yamlio.LoadError as exc:
        return None, [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]
    except OSError as exc:
        return None, [Problem.make(rel, 0, 0, "Y011", detail=exc.strerror or str(exc))]
    return check_bytes(registry, path, rel, raw)


def check_bytes(registry: str, path: Path, rel: str, raw: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """``_read_one`` of a file whose bytes are read already (``incremental.load`` hashes them too)."""
    try:
        text = yamlio.decode(raw)
        data = yamlio.loads(text)
    except yamlio.LoadError as exc:
        return None, [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]
    problems = _WORKER["shapes"].check(registry, data, path, rel)
    problems.extend(checks.check_record(Record(registry, data, path, rel), _WORKER["ctx"], text))
    return data, problems


def read_all(
    jobs: Sequence[tuple[str, str, str]],
    schemas_dir: str,
    district: dict[str, Any],
    today: dt.date,
    workers: int | None = None,
    reader: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """Read and check files; the order of results equals the order of ``jobs`` (deterministic output).

    ``reader`` (default ``_read_one``) reads one job, in the workers' processes.
    """
    reader = reader or _read_one
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
        return interrupt.pool_map(
            reader,
            jobs,
            workers,
            chunksize=max(1, len(jobs) // (workers * 8)),
            initializer=_init,
            initargs=(schemas_dir, district, today),
        )
    _init(schemas_dir, district, today)
    return [reader(job) for job in jobs]


def load(
    config: Config,
    paths: Iterable[Path] = (),
    *,
    today: dt.date | None = None,
    content_dir: Path | None = None,
    workers: int | None = None,
) -> Loaded:
    """Validate the content folder (plus any extra ``paths``) and build the model."""
    # The model is a few hundred thousand small dicts and lists that all stay alive: the cyclic
    # garbage collector would scan them again and again while they are built (3 s of 100k
    # records).  Pause it while loading, then freeze what was built so later collections skip it.
    with gcpause.paused(freeze=True):
        return _load(config, paths, today=today, content_dir=content_dir, workers=workers)


def project_problems(config: Config, registry: Registry) -> list[Problem]:
    """Problems of the project's files beside the registries: its search synonyms (issue 13) and its
    published releases, which are never edited (issue 15).  Full and cached validation both ask here."""
    from generator.release import release_problems

    return [*synonyms.check(config, set(registry.by_registry["divisions"])), *release_problems(config.root)]


def _load(
    config: Config,
    paths: Iterable[Path],
    *,
    today: dt.date | None,
    content_dir: Path | None,
    workers: int | None,
) -> Loaded:
    root = config.root
    content = content_dir or config.content_dir
    files, problems = discover(content, root)
    paths = list(paths)
    if paths:
        known = {os.path.abspath(p) for _, p in files}
        for extra in paths:
            candidates = sorted(extra.rglob("*.yml")) if _is_dir(extra) else [extra]
            for path in candidates:
                absolute = os.path.abspath(path)
                if absolute in known or not _is_file(path):
                    continue
                outside: list[Problem] = []
                linked = os.path.realpath(path) != absolute  # a path named outside is fine; a link out is not
                if linked and _outside(path, os.path.realpath(root), outside, root):
                    problems.extend(p for p in outside if p not in problems)  # discover may have it
                    continue
                name = registry_of(path)
                if name is None:
                    problems.append(
                        Problem.make(
                            _rel(path, root),
                            0,
                            0,
                            "M033",
                            severity="error",
                            name=path.parent.name,
                            registries=", ".join(REGISTRIES),
                        )
                    )
                    continue
                files.append((name, path))
                known.add(absolute)
    today = today or dt.date.today()
    folders: dict[Path, str] = {}  # one relative-path computation per folder, not per file

    def rel_of(path: Path) -> str:
        parent = path.parent
        if parent not in folders:
            folders[parent] = _rel(parent, root)
        return path.name if folders[parent] in ("", ".") else f"{folders[parent]}/{path.name}"

    jobs = [(name, str(path), rel_of(path)) for name, path in files]
    results = read_all(jobs, str(config.schemas_dir), config.district, today, workers)
    records: list[Record] = []
    for (name, path), (_, _, rel), (data, found) in zip(files, jobs, results, strict=True):
        problems.extend(found)
        if data is not None:
            records.append(Record(name, data, path, rel))
    registry = Registry(config, records)
    problems.extend(checks.run_checks(registry, records, today, record_checks=False))
    problems.extend(project_problems(config, registry))
    report = Report(problems=problems, files_checked=len(jobs))
    return Loaded(registry, report, records)
