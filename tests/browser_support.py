"""What every browser test shares: the system Chromium, its flags, and a local static server.

Browser tests skip when Chromium is absent on a developer's machine, but fail when
``HUBDIR_REQUIRE_BROWSER`` is set (CI sets it), so CI can never go green without them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("HUBDIR_CHROMIUM", "/usr/bin/chromium")
#: Without the background-networking flags Chromium keeps calling Google's hosts, which are unreachable here.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRED = bool(os.environ.get("HUBDIR_REQUIRE_BROWSER"))


def executable() -> str | None:
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


def have_browser() -> bool:
    if executable() is None:
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def check_browser() -> bool:
    """True when the browser is usable; raise when it is required but missing."""
    if have_browser():
        return True
    if REQUIRED:
        raise RuntimeError(f"Chromium/Playwright missing ({CHROMIUM}) and HUBDIR_REQUIRE_BROWSER is set")
    return False


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) for the duration of the block; yields the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def launch() -> Iterator[Any]:
    """The system Chromium through Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable(), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
