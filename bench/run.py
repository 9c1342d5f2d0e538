"""The scale benchmark (issue 7): validate, export, build, search and serve at 2k, 20k and 100k records.

Why: "fast and linear" is a claim; this prints the numbers that back it (or
not) on the machine at hand, next to a plain mkdocs-material build of the same
number of pages.  It is a measuring script, not a test: targets are printed as
PASS/FAIL and never asserted.

Each step runs as its own child process under ``/usr/bin/time -v`` (peak memory
is the largest resident set of any process in the step's tree, as the kernel
reports it for waited-for children), so one step's memory never hides another's.

    python -m bench.run                       # 2,000, 20,000 and 100,000 records
    python -m bench.run --sizes 2000,20000    # a subset
    python -m bench.run --quick               # N=50, proves the harness end to end (seconds)

Results: a table on stdout, ``bench/out/results-<date>.json`` (git-ignored)
and, unless ``--quick``, ``bench/RESULTS.md`` (committed, for the README).
A command that does not exist in this checkout is reported as n/a.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from bench import incremental as bench_incremental  # noqa: E402
from bench import mobile, search_bench, synth  # noqa: E402
from generator.site.search import INDEX_DIR  # noqa: E402

OUT = REPO / "bench" / "out"
TIME_BIN = "/usr/bin/time"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Typical queries: a common venue word, a service word inside running text, a rarer name, and the
#: ways residents ask (bench/search_bench.py: place + kind, a synonym, a hotline, a typo, English).
QUERIES = ("妇女之家", "婚姻家庭调解", "巾帼健身队", *search_bench.BROWSER_QUERIES)
#: Where the site's search lives (generator/site: header form → search/?q= → the search page's own box).
HEADER_INPUT = ".hubdir-search input"
SEARCH_INPUT = ".hubdir-search-page__input"
RESULT = ".hubdir-result"
INDEX_URL_PART = f"/{INDEX_DIR}/"
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1"}

MB = 1024 * 1024
TARGETS: list[tuple[str, str, str, float]] = [
    # (name, size label, metric key, limit); metric values in seconds / MB / KB / ratio
    ("validate 100k ≤ 20 s", "100000", "validate_s", 20),
    ("full build 2k ≤ 8 s", "2000", "build_s", 8),
    ("full build 20k ≤ 45 s", "20000", "build_s", 45),
    ("full build 100k ≤ 240 s", "100000", "build_s", 240),
    ("build peak memory 100k ≤ 3 GB", "100000", "build_rss_mb", 3072),
    ("growth build(100k)/build(20k) ≤ 5.5", "ratio", "build_growth", 5.5),
    ("growth, CPU time, build(100k)/build(20k) ≤ 5.5", "ratio", "build_cpu_growth", 5.5),
    ("per page vs mkdocs-material ≤ 0.6× (2k)", "2000", "per_page_ratio", 0.6),
    ("per page vs mkdocs-material ≤ 0.6× (20k)", "20000", "per_page_ratio", 0.6),
    ("per page vs mkdocs-material ≤ 0.6× (100k)", "100000", "per_page_ratio", 0.6),
    ("search 100k: bytes for a query ≤ 200 KB (worst query)", "100000", "search_kb", 200),
    ("search 100k: first results ≤ 400 ms (worst query)", "100000", "search_ms", 400),
    ("search relevance 2k: precision@3 ≥ 0.95 (misses ≤ 0.05)", "2000", "search_p3_miss", 0.05),
    ("serve rebuild after one edit, 2k ≤ 2 s", "2000", "serve_rebuild_s", 2),
    # issue 16: the datasets' share of the 1.5 GB output budget
    ("open data (site data/) 20k ≤ 60 MB", "20000", "data_mb", 60),
    ("open data (site data/) 100k ≤ 300 MB", "100000", "data_mb", 300),
    *bench_incremental.TARGETS,  # issue 16
    # issue 14's phone budgets (bench/mobile.py: slow 3G 400 kbps/400 ms, 4× CPU, gzip)
    *[
        target
        for size, label in (("2000", "2k"), ("100000", "100k"))
        for target in (
            (f"phone {label}: home first paint ≤ 2.5 s", size, "phone_home_paint_ms", mobile.BUDGET_FIRST_PAINT_MS),
            (f"phone {label}: record first paint ≤ 2.5 s", size, "phone_record_paint_ms", mobile.BUDGET_FIRST_PAINT_MS),
            (f"phone {label}: near-me result ≤ 4 s", size, "phone_near_ms", mobile.BUDGET_NEAR_MS),
            (f"phone {label}: largest page but the map ≤ 100 KB", size, "phone_page_kb", mobile.BUDGET_PAGE_KB),
            (f"phone {label}: requests to foreign hosts = 0", size, "phone_foreign", 0),
        )
    ],
]


# -- running a step --------------------------------------------------------------------------------


def run_step(cmd: list[str], cwd: Path | None = None, timeout: float | None = None) -> dict[str, Any]:
    """Run one step as a child process; wall time, peak RSS (MB), exit code and the tail of its output."""
    wrapped = [TIME_BIN, "-v", *cmd] if Path(TIME_BIN).exists() else cmd
    load = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        proc = subprocess.run(wrapped, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "seconds": None, "error": f"timeout after {timeout} s", "load_before": load}
    seconds = time.perf_counter() - start
    rss = None
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if match:
        rss = int(match.group(1)) / 1024
    cpu = None
    user = re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr)
    if user and system:
        cpu = round(float(user.group(1)) + float(system.group(1)), 2)
    err = re.sub(r"\n\tCommand being timed:.*", "", proc.stderr, flags=re.S).strip()
    return {
        "ok": proc.returncode == 0,
        "exit": proc.returncode,
        "seconds": round(seconds, 3),
        "rss_mb": round(rss, 1) if rss is not None else None,
        "cpu_s": cpu,
        "load_before": round(load, 2),
        "stdout_tail": proc.stdout.strip()[-400:],
        "stderr_tail": err[-800:],
    }


@functools.cache
def hubdir_commands() -> frozenset[str]:
    """The subcommands this checkout's ``hubdir`` has (a missing one is reported as n/a)."""
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "--help"], capture_output=True, text=True, env=ENV, cwd=REPO
    )
    found = re.findall(r"^  ([a-z][a-z-]*)\s", proc.stdout.split("Commands:", 1)[-1], flags=re.M)
    return frozenset(found)


