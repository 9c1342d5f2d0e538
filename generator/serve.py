"""``hubdir serve``: a local live preview that rebuilds when content, schemas or config change.

Why: staff editing a record want to see the page as the public will, and
the errors in Chinese, without learning the build.  Design:

- the operating system reports changes (inotify, FSEvents, ReadDirectoryChangesW through the
  well-kept ``watchdog``): an idle preview does not look at the disk at all (polling 21,000
  files every 0.25 s cost 30 % of a core).  Where events are unavailable (an inotify limit, some
  network drives) it falls back to polling modification times;
- a burst of saves is debounced into one rebuild, in two steps:
  1. the fast path re-reads only the changed files (the others come from memory), runs the
     cross-record checks, and re-renders only the pages that show the changed records;
  2. at once after it, an incremental ``build()`` (``generator/incremental.py``, the cache beside
     ``build/preview``) brings listings, area pages, section pages and the search index up to
     date, byte-identical to a clean build; it too reads only the files reported changed since
     the last such build that succeeded, the others come from memory; after a plain edit it keeps
     the last registry, cross-record problems and structural figures (``incremental._load_again``,
     ``SiteModel.adopt``), and it writes no deploy manifest (a preview is never deployed).  Anything the fast path
     cannot handle (a new, deleted or renamed record, a division, the configuration) goes
     straight to step 2;
- ``http.server`` on 127.0.0.1 serves the last good build, and adds to every
  HTML page a tiny script that polls ``/__hubdir__/status``: the page reloads
  after a rebuild and shows the validation errors in a banner when the last
  rebuild failed (the previous good pages stay up).
"""

from __future__ import annotations

import contextlib
import html
import inspect
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEventHandler

from generator.config import CONFIG_NAME, Config, ConfigError, load_config
from generator.i18n import t
from generator.problems import Report, render_text
from generator.safetext import printable

STATUS_PATH = "/__hubdir__/status"
#: Only when file-system events are unavailable: how often modification times are compared.
POLL_SECONDS = 1.0
DEBOUNCE_SECONDS = 0.2

#: Injected before ``</body>`` of every served HTML page (never into the built files).
RELOAD_SCRIPT = (
    """<script>(function(){var g=null;function p(){fetch("STATUS",{cache:"no-store"})
.then(function(r){return r.json()}).then(function(s){if(g===null){g=s.generation}
else if(s.generation!==g){location.reload();return}
var b=document.getElementById("hubdir-preview-error");
if(!s.ok){if(!b){b=document.createElement("pre");b.id="hubdir-preview-error";
b.style.cssText="position:fixed;left:0;right:0;bottom:0;max-height:45%;overflow:auto;margin:0;padding:1em;"
+"background:#9b1c1c;color:#fff;z-index:100000;white-space:pre-wrap;font-size:14px";
document.body.appendChild(b)}b.textContent=s.message}else if(b){b.remove()}})
.catch(function(){}).then(function(){setTimeout(p,1000)})}p()})();</script>"""
).replace("STATUS", STATUS_PATH)


class ServeError(Exception):
    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


Stamp = dict[str, tuple[int, int]]


def watched_paths(config: Config) -> list[Path]:
    """What a rebuild depends on: content, schemas, the site and datasets configuration."""
    return [
        config.content_dir,
        config.schemas_dir,
        config.root / CONFIG_NAME,
        config.root / "datasets" / "package.yml",
    ]


def stamp(paths: Iterable[Path]) -> Stamp:
    """(mtime_ns, size) of every file under ``paths``; cheap enough to poll (2k files ≈ 10 ms)."""
    out: Stamp = {}

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path)
            else:
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    out[entry.path] = (st.st_mtime_ns, st.st_size)

    for path in paths:
        if path.is_dir():
            walk(str(path))
        elif path.exists():
            st = path.stat()
            out[str(path)] = (st.st_mtime_ns, st.st_size)
    return out


def changed_files(before: Stamp, after: Stamp) -> list[Path]:
    keys = set(before) | set(after)
    return sorted(Path(k) for k in keys if before.get(k) != after.get(k))


BuildFn = Callable[..., Any]


def default_build() -> BuildFn:
    from generator.build import build

    fn: BuildFn = build
    return fn


