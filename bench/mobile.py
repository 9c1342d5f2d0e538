"""The phone budgets of issue 14, measured in headless Chromium as a resident on a slow network sees them.

Conditions: the site served gzip-compressed (as any static host does), a fresh browser context per
page (nothing cached), CDP ``Network.emulateNetworkConditions`` at 400 kbps down/up with 400 ms
latency ("slow 3G") and ``Emulation.setCPUThrottlingRate`` 4× at a 390×844 viewport.

Measured per page type (the biggest page of each type, so the largest page but the map is found at
any size: the big town, the longest listing, the record with most relations): first paint
(``first-contentful-paint``, else ``first-paint``) and the bytes transferred until the network is
idle (CDP ``encodedDataLength``: compressed bodies plus headers); the near-me result from tapping
使用我的位置 to the list (geolocation granted, at a located record); and every request to another
host (map tiles are aborted and not counted; nothing else may go out).

Budgets: first paint of the home and a record page ≤ 2.5 s; near-me result ≤ 4 s; no page over
100 KB transferred except the map page; no foreign host.  ``python -m bench.mobile SITE`` measures
a built site on its own; ``bench/run.py`` calls ``measure`` after each build.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 390, "height": 844}
#: 400 kbps and 400 ms, in CDP's units (bytes per second, milliseconds).
NETWORK = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
CPU_SLOWDOWN = 4
TILE_HOSTS = (".is.autonavi.com", ".tianditu.gov.cn")
BUDGET_FIRST_PAINT_MS = 2500
BUDGET_NEAR_MS = 4000
BUDGET_PAGE_KB = 100
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".csv", ".geojson")


class _Gzip(SimpleHTTPRequestHandler):
    """A static server that gzips text, as GitHub Pages or nginx ``gzip on`` do (level 6)."""

    cache: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()
            path = path / "index.html"
        if (
            path.suffix not in COMPRESSIBLE
            or not path.is_file()
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        key = str(path)
        body = self.cache.get(key)
        if body is None:
            body = self.cache[key] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)


@contextmanager
def serve_compressed(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Gzip, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _largest(pages: Iterator[Path], site: Path) -> str | None:
    """The biggest ``index.html`` among ``pages`` (ties: the first path), as a site path ``a/b/``."""
    best: tuple[int, str] | None = None
    for page in pages:
        try:
            size = page.stat().st_size
        except OSError:
            continue
        rel = page.parent.relative_to(site).as_posix() + "/"
        if best is None or size > best[0] or (size == best[0] and rel < best[1]):
            best = (size, rel)
    return best[1] if best else None


def page_types(site: Path) -> dict[str, str]:
    """One page of each type that exists in this site (paths relative to the site root): the biggest
    of each type, so "the largest page but the map" is found at any size (the big town's page, the
    longest listing, the record with the most relations), not the first one in name order."""

    def biggest(folder: str, digits: int | None = None) -> str | None:
        root = site / folder
        if not root.is_dir():
            return None
        pages = (
            child / "index.html"
            for child in root.iterdir()
            if (digits is None or (len(child.name) == digits and child.name.isdigit())) and child.is_dir()
        )
        return _largest(pages, site)

    def single(path: str) -> str | None:
        return path if (site / path / "index.html").is_file() else None

    record = biggest("org")
    pages = {
        "home": "",
        "record": record,
        "district": biggest("area", 6),
        "town": biggest("area", 9),
        "village": biggest("area", 12),
        "listing": biggest("kinds"),
        "listing chunk": biggest("list"),
        "coverage": single("coverage/"),
        "map": "map/",
        "search": "search/?q=%E5%A6%87%E5%A5%B3" if single("search/") else None,  # 妇女
        "data": single("data/"),
        "dictionary": biggest("fields"),
        "contribute": single("contribute/"),
        "en home": single("en/"),
        "en record": ("en/" + record) if record and (site / "en" / record).is_dir() else None,
        "en town": ("en/" + t) if (t := biggest("area", 9)) and (site / "en" / t).is_dir() else None,
        "en data": single("en/data/"),
        "404": "404.html" if (site / "404.html").is_file() else None,
    }
    return {name: path for name, path in pages.items() if path is not None}


def _throttled(browser: Any, **options: Any) -> tuple[Any, Any, dict[str, Any]]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", **options)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    seen: dict[str, Any] = {"bytes": 0, "urls": {}, "foreign": []}

    def on_request(event: dict[str, Any]) -> None:
        seen["urls"][event["requestId"]] = event["request"]["url"]

    def on_finished(event: dict[str, Any]) -> None:
        seen["bytes"] += int(event.get("encodedDataLength") or 0)

    cdp.on("Network.requestWillBeSent", on_request)
    cdp.on("Network.loadingFinished", on_finished)
    return context, page, seen


def _route(page: Any, base: str, seen: dict[str, Any]) -> None:
    own = urlsplit(base).netloc

    def handle(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc != own:
            if not (parts.hostname or "").endswith(TILE_HOSTS):
                seen["foreign"].append(url)
            route.abort()
            return
        route.continue_()

    page.route("**/*", handle)


def _paint(page: Any) -> float | None:
    return page.evaluate(
        """() => { const e = performance.getEntriesByType('paint');
                   const f = e.find(x => x.name === 'first-contentful-paint') || e.find(x => x.name === 'first-paint');
                   return f ? f.startTime : null; }"""
    )


def _one_page(browser: Any, base: str, path: str, timeout_ms: int) -> dict[str, Any]:
    context, page, seen = _throttled(browser)
    _route(page, base, seen)
    entry: dict[str, Any] = {"path": path}
    try:
        page.goto(base + path, wait_until="load", timeout=timeout_ms)
        try:
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
        except Exception:
            entry["networkidle"] = False
        paint = _paint(page)
        entry["first_paint_ms"] = round(paint, 1) if paint is not None else None
    except Exception as exc:
        entry["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    entry["transferred_kb"] = round(seen["bytes"] / 1024, 1)
    entry["foreign"] = seen["foreign"]
    context.close()
    return entry


def _near_point(site: Path) -> tuple[float, float] | None:
    """A located record's position (the first place of the first leaf): a resident standing there."""
    index = site / "near" / "index.json"
    if not index.is_file():
        return None
    leaves = json.loads(index.read_text("utf-8"))["leaves"]
    if not leaves:
        return None
    name = "-".join(str(part) for part in leaves[len(leaves) // 2][:4])
    places = json.loads((site / "near" / "l" / f"{name}.json").read_text("utf-8"))
    return (places[0][4], places[0][5]) if places else None


def _near_me(browser: Any, base: str, point: tuple[float, float], timeout_ms: int) -> dict[str, Any]:
    context, page, seen = _throttled(
        browser, geolocation={"latitude": point[0], "longitude": point[1]}, permissions=["geolocation"]
    )
    _route(page, base, seen)
    entry: dict[str, Any] = {"at": list(point)}
    try:
        start_page = time.perf_counter()
        page.goto(base, wait_until="load", timeout=timeout_ms)
        button = page.locator("[data-near-locate]")
        button.wait_for(state="visible", timeout=timeout_ms)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        before, requests_before = seen["bytes"], len(seen["urls"])
        start = time.perf_counter()
        button.click()
        page.wait_for_selector("[data-hubdir-nearby][data-state=done]", timeout=timeout_ms)
        entry["result_ms"] = round((time.perf_counter() - start) * 1000, 1)
        entry["from_navigation_ms"] = round((time.perf_counter() - start_page) * 1000, 1)  # incl. idle wait
        entry["places_shown"] = page.locator("[data-near-results] li").count()
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
        entry["near_kb"] = round((seen["bytes"] - before) / 1024, 1)
        entry["near_requests"] = len(seen["urls"]) - requests_before
    except Exception as exc:
        entry["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    entry["foreign"] = seen["foreign"]
    context.close()
    return entry


def measure(site: Path, timeout_ms: int = 60_000) -> dict[str, Any]:
    """Every page type once, then near me; the budgets' verdicts in ``budgets``."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed"}
    if not Path(CHROMIUM).exists():
        return {"error": f"{CHROMIUM} not found"}
    out: dict[str, Any] = {"pages": {}, "conditions": {"network": NETWORK, "cpu_slowdown": CPU_SLOWDOWN}}
    # a 4x CPU slow-down of a busy machine is slower still: times are only comparable at a low load
    out["load_before"] = round(os.getloadavg()[0], 2)
    with serve_compressed(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name, path in page_types(site).items():
                out["pages"][name] = _one_page(browser, base, path, timeout_ms)
            point = _near_point(site)
            out["near"] = _near_me(browser, base, point, timeout_ms) if point else {"error": "no located record"}
        finally:
            browser.close()
    out["budgets"] = budgets(out)
    return out


def budgets(out: dict[str, Any]) -> dict[str, Any]:
    pages = out.get("pages", {})

    def paint(name: str) -> float | None:
        return (pages.get(name) or {}).get("first_paint_ms")

    heavy = {
        name: e["transferred_kb"]
        for name, e in pages.items()
        if name != "map" and e.get("transferred_kb", 0) > BUDGET_PAGE_KB
    }
    foreign = sorted({u for e in [*pages.values(), out.get("near") or {}] for u in e.get("foreign", [])})
    near = (out.get("near") or {}).get("result_ms")
    checks = {
        "home first paint ≤ 2.5 s": (paint("home"), BUDGET_FIRST_PAINT_MS),
        "record first paint ≤ 2.5 s": (paint("record"), BUDGET_FIRST_PAINT_MS),
        "near-me result ≤ 4 s": (near, BUDGET_NEAR_MS),
        "largest page except map ≤ 100 KB": (
            max((e.get("transferred_kb", 0) for n, e in pages.items() if n != "map"), default=None),
            BUDGET_PAGE_KB,
        ),
        "requests to foreign hosts = 0": (len(foreign), 0),
    }
    verdicts = {
        name: {
            "value": value,
            "limit": limit,
            "verdict": "n/a" if value is None else ("PASS" if value <= limit else "FAIL"),
        }
        for name, (value, limit) in checks.items()
    }
    return {"checks": verdicts, "over_budget_pages": heavy, "foreign": foreign}


def metrics(out: dict[str, Any] | None) -> dict[str, Any]:
    """The flat numbers ``bench/run.py`` puts in its table and checks against its targets."""
    keys = (
        "phone_home_paint_ms",
        "phone_record_paint_ms",
        "phone_near_ms",
        "phone_page_kb",
        "phone_map_kb",
        "phone_foreign",
    )
    if not out or "pages" not in out:
        return dict.fromkeys(keys)
    pages = out["pages"]
    checks = out.get("budgets", {}).get("checks", {})
    return {
        "phone_home_paint_ms": (pages.get("home") or {}).get("first_paint_ms"),
        "phone_record_paint_ms": (pages.get("record") or {}).get("first_paint_ms"),
        "phone_near_ms": (out.get("near") or {}).get("result_ms"),
        "phone_page_kb": checks.get("largest page except map ≤ 100 KB", {}).get("value"),
        "phone_map_kb": (pages.get("map") or {}).get("transferred_kb"),
        "phone_foreign": checks.get("requests to foreign hosts = 0", {}).get("value"),
    }


def table(out: dict[str, Any]) -> str:
    lines = ["| page | first paint (ms) | transferred (KB) |", "|---|---:|---:|"]
    for name, e in out.get("pages", {}).items():
        lines.append(
            f"| {name} (`/{e['path']}`) | {e.get('first_paint_ms', 'n/a')} | {e.get('transferred_kb', 'n/a')} |"
        )
    near = out.get("near") or {}
    result = near.get("result_ms", near.get("error", "n/a"))
    lines.append(f"| near me: tap → list (ms) | {result} | {near.get('near_kb', 'n/a')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print("usage: python -m bench.mobile SITE_DIR [RESULTS.json]", file=sys.stderr)
        return 2
    out = measure(Path(args[0]))
    print(table(out))
    print(f"load average before: {out.get('load_before')}")
    for name, check in (out.get("budgets") or {}).get("checks", {}).items():
        print(f"{check['verdict']:>4}  {name}  (measured {check['value']})")
    if len(args) > 1:
        Path(args[1]).write_text(json.dumps(out, ensure_ascii=False, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