def hubdir(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def tree_size(path: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``path``."""
    total = count = 0
    for folder, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, name)).st_size
                count += 1
    return total, count


def largest_page(site: Path) -> tuple[str, int]:
    best, size = "", 0
    for folder, _, files in os.walk(site):
        for name in files:
            if name.endswith(".html"):
                s = os.lstat(os.path.join(folder, name)).st_size
                if s > size:
                    best, size = os.path.relpath(os.path.join(folder, name), site), s
    return best, size


def count_pages(site: Path) -> int:
    return sum(1 for _, _, files in os.walk(site) for name in files if name.endswith(".html"))


# -- the search in a real browser ------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def serve_dir(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def browser_search(site: Path, queries: tuple[str, ...] = QUERIES, timeout_ms: int = 30_000) -> dict[str, Any]:
    """Time each query twice in a cold browser context (nothing cached) and count the bytes fetched.

    ``query``: the search page is open (its HTML, CSS and scripts loaded); type the query into its box and
    wait for the first result.  Bytes are everything fetched from the first keystroke on: the index's
    meta file, the key shards of the query and the document shards of the results shown.  This is what the
    targets read.
    ``from_home``: the user's whole path: type into the header box of the home page, press Enter, wait for
    the first result (includes loading the search page).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed"}
    if not Path(CHROMIUM).exists():
        return {"error": f"{CHROMIUM} not found"}
    results: dict[str, Any] = {}
    with serve_dir(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for query in queries:
                results[query] = {
                    "query": _one_search(browser, base + "search/", SEARCH_INPUT, query, timeout_ms, enter=False),
                    "from_home": _one_search(browser, base, HEADER_INPUT, query, timeout_ms, enter=True),
                }
        finally:
            browser.close()
    return results


def _one_search(
    browser: Any, url: str, box_selector: str, query: str, timeout_ms: int, *, enter: bool
) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    fetched: list[tuple[str, int]] = []
    counting = [False]

    def on_finished(request: Any) -> None:
        if not counting[0]:
            return
        try:
            size = request.sizes()["responseBodySize"]
        except Exception:
            size = 0
        fetched.append((request.url, max(0, int(size))))

    page.on("requestfinished", on_finished)
    entry: dict[str, Any] = {}
    try:
        page.goto(url, wait_until="networkidle")
        box = page.locator(box_selector).first
        box.wait_for(timeout=timeout_ms)
        counting[0] = True
        start = time.perf_counter()
        if enter:
            box.fill(query)
            box.press("Enter")
        else:
            box.fill(query)
        page.wait_for_selector(RESULT, timeout=timeout_ms)
        entry["first_result_ms"] = round((time.perf_counter() - start) * 1000, 1)
        page.wait_for_load_state("networkidle")
        entry["results_shown"] = page.locator(RESULT).count()
    except Exception as exc:  # a missing box or no result is a finding, not a crash
        entry["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    counting[0] = False
    entry["bytes"] = sum(s for _, s in fetched)
    entry["index_bytes"] = sum(s for u, s in fetched if INDEX_URL_PART in u)
    entry["requests"] = len(fetched)
    context.close()
    return entry


# -- hubdir serve ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the mkdocs-material baseline ------------------------------------------------------------------

#: Folders to delete when the run ends.  Deleting tens of thousands of files just before a timed step
#: slows it down: ext4 skips recently freed inodes when it allocates new ones (measured here: a 2k
#: build took 10 s right after an `rm -rf` of a site, 5-7 s otherwise).
DISCARDED: list[Path] = []


def discard(folder: Path) -> None:
    DISCARDED.append(folder)


def set_aside(folder: Path) -> None:
    """Rename a leftover ``folder`` (an earlier run's project or peer site) out of the way, to delete at the end.

    Deleting it here would slow the timed steps that follow (see ``DISCARDED``); a rename is one
    directory entry.
    """
    if folder.exists():
        aside = folder.with_name(f".discarded-{folder.name}-{time.time_ns()}")
        folder.rename(aside)
        discard(aside)


def baseline(n: int, work: Path) -> dict[str, Any]:
    """A plain mkdocs-material build of N minimal pages (not in the nav) plus a two-page nav."""
    folder = work / f"baseline-{n}"
    set_aside(folder)
    docs = folder / "docs"
    (docs / "p").mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(
        "site_name: 基准\ntheme:\n  name: material\n  language: zh\n  font: false\n"
        "nav:\n  - 首页: index.md\n  - 关于: about.md\n",
        encoding="utf-8",
    )
    (docs / "index.md").write_text("# 首页\n\n基准测试首页。\n", encoding="utf-8")
    (docs / "about.md").write_text("# 关于\n\n基准测试说明。\n", encoding="utf-8")
    for i in range(n):
        (docs / "p" / f"{i}.md").write_text(
            f"# 示例页面 {i}\n\n这是第 {i} 个基准测试页面，提供维权服务与婚姻家庭调解。\n", encoding="utf-8"
        )
    step = run_step([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(folder / "mkdocs.yml")], cwd=folder)
    step["pages"] = n + 2
    if step["ok"]:
        step["output_bytes"], _ = tree_size(folder / "site")
    discard(folder)
    return step


# -- one size --------------------------------------------------------------------------------------


def bench_size(n: int, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    project = work / f"synth-{n}"
    res: dict[str, Any] = {"records": n}
    log(f"[{n}] generating synthetic project")
    start = time.perf_counter()
    if not (args.reuse and (project / "site_config.yml").exists()):
        set_aside(project)  # an earlier run's project and site: hundreds of thousands of files at 100k
        synth.write_project(n, project)
    res["generate_s"] = round(time.perf_counter() - start, 2)
    # The project's files are still being written back to the disk: without this, the writeback of
    # 100,000 new files ran during the validate step and took a third more (22.6 s against 15.3 s
    # alone, 2026-12-03).  Every step after it now starts from the same quiet disk.
    os.sync()

    log(f"[{n}] validate")
    res["validate"] = run_step(hubdir("--root", str(project), "validate"))

    log(f"[{n}] export")
    export_dir = project / "build" / "bench-export"
    if "export" in hubdir_commands():
        res["export"] = run_step(hubdir("--root", str(project), "export", "--out", str(export_dir)))
        if not res["export"]["ok"] and "no such option" in res["export"].get("stderr_tail", "").lower():
            res["export"] = run_step(hubdir("--root", str(project), "export"))
    else:
        # No CLI command yet: the same library call ``hubdir build`` makes, after the same validation.
        code = (
            "import sys; from pathlib import Path; from generator.config import load_config; "
            "from generator.validate import load; from generator.export import write_datasets; "
            "c = load_config(Path(sys.argv[1])); l = load(c); "
            "sys.exit(1) if l.report.errors else write_datasets(l, Path(sys.argv[2]))"
        )
        try:
            import generator.export  # noqa: F401

            res["export"] = run_step([sys.executable, "-c", code, str(project), str(export_dir)])
            res["export"]["via"] = "generator.export.write_datasets (no `hubdir export` command)"
        except ImportError:
            res["export"] = {"status": "n/a"}
    if export_dir.exists():
        res["export"]["output_bytes"], res["export"]["files"] = tree_size(export_dir)
        discard(export_dir)

    log(f"[{n}] build")
    site = project / "build" / "site"
    if "build" in hubdir_commands():
        timings = work / f"timings-{n}.json"
        timings.unlink(missing_ok=True)
        res["build"] = run_step(
            [
                sys.executable,
                "-m",
                "bench.timed_cli",
                str(timings),
                "--",
                "--root",
                str(project),
                "build",
                "-q",
            ],
            cwd=REPO,
        )
        if timings.exists():
            res["build"]["split"] = json.loads(timings.read_text(encoding="utf-8"))
        if res["build"]["ok"] and site.is_dir():
            res["site"] = site_facts(site)
    else:
        res["build"] = {"status": "n/a"}

    if not args.no_browser and res.get("site"):
        log(f"[{n}] search in headless Chromium")
        res["search"] = browser_search(site)
        log(f"[{n}] phone budgets in headless Chromium (slow 3G, 4x CPU)")
        res["mobile"] = mobile.measure(site)
    if res.get("site") and n <= search_bench.RELEVANCE_MAX:
        log(f"[{n}] search relevance set")
        res["relevance"] = search_bench.relevance(project, site)

    earlier = args.baseline_from.get(str(n))
    if earlier:
        res["baseline"] = {**earlier, "reused_from": str(args.baseline_json)}
    elif not args.no_baseline and n <= args.baseline_max:
        log(f"[{n}] mkdocs-material baseline")
        res["baseline"] = baseline(n, work)

    log(f"[{n}] incremental build, light pages, serve events, peers (bench/incremental.py)")
    res["incremental"] = bench_incremental.measure(
        project,
        n,
        work,
        run_step=run_step,
        set_aside=set_aside,
        port=free_port() if n in args.serve_sizes else None,
        peers=not args.no_baseline and n <= args.baseline_max,
    )
    if not args.keep:
        discard(project)
    return res


def site_facts(site: Path) -> dict[str, Any]:
    total, files = tree_size(site)
    page, page_bytes = largest_page(site)
    index = site / INDEX_DIR
    index_bytes, index_files = tree_size(index) if index.is_dir() else (0, 0)
    data = site / "data"  # the open datasets (issue 16: ≤ 300 MB and few files at 100k)
    data_bytes, data_files = tree_size(data) if data.is_dir() else (0, 0)
    return {
        "data_bytes": data_bytes,
        "data_files": data_files,
        "output_bytes": total,
        "files": files,
        "pages": count_pages(site),
        "largest_page": page,
        "largest_page_bytes": page_bytes,
        "search_index_bytes": index_bytes,
        "search_index_files": index_files,
    }


# -- summary ---------------------------------------------------------------------------------------


def metrics(res: dict[str, Any]) -> dict[str, Any]:
    """The flat numbers the table and the targets read (None when not measured)."""

    def sec(step: str) -> float | None:
        s = res.get(step) or {}
        return s.get("seconds") if s.get("ok") else None

    def cpu(step: str) -> float | None:
        s = res.get(step) or {}
        return s.get("cpu_s") if s.get("ok") else None

    def rss(step: str) -> float | None:
        s = res.get(step) or {}
        return s.get("rss_mb") if s.get("ok") else None

    m: dict[str, Any] = {
        "validate_s": sec("validate"),
        "validate_rss_mb": rss("validate"),
        "export_s": sec("export"),
        "export_rss_mb": rss("export"),
        "build_s": sec("build"),
        "build_rss_mb": rss("build"),
        "baseline_s": sec("baseline"),
        "validate_cpu_s": cpu("validate"),
        "export_cpu_s": cpu("export"),
        "build_cpu_s": cpu("build"),
        "baseline_cpu_s": cpu("baseline"),
    }
    site = res.get("site") or {}
    m["pages"] = site.get("pages")
    m["output_mb"] = round(site["output_bytes"] / MB, 1) if site else None
    m["largest_page_kb"] = round(site["largest_page_bytes"] / 1024, 1) if site else None
    m["largest_page"] = site.get("largest_page")
    m["index_mb"] = round(site["search_index_bytes"] / MB, 1) if site else None
    m["data_mb"] = round(site["data_bytes"] / MB, 1) if site.get("data_bytes") is not None else None
    m["data_files"] = site.get("data_files")
    search = res.get("search") or {}
    for way, prefix in (("query", "search"), ("from_home", "home_search")):
        ok = [v[way] for v in search.values() if isinstance(v, dict) and "first_result_ms" in v.get(way, {})]
        m[f"{prefix}_kb"] = round(max(v["bytes"] for v in ok) / 1024, 1) if ok else None
        m[f"{prefix}_ms"] = max(v["first_result_ms"] for v in ok) if ok else None
    relevance = res.get("relevance") or {}
    m["search_p1"] = relevance.get("p1")
    m["search_p3"] = relevance.get("p3")
    m["search_p3_miss"] = round(1 - relevance["p3"], 3) if "p3" in relevance else None
    serve = (res.get("incremental") or {}).get("serve") or {}  # bench/incremental.py's one serve
    m["serve_rebuild_s"] = serve.get("rebuild_s")
    m.update(mobile.metrics(res.get("mobile")))
    base = res.get("baseline") or {}
    if m["build_s"] and m["pages"] and m["baseline_s"] and base.get("pages"):
        m["per_page_ratio"] = round((m["build_s"] / m["pages"]) / (m["baseline_s"] / base["pages"]), 3)
    else:
        m["per_page_ratio"] = None
    if m["build_cpu_s"] and m["pages"] and m["baseline_cpu_s"] and base.get("pages"):
        ratio = (m["build_cpu_s"] / m["pages"]) / (m["baseline_cpu_s"] / base["pages"])
        m["per_page_ratio_cpu"] = round(ratio, 3)
    else:
        m["per_page_ratio_cpu"] = None
    m["load_before_build"] = (res.get("build") or {}).get("load_before")
    m.update(bench_incremental.metrics(res, m))
    return m


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if value >= 10 else f"{value:.2f}{unit}"
    return f"{value:,}{unit}" if isinstance(value, int) else f"{value}{unit}"


ROWS = [
    ("validate (s)", "validate_s", ""),
    ("validate CPU user+sys (s)", "validate_cpu_s", ""),
    ("validate peak RSS (MB)", "validate_rss_mb", ""),
    ("export (s)", "export_s", ""),
    ("export CPU user+sys (s)", "export_cpu_s", ""),
    ("export peak RSS (MB)", "export_rss_mb", ""),
    ("full build (s)", "build_s", ""),
    ("full build CPU user+sys (s)", "build_cpu_s", ""),
    ("build peak RSS (MB)", "build_rss_mb", ""),
    ("load average before the build", "load_before_build", ""),
    ("pages (HTML files)", "pages", ""),
    ("output size (MB)", "output_mb", ""),
    ("largest page (KB)", "largest_page_kb", ""),
    ("search index (MB)", "index_mb", ""),
    ("open data, site data/ (MB)", "data_mb", ""),
    ("open data, site data/ (files)", "data_files", ""),
    ("search: bytes fetched by a query (KB)", "search_kb", ""),
    ("search: first result (ms)", "search_ms", ""),
    ("search relevance set: precision@1", "search_p1", ""),
    ("search relevance set: precision@3", "search_p3", ""),
    ("home → Enter → results: bytes (KB)", "home_search_kb", ""),
    ("home → Enter → results: time (ms)", "home_search_ms", ""),
    ("mkdocs-material baseline (s)", "baseline_s", ""),
    ("baseline CPU user+sys (s)", "baseline_cpu_s", ""),
    ("per-page ratio vs baseline", "per_page_ratio", ""),
    ("per-page ratio vs baseline, CPU time", "per_page_ratio_cpu", ""),
    ("serve rebuild after one edit (s)", "serve_rebuild_s", ""),
    ("phone: home first paint (ms)", "phone_home_paint_ms", ""),
    ("phone: record first paint (ms)", "phone_record_paint_ms", ""),
    ("phone: near-me result (ms)", "phone_near_ms", ""),
    ("phone: largest page but the map (KB transferred)", "phone_page_kb", ""),
    ("phone: map page (KB transferred)", "phone_map_kb", ""),
    ("phone: requests to foreign hosts", "phone_foreign", ""),
    *bench_incremental.ROWS,
]


def table(per_size: dict[str, dict[str, Any]]) -> str:
    sizes = list(per_size)
    head = "| measure | " + " | ".join(f"N = {int(s):,}" for s in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    for label, key, unit in ROWS:
        lines.append(f"| {label} | " + " | ".join(fmt(per_size[s].get(key), unit) for s in sizes) + " |")
    return "\n".join(lines)


def growth(per_size: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in ("validate_s", "export_s", "build_s", "validate_cpu_s", "export_cpu_s", "build_cpu_s"):
        a = per_size.get("20000", {}).get(key)
        b = per_size.get("100000", {}).get(key)
        out[key.removesuffix("_s") + "_growth"] = round(b / a, 2) if a and b else None
    return out


def check_targets(per_size: dict[str, dict[str, Any]], ratios: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for name, size, key, limit in TARGETS:
        value = ratios.get(key) if size == "ratio" else per_size.get(size, {}).get(key)
        verdict = "n/a" if value is None else ("PASS" if value <= limit else "FAIL")
        checks.append({"target": name, "value": value, "limit": limit, "verdict": verdict})
    return checks


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip() if shutil.which("free") else ""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "free_h": free,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit + ("+uncommitted" if dirty else ""),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "inodes_cached_at_start": _inodes_cached(),
    }


def _inodes_cached() -> int | None:
    """The kernel's in-memory inode count: millions left by earlier runs make every file creation slower."""
    try:
        return int(Path("/proc/sys/fs/inode-state").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        "# hubdir scale benchmark",
        "",
        f"Run {doc['date']} with `python -m bench.run --sizes {','.join(doc['per_size'])}` "
        f"(commit {m['commit']}). Synthetic, clearly fictional registries from `bench/synth.py` "
        "over the real 217 divisions; N counts non-division records.",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, {m['platform']}; "
        f"load average at start {m['load_avg_at_start']}"
        + (f"; {m['inodes_cached_at_start']:,} inodes cached by the kernel" if m.get("inodes_cached_at_start") else "")
        + ".",
        "",
        *(
            [
                "**The machine was busy** (load average above the number of cores: other builds and tests",
                "were running), so wall times are inflated and uneven between sizes; the CPU times",
                "(user+sys of the step's whole process tree) are the steadier numbers to compare.",
                "",
            ]
            if m["load_avg_at_start"][0] > (m["nproc"] or 1)
            else []
        ),
        "```",
        m["free_h"],
        "```",
        "",
        table(doc["per_size"]),
        "",
        "Growth, time(100k) / time(20k): " + ", ".join(f"{k} {fmt(v)}" for k, v in doc["ratios"].items()),
        "",
        "| target | value | verdict |",
        "|---|---:|---|",
    ]
    for c in doc["targets"]:
        lines.append(f"| {c['target']} | {fmt(c['value'])} | {c['verdict']} |")
    reused = [n for n, raw in doc.get("raw", {}).items() if (raw.get("baseline") or {}).get("reused_from")]
    if reused:
        sizes = ", ".join(reused)
        lines += [
            "",
            f"The baseline at N = {sizes} comes from an earlier run on the same machine",
            "(`--baseline-json`; it does not depend on hubdir).",
        ]
    lines += [
        "",
        "Notes: each step is a separate child process timed wall-clock; peak memory is",
        "`/usr/bin/time -v`'s maximum resident set size (the largest single process of the step,",
        "workers included). Search runs in headless Chromium, cold (new context per query), worst of",
        f'the queries {", ".join(QUERIES)}: "query" opens the search page, types into its box',
        "and waits for the first result; bytes are every response body from the first keystroke on",
        '(the index\'s meta file, key shards and document shards). "home → Enter" is the whole path from the home',
        "page's header box, including loading the search page. The baseline is `mkdocs build` of N",
        "minimal Markdown pages outside a two-page nav (Material, `font: false`, its built-in search",
        "on); per-page ratio = (build s / site pages) / (baseline s / baseline pages).",
    ]
    if doc.get("geo"):
        from bench import geo

        lines += ["", *geo.markdown(doc["geo"])]
    if doc.get("init"):
        from bench import init_geo

        lines += ["", "## `hubdir init` + validate + build, divisions only (bench/init_geo.py)", "",
                  init_geo.table(doc["init"])]
    return "\n".join(lines) + "\n"


def log(message: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hubdir scale benchmark (prints numbers; asserts nothing).")
    parser.add_argument("--sizes", default="2000,20000,100000", help="comma-separated record counts")
    parser.add_argument("--quick", action="store_true", help="N=50 only, to prove the harness works")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp folder)")
    parser.add_argument("--json", type=Path, default=None, help="results file (default bench/out/results-<date>.json)")
    parser.add_argument(
        "--markdown",
        type=Path,
        default=None,
        help="Markdown summary (default bench/RESULTS.md; none with --quick)",
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium search measurement")
    parser.add_argument("--no-baseline", action="store_true", help="skip the mkdocs-material baseline")
    parser.add_argument("--baseline-max", type=int, default=10**9, help="run the baseline only up to this N")
    parser.add_argument(
        "--baseline-json",
        type=Path,
        default=None,
        help="reuse the baselines of an earlier results JSON (they do not depend on hubdir)",
    )
    parser.add_argument("--serve-sizes", default="2000", help="sizes at which to time `hubdir serve` (comma list)")
    parser.add_argument("--reuse", action="store_true", help="reuse generated projects in --work")
    parser.add_argument("--keep", action="store_true", help="keep generated projects and sites")
    parser.add_argument("--init-codes", default="", help="also time init+validate+build of these divisions (44,…)")
    parser.add_argument(
        "--geo", default="", help="also: NBS places (e.g. 440606,4406,44) at --geo-records (bench/geo.py)"
    )
    parser.add_argument("--geo-records", type=int, default=20000, help="records per place for --geo")
    args = parser.parse_args(argv)
    sizes = [50] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    args.serve_sizes = {50} if args.quick else {int(s) for s in args.serve_sizes.split(",") if s.strip()}
    if args.quick:
        args.keep = False
    args.baseline_from = {}
    if args.baseline_json:
        earlier = json.loads(args.baseline_json.read_text(encoding="utf-8"))
        for size, raw in earlier["raw"].items():
            if (raw.get("baseline") or {}).get("ok"):
                args.baseline_from[size] = raw["baseline"]
    stamp = dt.datetime.now(dt.UTC)
    json_path = args.json or OUT / f"results-{stamp:%Y-%m-%d}{'-quick' if args.quick else ''}.json"
    md_path = args.markdown or (None if args.quick else REPO / "bench" / "RESULTS.md")
    work = args.work or Path(tempfile.mkdtemp(prefix="hubdir-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "date": f"{stamp:%Y-%m-%d %H:%M} UTC",
        "machine": machine(),
        "raw": {},
        "per_size": {},
    }
    log(f"work folder {work}; commands: {', '.join(sorted(hubdir_commands()))}")
    try:
        for n in sizes:
            raw = bench_size(n, work, args)
            doc["raw"][str(n)] = raw
            doc["per_size"][str(n)] = metrics(raw)
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")  # partial results
        if args.init_codes:  # bench/init_geo.py: real geographies with their divisions only
            from bench import init_geo

            doc["init"] = init_geo.bench([c for c in args.init_codes.split(",") if c], work)
            print(init_geo.table(doc["init"]))
    finally:
        for folder in DISCARDED:
            shutil.rmtree(folder, ignore_errors=True)
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.geo:  # the same records on a district, a city and a province (issue 12)
        from bench import geo

        geo_work = work / "geo"
        geo_work.mkdir(parents=True, exist_ok=True)
        doc["geo"] = geo.run([p for p in args.geo.split(",") if p], args.geo_records, geo_work)
        shutil.rmtree(geo_work, ignore_errors=True)
        print(geo.table(doc["geo"]))
    doc["ratios"] = growth(doc["per_size"])
    doc["targets"] = check_targets(doc["per_size"], doc["ratios"])
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    print(table(doc["per_size"]))
    print()
    print("growth time(100k)/time(20k): " + ", ".join(f"{k} {fmt(v)}" for k, v in doc["ratios"].items()))
    for c in doc["targets"]:
        print(f"{c['verdict']:>4}  {c['target']}  (measured {fmt(c['value'])})")
    for n, raw in doc["raw"].items():
        for step in ("validate", "export", "build"):
            s = raw.get(step) or {}
            if s.get("ok") is False:
                print(f"[{n}] {step} failed (exit {s.get('exit')}): {s.get('stderr_tail', '')[-300:]}")
    print(f"\nJSON: {json_path}")
    if md_path:
        md_path.write_text(markdown(doc), encoding="utf-8")
        print(f"Markdown: {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