@dataclass
class Status:
    generation: int = 0
    ok: bool = True
    building: bool = False
    message: str = ""
    last_seconds: float = 0.0
    mode: str = ""
    history: list[float] = field(default_factory=list)
    #: (mode, seconds) of every rebuild step: "fast" pages first, then the consolidating "full" build.
    steps: list[tuple[str, float]] = field(default_factory=list)
    watching: str = ""
    #: Fast steps that updated the last build's model in place (no new registry, no project-wide checks).
    in_place: int = 0
    #: The whole preview (listings, area pages, search) agrees with the files as last seen: false from
    #: a noticed change until the consolidating build after it succeeded.
    consistent: bool = False
    #: The last consolidating build's seconds per step and pages reused (for the benchmark).
    timings: dict[str, float] = field(default_factory=dict)
    reused: int = 0


class Preview:
    """The watcher, the builder and the web server of one ``hubdir serve``."""

    def __init__(
        self,
        config: Config,
        out_dir: Path,
        lang: str = "zh",
        *,
        build: BuildFn | None = None,
        echo: Callable[[str], None] = print,
        datasets: bool = False,
    ) -> None:
        self.config = config
        self.datasets = datasets
        self.out_dir = out_dir
        self.lang = lang
        self.echo = echo
        self._build = build
        self.status = Status()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._shells: dict[str, tuple[Any, Any]] = {}  # lang → (page shell, renderer) of the last full build
        from generator.incremental import FileCache, Memory

        self.files = FileCache()  # each file's checks, kept in memory between rebuilds
        self.memory = Memory()  # the last build's cache state, kept in memory and saved in the background
        self._changes: set[str] = set()
        #: Files reported changed since the last consolidating build that succeeded: that build's
        #: load trusts every other file (``build(changed=)``), so a change no build read yet (a
        #: rebuild that failed early: a broken ``site_config.yml``, an invalid edit the fast path
        #: refused) is passed again until one succeeds.
        self._unsettled: set[Path] = set()
        self._by_path: tuple[Any, dict[str, Any]] = (None, {})
        self._wake = threading.Event()
        self._lock_changes = threading.Lock()
        self._observer: Any = None
        self._watcher: threading.Thread | None = None
        self.server: ThreadingHTTPServer | None = None
        self._server_thread: threading.Thread | None = None

    # -- building -------------------------------------------------------------
    def rebuild(self, changed: list[Path] | None = None) -> bool:
        """Re-render the pages of edited records at once, then bring the whole site up to date.

        The last good pages stay when a step fails; ``status.generation`` grows after each step
        that succeeds, so open pages reload first with the edit, then with consistent listings.
        """
        with self._lock:
            self.status.building = True
            if changed:
                self.status.consistent = False
                self._unsettled.update(changed)  # before anything can fail
            ok = True
            fast: tuple[bool, str] | None = None
            if changed:
                fast = self._step("fast", lambda: self._fast(changed))
                ok = fast is None or fast[0]
            if ok:
                ok = self._step("full", lambda: self._full(changed)) is not None and self.status.ok
                with self._lock_changes:  # a change noticed meanwhile may not be in this build
                    self.status.consistent = ok and not self._changes
            self.status.building = False
        return ok

    def _step(self, mode: str, run: Callable[[], tuple[bool, str] | None]) -> tuple[bool, str] | None:
        started = time.perf_counter()
        try:
            outcome = run()
        except ConfigError as exc:
            outcome = False, render_text(Report(problems=exc.problems, files_checked=1), self.lang)
        except Exception as exc:  # a preview must survive any failure and say what it was
            outcome = False, self._explain(exc)
        if outcome is None:  # the fast path does not apply
            return None
        ok, message = outcome
        seconds = time.perf_counter() - started
        self.status.last_seconds = seconds
        self.status.history.append(seconds)
        self.status.steps.append((mode, seconds))
        self.status.mode = mode
        self.status.ok = ok
        self.status.message = message
        if ok:
            self.status.generation += 1
            key = "workflow.serve.rebuilt_fast" if mode == "fast" else "workflow.serve.rebuilt"
            self.echo(t(self.lang, key, seconds=f"{seconds:.2f}"))
        else:
            self.echo(t(self.lang, "workflow.serve.failed"))
            self.echo(message)
        return outcome

    def _explain(self, exc: Exception) -> str:
        report = getattr(exc, "report", None)
        if isinstance(report, Report):
            return render_text(report, self.lang)
        message_fn = getattr(exc, "message", None)
        if callable(message_fn):
            return t(self.lang, "workflow.serve.build_failed", detail=message_fn(self.lang))
        message = t(self.lang, "workflow.serve.build_failed", detail=f"{type(exc).__name__}: {exc}")
        if os.environ.get("HUBDIR_DEBUG"):
            message += "\n" + traceback.format_exc()
        return message

    def _full(self, changed: list[Path] | None) -> tuple[bool, str]:
        """The whole site through ``build()``; remembers each language's page shell for the fast path."""
        build = self._build or default_build()
        config = load_config(self.config.root)
        self.config = config
        kwargs: dict[str, Any] = {
            "strict": False,
            "quiet": True,
            "lang": self.lang,
            "datasets": self.datasets,
        }
        params = inspect.signature(build).parameters
        if changed is not None and "changed" in params:
            kwargs["changed"] = sorted(self._unsettled)
        if "files" in params:
            kwargs["files"] = self.files
        if "memory" in params:
            kwargs["memory"] = self.memory
        if "manifest" in params:
            kwargs["manifest"] = False  # for ``hubdir deploy``; a preview is never deployed
        result = build(config, self.out_dir, **{k: v for k, v in kwargs.items() if k in params})
        report = getattr(result, "report", None)
        if isinstance(report, Report) and report.errors:
            return False, render_text(report, self.lang)
        self._unsettled.clear()
        # ``BuildResult.renderers``: lang → (page shell, renderer); an injected build without it
        # simply leaves the fast path off (every rebuild is a full one).
        self._shells = dict(getattr(result, "renderers", None) or {})
        self.status.timings = dict(getattr(result, "timings", None) or {})
        if self._shells:  # ready for the next edit's in-place step
            self._records_by_path(next(iter(self._shells.values()))[1].model.registry)
        self.status.reused = int(getattr(result, "reused", 0) or 0)
        return True, ""

    def _fast(self, changed: list[Path]) -> tuple[bool, str] | None:
        """Re-render the pages of edited records at once; ``None`` when a full build is needed.

        Applies when every changed file is an existing record (not a division) whose id and registry
        stay the same.  Only the changed files are read again.  Listings, section pages, the map data
        and the search index catch up in the incremental build that follows at once.
        """
        if not self._shells:
            return None
        content = os.path.abspath(self.config.content_dir) + os.sep
        targets = {os.path.abspath(p) for p in changed}
        if any(not p.startswith(content) for p in targets):
            return None
        from generator import incremental
        from generator.site import pages as site_pages
        from generator.site.labels import labels_for
        from generator.site.model import SiteModel

        in_place = self._fast_in_place(targets)
        if in_place is not None:
            return in_place
        old_model = next(iter(self._shells.values()))[1].model
        old = old_model.registry
        loaded = incremental.load(self.config, self.files, changed=changed)
        if loaded.report.errors:
            return False, render_text(loaded.report, self.lang)
        new = loaded.registry
        if {(r.registry, r.id) for r in old.all()} != {(r.registry, r.id) for r in new.all()}:
            return None
        affected: set[str] = set()
        for registry in (old, new):
            hits = [r for r in registry.all() if os.path.abspath(r.path) in targets]
            if len(hits) != len(targets) or any(r.registry == "divisions" for r in hits):
                return None
            # the edited records' own pages now; the pages that mention them follow in the
            # incremental build (an area page can be as big as its whole subtree)
            affected |= {r.id for r in hits}
        model = SiteModel(self.config, new, labels_for(self.config.schemas_dir))
        model.extra.update(old_model.extra)
        for lang, (shell, _previous) in list(self._shells.items()):
            fresh = site_pages.Renderer(model, lang, env=_previous.env)  # compiled templates kept
            root = self.out_dir if lang == "zh" else self.out_dir / lang
            for rid in sorted(affected):
                record = new.by_id.get(rid)
                if record is None:
                    continue
                page = fresh.area_page(record) if record.registry == "divisions" else fresh.record_page(record)
                html = shell.render(page.title, page.path, page.body, page.description)
                _write(root / page.path / "index.html", html)
            self._shells[lang] = (shell, fresh)
        return True, ""

    def _fast_in_place(self, targets: set[str]) -> tuple[bool, str] | None:
        """The usual edit (a name, an address, opening hours…) in time independent of the project's size.

        Only the changed files are read and checked; when no field the registry or the model index
        by (``STRUCTURAL``, links) changed, the cross-record checks cannot change either, so the edited
        records take their new data in place in the model of the last build and only their own pages
        are rendered again.  ``None`` when that does not apply: the general fast
        path (a new registry) or the full build decides.
        """
        from generator import validate
        from generator.incremental import structural_change
        from generator.problems import Report

        model = next(iter(self._shells.values()))[1].model
        by_path = self._records_by_path(model.registry)
        hits = [by_path.get(p) for p in sorted(targets)]
        if not hits or any(r is None or r.registry == "divisions" for r in hits):
            return None  # a new file, a division: the general path
        if not all(os.path.isfile(p) for p in targets):
            return None  # deleted or renamed away
        records = [r for r in hits if r is not None]
        root = self.config.root
        jobs = [(r.registry, str(r.path), validate._rel(r.path, root)) for r in records]
        today = _today()
        results = validate.read_all(jobs, str(self.config.schemas_dir), self.config.district, today, workers=1)
        problems = [p for _, found in results for p in found]
        report = Report(problems=problems, files_checked=len(jobs))
        if report.errors:
            return False, render_text(report, self.lang)
        if any(
            data is None or structural_change(r.registry, r.data, data)
            for r, (data, _) in zip(records, results, strict=True)
        ):
            return None
        for record, (data, _) in zip(records, results, strict=True):
            record.data = data
        self.status.in_place += 1
        for lang, (shell, renderer) in self._shells.items():
            out = self.out_dir if lang == "zh" else self.out_dir / lang
            for record in records:
                page = renderer.record_page(record)
                _write(out / page.path / "index.html", shell.render(page.title, page.path, page.body, page.description))
        return True, ""

    def _records_by_path(self, registry: Any) -> dict[str, Any]:
        """Absolute file path → record of the last build's registry (made once per registry)."""
        if self._by_path[0] is not registry:
            self._by_path = (registry, {os.path.abspath(r.path): r for r in registry.all()})
        return self._by_path[1]

    def _watch(self, paths: list[Path], last: Stamp) -> None:
        """Fallback without file-system events: compare modification times every ``POLL_SECONDS``."""
        while not self._stop.wait(POLL_SECONDS):
            now = stamp(paths)
            if now == last:
                continue
            # Debounce: an editor's save (or a git checkout) is often several writes.
            while not self._stop.wait(DEBOUNCE_SECONDS):
                settled = stamp(paths)
                if settled == now:
                    break
                now = settled
            changed = changed_files(last, now)
            last = now
            self.echo(t(self.lang, "workflow.serve.changed", n=len(changed)))
            self.rebuild(changed)

    def _observe(self) -> bool:
        """Subscribe to the operating system's file events; ``False`` when that is not possible."""
        from watchdog.observers import Observer

        handler = _Events(self.config, self._noted)
        observer = Observer()
        try:
            for folder, recursive in _watch_roots(self.config):
                observer.schedule(handler, str(folder), recursive=recursive)
            observer.start()
        except Exception:  # no inotify watches left, an unsupported file system…
            with contextlib.suppress(Exception):
                observer.stop()
            return False
        self._observer = observer
        return True

    def _noted(self, path: str) -> None:
        with self._lock_changes:
            self._changes.add(path)
            self.status.consistent = False
        self._wake.set()

    def _react(self) -> None:
        """Sleep until the OS reports a change (no polling), let the burst settle, rebuild."""
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            while True:  # debounce: wait until the files have been quiet for a moment
                self._wake.clear()
                if not self._wake.wait(DEBOUNCE_SECONDS) or self._stop.is_set():
                    break
            if self._stop.is_set():
                return
            with self._lock_changes:
                changed = sorted(Path(p) for p in self._changes)
                self._changes.clear()
            if not changed:
                continue
            self.echo(t(self.lang, "workflow.serve.changed", n=len(changed)))
            self.rebuild(changed)

    # -- serving --------------------------------------------------------------
    def handler(self) -> type[SimpleHTTPRequestHandler]:
        preview = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(preview.out_dir), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0].split("#", 1)[0]
                if path == STATUS_PATH:
                    s = preview.status
                    body = json.dumps(
                        {
                            "generation": s.generation,
                            "ok": s.ok,
                            "building": s.building,
                            "consistent": s.consistent,
                            "timings": {k: round(v, 3) for k, v in s.timings.items()},
                            "reused": s.reused,
                            "message": s.message,
                        },
                        ensure_ascii=False,
                    ).encode("utf-8")
                    self._send(body, "application/json; charset=utf-8")
                    return
                local = Path(self.translate_path(path))
                if local.is_dir():
                    if not path.endswith("/"):
                        super().do_GET()  # redirects to the slash form
                        return
                    local = local / "index.html"
                if local.suffix == ".html" and local.is_file():
                    page = local.read_bytes()
                    marker = page.lower().rfind(b"</body>")
                    script = RELOAD_SCRIPT.encode("utf-8")
                    page = page[:marker] + script + page[marker:] if marker >= 0 else page + script
                    self._send(page, "text/html; charset=utf-8")
                    return
                if not preview.out_dir.exists() or not any(preview.out_dir.iterdir()):
                    body = (
                        "<!doctype html><meta charset=utf-8><title>hubdir</title><p>"
                        + html.escape(t(preview.lang, "workflow.serve.waiting"))
                        + "</p>"
                        + RELOAD_SCRIPT
                    ).encode("utf-8")
                    self._send(body, "text/html; charset=utf-8", HTTPStatus.SERVICE_UNAVAILABLE)
                    return
                super().do_GET()

            def _send(self, body: bytes, ctype: str, code: HTTPStatus = HTTPStatus.OK) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def start(self, host: str, port: int, *, first_build: bool = True) -> str:
        """Bind, build once, then watch and serve in background threads; return the URL."""
        try:
            self.server = _QuietServer((host, port), self.handler())
        except OSError as exc:
            raise ServeError(
                "workflow.serve.bind_failed", host=host, port=port, detail=exc.strerror or str(exc)
            ) from None
        self.server.daemon_threads = True
        self.server.lang = self.lang  # type: ignore[attr-defined]
        self.out_dir.mkdir(parents=True, exist_ok=True)
        bound_host, bound_port = self.server.server_address[:2]
        host_text = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
        url = f"http://{host_text}:{bound_port}/"
        # Watching starts before the first build, so a save during that build is not missed.
        paths = watched_paths(self.config)
        if self._observe():
            self.status.watching = "events"
            self._watcher = threading.Thread(target=self._react, name="hubdir-watch", daemon=True)
        else:
            self.status.watching = "polling"
            self._watcher = threading.Thread(
                target=self._watch, args=(paths, stamp(paths)), name="hubdir-watch", daemon=True
            )
        if first_build:
            self.rebuild()
        self._server_thread = threading.Thread(target=self.server.serve_forever, name="hubdir-serve", daemon=True)
        self._server_thread.start()
        self._watcher.start()
        return url

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            with contextlib.suppress(Exception):
                self._observer.stop()
                self._observer.join(timeout=10)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for thread in (self._watcher, self._server_thread):
            if thread is not None:
                thread.join(timeout=10)
        self.memory.wait()  # the cache on disk complete for the next preview


