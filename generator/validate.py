"""Load → shape → model → meaning: the validation pipeline every command starts with.

Files are read and shape-checked one by one (in parallel across cores for
large registries; results are put back in path order so the output stays
deterministic), then the model is built and the meaning checks run over it.
Problems from every stage are gathered into one report.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import checks, yamlio
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


def discover(content_dir: Path) -> tuple[list[tuple[str, Path]], list[Problem]]:
    """Every ``content/<registry>/*.yml`` file, sorted; stray files and folders are warnings."""
    found: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return found, problems
    for entry in sorted(content_dir.iterdir()):
        if entry.name.startswith(".") or entry.name.lower() in ("readme.md",):
            continue
        if entry.is_dir() and entry.name in REGISTRIES:
            for path in sorted(entry.iterdir()):
                if path.suffix in (".yml", ".yaml") and path.is_file():
                    found.append((entry.name, path))
                elif not path.name.startswith("."):
                    problems.append(Problem.make(_rel(path, content_dir.parent), 0, 0, "M032", severity="warning",
                                                 name=path.name))
        else:
            problems.append(Problem.make(_rel(entry, content_dir.parent), 0, 0, "M033", severity="warning",
                                         name=entry.name, registries=", ".join(REGISTRIES)))
    return found, problems


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def registry_of(path: Path) -> str | None:
    """The registry a file belongs to, from its folder name."""
    return path.parent.name if path.parent.name in REGISTRIES else None


def _read_one(args: tuple[str, str, str, str]) -> tuple[dict[str, Any] | None, list[Problem]]:
    registry, path_text, rel, schemas_dir = args
    path = Path(path_text)
    try:
        data = yamlio.load_file(path)
    except yamlio.LoadError as exc:
        return None, [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]
    except OSError as exc:
        return None, [Problem.make(rel, 0, 0, "Y011", detail=exc.strerror or str(exc))]
    return data, _shapes(schemas_dir).check(registry, data, path, rel)


_SHAPES: dict[str, Shapes] = {}


def _shapes(schemas_dir: str) -> Shapes:
    if schemas_dir not in _SHAPES:
        _SHAPES[schemas_dir] = Shapes(Path(schemas_dir))
    return _SHAPES[schemas_dir]


def read_all(jobs: Sequence[tuple[str, str, str, str]], workers: int | None = None) -> list[tuple[Any, list[Problem]]]:
    """Read and shape-check files; order of results equals order of ``jobs``."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_read_one, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    return [_read_one(job) for job in jobs]


def load(config: Config, paths: Iterable[Path] = (), *, today: dt.date | None = None,
         content_dir: Path | None = None) -> Loaded:
    """Validate the content folder (plus any extra ``paths``) and build the model."""
    root = config.root
    content = content_dir or config.content_dir
    files, problems = discover(content)
    known = {p.resolve() for _, p in files}
    for extra in paths:
        for path in sorted(extra.rglob("*.yml")) if extra.is_dir() else [extra]:
            name = registry_of(path)
            if path.resolve() in known:
                continue
            if name is None:
                problems.append(Problem.make(_rel(path, root), 0, 0, "M033", severity="error",
                                             name=path.parent.name, registries=", ".join(REGISTRIES)))
                continue
            files.append((name, path))
            known.add(path.resolve())
    jobs = [(name, str(path), _rel(path, root), str(config.schemas_dir)) for name, path in files]
    records: list[Record] = []
    for (name, path_text, rel, _), (data, found) in zip(jobs, read_all(jobs), strict=True):
        problems.extend(found)
        if data is not None:
            records.append(Record(name, data, Path(path_text), rel))
    registry = Registry(config, records)
    problems.extend(checks.run_checks(registry, records, today))
    report = Report(problems=problems, files_checked=len(jobs))
    return Loaded(registry, report, records)
