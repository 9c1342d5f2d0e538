"""``hubdir build``: the one orchestrator, a straight sequence.

validate → model → section pages (mkdocs-material, both languages) → bulk
pages (records, towns, villages, listing chunks) and the search index
(``site/search.py``) → datasets → map data and vendored assets → sitemap →
atomic swap into ``build/site/``.

Everything is written into a temporary folder beside the target and only
put into place at the end — renamed whole, or, for an incremental build,
only the changed files moved into the previous site behind a journal
(``incremental.Cache.apply``) — so a failed build leaves the previous site
exactly as it was.  ``build()`` can be called repeatedly in one process
(``hubdir serve`` does).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import gzip
import html
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from generator import gcpause, interrupt, oswrite
from generator.config import Config
from generator.i18n import LANGS, t
from generator.problems import Report, Text
from generator.safetext import printable

SITEMAP_LIMIT = 50_000


class BuildError(Exception):
    """The build stopped; ``key``/``args`` form the translated message, ``report`` the content problems."""

    def __init__(self, key: str, report: Report | None = None, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args
        self.report = report

    def message(self, lang: str) -> str:
        return t(lang, self.key, **{k: v.get(lang) if isinstance(v, Text) else v for k, v in self.args_dict.items()})


@dataclass
class BuildResult:
    out_dir: Path
    pages: int
    records: int
    seconds: float
    report: Report
    timings: dict[str, float] = field(default_factory=dict)
    page_paths: dict[str, list[str]] = field(default_factory=dict)
    datasets: Any = None
    #: lang → (page shell, renderer) of this build, for re-rendering single pages.
    renderers: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: Bulk pages taken unchanged from the previous build (``generator/incremental.py``).
    reused: int = 0
    #: Files of the search index this build wrote, and those it kept of the previous build's (both 0
    #: when no record changed and the index was kept whole).
    search_written: int = 0
    search_reused: int = 0
    #: Bulk page keys this build computed (the others were the previous build's: ``PageKeys.carry``).
    keys_computed: int = 0


def default_out(config: Config) -> Path:
    return config.root / "build" / "site"


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


#: The collector's first threshold while a build runs (Python's default: 700).  A build allocates
#: millions of long-lived objects (records, pages, index entries); at 700 the collector runs
#: thousands of times, each pass a cost with nothing to free.  ~10% of the main process's time.
GC_THRESHOLD = 50_000


def _fewer_collections(fn: Callable[..., BuildResult]) -> Callable[..., BuildResult]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> BuildResult:
        before = gc.get_threshold()
        gc.set_threshold(max(GC_THRESHOLD, before[0]), *before[1:])
        try:
            return fn(*args, **kwargs)
        finally:
            gc.set_threshold(*before)
            gc.unfreeze()  # what the build froze (its records) is garbage once a later build replaces it

    return wrapper


@_fewer_collections
def build(
    config: Config,
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    quiet: bool = False,
    lang: str = "zh",
    progress: Callable[[int, int], None] | None = None,
    datasets: bool = True,
    search: bool = True,
    cache: bool = True,
    files: Any = None,
    memory: Any = None,
    changed: Iterable[Path] | None = None,
    manifest: bool = True,
) -> BuildResult:
    """Build the whole site into ``out_dir`` (default ``build/site``); raise ``BuildError`` on failure.

    ``progress(done, total)`` is called while bulk pages are written.  ``datasets=False`` and
    ``search=False`` skip the downloads and the search index (a quick preview, ``hubdir serve``).
    The result carries each language's page shell and renderer, so a caller can re-render a
    single record page (``renderer.record_page(record)`` then ``shell.render(...)``).

    ``cache=False`` (``--no-cache``) builds everything and forgets the cache; otherwise unchanged
    pages, section pages, search index and datasets are taken from the previous build
    (``generator/incremental.py``); ``files`` is an ``incremental.FileCache`` a long-running caller
    keeps between builds (``hubdir serve``), so unchanged files are not even unpickled again;
    ``memory`` (an ``incremental.Memory``, also the preview's) keeps the previous build's state in
    memory and writes the cache in the background, so a preview's build neither reads nor waits for it.
    ``changed`` (with ``files``; the preview, from file-system events) names the files that may differ
    from the last load: the others are taken from ``files`` without even a ``stat`` (100,000 of them
    at province scale); ``None`` checks every file.  ``manifest=False`` (the preview, which is never
    deployed) writes no ``hubdir-manifest.json.gz`` (0.5 s of every pass at 100k).
    """
    from generator import incremental

    started = time.perf_counter()
    timings: dict[str, float] = {}
    out = Path(out_dir or default_out(config)).resolve()
    if out in (
        config.root.resolve(),
        config.content_dir.resolve(),
    ) or config.content_dir.resolve().is_relative_to(out):
        raise BuildError("site.build.out_inside", out=str(out))

    with _timed(timings, "cache"):
        state = incremental.Cache(out, config, enabled=cache, memory=memory, files=files)
        if files is not None and state.files is not files:  # the first build of a preview: from the disk
            files.__dict__.update(state.files.__dict__)
            state.files = files
    # The records, their checks and the registry are a few hundred thousand objects that live as long
    # as the build and hold no cycles: made with the collector paused (its passes over them, in the
    # thread that takes the workers' results, were ~0.3 CPU-s at 20k), then frozen for the rest of the
    # build, so neither its collections nor the forked workers' scan (and copy) them.  Unfrozen when
    # the build ends (``_fewer_collections``): ``hubdir serve`` builds again and again.
    with _timed(timings, "validate"), gcpause.paused(freeze=True):
        trusted = changed if files is not None and state.files is files and files.keys else None
        loaded = incremental.load(config, state.files, changed=trusted)
    report = loaded.report
    if report.errors:
        raise BuildError("site.build.refused", report=report)
    if strict and report.failed(True):
        raise BuildError("site.build.refused_strict", report=report)

    tmp: Path | None = None
    lock: Any = None
    try:
        # Ctrl-C while the folder is made would leave it behind: held back until it is locked.
        with interrupt.held_back():
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                remove_stale(out)
                tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
                lock = _hold(tmp)
            except OSError as exc:  # a read-only or full output folder: named, never an internal error
                raise BuildError("hardening.build_failed", detail=oswrite.describe(exc, out.parent)) from None
        result = _build_into(
            config,
            loaded,
            tmp,
            out,
            strict=strict,
            quiet=quiet,
            timings=timings,
            progress=progress,
            datasets=datasets,
            search_index=search,
            cache=state,
            # the files' cache as the previous build saved it with its state: ``changed_records``' proof
            files_saved_with_state=files is None and memory is None,
        )
        with _timed(timings, "manifest"):
            state.finish(tmp / "site", manifest=manifest)
        with _timed(timings, "swap"), interrupt.held_back():  # never half swapped
            state.hold()  # one build at a time puts its site in place and saves its state
            if state.moves is None:  # a whole new site: renamed into place
                _swap(tmp / "site", out, tmp)
            else:  # only what changed, moved into the previous site behind a journal
                state.apply(tmp / "site")
        with _timed(timings, "cache"):
            _Job.join_all()  # the search worker's memo, written meanwhile
            if cache:
                state.save(background=memory is not None)
            else:
                incremental.drop(out)
    except BuildError:
        raise
    except incremental.Concurrent:
        raise BuildError("incremental.build.concurrent", site=str(out)) from None
    except Exception as exc:
        if oswrite.is_write_failure(exc):
            raise BuildError("hardening.build_failed", detail=oswrite.describe(exc, out)) from None  # type: ignore[arg-type]
        raise BuildError("site.build.failed", detail=printable(f"{type(exc).__name__}: {exc}")) from exc
    finally:
        # Ctrl-C included: stop the workers before their folder goes, and finish the cleanup.
        with _timed(timings, "cleanup"), interrupt.held_back():
            _Job.stop_all()
            state.release()
            if tmp is not None:
                incremental.discard(tmp, out, memory=memory)
            if lock is not None:
                lock.close()
    result.out_dir = out
    result.seconds = time.perf_counter() - started
    result.timings = timings
    result.reused = state.reused
    return result


def _build_into(
    config: Config,
    loaded: Any,
    tmp: Path,
    out: Path,
    *,
    strict: bool,
    quiet: bool,
    timings: dict[str, float],
    progress: Callable[[int, int], None] | None,
    datasets: bool,
    search_index: bool = True,
    cache: Any = None,
    files_saved_with_state: bool = False,
) -> BuildResult:
    from generator import incremental
    from generator.site import contrib, nearby_page, pages, plaque, search, theme, vendor
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel

    state: incremental.Cache = cache if cache is not None else incremental.Cache(out, config, enabled=False)
    with _timed(timings, "model"):
        site = tmp / "site"
        work = tmp / "work"
        work.mkdir()
        site.mkdir()
        contrib.load()
        model = SiteModel(config, loaded.registry, labels_for(config.schemas_dir))
        if state.memory is not None:  # ``hubdir serve``: the same registry after a plain edit
            if state.memory.model is not None:
                model.adopt(state.memory.model)
            state.memory.model = model
        model.extra["releases"] = _releases(config)
        hashes = incremental.record_hashes(loaded.registry, state.files)
        everything = incremental.group_key(state.base, "records", *sorted(hashes.items()))
        # once: without git it is a stat of every record file (0.3 s at 100k), for the datasets alone
        created = _source_date(config, loaded, state.files) if datasets else None
        data_key = incremental.group_key(
            everything, "datasets", str(created), json.dumps(model.extra["releases"], default=str)
        )
        # The datasets are independent of the pages: write them on the other core meanwhile.
        data_job = None
        data_reused = datasets and state.can_reuse_group("datasets", data_key)
        data_memo = tmp / "datasets-memo"  # the export's fragments (their changed shards), for the next build
        if datasets and not data_reused:
            # The coverage figures first: the site's coverage and area pages need them too, and the
            # forked worker then shares them rather than measuring again (``coverage.measured``).
            from generator.coverage import measured

            measured(loaded.registry)
            data_job = _Job(_write_datasets, loaded, tmp / "data", state, hashes, data_memo, created)
        # The previous site's file entries (~40 MB at 100k) only now, with the datasets worker running,
        # which needs none of them; before the other workers, which would each read them again.  Frozen
        # with the records (``build``): ~200,000 tuples the collections would otherwise scan again and again.
        with gcpause.paused(freeze=True):
            state.old.load_files()
        # The map's points and the near-me files too (2.5 s at 100k when none is kept): the other core
        # is otherwise idle while the section pages are made.  Into a folder of their own, moved in at
        # "assets": the Chinese mkdocs run claims every file it finds in the site as its own.
        model.counts_in  # noqa: B018 - before the fork: the section pages need it too, the map worker shares it
        map_memo = tmp / "map-memo.pickle"
        map_job = _Job(_write_map_data, model, tmp / "map-data", state, hashes, map_memo)
        search_key = incremental.group_key(everything, "search")
        search_job = None
        search_written = search_reused = 0
        memo_file = tmp / "search-memo.pickle"
        # The search index on the other core from here on, while the section and bulk pages are made:
        # into a folder of its own (the Chinese mkdocs run empties the site first), moved in when done.
        # A reused index is linked in after the mkdocs runs.
        search_out = tmp / "search-data"
        search_out.mkdir()
        if search_index and not state.can_reuse_group("search", search_key):
            search_job = _Job(_write_search, model, search_out, state, hashes, memo_file)

    overrides = theme.prepare_overrides(work)
    env = pages.environment()  # the templates compiled once for both languages
    renderers = {lang: pages.Renderer(model, lang, env=env) for lang in LANGS}
    shells: dict[str, theme.Shell] = {}
    page_paths: dict[str, list[str]] = {}
    raw_data_pages: dict[str, str] = {}
    configs: dict[str, dict[str, Any]] = {}
    for lang in LANGS:
        renderer = renderers[lang]
        with _timed(timings, "sections"):
            sections = renderer.sections()
        root = site if lang == "zh" else site / "en"
        cfg = theme.mkdocs_config(
            lang=lang,
            site_name=config.site["title"][lang],
            site_url=str(config.site["url"]) + ("en/" if lang == "en" else ""),
            description=config.site["description"][lang],
            copyright_html=html.escape(t(lang, "site.copyright", licence=config.licence.get("title", "")))
            + _official_footer(config, lang),
            docs_dir=work / f"docs-{lang}",
            site_dir=root,
            overrides=overrides,
            nav=_nav(model, sections, lang),
            hub=_hub_extra(model, lang),
            strict=strict,
            **_brand(config, work / f"docs-{lang}"),
        )
        group = f"sections-{lang}"
        key = incremental.group_key(
            state.base,
            group,
            _stable_config(cfg),
            *((s.src, s.title, s.html, s.in_nav) for s in sections),
        )
        prefix = "" if lang == "zh" else "en/"
        data_page = f"{prefix}data/index.html"
        with _timed(timings, "mkdocs"):
            if state.reuse_group(group, key, site):
                raw_data_pages[lang] = state.new.extra[group]
            else:
                try:
                    theme.build_language(cfg, work, sections, quiet=quiet)
                except Exception as exc:  # mkdocs raises Abort/ConfigurationError/PluginError…
                    detail = printable(f"{type(exc).__name__}: {exc}")
                    raise BuildError("site.build.mkdocs_failed", detail=detail) from exc
                raw_data_pages[lang] = (site / data_page).read_text("utf-8")
                # what this mkdocs run wrote (the Chinese run comes first, into an empty site)
                members = incremental.files_under(site, "en") if prefix else list(incremental.walk(site))
                members = [r for r in members if r != data_page and (prefix or not r.startswith("en/"))]
                state.claim_group(group, key, site, members, raw_data_pages[lang])
        shells[lang] = _light_shell(config, lang, cfg, site)
        configs[lang] = cfg
        page_paths[lang] = [_section_path(s.src) for s in sections]

    total = len(model.registry) + sum(
        len(town["pages"]) for plan in model.listing_plan.values() for town in plan
    )

    def tick(n: int, done: list[int] = [0]) -> None:  # noqa: B006 - a counter local to this build
        done[0] += n
        if progress:
            progress(done[0], total)

    with _timed(timings, "search"):
        if search_job is None and search_index and not state.reuse_group("search", search_key, site):
            search_job = _Job(_write_search, model, search_out, state, hashes, memo_file)  # (files gone meanwhile)
    with _timed(timings, "pages"):
        memory = state.memory  # ``hubdir serve``: the last build's keys and their dependencies
        previous = memory.keys if memory is not None else None
        keys = incremental.PageKeys(model, hashes, state.base, previous=previous, track=memory is not None)
        zh_jobs = None
        if not keys.derived:  # (derived: only the touched pages lack a key; each process computes those)
            zh_jobs = list(renderers["zh"].bulk_jobs())  # made once, for the keys and the pages
            changed = incremental.changed_records(state.files) if files_saved_with_state else None
            if changed is not None:  # the previous build's keys of the pages no edit reaches
                keys.carry(zh_jobs, state.old.files, changed)
            else:
                keys.prepare(zh_jobs)  # once for both languages, before the fork
        if memory is not None:
            memory.keys = keys
        en_job = _Job(incremental.write_bulk_compact, renderers["en"], shells["en"], site / "en", "en/", state, keys)
        _Job.listen_all()  # (the last fork of the build) no worker waits for the parent to read its result
        zh_paths, zh_entries, zh_reused = incremental.write_bulk(
            renderers["zh"], shells["zh"], site, "", state, keys, tick, zh_jobs
        )
        del zh_jobs
        page_paths["zh"] += zh_paths
        expanded = incremental.expand_bulk(en_job.result(), zh_paths, "en/", state)
        if expanded is None:  # the languages' pages differ (never so far): the English ones in full
            expanded = incremental.write_bulk(renderers["en"], shells["en"], site / "en", "en/", state, keys)
        en_paths, en_entries, en_reused = expanded
        page_paths["en"] += en_paths
        state.new.files.update(zh_entries)
        state.new.files.update(en_entries)
        state.reused = zh_reused + en_reused
    with _timed(timings, "search"):
        if search_job is not None:
            entries, search_written = search_job.result(join=False)  # it writes its memo meanwhile
            _move_into(search_out, site)
            if entries is None:  # --no-cache: hashed here
                state.claim_group("search", search_key, site, incremental.files_under(site, search.INDEX_DIR))
            else:  # the shards it wrote and those it took from the previous site, each with its entry
                state.new.files.update(entries)
                state.new.groups["search"] = search_key
                search_reused = len(entries) - search_written
            if state.enabled:
                state.keep("search-memo", memo_file)  # complete once the worker ended (``_Job.join_all``)

    # the map worker's kept leaves (a result of ~300 KB at 100k: taken now, it would otherwise wait
    # in the pipe, and the worker with it, until the datasets are done)
    with _timed(timings, "assets"):
        kept = map_job.result(join=False)  # it writes its memo meanwhile
    with _timed(timings, "datasets"):
        if data_reused and state.reuse_group("datasets", data_key, site):
            exported, dictionary = state.new.extra["datasets"]
        elif data_reused:  # the previous files went missing meanwhile: write them after all
            data_reused = False
            exported, dictionary = _write_datasets(loaded, tmp / "data", state, hashes, data_memo, created)
        else:
            exported, dictionary = data_job.result() if data_job else (None, None)
        if data_memo.is_dir():
            for shard in sorted(data_memo.glob("*.pickle")):
                state.keep(shard.stem, shard)
    model.extra["datasets"] = exported
    with _timed(timings, "assets"):
        vendor.copy_leaflet(site / "assets" / "vendor" / "leaflet")
        plaque.copy_library(site)  # the venues' print plaques draw their QR codes with it
        _move_into(tmp / "map-data", site)
        if kept:  # the near-me leaves it kept of the previous site, and those it wrote, with their keys
            state.new.files.update(kept)
        if state.enabled:
            state.keep("map-memo", map_memo)  # complete once the worker ended (``_Job.join_all``)
        nearby_page.write_assets(site)
        for lang in LANGS:  # the light pages' joined stylesheet and script (site/shell.py)
            shell_bundles(site, lang, configs[lang])
        if exported is not None and not data_reused:  # beside the data page's index.html
            (site / "data").mkdir(exist_ok=True)
            for child in sorted((tmp / "data").iterdir()):
                child.rename(site / "data" / child.name)
            members = [r for r in incremental.files_under(site, "data") if r != "data/index.html"]
            state.claim_group("datasets", data_key, site, members, (exported, dictionary))
        if exported is not None:
            from generator.release import SITE_DIR, publish_releases  # issue 15: releases at stable URLs

            publish_releases(config.root, site / SITE_DIR)
        for lang in LANGS:
            page = (site if lang == "zh" else site / "en") / "data" / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.unlink(missing_ok=True)  # never write through a link into the previous site
            page.write_text(
                raw_data_pages[lang].replace(
                    pages.DOWNLOADS_MARKER, renderers[lang].downloads_html(exported, dictionary), 1
                ),
                "utf-8",
            )
        for lang in LANGS:  # the data dictionary, a light page per registry (linked from the data page)
            root = site if lang == "zh" else site / "en"
            for fpage in renderers[lang].field_pages(dictionary):
                target = root / fpage.path / "index.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.unlink(missing_ok=True)
                target.write_text(shells[lang].render(fpage.title, fpage.path, fpage.body, fpage.description), "utf-8")
                page_paths[lang].append(fpage.path)
    with _timed(timings, "sitemap"):
        _sitemaps(site, str(config.site["url"]), page_paths, state)
    return BuildResult(
        out_dir=out,
        pages=sum(len(v) for v in page_paths.values()),
        records=len(loaded.registry),
        seconds=0.0,
        report=loaded.report,
        page_paths=page_paths,
        datasets=exported,
        renderers={lang: (shells[lang], renderers[lang]) for lang in LANGS},
        search_written=search_written,
        search_reused=search_reused,
        keys_computed=keys.computed,
    )


def _stable_config(cfg: dict[str, Any]) -> str:
    """The mkdocs configuration without this build's temporary paths (they differ every build)."""
    stable = {k: v for k, v in cfg.items() if k not in ("docs_dir", "site_dir")}
    stable["theme"] = {k: v for k, v in cfg["theme"].items() if k != "custom_dir"}
    return json.dumps(stable, sort_keys=True, default=str)


def _write_search(
    model: Any, site: Path, state: Any, hashes: dict[str, str], memo_file: Path
) -> tuple[None, int] | Later:
    """The search index (in a worker): unchanged documents come from the previous build's memo (in
    the cache), unchanged shards are the previous site's files.  Returns the manifest entry of every
    file of the index (``None`` without the cache) and how many it wrote, as a ``Later``: the memo
    for the next build is pickled after the parent has them (0.3-0.6 s at 100k off the build's path)."""
    from generator import incremental
    from generator.site import search

    if not state.enabled:
        return None, len(search.write(model, site).written)
    entries: dict[str, Any] = {}
    reuse = _reuser(state, entries)
    with gcpause.paused():  # the memo is ~100,000 objects per 20,000 records, none in a cycle (``search.write``)
        index = search.write(model, site, state.side_file("search-memo"), hashes, reuse)
        for rel in index.written:
            st = os.stat(site / rel)
            sha = index.files[rel]
            entries[rel] = incremental.make_entry(st.st_size, st.st_mtime_ns, sha, sha, "search")
        written, index.written = len(index.written), []

    # the build goes on with the entries while the memo for the next build is written
    return Later((entries, written), _leave_memo(state, memo_file, index))


def _reuser(state: Any, entries: dict[str, Any]) -> Callable[[str, str], bool]:
    """A worker's ``reuse(rel, key)``: whether the previous site's file ``rel`` stays (``Cache.reuse_file``);
    the entry of each kept file goes into ``entries``, which the worker returns for the parent's state."""

    def reuse(rel: str, key: str) -> bool:
        entry = state.reuse_file(rel, key)
        if entry is not None:
            entries[rel] = entry
        return entry is not None

    return reuse


def _leave_memo(state: Any, memo_file: Path, value: Any) -> Callable[[], None]:
    """A worker's ``Later.then``: pickle ``value`` for the next build into ``memo_file``, which the
    build keeps (``Cache.keep``): complete or absent, never cut short."""

    def leave() -> None:
        part = memo_file.with_name(f".{memo_file.name}.part")
        with gcpause.paused():
            state.write_side_file(part, state.base, value)
        os.replace(part, memo_file)

    return leave


def _write_map_data(
    model: Any, folder: Path, state: Any = None, hashes: dict[str, str] | None = None, memo_file: Path | None = None
) -> Later | None:
    """``map/points.json`` and ``near/`` (in a worker; ``_build_into`` moves them into the site).

    With the cache, an unchanged record's map row and near-me entry come from the previous build's
    memo (``site.recordmemo``), and an unchanged near-me leaf is the previous site's file
    (``nearby.write(reuse=)``); the result is the manifest entry of every leaf kept or written under
    a key (the parent adds them to the state), and the memo for the next build is pickled after the
    parent has them."""
    from generator import incremental
    from generator.site import nearby, pages
    from generator.site.recordmemo import RecordMemo

    enabled = state is not None and state.enabled and memo_file is not None
    entries: dict[str, Any] = {}
    reuse = _reuser(state, entries)
    with gcpause.paused():  # the memo is ~200,000 tuples at 100k, none in a cycle: collections would triple the cost
        memo = RecordMemo(hashes, state.side_file("map-memo")) if enabled else RecordMemo(None)
        (folder / "map").mkdir(parents=True)
        (folder / "map" / "points.json").write_text(pages.map_points(model, memo), "utf-8")
        keyed: dict[str, tuple[str, str]] = {}
        nearby.write(model, folder, memo, reuse if enabled else None, keyed)
        for rel, (key, sha) in keyed.items():  # written with a key: its entry carries it, for the next build
            st = os.stat(folder / rel)
            entries[rel] = incremental.make_entry(st.st_size, st.st_mtime_ns, sha, key)
    return Later(entries, _leave_memo(state, memo_file, memo.new)) if enabled and memo_file is not None else None


def _move_into(source: Path, site: Path) -> None:
    """Rename every file under ``source`` to the same place under ``site`` (folders made as needed)."""
    for folder, _dirs, names in os.walk(source):
        target = site / os.path.relpath(folder, source)
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            os.replace(os.path.join(folder, name), target / name)


def _source_date(config: Config, loaded: Any, files: Any = None) -> Any:
    """The datasets' timestamp (part of their cache key: it comes from git or the files' times).

    ``files`` (the load's ``incremental.FileCache``) holds the stat the load took of each record file:
    their times are taken from there, not from 100,000 more ``stat`` calls (0.25 s before the
    datasets worker is forked at 100k); a file it has none of is stat-ed.
    """
    try:
        from generator.export import package
    except ImportError:
        return None
    records = loaded.records
    stats = files.stats if files is not None else {}

    def mtimes() -> Iterator[int]:
        for record in records:
            stat = stats.get(record.rel)
            if stat is None:
                yield package._mtime(record.path)
            else:  # ``int(st_mtime)``: the float ``os.stat`` makes of the nanoseconds
                ns = stat[0]
                yield int(ns // 1_000_000_000 + (ns % 1_000_000_000) * 1e-9)

    return package.source_date(config, mtimes=mtimes)


LOCK_NAME = ".lock"
#: A temporary folder without a lock file (made by an older hubdir) is stale after this many seconds.
UNLOCKED_STALE_SECONDS = 600


def _hold(tmp: Path) -> Any:
    """Lock ``tmp`` for as long as this build (and its forked workers) live.

    The kernel drops the lock when the last holder dies, SIGKILL included, so
    a later build knows a ``.site.tmp-*`` folder whose lock it can take was
    left by a killed build, while one still locked belongs to a build that is running.
    """
    handle = open(tmp / LOCK_NAME, "w")  # noqa: SIM115 - held open until the build ends
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def remove_stale(out: Path) -> list[Path]:
    """Delete the temporary folders of killed builds beside ``out``; return them."""
    removed: list[Path] = []
    for folder in sorted(out.parent.glob(f".{out.name}.tmp-*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock_path = folder / LOCK_NAME
        try:
            if lock_path.exists():
                with open(lock_path, "a") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a running build: raises
            elif time.time() - folder.stat().st_mtime < UNLOCKED_STALE_SECONDS:
                continue  # just made, or from an older hubdir: leave it a while
        except OSError:  # BlockingIOError: a running build holds it
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@dataclass
class Later:
    """What a ``_Job``'s function returns when it has work left that the build need not wait for:
    ``value`` goes to the parent at once, then ``then()`` runs (``_Job.join_all`` waits for it)."""

    value: Any
    then: Callable[[], None]


class _Job:
    """Run ``fn(*args)`` in a forked process (the model is shared copy-on-write); inline without fork.

    Results come back pickled through a pipe; a ``BuildError`` in the child is
    raised again here, any other failure becomes one.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.value: Any = None
        self.error: tuple[str, dict[str, Any]] | None = None
        self.proc: Any = None
        self.recv: Any = None
        #: The thread taking the result from the pipe as soon as it comes (``listen_all``), and what it took.
        self.reader: threading.Thread | None = None
        self.taken: tuple[Any, tuple[str, dict[str, Any]] | None] | None = None
        if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            self.value, self.error = _call(fn, args)
            if isinstance(self.value, Later):
                self.value.then()
                self.value = self.value.value
            return
        ctx = multiprocessing.get_context("fork")
        self.recv, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_child, args=(send, fn, args))  # may start its own pool
        with interrupt.held_back():  # the child starts with SIGINT held until its quiet handler is in place
            self.proc.start()
            _RUNNING.add(self)
        send.close()

    @staticmethod
    def listen_all() -> None:
        """Take each running worker's result from its pipe as soon as it comes, in a thread.

        Why: the build asks for the results only once the pages are written, and a result larger
        than the pipe's 64 KB (the search index's entries, the datasets', the map's) kept its worker
        blocked in ``send`` until then, 7-27 s at 20,000 records, and the work it leaves for after
        the result (``Later``: the search and map memos, ~40 MB pickled) ran only then, at the end of
        the build, which waits for it (``join_all``).  Called after the build's last fork: a process
        forked while a thread runs can inherit a lock that thread held.
        """
        for job in list(_RUNNING):
            if job.recv is not None and job.reader is None:
                job.reader = threading.Thread(target=job._take, name="hubdir-worker-result", daemon=True)
                job.reader.start()

    def _take(self) -> None:
        try:
            self.taken = self.recv.recv()
        except (EOFError, OSError):  # the worker died without a result (``result`` says so)
            self.taken = None

    @staticmethod
    def stop_all() -> None:
        """Stop every worker still running (the build failed or was interrupted)."""
        for job in list(_RUNNING):
            _RUNNING.discard(job)
            if job.proc is not None and job.proc.is_alive():
                job.proc.terminate()
                job.proc.join(5)
                if job.proc.is_alive():
                    job.proc.kill()
                    job.proc.join()

    def result(self, *, join: bool = True) -> Any:
        """The function's value; ``join=False``: without waiting for the work it left for later
        (``Later``): the build calls ``join_all`` before it needs that work done."""
        if self.proc is not None and self.recv is not None:
            if self.reader is None:
                self._take()
            else:
                self.reader.join()
                self.reader = None
            if self.taken is None:
                self.error = ("site.build.failed", {"detail": f"worker exited ({self.proc.exitcode})"})
            else:
                self.value, self.error = self.taken
                self.taken = None
            self.recv.close()
            self.recv = None
            if join or self.error is not None:
                self.join()
        if self.error is not None:
            key, args = self.error
            raise BuildError(key, **args)
        return self.value

    def join(self) -> None:
        if self.proc is not None:
            self.proc.join()
            _RUNNING.discard(self)
            self.proc = None

    @staticmethod
    def join_all() -> None:
        """Wait for the work the workers left for later (their results are already in)."""
        for job in list(_RUNNING):
            if job.recv is None:
                job.join()


_RUNNING: set[_Job] = set()


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, tuple[str, dict[str, Any]] | None]:
    try:
        return fn(*args), None
    except BuildError as exc:
        return None, (exc.key, exc.args_dict)
    except OSError as exc:
        if oswrite.is_write_failure(exc):
            return None, ("hardening.build_failed", {"detail": oswrite.describe(exc)})
        return None, ("site.build.failed", {"detail": printable(f"{type(exc).__name__}: {exc}")})
    except Exception as exc:
        return None, ("site.build.failed", {"detail": printable(f"{type(exc).__name__}: {exc}")})


def _child(send: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    interrupt.quiet_interrupt()
    interrupt.die_with_parent()
    value, error = _call(fn, args)
    later = value if isinstance(value, Later) else None
    send.send((later.value if later is not None else value, error))
    send.close()
    if later is not None:
        with contextlib.suppress(Exception):  # only the next build's memo: without it, it does more
            later.then()


def _write_datasets(
    loaded: Any, target: Path, state: Any = None, hashes: dict[str, str] | None = None, memo_file: Path | None = None,
    created: Any = None,
) -> tuple[Any, Any]:
    """The datasets and their data dictionary rows (``(None, None)`` without the export module).

    With the cache enabled the previous export's fragments (``export.memo``) are read from it and the
    shards of this export's that changed are left in the folder ``memo_file`` for the next build.

    The package is checked by ``fastcheck`` (the same rules as Frictionless, held to it by the
    tests), not by Frictionless itself: at district size Frictionless is 3 s of a 10 s build's CPU.
    ``hubdir export`` keeps Frictionless up to its row limit; ``HUBDIR_EXPORT_VALIDATOR`` overrides both.
    """
    try:
        from generator.export import ExportError, data_dictionary, write_datasets
        from generator.export.memo import SHARDS, SIDE_FILE, Memo, shard_name
    except ImportError:  # the datasets module is not installed in this checkout
        return None, None
    memo = None
    if state is not None and state.enabled:
        memo = Memo.load_shards([state.side_file(shard_name(n)) for n in range(SHARDS)], hashes)
        memo.saved, memo.leave = state.folder, memo_file  # (the SQLite database, ``export.sqlite.Steps``)
        (state.folder / f"{SIDE_FILE}.pickle").unlink(missing_ok=True)  # the memo in one file, before its shards
    try:
        exported = write_datasets(loaded, target, validator="fast", memo=memo, created=created)
        if memo is not None and memo_file is not None:
            memo_file.mkdir(exist_ok=True)
            for number, value in memo.dump_shards().items():  # the shards left as they were stay in the cache
                state.write_side_file(memo_file / f"{shard_name(number)}.pickle", state.base, value)
        return exported, data_dictionary(loaded.registry.config)
    except ExportError as exc:
        detail = "; ".join(exc.messages) or exc.kind
        if exc.meta is not None:
            detail = str(exc.meta)
        raise BuildError("site.build.datasets_failed", detail=detail) from exc


def _releases(config: Config) -> list[Any]:
    try:
        from generator.release import list_releases  # type: ignore[attr-defined]
    except ImportError:
        return []
    try:
        return list(list_releases(config.root))
    except Exception:  # a broken release folder must not stop the site; the release command reports it
        return []


def _section_path(src: str) -> str:
    stem = src[: -len(".md")]
    if stem == "index":
        return ""
    return stem[: -len("/index")] + "/" if stem.endswith("/index") else stem + "/"


def _nav(model: Any, sections: list[Any], lang: str) -> list[Any]:
    from generator.site.theme import NavItem

    by_src = {s.src: s for s in sections}
    nav = [
        NavItem(t(lang, "site.nav.home"), "index.md"),
        NavItem(
            t(lang, "site.nav.kinds"),
            children=[NavItem(by_src[f"kinds/{k.code}.md"].title, f"kinds/{k.code}.md") for k in model.kinds],
        ),
    ]
    for src in ("map.md", "data.md", "contribute.md"):
        nav.append(NavItem(by_src[src].title, src))
    fixed = {"index.md", "map.md", "data.md", "contribute.md", "search.md"}
    for section in sections:
        if section.in_nav and section.src not in fixed and not section.src.startswith("kinds/"):
            nav.append(NavItem(section.title, section.src))
    return nav


def _light_shell(config: Config, lang: str, cfg: dict[str, Any], site: Path) -> Any:
    """The bulk pages' shell (``site/shell.py``): Material's look without its navigation drawer."""
    from generator.site import theme
    from generator.site.shell import NavLink, light_shell, material_stylesheets

    links = []
    for item in cfg["nav"]:
        (title, target), = item.items()
        src = target if isinstance(target, str) else next(iter(target[0].values()))
        links.append(NavLink(title, _section_path(src)))
    return light_shell(
        lang=lang,
        site_name=cfg["site_name"],
        site_url=cfg["site_url"],
        description=theme.DESC_SLOT,  # each page's own (Shell.render)
        copyright_html=cfg["copyright"],
        nav=links,
        hub=cfg["extra"]["hubdir"],
        stylesheets=material_stylesheets(site),
    )


def shell_bundles(site: Path, lang: str, cfg: dict[str, Any]) -> None:
    from generator.site.shell import write_bundles

    write_bundles(site, lang, list(cfg["extra_css"]), list(cfg["extra_javascript"]), cfg["extra"]["hubdir"])


def _hub_extra(model: Any, lang: str) -> dict[str, Any]:
    from generator.site import hotlines

    other = "en" if lang == "zh" else "zh"
    map_cfg = model.map_config
    tiles = {
        "url": map_cfg["tiles"],
        "subdomains": map_cfg.get("subdomains", ""),
        "attribution": map_cfg.get("attribution", ""),
        "max_zoom": map_cfg.get("max_zoom", 18),
        "crs": map_cfg.get("crs", "gcj02"),
        "overlay": map_cfg.get("overlay", ""),
    }
    strings = {k: t(lang, f"site.map.{k}") for k in ("in_view", "more", "cluster", "open")}
    strings.update(
        {
            "shown": t(lang, "site.listing.shown"),
            "sort": t(lang, "site.listing.sort"),
            "search_label": t(lang, "site.search.label"),
            "care": t(lang, "resident.care"),
            "minimap": t(lang, "site.record.map"),
            "staff": t(lang, "resident.fix.staff"),
            "edit": t(lang, "site.record.edit"),
            "correction": t(lang, "site.record.correction"),
            **{k: t(lang, f"pages.{k}") for k in ("plaque", "plaque_scan", "plaque_print", "plaque_back")},
            "plaque_label": t(lang, "pages.plaque_label"),
        }
    )
    return {
        **_resident_extra(model, lang),
        "alt_prefix": "en/" if lang == "zh" else "../",
        "alt_lang": "en" if lang == "zh" else "zh-CN",
        "alt_label": t(lang, "site.header.switch"),
        "site_root": "" if lang == "zh" else "../",
        "search_label": t(lang, "site.search.label"),
        "search_placeholder": t(lang, "site.search.placeholder"),
        "menu_label": t(lang, "site.header.menu"),
        "other": other,
        "tiles_json": json.dumps(tiles, ensure_ascii=False, sort_keys=True),
        "strings_json": json.dumps(strings, ensure_ascii=False, sort_keys=True),
        "hotlines": hotlines.strip_view(model.config, lang),
        "hotlines_label": t(lang, "hotlines.label"),
        **_staff_links(model.config),
    }


def _staff_links(config: Config) -> dict[str, str]:
    """Where a record page's staff links go, but for the record's own file (hubdir.js adds it)."""
    from generator.site.model import safe_href

    repo = config.site.get("repo_url")
    branch = config.site.get("edit_branch", "main")
    return {
        "edit_base": (safe_href(f"{repo}/edit/{branch}/") or "") if repo else "",
        "correction_url": safe_href(config.site.get("correction_url")) or "",
    }


def _brand(config: Config, docs: Path) -> dict[str, str]:
    """Logo and favicon (configured or hubdir's own), copied beside the pages of one language."""
    from generator.site import resident

    files = resident.copy_brand(config, docs)
    return {"logo": files["logo"], "favicon": files["favicon"]}


def _official_footer(config: Config, lang: str) -> str:
    """主办单位, ICP备案号… (issue 14) after the licence line, on section and bulk pages alike."""
    from generator.site import resident

    return str(resident.footer_html(config, lang))


def _resident_extra(model: Any, lang: str) -> dict[str, Any]:
    """What the theme overrides of issue 14 print: skip link, large-text switch, share image, footer, 404."""
    from generator.site import resident

    config = model.config
    notfound = [("", "home"), ("kinds/" + model.kinds[0].code + "/", "kinds"), ("map/", "map"), ("data/", "data")]
    return {
        "site_name": config.site["title"][lang],
        "favicon": f"{resident.BRAND_DIR}/{resident.brand_files(config)['favicon'].name}",
        "logo": f"{resident.BRAND_DIR}/{resident.brand_files(config)['logo'].name}",
        "skip_label": t(lang, "resident.skip"),
        "care_label": t(lang, "resident.care"),
        "og_image": resident.share_image_url(config),
        "notfound_title": t(lang, "resident.notfound.title"),
        "notfound_text": t(lang, "resident.notfound.text"),
        "notfound_links": [[path, t(lang, f"resident.notfound.{key}")] for path, key in notfound],
        "search_button": t(lang, "site.search.button"),
    }


#: The last sitemap files made in this process and (base, limit, URLs) they list: ``hubdir serve`` makes the same
#: ones after every edit that adds or removes no page (five parts gzipped at level 9: 0.3 s at 100k).
_SITEMAPS: dict[str, Any] = {"urls": None, "files": {}}


def _sitemaps(site: Path, base: str, page_paths: dict[str, list[str]], state: Any = None) -> None:
    """The sitemap files of ``page_paths``; with ``state`` (an ``incremental.Cache``) the previous
    build's files when they list the very same URLs (group ``sitemap``): a second ``hubdir build``
    after an edit that adds or removes no page made the same five parts again (0.3 s at 100k)."""
    from generator import incremental

    urls = [base + ("en/" if lang == "en" else "") + path for lang in LANGS for path in page_paths[lang]]
    for stale in site.glob("sitemap*.xml*"):
        stale.unlink()
    made_for = (base, SITEMAP_LIMIT, urls)
    key = ""
    if state is not None:  # (no URL holds a NUL: the joined URLs name the list)
        key = incremental.group_key(state.base, "sitemap", base, SITEMAP_LIMIT, "\0".join(urls))
        if state.reuse_group("sitemap", key, site):
            return
    if _SITEMAPS["urls"] != made_for:
        _SITEMAPS["urls"], _SITEMAPS["files"] = None, _sitemap_files(base, urls)
        _SITEMAPS["urls"] = made_for
    for name, data in _SITEMAPS["files"].items():
        (site / name).unlink(missing_ok=True)  # never write through a link into the previous site
        (site / name).write_bytes(data)
    if state is not None:
        state.claim_group("sitemap", key, site, sorted(_SITEMAPS["files"]))


def _sitemap_files(base: str, urls: list[str]) -> dict[str, bytes]:
    """File name → bytes of the sitemap listing ``urls`` (an index of gzipped parts above ``SITEMAP_LIMIT``)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

    def urlset(chunk: list[str]) -> str:
        body = "".join(f"<url><loc>{xml_escape(u)}</loc></url>\n" for u in chunk)
        return f"{head}<urlset {ns}>\n{body}</urlset>\n"

    if len(urls) <= SITEMAP_LIMIT:
        return {"sitemap.xml": urlset(urls).encode("utf-8")}
    files: dict[str, bytes] = {}
    parts = []
    for index in range(0, len(urls), SITEMAP_LIMIT):
        # The parts gzipped (the protocol allows it; crawlers fetch them, people never do): at
        # province scale five parts of ~4.4 MB each shrink to ~0.5 MB.  ``mtime=0``: the same bytes every build.
        name = f"sitemap-{index // SITEMAP_LIMIT + 1}.xml.gz"
        part = urlset(urls[index : index + SITEMAP_LIMIT]).encode("utf-8")
        files[name] = gzip.compress(part, compresslevel=9, mtime=0)
        parts.append(f"<sitemap><loc>{xml_escape(base + name)}</loc></sitemap>\n")
    files["sitemap.xml"] = f"{head}<sitemapindex {ns}>\n{''.join(parts)}</sitemapindex>\n".encode()
    return files


def _swap(new: Path, out: Path, tmp: Path) -> None:
    """Replace ``out`` by ``new``: rename the old site aside, rename the new one in, then delete the old."""
    os.chmod(new, 0o755)
    old = tmp / "previous"
    if out.exists():
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old.exists():
            old.rename(out)
        raise


def terminal_progress(enabled: bool) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A progress bar on a terminal (not in CI); returns ``(update, finish)``."""
    if not enabled or os.environ.get("CI") or not sys.stderr.isatty():
        return None, lambda: None
    state = {"last": -1}

    def update(done: int, total: int) -> None:
        percent = int(done * 100 / max(total, 1))
        if percent != state["last"]:
            state["last"] = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r[{bar:<25}] {percent:3d}% {done}/{total}")
            sys.stderr.flush()

    def finish() -> None:
        if state["last"] >= 0:
            sys.stderr.write("\n")

    return update, finish
