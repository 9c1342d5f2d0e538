"""Incremental builds: a cache keyed by content hashes, so a second build redoes only what changed.

Why: at province scale staff change one record at a time, and a build that redoes 200,000 pages for
one edit costs minutes.  The rule is "byte-identical to a clean build, or a clean build":

* **global key** — hubdir's own files (code, templates, catalogues, assets), the versions of
  mkdocs/mkdocs-material/Jinja, ``site_config.yml``, ``datasets/package.yml`` and the schemas.  If it
  differs from the cached one nothing is reused (a full build).
* **files** — each record file's load + shape + record checks are cached by (path, bytes, the day:
  date checks depend on it); the cross-record checks run over the whole registry (they are linear),
  so the report equals a full validation's — except in a long-running caller (``hubdir serve``) after
  edits that provably change no registry index and no cross-record problem (``_load_again``): then
  the last registry and problems stay.  On disk in 64 shards by path, so one edit rewrites one shard.
* **bulk pages** — each page's key hashes the global key and the content hashes of every record the
  page can show (``PageKeys``): a record page its record, the records it links to and that link to
  it, its divisions; an area page its chain, its whole subtree (as a Merkle digest) and its
  siblings; a listing page its records, their divisions and the pager.  An unchanged key keeps the
  previous file where it is, after checking its size and mtime against the state.  After edits
  that provably keep every index (``changed_records``), a page no edited record reaches keeps the
  key the state holds, uncomputed (``PageKeys.carry``).
* **shared outputs** — the section pages (mkdocs; keyed by their rendered bodies and the nav) are
  reused whole or rebuilt whole; a rebuilt export takes what an edit did not change from the
  previous export's fragments (``export/memo.py``); the search index is reused whole when no record
  changed, else shard by shard: ``site/search_files.py`` rewrites the shards whose bytes change and
  keeps the others (``reuse_file``, keyed by their SHA-256).

The previous site plus its state (path → size, mtime, sha256, key, group) is the cache; the state
lives beside the site (``build/.site-cache/``, git-ignored with ``build/``).  ``--no-cache`` ignores it.

**Two ways into place.**  Every build writes into a temporary folder beside the site.  A build that
kept nothing of the previous site (the first, ``--no-cache``, a new global key) has written the whole
site there and renames it into place (the atomic swap).  Otherwise the temporary folder holds only
what this build wrote: ``finish`` plans, ``apply`` updates the previous site in place — it writes a
journal, moves in each written file whose bytes changed (``os.replace``, atomic per file), deletes
the files this build no longer makes, and the journal goes once the new state is saved.  Why: at
100k the site has ~210,000 files, and hard-linking every unchanged one into a fresh tree cost more
than everything else a one-record edit needs.  Nothing touches the site before ``apply``, so a build
that fails leaves the old site and the old cache; a build stopped during ``apply`` leaves the
journal, and the next build, finding it, trusts nothing of the half-updated site and builds it whole.
Files put into the site by hand (not by a build) stay until the next full build.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gzip
import hashlib
import json
import os
import pickle
import secrets
import shutil
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

from generator import checks, gcpause, yamlio
from generator.config import CONFIG_NAME, Config
from generator.problems import Report
from generator.registry import LINKS, LIST_LINKS, REGISTRIES, Record, Registry

FORMAT = 2
#: The public manifest of the site (path, size, sha256 of every other file), read by ``hubdir deploy``:
#: gzipped JSON (``manifest_bytes``), a third of the bytes (~20 MB less at 100,000 records).
MANIFEST_NAME = "hubdir-manifest.json.gz"
#: The plain JSON manifest that builds wrote before; ``hubdir deploy`` still reads it at a destination.
LEGACY_MANIFEST_NAME = "hubdir-manifest.json"
_GENERATOR = Path(__file__).resolve().parent


def _h(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@cache
def code_version() -> str:
    """hubdir's version and every file of the package (a changed template or catalogue is a new version)."""
    import jinja2
    import material
    import mkdocs

    from generator import __version__

    parts: list[Any] = [
        FORMAT,
        __version__,
        getattr(mkdocs, "__version__", ""),
        getattr(material, "__version__", ""),
        jinja2.__version__,
    ]
    for path in sorted(_GENERATOR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            parts += [path.relative_to(_GENERATOR).as_posix(), path.read_bytes()]
    return _h(*parts)


def _tree_bytes(folder: Path) -> list[Any]:
    out: list[Any] = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return out


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"\0missing"


def global_key(config: Config) -> str:
    """Everything every output depends on besides the records."""
    root = config.root
    return _h(
        code_version(),
        _file_bytes(root / CONFIG_NAME),
        _file_bytes(root / "datasets" / "package.yml"),
        _file_bytes(root / "search_synonyms.yml"),  # the project's search words (generator/synonyms.py)
        *_tree_bytes(config.schemas_dir),
        os.environ.get("SOURCE_DATE_EPOCH", ""),
    )


# -- cached validation ------------------------------------------------------------------------------


@dataclass
class FileCache:
    """(registry, rel, bytes hash, validation key) → (data, problems) of ``validate._read_one``."""

    entries: dict[str, tuple[Any, list[Any]]] = field(default_factory=dict)
    #: The content hash of each record file by relative path, from the last load.
    hashes: dict[str, str] = field(default_factory=dict)
    #: The entry key of each file by relative path, from the last load (for ``load(..., changed=)``).
    keys: dict[str, str] = field(default_factory=dict)
    #: (mtime_ns, size, inode) of each file by relative path when the last load read it, and when that
    #: load started: a file whose stat is unchanged and older than that is not read again (git's rule
    #: for "racily clean" files: one changed within ``RACY_NS`` of the read is always read).
    stats: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    read_ns: int = 0
    #: ``keys`` as the cache on disk holds them: a shard whose files all kept their key is not written again.
    saved: dict[str, str] = field(default_factory=dict)
    #: What the last load found and checked across records (``LastLoad``), for ``load(changed=)``.
    last: LastLoad | None = None
    #: The last load's cross-record problems as the cache on disk holds them (``CrossMemo``): a new
    #: process (a second ``hubdir build``) has no ``last``, but may still reuse its problems.
    memo: CrossMemo | None = None
    #: Whether the last ``load`` took its cross-record problems from ``memo`` (for the tests).
    reused_cross: bool = False

    def last_memo(self) -> CrossMemo | None:
        """The last load's cross-record problems: this process's (``last``) or the cache's (``memo``)."""
        last = self.last
        if last is not None:
            return CrossMemo(last.vkey, last.config_key, tuple(last.cross), last.cross_files)
        return self.memo


@dataclass(frozen=True)
class CrossMemo:
    """A load's cross-record problems with what proves them still right (saved with the file cache).

    Why: a second ``hubdir build`` after a plain edit ran the cross-record checks over 100,000
    records again (~2 s of a second build at 100k) for the very same answer.  ``load`` takes them
    from here under ``_load_again``'s guards: the same checks and configuration, the same files
    found in the same order, every changed file a record (not a division) whose old and new data
    parse, with no error and no ``structural_change``, and no cross-record problem in it.
    """

    vkey: str
    config_key: str
    cross: tuple[Any, ...]
    #: The files the cross-record problems are located in.
    cross_files: frozenset[str]


@dataclass
class LastLoad:
    """The last ``load``'s files, registry and cross-record problems, kept by a long-running caller.

    Why: after the usual edit in ``hubdir serve`` (a name, an address, opening hours of one record)
    listing the content folder, indexing 100,000 records and running the cross-record checks over all
    of them gave the very same answers again: 2 of the consolidating build's 10 s.  ``_load_again``
    takes them from here when it can prove them unchanged.
    """

    vkey: str
    #: The bytes' hash of the configuration the registry was made under.
    config_key: str
    found: list[tuple[str, Path]]
    #: ``discover``'s own problems (stray files and folders).
    discovered: list[Any]
    rels: list[str]
    #: Absolute path of each found file → its position in ``found``.
    index: dict[str, int]
    records: list[Record]
    by_rel: dict[str, Record]
    registry: Registry
    #: ``checks.run_checks(record_checks=False)``'s problems of the registry.
    cross: list[Any]
    #: The files the cross-record problems are located in.
    cross_files: frozenset[str]


#: A file modified this close to (or after) the previous read is read again whatever its stat says.
RACY_NS = 2_000_000_000


def load(
    config: Config,
    files: FileCache | None,
    *,
    today: dt.date | None = None,
    changed: Iterable[Path] | None = None,
) -> Any:
    """``validate.load`` with each file's own checks taken from ``files`` when its bytes are unchanged.

    The cross-record checks (ids, references, hierarchy, divisions, status, shared credit codes) run
    over the whole new registry exactly as in ``validate.load``, so the report is the same.
    ``changed`` (``hubdir serve``, from file-system events) says which files may differ from the last
    load: the others are not even read (nor ``stat``-ed).  The preview's consolidating build passes
    them too (``build(changed=)``): at 100,000 records checking every file's stat cost a second of
    the ten it has; its first build passes nothing and so checks every file.
    """
    from generator import validate

    if files is None:
        return validate.load(config, today=today)
    today = today or dt.date.today()
    root = config.root
    vkey = _h(
        code_version(),
        *_tree_bytes(config.schemas_dir),
        json.dumps(config.district, sort_keys=True, default=str),
        today.isoformat(),
    )
    suspects = {os.path.abspath(p) for p in changed} if changed is not None else None
    if suspects is not None and vkey == files.keys.get("\0validation"):
        again = _load_again(config, files, suspects, vkey, today)
        if again is not None:
            return again
    found, problems = validate.discover(config.content_dir, root)
    discovered = list(problems)
    jobs: list[tuple[Any, ...]] = []  # (registry, path, rel) or, ``blind``, (…, validation key or None)
    keys: list[str] = []
    hashes: dict[str, str] = {}
    results: list[tuple[Any, list[Any]] | None] = []
    # No entry to find (a first or ``--no-cache`` build): no file need be read here to look its key up,
    # so the readers, which read it anyway, hash it (``_read_hashed``): 20,000 reads and 40,000 hashes
    # fewer in this process, ~0.3 CPU-s at 20,000 records.
    blind = not files.entries
    # ``discover``'s paths are the content folder joined with names read from it: already absolute
    # and normal when the folder is, so compared as they are (100,000 ``abspath`` calls otherwise)
    content = os.fspath(config.content_dir)
    normal = content == os.path.abspath(content)
    same_checks = vkey == files.keys.get("\0validation")
    if not same_checks:
        suspects = None  # another day, other schemas: every file again
    key_of: dict[str, str] = {"\0validation": vkey}
    folders: dict[str, str] = {}  # one relative-path computation per folder, not per file

    def rel_of(path: Path) -> str:
        parent, _, name = os.fspath(path).rpartition(os.sep)  # strings: hashing a Path costs more
        folder = folders.get(parent)
        if folder is None:
            folder = folders[parent] = validate._rel(Path(parent) if parent else path.parent, root)
        return name if folder in ("", ".") else f"{folder}/{name}"

    rels: list[str] = []
    stats: dict[str, tuple[int, int, int]] = {}
    started_ns = time.time_ns()
    trusted_before = files.read_ns - RACY_NS
    for name, path in found:
        rel = rel_of(path)
        rels.append(rel)
        known = files.keys.get(rel)
        if suspects is not None and known is not None and _norm(path, normal) not in suspects:
            key, hashes[rel] = known, files.hashes[rel]
            if rel in files.stats:
                stats[rel] = files.stats[rel]
            keys.append(key)
            key_of[rel] = key
            results.append(files.entries.get(key))
            if results[-1] is None:
                jobs.append((name, str(path), rel, None) if blind else (name, str(path), rel))
            continue
        try:
            st = os.stat(path)
            stat = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stat = None
        if (
            suspects is None
            and same_checks
            and known is not None
            and stat is not None
            and stat[0] < trusted_before
            and files.stats.get(rel) == stat
            and known in files.entries
        ):  # unchanged since the previous load read it: neither read nor hashed again
            key, hashes[rel] = known, files.hashes[rel]
            stats[rel] = stat
            keys.append(key)
            key_of[rel] = key
            results.append(files.entries[key])
            continue
        if blind and stat is not None and stat[1] <= yamlio.MAX_BYTES:
            keys.append("")  # the reader's; the dictionaries hold the file's place in the order
            key_of[rel] = hashes[rel] = ""
            stats[rel] = stat
            results.append(None)
            jobs.append((name, str(path), rel, vkey))
            continue
        blob = _read_or_none(path)
        key, hashes[rel] = _file_keys(vkey, name, rel, blob)
        keys.append(key)
        key_of[rel] = key
        if stat is not None and blob is not None:
            stats[rel] = stat
        hit = files.entries.get(key) if blob is not None else None
        results.append(hit)
        if hit is None:
            jobs.append((name, str(path), rel, None) if blind else (name, str(path), rel))
    reader = _read_hashed if blind else None
    fresh = iter(validate.read_all(jobs, str(config.schemas_dir), config.district, today, reader=reader))
    records: list[Record] = []
    entries: dict[str, tuple[Any, list[Any]]] = {}
    for (name, path), rel, key, hit in zip(found, rels, keys, results, strict=True):
        if hit is not None:
            data, found_problems = hit
        elif blind:
            (data, found_problems), hashed = next(fresh)
            if not key:  # hashed by the reader, or (it could not read the file whole) here, as above
                if hashed is None:
                    blob = _read_or_none(path)
                    hashed = _file_keys(vkey, name, rel, blob)
                    if blob is None:
                        stats.pop(rel, None)
                key, hashes[rel] = hashed
                key_of[rel] = key
        else:
            data, found_problems = next(fresh)  # (its field names interned by the reader: ``yamlio``)
        entries[key] = (data, found_problems)
        problems.extend(found_problems)
        if data is not None:
            records.append(Record(name, data, path, rel))
    old_keys, old_entries = files.keys, files.entries
    files.entries = entries
    files.hashes = hashes
    files.keys = key_of
    files.stats = stats
    files.read_ns = started_ns
    registry = Registry(config, records)
    memo = files.last_memo() if same_checks else None
    config_key = _config_key(config)
    cross: list[Any]
    if memo is not None and _memo_holds(memo, vkey, config_key, old_keys, key_of, found, rels, old_entries, entries):
        cross = list(memo.cross)
        files.reused_cross = True
    else:
        cross = checks.run_checks(registry, records, today, record_checks=False)
        files.reused_cross = False
    problems.extend(cross)
    problems.extend(validate.project_problems(config, registry))
    files.last = LastLoad(
        vkey,
        config_key,
        found,
        discovered,
        rels,
        {_norm(path, normal): i for i, (_, path) in enumerate(found)},
        records,
        {r.rel: r for r in records},
        registry,
        cross,
        frozenset(p.path for p in cross),
    )
    return validate.Loaded(registry, Report(problems=problems, files_checked=len(found)), records)


def _read_hashed(
    job: tuple[str, str, str, str | None],
) -> tuple[tuple[Any, list[Any]], tuple[str, str] | None]:
    """``validate._read_one`` (in a reader's process) and, with the validation key ``job[3]``, the
    file's entry key and content hash as ``load`` makes them, of the very bytes it read; ``None``
    without the key or when the file could not be read whole (``load`` then reads it itself)."""
    from generator import validate

    name, path_text, rel, vkey = job
    if vkey is None:
        return validate._read_one((name, path_text, rel)), None
    path = Path(path_text)
    try:
        raw = yamlio.read_limited(path)
    except (OSError, yamlio.LoadError):
        return validate._read_one((name, path_text, rel)), None
    return validate.check_bytes(name, path, rel, raw), _file_keys(vkey, name, rel, raw)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _file_keys(vkey: str, name: str, rel: str, blob: bytes | None) -> tuple[str, str]:
    """A file's entry key (its bytes under the validation key ``vkey``) and content hash; ``blob``
    ``None``: the file could not be read (a key no readable file has).  The one place both are made,
    whether ``load`` read the file or a reader did (``_read_hashed``)."""
    data = blob if blob is not None else b"\0unreadable"
    return _h(vkey, name, rel, data), _h(name, rel, data)


def _config_key(config: Config) -> str:
    return _h(_file_bytes(config.root / CONFIG_NAME))


def _memo_holds(
    memo: CrossMemo,
    vkey: str,
    config_key: str,
    old_keys: dict[str, str],
    new_keys: dict[str, str],
    found: list[tuple[str, Path]],
    rels: list[str],
    old_entries: dict[str, tuple[Any, list[Any]]],
    new_entries: dict[str, tuple[Any, list[Any]]],
) -> bool:
    """Whether ``memo``'s cross-record problems are this load's (``CrossMemo``'s guards).

    ``old_keys`` are the entry keys of the load ``memo`` was made by (in the order it found the
    files), ``new_keys`` this load's: the same files in the same order, and each file whose key
    changed is a record whose edit no cross-record check or registry index can see.
    """
    if memo.vkey != vkey or memo.config_key != config_key or old_keys.get("\0validation") != vkey:
        return False
    if len(old_keys) != len(new_keys) or list(old_keys) != list(new_keys):
        return False  # a file added, gone or renamed: other ids, other links
    for (name, _path), rel in zip(found, rels, strict=True):
        key = new_keys[rel]
        old_key = old_keys[rel]
        if key == old_key:
            continue
        if name == "divisions" or rel in memo.cross_files:
            return False
        before, after = old_entries.get(old_key), new_entries.get(key)
        if before is None or after is None or before[0] is None or after[0] is None:
            return False
        if any(p.severity == "error" for p in after[1]):
            return False
        if structural_change(name, before[0], after[0]):
            return False
    return True


def _load_again(
    config: Config, files: FileCache, suspects: set[str], vkey: str, today: dt.date
) -> Any:
    """``load``'s answer from the last load's (``FileCache.last``), or ``None`` when it cannot be proven.

    It can when every changed file is a record file of the last load (not a division) that still
    exists, parses, and changed none of the fields the registry, the model or a cross-record check
    read (``structural_change``), no cross-record problem lies in it, the configuration and the
    checks (``vkey``) are the same, and the caller vouches that no other file changed (``changed=``):
    then the files found, the registry's indexes and every cross-record problem are the same, the
    edited records take their new data in place and only their own checks run again.  (A problem's
    line and column are found in its record's file, so one in a changed file could move: then the
    checks run again.)  The project's other files (search synonyms, releases) are checked again.
    """
    from generator import coverage, validate

    last = files.last
    if last is None or last.vkey != vkey or last.config_key != _config_key(config):
        return None
    targets: list[int] = []
    for suspect in sorted(suspects):
        position = last.index.get(suspect)
        if position is None or last.found[position][0] == "divisions" or not os.path.isfile(suspect):
            return None
        targets.append(position)
    if any(last.rels[i] in last.cross_files for i in targets):
        return None
    keys, hashes, stats = dict(files.keys), dict(files.hashes), dict(files.stats)
    entries = dict(files.entries)
    jobs: list[tuple[str, str, str]] = []
    pending: list[tuple[int, str]] = []
    for position in targets:
        name, path = last.found[position]
        rel = last.rels[position]
        try:
            st = os.stat(path)
            blob = path.read_bytes()
        except OSError:
            return None
        key = _h(vkey, name, rel, blob)
        hashes[rel] = _h(name, rel, blob)
        stats[rel] = (st.st_mtime_ns, st.st_size, st.st_ino)
        old = keys.get(rel)
        if old != key:
            entries.pop(old or "", None)
        keys[rel] = key
        pending.append((position, key))
        if key not in entries:
            jobs.append((name, str(path), rel))
    fresh = iter(validate.read_all(jobs, str(config.schemas_dir), config.district, today, workers=1))
    updates: list[tuple[Record, dict[str, Any]]] = []
    for position, key in pending:
        name, _path = last.found[position]
        rel = last.rels[position]
        result = entries.get(key) or next(fresh)
        entries[key] = result
        before = files.entries.get(files.keys.get(rel, ""))
        record = last.by_rel.get(rel)
        data = result[0]
        if data is None or before is None or before[0] is None or record is None:
            return None
        if any(p.severity == "error" for p in result[1]):
            return None  # a build that fails keeps the last good registry as it was: a new one
        if structural_change(name, before[0], data):
            return None
        updates.append((record, data))
    for record, data in updates:  # nothing above changed anything: from here on it is committed
        record.data = data
    registry = last.registry
    registry.config = config
    coverage.forget(registry)  # its figures were measured from the records' previous data
    files.entries, files.keys, files.hashes, files.stats = entries, keys, hashes, stats
    problems: list[Any] = list(last.discovered)
    for rel in last.rels:
        problems.extend(entries[keys[rel]][1])
    problems.extend(last.cross)
    problems.extend(validate.project_problems(config, registry))
    return validate.Loaded(registry, Report(problems=problems, files_checked=len(last.found)), last.records)


def _norm(path: Path, normal: bool) -> str:
    return os.fspath(path) if normal else os.path.abspath(path)


# -- page keys ----------------------------------------------------------------------------------------


def record_hashes(registry: Registry, files: FileCache | None) -> dict[str, str]:
    """id → content hash of its file (the relative path is part of it: the edit link shows it)."""
    out: dict[str, str] = {}
    known = files.hashes if files is not None else {}
    for record in registry.all():
        out[record.id] = known.get(record.rel) or _h(
            record.registry, record.rel, json.dumps(record.data, sort_keys=True, default=str)
        )
    return out


def changed_records(files: FileCache) -> set[str] | None:
    """The ids of the records whose files changed since the build whose state is on disk, when the
    indexes of ``PageKeys`` are provably that build's (``PageKeys.carry``); else ``None``.

    Only for a ``files`` read from the disk by this build's ``Cache`` and then ``load``-ed: its
    ``saved`` keys are those of the previous build's load (saved with its state, ``Cache.save``), and
    ``reused_cross`` says the load proved, against that load, the same checks and configuration, the
    same files in the same order, and no changed file a division or with a changed link or
    ``STRUCTURAL`` field (``_memo_holds``).  Equal entry keys under the same checks are equal bytes,
    so equal content hashes (``record_hashes``).
    """
    last = files.last
    if not files.reused_cross or last is None:
        return None
    saved, by_rel = files.saved, last.by_rel
    out: set[str] = set()
    for rel, key in files.keys.items():
        if saved.get(rel) != key:
            record = by_rel.get(rel)
            if record is None:  # the checks' own key, or a file without a record: no proof
                return None
            out.add(record.id)
    return out


#: Fields the registry, the model or a cross-record check index or compare records by (besides the
#: links of ``LINKS``/``LIST_LINKS``): an edit of any other field changes only what the record's own
#: pages and rows show, never which records a check or a page relates.
STRUCTURAL = frozenset({"id", "status", "kind", "level", "location", "uscc", "dissolved_on", "successor"})


def structural_change(registry: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether an edit of one record may change a cross-record check, an index or another page's set."""
    fields = STRUCTURAL | set(LINKS.get(registry, {})) | set(LIST_LINKS.get(registry, {}))
    return any(before.get(name) != after.get(name) for name in fields)


class PageKeys:
    """The key of every bulk page of a model (see the module docstring for what each depends on).

    A key does not name the language: both languages' pages show the same records, and each file's
    key is only ever compared with the previous key of the same file.  So each key is computed once
    (``prepare``, before the English pages' worker is forked) and serves both languages.

    ``track`` (a long-running caller: ``hubdir serve``, through ``Memory.keys``) also records which
    pages each record's hash went into; the next build's ``PageKeys(..., previous=)`` then
    recomputes only the keys of the pages the changed records touch and takes every other key (and
    the link and division indexes) from ``previous`` — but only when it can prove the indexes
    unchanged: the same global key, the same records in the same registries, and no changed record
    with a changed link or ``STRUCTURAL`` field (``structural_change``).  Otherwise everything is
    computed anew, as without ``previous``.
    """

    def __init__(
        self,
        model: Any,
        hashes: dict[str, str],
        base: str,
        *,
        previous: PageKeys | None = None,
        track: bool = False,
    ) -> None:
        self.model = model
        self.reg: Registry = model.registry
        self.hashes = hashes
        self.base = base
        self._chains: dict[str, list[str]] = {}
        self._memo: dict[str, str] = {}
        self._subtrees: dict[str, str] = {}
        self._chain_texts: dict[str, str] = {}
        #: hash id (a record's id, or ``SUBTREE`` + a division's code) → paths of the pages whose key
        #: took it in; ``None`` when not tracking.
        self.deps: dict[str, list[str]] | None = {} if track else None
        self._path: str | None = None
        #: Whether the keys of ``previous`` were taken over (for the tests and the benchmark).
        self.derived = False
        #: How many keys ``prepare`` or ``carry`` computed (the others were the previous build's).
        self.computed = 0
        self.derived = previous is not None and track and self._derive(previous)
        if self.derived:
            return
        self.links_out: dict[str, list[str]] = {}
        self.links_in: dict[str, list[str]] = {}
        # each division's own records (the division itself included) and its child divisions: a
        # division's subtree is its own records and its children's subtrees (``subtree_digest``)
        self.direct: dict[str, list[str]] = {}
        self.children: dict[str, list[str]] = {}
        self.home: dict[str, str] = {}  # record id → the division whose ``direct`` holds it
        links_out, links_in, direct, home, chain_of = self.links_out, self.links_in, self.direct, self.home, self._chain
        # one pass, by the registries' own (id → record) tables: at 100,000 records every property
        # read (``Record.id``, ``.division``) is a measurable part of a second build
        for registry in REGISTRIES:
            single = tuple(LINKS.get(registry, {}))
            lists = tuple(LIST_LINKS.get(registry, {}))
            for rid, record in self.reg.by_registry[registry].items():
                data = record.data
                out = [v for v in map(data.get, single) if isinstance(v, str) and v]
                for name in lists:
                    out.extend(str(v) for v in data.get(name) or [])
                links_out[rid] = out
                for target in out:
                    if target in links_in:
                        links_in[target].append(rid)
                    else:
                        links_in[target] = [rid]
                chain = chain_of(rid if registry == "divisions" else str(data.get("division", "")))
                if chain:
                    direct.setdefault(chain[0], []).append(rid)
                    home[rid] = chain[0]
                    if registry == "divisions" and len(chain) > 1 and chain[0] == rid:
                        self.children.setdefault(chain[1], []).append(rid)

    def _derive(self, previous: PageKeys) -> bool:
        """Take the indexes and the unaffected keys of ``previous`` (see the class docstring)."""
        if previous.deps is None or previous.base != self.base or len(previous.hashes) != len(self.hashes):
            return False
        old_hashes, old_ids, new_ids = previous.hashes, previous.reg.by_id, self.reg.by_id
        if len(old_ids) != len(new_ids):
            return False
        changed = []
        for rid, digest in self.hashes.items():
            if old_hashes.get(rid) != digest:
                before, after = old_ids.get(rid), new_ids.get(rid)
                if before is None or after is None or before.registry != after.registry:
                    return False  # a record added, gone or moved to another registry: new indexes
                if structural_change(after.registry, before.data, after.data):
                    return False
                changed.append(rid)
        self.links_out, self.links_in = previous.links_out, previous.links_in
        self.direct, self.children, self.home = previous.direct, previous.children, previous.home
        self._chains = previous._chains
        # shared, not copied: the pages recomputed here take in the same ids as before (the indexes
        # are the same), so their dependencies are already recorded (``_key`` skips them)
        deps = self.deps = previous.deps
        stale: set[str] = set()
        subtrees = dict(previous._subtrees)
        for rid in changed:
            stale.update(deps.get(rid, ()))
            home = self.home.get(rid)
            for node in self._chain(home) if home else ():  # every subtree that holds the record
                subtrees.pop(node, None)
                stale.update(deps.get(SUBTREE + node, ()))
        self._subtrees = subtrees
        self._memo = {path: key for path, key in previous._memo.items() if path not in stale}
        return True

    def _key(self, kind: str, subject: str, ids: Iterable[str], *extra: str) -> str:
        if self.deps is not None and self._path is not None and kind != "subtree" and not self.derived:
            ids = set(ids)
            for rid in ids:
                self.deps.setdefault(rid, []).append(self._path)
        text = "\0".join([self.base, kind, subject, *extra, *map(self._parts.__getitem__, sorted(ids))])
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    @functools.cached_property
    def _parts(self) -> _Parts:
        """``"<id>=<hash>"`` of every record, as ``_key`` joins them (each id is in ~9 keys)."""
        return _Parts({rid: f"{rid}={digest}" for rid, digest in self.hashes.items()})

    def _chain(self, code: str) -> list[str]:
        chain = self._chains.get(code)
        if chain is None:
            chain = self._chains[code] = [d.id for d in self.reg.division_chain(code)]
        return chain

    def subtree_digest(self, code: str) -> str:
        """A hash of every record beneath ``code`` with its content hash (a Merkle tree by parent
        links: each area page hashes its children's digests, not its whole subtree again)."""
        digest = self._subtrees.get(code)
        if digest is None:
            stack, order, seen = [code], [], set()
            while stack:  # children before parents, without recursion (a province is deep enough)
                node = stack.pop()
                if node in self._subtrees or node in seen:
                    continue
                seen.add(node)
                order.append(node)
                stack.extend(c for c in self.children.get(node, ()) if c not in self._subtrees)
            for node in reversed(order):
                if node in self._subtrees:
                    continue
                kids = sorted(self.children.get(node, ()))
                parts = [f"{c}:{self._subtrees[c]}" for c in kids]
                self._subtrees[node] = self._key("subtree", node, self.direct.get(node, ()), *parts)
            digest = self._subtrees[code]
        return digest

    def prepare(self, jobs: Iterable[Any]) -> None:
        """Compute the key of every job now (in the parent, so a forked worker finds them all)."""
        for job in jobs:
            self.page(job)
        self.computed = len(self._memo)

    def carry(self, jobs: list[Any], old: dict[str, Entry], changed: Iterable[str]) -> None:
        """``prepare`` for a build whose edits provably changed no index (``changed_records``): the
        key of a page no changed record can reach is its previous key, as the previous site's state
        holds it (``old``, the Chinese pages' entries); only the others are computed.

        Why: at 100k a second ``hubdir build`` after one edit hashed 100,000 unchanged keys again
        (~1.2 s of the main process) to find the dozen that change.  Reach, for a changed record
        that is not a division (a division's edit never comes here): its own page, the pages of the
        records it links to and that link to it (``record``), the area pages of its divisions and of
        every division beneath its own (their subtree digests; a town's hubs are on its villages'
        pages: ``area``), the listing pages that show it (``chunk``: which records a listing page
        shows follows from the kinds, divisions and the files' order alone, ``SiteModel.by_kind``).
        The indexes are the previous build's (the caller proved it), so every other page's key takes
        in the same ids with the same hashes: the previous key.
        """
        by_id = self.reg.by_id
        records: set[str] = set()
        areas: set[str] = set()
        edited: set[int] = set()  # the changed records' objects (a ``Record`` is not hashable)
        for rid in changed:
            record = by_id.get(rid)
            if record is None or record.registry == "divisions":
                self.prepare(jobs)  # (never, given ``changed_records``'s proof; all anew to be safe)
                return
            edited.add(id(record))
            records.add(rid)
            records.update(self.links_out.get(rid, ()))
            records.update(self.links_in.get(rid, ()))
            chain = self._chain(str(record.data.get("division", "")))
            areas.update(chain)
            stack, seen = chain[:1], set(chain[:1])
            while stack:  # its division's subtree (by ``children``, as ``subtree_digest`` walks it)
                kids = [c for c in self.children.get(stack.pop(), ()) if c not in seen]
                seen.update(kids)
                stack.extend(kids)
            areas |= seen
        memo = self._memo
        computed = 0
        for job in jobs:
            kind = job.kind
            if kind == "record":
                fresh = job.subject.id in records
            elif kind == "area":
                fresh = job.subject.id in areas
            else:  # a listing page: its records are a function of the indexes and the files' order
                fresh = any(map(edited.__contains__, map(id, job.subject[0])))
            entry = None if fresh else old.get(f"{job.path}index.html")
            if entry is not None and entry[KEY]:
                memo[job.path] = entry[KEY]
            else:
                self.page(job)
                computed += 1
        self.computed = computed

    def page(self, job: Any) -> str:
        """The key of a bulk page (``pages.Job``); the same for both languages."""
        key = self._memo.get(job.path)
        if key is None:
            self._path = job.path
            try:
                if job.kind == "record":
                    key = self.record(job.subject)
                elif job.kind == "area":
                    key = self.area(job.subject)
                else:
                    records, pages, town = job.subject
                    key = self.chunk(job.path, records, pages, town)
            finally:
                self._path = None
            self._memo[job.path] = key
        return key

    def record(self, record: Record) -> str:
        rid = record.id
        division = record.division
        ids = {rid, *self.links_out[rid], *self.links_in.get(rid, ())}
        # one level further: the names and statuses shown for linked records come from their own files
        if self.deps is not None and self._path is not None and not self.derived:
            for code in self._chain(division):  # (``_key`` records the others)
                if code not in ids:
                    self.deps.setdefault(code, []).append(self._path)
        # its divisions as one joined part per division (thousands of records share each chain)
        return self._key("record", rid, ids, self._chain_text(division))

    def _chain_text(self, code: str) -> str:
        """The ``_parts`` of a division's chain, joined (``record``'s keys; per instance: the hashes are)."""
        text = self._chain_texts.get(code)
        if text is None:
            text = self._chain_texts[code] = "\1".join(map(self._parts.__getitem__, self._chain(code)))
        return text

    def area(self, area: Record) -> str:
        """Its subtree (by digest), its chain and its siblings (every record in the subtree has its
        divisions in the subtree or the chain: chains are suffixes of each other)."""
        ids = set(self._chain(area.id))
        parent = area.get("parent")
        if parent:
            ids.update(d.id for d in self.reg.sub_divisions.get(parent, []))
        if area.get("level") == "village":
            # a village without places names its town's hubs, with a phone (``Renderer.help_nearby``);
            # every village's key has them: which records a page shows is decided by its renderer
            town = self.reg.town_of(area.id)
            if town is not None:
                ids.update(r.id for r in self.reg.by_division.get(town.id, ()) if r.registry == "hubs")
        by_id = self.reg.by_id
        for rid in list(ids):
            if rid in by_id:
                ids.update(self._chain(by_id[rid].division))
        if self.deps is not None and self._path is not None and not self.derived:
            self.deps.setdefault(SUBTREE + area.id, []).append(self._path)
        return self._key("area", area.id, ids, self.subtree_digest(area.id))

    def chunk(self, path: str, records: list[Record], pages: list[str], town: str) -> str:
        ids = {r.id for r in records} | set(self._chain(town))
        for record in records:
            ids.update(self._chain(record.division))
        return self._key("chunk", path, ids, *pages)


class _Parts(dict[str, str]):
    """``PageKeys._parts``: an id without a record (a dangling link) is ``"<id>=-"``."""

    def __missing__(self, rid: str) -> str:
        return f"{rid}=-"


#: ``PageKeys.deps``' name for a division's subtree digest (no record id starts with a NUL).
SUBTREE: Final = "\0subtree\0"


# -- the previous build -------------------------------------------------------------------------------

#: One file of the site: (size, mtime_ns, sha256, page key, group).  A plain tuple, not an object:
#: the state of a 100k site holds ~350,000 of them, and pickle loads tuples three times faster.
Entry = tuple[int, int, str, str, str]
SIZE: Final = 0
MTIME: Final = 1
SHA: Final = 2
KEY: Final = 3
GROUP: Final = 4


def make_entry(size: int, mtime_ns: int, sha256: str, key: str = "", group: str = "") -> Entry:
    return (size, mtime_ns, sha256, key, group)


class State:
    """What the cache remembers of the last successful build into one site folder.

    On disk in two parts: ``STATE_NAME`` (the base, the groups and their results, a few KB) and
    ``STATE_FILES_NAME`` (every file's entry, ~40 MB at 100,000 records), tied by a token both
    carry.  Why: a build reads the files' entries only once it asks for them (``files``), which
    ``hubdir build`` does after it forked the datasets worker, the longest of its jobs (it needs
    the groups alone): 0.4-0.7 s earlier at 100k.
    """

    def __init__(
        self,
        base: str = "",
        files: dict[str, Entry] | None = None,
        groups: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        *,
        load_files: Callable[[], dict[str, Entry]] | None = None,
    ) -> None:
        self.base = base
        self._files = files if files is not None or load_files is not None else {}
        self._load_files = load_files
        self.groups: dict[str, str] = groups if groups is not None else {}  # group name → key
        self.extra: dict[str, Any] = extra if extra is not None else {}  # pickled results (datasets) by group

    @property
    def files(self) -> dict[str, Entry]:
        """Relative path → entry of every file of the site (read from the disk when first asked)."""
        found = self._files
        if found is None:
            loader, self._load_files = self._load_files, None
            found = self._files = loader() if loader is not None else {}
        return found

    @files.setter
    def files(self, value: dict[str, Entry]) -> None:
        self._files, self._load_files = value, None

    def load_files(self) -> None:
        """Read the files' entries now (before forking workers that would each read them)."""
        self.files  # noqa: B018

    def dump(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two parts (``STATE_NAME``'s, ``STATE_FILES_NAME``'s), tied by ``token``."""
        head = {"format": FORMAT, "base": self.base, "groups": self.groups, "extra": self.extra, "token": token}
        return head, {"format": FORMAT, "token": token, "files": self.files}

    @classmethod
    def load(cls, value: Any, files_path: Path | None = None) -> State:
        """The state of ``value`` (``STATE_NAME``'s part), its files read from ``files_path`` when
        first asked; a part missing, damaged or of another save is no state (no file is kept)."""
        if not isinstance(value, dict) or value.get("format") != FORMAT or not value.get("token"):
            return cls()
        token = value["token"]

        def files() -> dict[str, Entry]:
            try:
                part = _unpickle(files_path) if files_path is not None else None
            except Exception:  # a missing or damaged part: nothing of the previous site is kept
                return {}
            if not isinstance(part, dict) or part.get("format") != FORMAT or part.get("token") != token:
                return {}
            found = part.get("files")
            return found if isinstance(found, dict) else {}

        return cls(value["base"], None, value["groups"], value["extra"], load_files=files)


@dataclass
class Memory:
    """What a long-running caller (``hubdir serve``) keeps between builds into one folder: the last
    saved state (so it is not read back from disk) and the thread still writing it."""

    state: State | None = None
    base: str = ""
    saver: Any = None
    #: (mtime, size, inode) of the state file as saved with ``state``: another value means another
    #: process built into the folder since, and its state is read from the disk.
    stamp: tuple[int, int, int] | None = None
    #: The last build's page keys with their dependencies (``PageKeys(track=True)``): the next build
    #: recomputes only the keys of the pages its changed records touch.
    keys: PageKeys | None = None
    #: The thread deleting the last build's temporary folder (``discard``).
    cleaner: Any = None
    #: The last build's ``SiteModel``: the next one takes its structural figures (``SiteModel.adopt``).
    model: Any = None

    def wait(self) -> None:
        if self.saver is not None:
            self.saver.join()
            self.saver = None
        if self.cleaner is not None:
            self.cleaner.join()
            self.cleaner = None


def cache_dir(out: Path) -> Path:
    return out.parent / f".{out.name}-cache"


class Cache:
    """The previous build's state and the new build's, for one output folder."""

    def __init__(
        self,
        out: Path,
        config: Config,
        *,
        enabled: bool = True,
        memory: Memory | None = None,
        files: FileCache | None = None,
    ) -> None:
        self.out = out
        self._out = str(out) + os.sep
        self.folder = cache_dir(out)
        self.enabled = enabled
        self.memory = memory
        self.base = global_key(config)
        if memory is not None:
            memory.wait()  # the previous build's cache is complete on disk before this one reads or writes it
        self.journal = self.folder / JOURNAL_NAME
        #: The state file as this build found it: ``apply`` refuses to update a site another build
        #: updated since (its plan would delete what that build wrote, or keep what it replaced).
        self.read_stamp = _stamp(self.folder / STATE_NAME)
        self._held: Any = None
        self._saving = False
        if not enabled or self.journal.exists():  # a journal: the last update in place did not finish
            self.old = State()
        elif memory is not None and memory.state is not None and memory.stamp == self.read_stamp:
            self.old = memory.state
        else:  # (a build by another process since: its state, from the disk)
            self.old = self._read()
        if self.old.base != self.base:
            self.old = State()
        # a preview passes the files it keeps in memory (``build(files=)``): not read from disk again
        self.files = files if files is not None and files.entries else self._read_files() if enabled else FileCache()
        self.new = State(base=self.base)
        self.reused = 0
        self.rendered = 0
        self._groups: dict[str, dict[str, Entry]] | None = None
        self._keep: dict[str, Path] = {}
        #: Files of reused groups, hard-linked into the new tree (the previous files themselves).
        self.linked: set[str] = set()
        #: ``finish``'s plan for an update in place: files to move in, files to delete; ``None``: a swap.
        self.moves: list[str] | None = None
        self.gone: list[str] = []

    # -- reading ---------------------------------------------------------------------------------
    def _read(self) -> State:
        try:
            return State.load(_unpickle(self.folder / STATE_NAME), self.folder / STATE_FILES_NAME)
        except Exception:  # a missing or damaged cache is simply no cache
            return State()

    def _read_files(self) -> FileCache:
        try:
            value = _unpickle(self.folder / FILES_NAME)
            if isinstance(value, dict) and value.get("format") == FORMAT and value.get("shards") == SHARDS:
                entries: dict[str, tuple[Any, list[Any]]] = {}
                for shard in range(SHARDS):
                    with contextlib.suppress(Exception):  # a missing shard: its files are read and checked again
                        entries.update(_unpickle(self.folder / FILES_SHARD.format(shard)))
                keys = value["keys"]
                memo = value.get("cross")
                return FileCache(
                    entries,
                    value["hashes"],
                    keys,
                    value["stats"],
                    value["read_ns"],
                    dict(keys),
                    memo=memo if isinstance(memo, CrossMemo) else None,
                )
        except Exception:
            pass
        return FileCache()

    def _valid(self, rel: str, entry: Entry) -> bool:
        try:
            st = os.stat(self._out + rel)
        except OSError:
            return False
        return st.st_size == entry[SIZE] and st.st_mtime_ns == entry[MTIME]

    def _members(self, group: str) -> dict[str, Entry]:
        if self._groups is None:  # one pass over the previous files for every group
            self._groups = {}
            for rel, entry in self.old.files.items():
                if entry[GROUP]:
                    self._groups.setdefault(entry[GROUP], {})[rel] = entry
        return self._groups.get(group, {})

    # -- bulk pages --------------------------------------------------------------------------------
    def reuse_page(self, rel: str, key: str) -> Entry | None:
        """Keep the previous ``rel`` if its key is unchanged and the file is intact.

        Nothing is written or linked: the page stays where it is in the previous site, which the
        build updates in place (``apply``).  Returns the file's entry, or ``None`` when it must be
        rendered.
        """
        entry = self.reuse_file(rel, key)
        if entry is not None:
            self.reused += 1
        return entry

    def reuse_file(self, rel: str, key: str) -> Entry | None:
        """``reuse_page`` without counting a page: any file whose previous entry carries ``key``
        (the search index's shards use their sha256 as key: same key, same bytes)."""
        entry = self.old.files.get(rel)
        if entry is None or entry[KEY] != key or not self._valid(rel, entry):
            return None
        self.new.files[rel] = entry
        return entry

    def wrote(self, rel: str, target: Path | str, data: bytes, key: str = "", group: str = "") -> Entry:
        st = os.stat(target)
        entry = make_entry(st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest(), key, group)
        self.new.files[rel] = entry
        self.rendered += 1
        return entry

    # -- shared groups -------------------------------------------------------------------------------
    def can_reuse_group(self, group: str, key: str) -> bool:
        """The previous build wrote ``group`` from the same inputs and its files are intact."""
        if self.old.groups.get(group) != key:
            return False
        members = self._members(group)
        return bool(members) and all(self._valid(rel, e) for rel, e in members.items())

    def reuse_group(self, group: str, key: str, site: Path) -> bool:
        """Link every file of ``group`` from the previous site if its key is unchanged and all are intact."""
        if not self.can_reuse_group(group, key):
            return False
        members = self._members(group)
        for rel in sorted(members):
            if not _link(self.out / rel, site / rel):
                return False
        self.new.files.update(members)
        self.linked.update(members)
        self.new.groups[group] = key
        if group in self.old.extra:
            self.new.extra[group] = self.old.extra[group]
        return True

    def claim_group(self, group: str, key: str, site: Path, rels: Iterable[str], extra: Any = None) -> None:
        """Record freshly written files as ``group`` (hashing them)."""
        for rel in rels:
            self.new.files[rel] = _entry(site / rel, group=group)
        self.new.groups[group] = key
        if extra is not None:
            self.new.extra[group] = extra

    # -- side files (the search index's document memo) ------------------------------------------------
    def side_file(self, name: str) -> Any:
        """A value a worker left for the next build under ``name`` (``None`` if absent or stale)."""
        if not self.enabled:
            return None
        try:
            value = _unpickle(self.folder / f"{name}.pickle")
        except Exception:
            return None
        if not isinstance(value, dict) or value.get("format") != FORMAT or value.get("base") != self.base:
            return None
        return value.get("value")

    @staticmethod
    def write_side_file(path: Path, base: str, value: Any) -> None:
        """Pickle ``value`` to ``path`` (in the build's temporary folder; ``keep`` moves it at ``save``)."""
        with open(path, "wb") as fh:
            pickle.dump({"format": FORMAT, "base": base, "value": value}, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def keep(self, name: str, path: Path) -> None:
        """Move ``path`` into the cache as ``name`` when the new state is saved (never before the swap)."""
        self._keep[name] = path

    # -- the end -------------------------------------------------------------------------------------
    def finish(self, site: Path, *, manifest: bool = True) -> None:
        """Hash what is not known yet, plan how ``site`` replaces the previous site, write the manifest
        (unless ``manifest`` is false: then one left by an earlier build goes too).

        ``site`` holds what this build wrote, plus hard links of the reused groups' files.  When
        nothing was kept from the previous site it is the whole new site (``moves`` stays ``None``:
        the caller swaps it in whole).  Otherwise the previous site is updated in place: ``moves``
        lists the written files whose bytes differ from the previous ones, ``gone`` the previous
        files this build did not produce.  A written file equal to its previous version (same
        SHA-256 and size, previous file intact) is left as it was, with its old time.
        """
        known = self.new.files
        old = self.old.files
        staged = str(site) + os.sep
        present: set[str] = set()
        for rel in walk(site, ordered=False):
            if rel == MANIFEST_NAME:
                continue
            present.add(rel)
            if rel not in known:
                known[rel] = _entry(site / rel)
        kept = [rel for rel in known if rel not in present]
        for rel in kept:
            if known[rel] != old.get(rel):  # an entry without its file (never kept from the previous site)
                del known[rel]
        if not self.linked and len(known) == len(present):  # nothing kept: ``site`` is the whole site
            if manifest:
                (site / MANIFEST_NAME).write_bytes(manifest_bytes(known))
            return
        moves = []
        for rel in present:
            entry, before = known[rel], old.get(rel)
            if before is None:
                moves.append(rel)
            elif rel in self.linked:
                if _same_stat(staged + rel, before):
                    continue  # the hard link of a reused group's file: the previous file itself
                known[rel] = _entry(site / rel, group=before[GROUP])  # written anew after all
                moves.append(rel)
            elif before[SHA] == entry[SHA] and before[SIZE] == entry[SIZE] and self._valid(rel, before):
                known[rel] = make_entry(before[SIZE], before[MTIME], entry[SHA], entry[KEY], entry[GROUP])
            else:
                moves.append(rel)
        moves.sort()
        self.moves = moves
        self.gone = sorted(rel for rel in old if rel not in known)
        if manifest:
            moves.append(MANIFEST_NAME)
            (site / MANIFEST_NAME).write_bytes(manifest_bytes(known))
        else:
            self.gone.append(MANIFEST_NAME)

    def hold(self) -> None:
        """Wait for any other build of this site to finish putting its site in place and its state
        on disk, then keep them out until this build's state is saved (``release``)."""
        if not self.enabled or self._held is not None:
            return
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        self._held = open(self.folder / LOCK_NAME, "a")  # noqa: SIM115 - held until ``release``
        fcntl.flock(self._held, fcntl.LOCK_EX)

    def release(self) -> None:
        """Let the next build in (``build()`` calls it on every way out; a background save does at its end)."""
        if self._held is not None and not self._saving:
            self._held.close()
            self._held = None

    def apply(self, site: Path) -> None:
        """Update the previous site in place by ``finish``'s plan, behind a journal.

        The journal is written first and removed only once the new state is saved (``save``): a
        build that stops in between (a crash, a full disk) leaves it, and the next build, finding
        it, trusts nothing of the half-updated site and builds it whole (``Cache.__init__``).
        """
        assert self.moves is not None
        if _stamp(self.folder / STATE_NAME) != self.read_stamp:
            raise Concurrent(str(self.out))
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.journal.with_name(f".{JOURNAL_NAME}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": FORMAT, "moves": self.moves, "gone": self.gone}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.journal)
        out, src = self._out, str(site) + os.sep
        folders: set[str] = set()
        for rel in self.moves:
            folder = os.path.dirname(rel)
            if folder and folder not in folders:
                _make_folder(out + folder)
                folders.add(folder)
            try:
                os.replace(src + rel, out + rel)
            except IsADirectoryError:  # a folder of the previous site where this build has a file
                shutil.rmtree(out + rel)
                os.replace(src + rel, out + rel)
        for rel in self.gone:
            try:
                os.unlink(out + rel)
            except FileNotFoundError:
                pass
            except IsADirectoryError:
                continue
            folder = os.path.dirname(rel)
            while folder:  # the folders left empty (a deleted record's page folder)
                try:
                    os.rmdir(out + folder)
                except OSError:
                    break
                folder = os.path.dirname(folder)

    def save(self, *, background: bool = False) -> None:
        """Write the new state once the new site is in place, then remove the journal.

        Renaming the folder into place keeps every file's inode and time, so the entries taken while
        the site was written still hold; nothing is stat'ed again.  ``background`` (with a ``Memory``):
        in a thread; the next build waits for it (``Memory.wait``) and meanwhile nothing written here
        changes (every build makes new dictionaries).
        """
        if self.memory is not None:
            self.memory.state = self.new
        files = self.files  # taken now: a later load puts new dictionaries into ``files``, never changes these
        head, listing = self.new.dump(secrets.token_hex(16))
        values: list[tuple[str, Any]] = [(STATE_FILES_NAME, listing), (STATE_NAME, head)]  # the head last
        shards: dict[int, dict[str, tuple[Any, list[Any]]]] = {}
        saved = files.saved
        entries = files.entries
        everything = saved.get("\0validation") != files.keys.get("\0validation")
        dirty = {shard_of(rel) for rel in saved.keys() - files.keys.keys()}  # files gone since
        for rel, key in files.keys.items():
            if everything or saved.get(rel) != key:
                dirty.add(shard_of(rel))
        memo = files.last_memo()
        if dirty or memo != files.memo:  # (a new configuration changes no file's key, but the memo's)
            for rel, key in files.keys.items():
                shard = shard_of(rel)
                if shard in dirty and key in entries:
                    shards.setdefault(shard, {})[key] = entries[key]
            values += [(FILES_SHARD.format(shard), shards.get(shard, {})) for shard in sorted(dirty)]
            header = {
                "format": FORMAT,
                "shards": SHARDS,
                "hashes": files.hashes,
                "keys": files.keys,
                "stats": files.stats,
                "read_ns": files.read_ns,
                "cross": memo,  # the problems of the load these keys are of
            }
            values.append((FILES_NAME, header))  # after its shards (an entry is valid by its key alone)
            files.saved = dict(files.keys)
            files.memo = memo
        # The side files first, here: they lie in the build's temporary folder, which the build
        # deletes as soon as this returns (a background thread moving them later found them gone,
        # and the next build recomputed the whole search index).  Each is valid by its own key, so
        # one newer than the state is still right.
        self._move_side_files(dict(self._keep))
        if background and self.memory is not None:
            import threading

            self.memory.saver = threading.Thread(
                target=self._save, args=(values,), name="hubdir-cache-save", daemon=False
            )
            self._saving = True  # the thread releases the hold
            self.memory.saver.start()
            return
        self._save(values)

    def _move_side_files(self, keep: dict[str, Path]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, path in keep.items():
            try:
                shutil.move(str(path), self.folder / f"{name}.pickle")
            except OSError:
                (self.folder / f"{name}.pickle").unlink(missing_ok=True)

    def _save(self, values: list[tuple[str, Any]]) -> None:
        try:
            self._write(values)
        finally:
            self._saving = False
            self.release()

    def _write(self, values: list[tuple[str, Any]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, value in values:
            tmp = self.folder / f".{name}.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / name)
        self.journal.unlink(missing_ok=True)  # the state describes the site again
        if self.memory is not None:
            self.memory.stamp = _stamp(self.folder / STATE_NAME)


STATE_NAME = "state.pickle"
#: ``State``'s other part: every file's entry (read only when first asked).
STATE_FILES_NAME = "state-files.pickle"
LOCK_NAME = ".lock"


class Concurrent(Exception):
    """Another build put its site into the same folder while this one was building."""
#: Each record file's checks, in ``SHARDS`` files by path (``files-NN.pickle``) beside a header with
#: every file's key, hash and stat: after one edit only its shard is written again.
FILES_NAME = "files.pickle"
FILES_SHARD = "files-{:02d}.pickle"
SHARDS = 64


def shard_of(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SHARDS


def _unpickle(path: Path) -> Any:
    """``pickle.load`` with the cyclic garbage collector paused: loading a 100k project's parsed
    records allocates millions of objects, and the collections that triggers cost twice the load."""
    with gcpause.paused(), open(path, "rb") as fh:
        return pickle.load(fh)
#: Written before an update in place, removed once the new state is saved (``Cache.apply``).
JOURNAL_NAME = "journal.json"


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _same_stat(path: str, entry: Entry) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == entry[SIZE] and st.st_mtime_ns == entry[MTIME]


def _make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:  # a file of the previous site where this build has a folder
        parts = folder.split(os.sep)
        for i in range(2, len(parts) + 1):
            prefix = os.sep.join(parts[:i])
            if os.path.isfile(prefix):
                os.unlink(prefix)
                break
        os.makedirs(folder, exist_ok=True)


def _json_string(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


def manifest_text(files: dict[str, Entry]) -> str:
    """The manifest's JSON: every file's path, SHA-256 and size, sorted by path (``hubdir deploy``).

    Formatted directly rather than through ``json.dumps`` per entry (a 100k site lists ~210,000):
    the same bytes, a tenth of the time.
    """
    listed = sorted(files.items())
    every = "".join(files)  # one test of all the paths (at 100k all of them are plain) rather than one per path
    if every.isascii() and every.isprintable() and '"' not in every and "\\" not in every:
        body = ",".join(f'{{"path":"{rel}","sha256":"{entry[SHA]}","size":{entry[SIZE]}}}' for rel, entry in listed)
    else:
        body = ",".join(
            f'{{"path":{_json_string(rel)},"sha256":"{entry[SHA]}","size":{entry[SIZE]}}}' for rel, entry in listed
        )
    return '{"files":[' + body + '],"format":1}\n'


def manifest_bytes(files: dict[str, Entry]) -> bytes:
    """The file ``MANIFEST_NAME``: ``manifest_text`` gzipped with no time or name in its header, so
    equal sites have equal manifests (SHA-256 digests are hex: gzip keeps about a third).  Level 1:
    at 100k 0.2 s rather than level 6's 0.5 s in every build and ``serve`` pass, for 5 % more bytes."""
    return gzip.compress(manifest_text(files).encode("utf-8"), compresslevel=1, mtime=0)


def read_manifest_text(path: Path) -> str:
    """The JSON text of a manifest file, gzipped (``MANIFEST_NAME``) or plain (``LEGACY_MANIFEST_NAME``)."""
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")


def drop(out: Path) -> None:
    """Forget the cache of ``out`` (``--no-cache`` builds leave none behind that could be stale)."""
    shutil.rmtree(cache_dir(out), ignore_errors=True)


#: Above this many files the build's temporary folder is deleted by a detached process once the site
#: is in place: deleting 200,000 pages (or a rebuilt search index's shards) takes longer than an
#: incremental build of them (the next build removes leftovers).
DEFER_DELETE_FILES = 5000
TRASH = ".{name}.trash-"


def discard(tmp: Path, out: Path, memory: Memory | None = None) -> None:
    """Delete the build's temporary folder (with the previous site in it, or the files an update in
    place left there), large ones in the background.

    With ``memory`` (``hubdir serve``) a small folder too is renamed aside and deleted by a thread,
    which the next build waits for (``Memory.wait``): the preview is consistent 0.4 s sooner at 100k.
    """
    import subprocess
    import sys

    prefix = TRASH.format(name=out.name)
    if memory is not None and not _more_files_than(tmp, DEFER_DELETE_FILES):
        trash = out.parent / f"{prefix}{tmp.name}"
        try:
            tmp.rename(trash)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        import threading

        memory.cleaner = threading.Thread(
            target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True}, name="hubdir-cleanup", daemon=True
        )
        memory.cleaner.start()
        return
    leftovers = sorted(out.parent.glob(prefix + "*"))
    # the previous site after a swap; after an update in place, what was written but not moved in
    # (a rebuilt search index's unchanged shards, the datasets…: thousands of files at 100k)
    big = _more_files_than(tmp, DEFER_DELETE_FILES)
    if not big and not leftovers:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    targets = leftovers
    if big:
        trash = out.parent / f"{prefix}{tmp.name}"
        try:
            tmp.rename(trash)
            targets = [*targets, trash]
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    code = "import shutil, sys\nfor p in sys.argv[1:]: shutil.rmtree(p, ignore_errors=True)"
    try:
        subprocess.Popen(
            [sys.executable, "-c", code, *map(str, targets)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        for target in targets:
            shutil.rmtree(target, ignore_errors=True)


def _more_files_than(folder: Path, limit: int) -> bool:
    count = 0
    for _, dirs, names in os.walk(folder):
        count += len(names) + len(dirs)
        if count > limit:
            return True
    return False


def _link(source: Path, target: Path) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError:
        try:
            shutil.copy2(source, target)
        except OSError:
            return False
    return True


def _entry(path: Path, group: str = "") -> Entry:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
        st = os.fstat(fh.fileno())
    return make_entry(st.st_size, st.st_mtime_ns, digest.hexdigest(), "", group)


def walk(site: Path, *, ordered: bool = True) -> Iterator[str]:
    """Relative POSIX paths of every file under ``site`` (sorted by folder, then name, if ``ordered``)."""
    stack = [("", str(site))]
    while stack:
        rel_folder, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        if ordered:
            entries.sort(key=lambda e: e.name)
        subdirs = []
        for entry in entries:
            rel = f"{rel_folder}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                subdirs.append((rel + "/", entry.path))
            else:
                yield rel
        stack.extend(reversed(subdirs))


def files_under(site: Path, prefix: str) -> list[str]:
    """Relative paths of the files under ``site/prefix``."""
    base = site / prefix
    return [f"{prefix}/{rel}" for rel in walk(base)] if base.is_dir() else []


def group_key(base: str, name: str, *parts: Any) -> str:
    return _h(base, "group", name, *parts)


def write_bulk(
    renderer: Any,
    shell: Any,
    root: Path,
    prefix: str,
    cache: Cache,
    keys: PageKeys,
    tick: Callable[[int], None] | None = None,
    jobs: Iterable[Any] | None = None,
) -> tuple[list[str], dict[str, Entry], int]:
    """``pages.write_bulk`` that keeps unchanged pages of the previous site instead of rendering them.

    ``jobs``: the renderer's ``bulk_jobs`` if the caller has them already (``PageKeys.prepare``'s).

    Returns the page paths (in the order of a clean build), the manifest entries of the files and how
    many were reused; it may run in a forked worker, so the entries travel back with the result.
    Only rendered pages are written into ``root`` (one ``mkdir`` each, plain string paths): at 100k
    this loop runs 200,000 times, nearly all of them for pages that stay where they are.
    """
    paths: list[str] = []
    entries: dict[str, Entry] = {}
    reused = 0
    base = str(root) + os.sep
    for job in renderer.bulk_jobs() if jobs is None else jobs:
        rel = f"{prefix}{job.path}index.html"
        key = keys.page(job)
        entry = cache.reuse_page(rel, key)
        if entry is not None:
            reused += 1
        else:
            folder = base + job.path
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            target = folder + "index.html"
            page = job.render()
            data = shell.render(page.title, page.path, page.body, page.description).encode("utf-8")
            _write_new(target, data)
            entry = cache.wrote(rel, target, data, key)
        entries[rel] = entry
        paths.append(job.path)
        if tick:
            tick(1)
    return paths, entries, reused


#: ``open(target, "wb")``'s flags (``O_BINARY``: no newline translation on Windows).
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_new(target: str, data: bytes) -> None:
    """``data`` into the file ``target`` through a bare descriptor: no buffered file object for a
    page written in one piece (``write_bulk`` writes ~200,000 of them at 100k records)."""
    fd = os.open(target, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def paths_digest(paths: list[str]) -> str:
    """One hash of a list of page paths (``write_bulk_compact``: the worker's list equals the parent's)."""
    return _h(*paths)


def write_bulk_compact(
    renderer: Any, shell: Any, root: Path, prefix: str, cache: Cache, keys: PageKeys
) -> tuple[str, dict[str, Entry], int]:
    """``write_bulk`` for the other language's worker: returns a digest of the page paths instead of
    the paths, and the entries of the rendered pages only — a reused page's entry is its previous one
    (``Cache.reuse_file``), which the parent has.  At 100k the full result was ~100,000 paths and
    entries pickled through a pipe (``expand_bulk`` puts them back together)."""
    paths, entries, reused = write_bulk(renderer, shell, root, prefix, cache, keys)
    old = cache.old.files
    rendered = {rel: entry for rel, entry in entries.items() if old.get(rel) is not entry}
    return paths_digest(paths), rendered, reused


def expand_bulk(
    result: tuple[str, dict[str, Entry], int], paths: list[str], prefix: str, cache: Cache
) -> tuple[list[str], dict[str, Entry], int] | None:
    """``write_bulk``'s result from ``write_bulk_compact``'s, given the page paths of the other
    language (both languages show the same pages); ``None`` if the paths differ after all."""
    digest, rendered, reused = result
    if digest != paths_digest(paths):
        return None
    old = cache.old.files
    entries: dict[str, Entry] = {}
    for path in paths:
        rel = f"{prefix}{path}index.html"
        entry = rendered.get(rel)
        entries[rel] = entry if entry is not None else old[rel]
    return list(paths), entries, reused
