"""bench/mobile.py's pieces that need no throttled browser: the gzip server, page choice, verdicts."""

from __future__ import annotations

import gzip
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import mobile  # noqa: E402


def test_site_is_served_compressed(built_site: tuple[Path, Path, object]) -> None:
    site = built_site[1]
    with mobile.serve_compressed(site) as base:
        request = urllib.request.Request(base + "org/wh-gz/", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body = response.read()
        assert gzip.decompress(body) == (site / "org" / "wh-gz" / "index.html").read_bytes()
        assert len(body) < (site / "org" / "wh-gz" / "index.html").stat().st_size / 2
        with urllib.request.urlopen(base + "assets/hubdir/nearby.js") as response:  # no gzip asked: none given
            assert response.headers.get("Content-Encoding") is None


def test_one_page_of_each_type_that_exists(built_site: tuple[Path, Path, object]) -> None:
    pages = mobile.page_types(built_site[1])
    assert pages["home"] == "" and pages["map"] == "map/" and pages["record"].startswith("org/")
    assert pages["en record"] == "en/" + pages["record"]
    assert len(pages["town"]) == len("area/440606005/") and len(pages["village"]) == len("area/440606005001/")
    assert all((built_site[1] / p.split("?")[0]).exists() for p in pages.values())
    assert {"coverage", "data", "dictionary", "contribute", "listing"} <= set(pages)
    # the biggest of each type, so the largest page but the map is found at any size
    site = built_site[1]
    for name, folder, digits in (("record", "org", None), ("town", "area", 9), ("dictionary", "fields", None)):
        sizes = [
            p.stat().st_size
            for p in (site / folder).glob("*/index.html")
            if digits is None or len(p.parent.name) == digits
        ]
        assert (site / pages[name] / "index.html").stat().st_size == max(sizes), name


def test_budget_verdicts() -> None:
    out = {
        "pages": {
            "home": {"first_paint_ms": 2400.0, "transferred_kb": 80.0, "foreign": []},
            "record": {"first_paint_ms": 2600.0, "transferred_kb": 101.0, "foreign": []},
            "map": {"first_paint_ms": 3000.0, "transferred_kb": 400.0, "foreign": []},
        },
        "near": {"result_ms": 3500.0, "foreign": ["https://cdn.example/x.js"]},
    }
    checks = mobile.budgets(out)["checks"]
    assert checks["home first paint ≤ 2.5 s"]["verdict"] == "PASS"
    assert checks["record first paint ≤ 2.5 s"]["verdict"] == "FAIL"
    assert checks["near-me result ≤ 4 s"]["verdict"] == "PASS"
    assert checks["largest page except map ≤ 100 KB"] == {"value": 101.0, "limit": 100, "verdict": "FAIL"}
    assert checks["requests to foreign hosts = 0"]["verdict"] == "FAIL"
    assert mobile.budgets(out)["over_budget_pages"] == {"record": 101.0}
    out["budgets"] = mobile.budgets(out)
    assert mobile.metrics(out)["phone_page_kb"] == 101.0 and mobile.metrics(None)["phone_near_ms"] is None