def _watch_roots(config: Config) -> list[tuple[Path, bool]]:
    """Folders to subscribe to: content and schemas whole, the project root and datasets/ flat
    (``build/`` below the root changes with every rebuild and must not wake the watcher)."""
    roots = [(config.content_dir, True), (config.root, False)]
    if config.schemas_dir.is_dir() and not config.schemas_dir.resolve().is_relative_to(config.content_dir.resolve()):
        roots.append((config.schemas_dir, True))
    if (config.root / "datasets").is_dir():
        roots.append((config.root / "datasets", False))
    return roots


class _QuietServer(ThreadingHTTPServer):
    """A browser that goes away mid-answer (often during the first build) is normal, not a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # BrokenPipeError, ConnectionResetError…: the client left
        detail = printable(f"{type(error).__name__}: {error}")
        sys.stderr.write(t(getattr(self, "lang", "zh"), "hardening.serve_request_failed", detail=detail) + "\n")


class _Events(FileSystemEventHandler):
    """watchdog handler: passes on the paths a rebuild depends on (the same as ``watched_paths``)."""

    def __init__(self, config: Config, sink: Callable[[str], None]) -> None:
        super().__init__()
        self.sink = sink
        self.trees = [os.path.abspath(config.content_dir), os.path.abspath(config.schemas_dir)]
        self.files = {os.path.abspath(p) for p in watched_paths(config)[2:]}

    def wanted(self, path: str) -> bool:
        path = os.path.abspath(path)
        if path in self.files:
            return True
        for tree in self.trees:
            if path.startswith(tree + os.sep):
                parts = path[len(tree) + 1 :].split(os.sep)
                return not any(part.startswith(".") for part in parts)
        return False

    def dispatch(self, event: Any) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path and self.wanted(os.fsdecode(path)):
                self.sink(os.fsdecode(path))


def _today() -> Any:
    import datetime as dt

    return dt.date.today()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def preview_dir(config: Config) -> Path:
    return config.root / "build" / "preview"


def serve_forever(
    config: Config,
    host: str,
    port: int,
    lang: str,
    echo: Callable[[str], None] | None = None,
    *,
    datasets: bool = False,
) -> None:
    """Run the preview until Ctrl+C."""
    import click

    say = echo or (lambda text: click.echo(text, err=True))
    preview = Preview(config, preview_dir(config), lang, echo=say, datasets=datasets)
    say(t(lang, "workflow.serve.starting"))
    url = preview.start(host, port)
    say(t(lang, "workflow.serve.ready", url=url))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        from generator import interrupt

        interrupt.handled()
    finally:
        preview.stop()
    say(t(lang, "workflow.serve.stopped"))


__all__ = ["Preview", "ServeError", "serve_forever"]
