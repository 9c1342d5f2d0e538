"""The benchmark harness (bench/run.py) runs end to end at a tiny N; no timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import run as bench_run  # noqa: E402

HAVE_BROWSER = Path(bench_run.CHROMIUM).exists()
if not HAVE_BROWSER and os.environ.get("HUBDIR_REQUIRE_BROWSER"):
    pytest.fail(f"HUBDIR_REQUIRE_BROWSER is set but {bench_run.CHROMIUM} is missing")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:  # type: ignore[type-arg]
    tmp = tmp_path_factory.mktemp("bench")
    args = [
        sys.executable,
        "-m",
        "bench.run",
        "--quick",
        "--work",
        str(tmp / "work"),
        "--json",
        str(tmp / "r.json"),
        "--markdown",
        str(tmp / "RESULTS.md"),
    ]
    if not HAVE_BROWSER:
        args.append("--no-browser")
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return (
        json.loads((tmp / "r.json").read_text("utf-8")),
        proc.stdout,
        (tmp / "RESULTS.md").read_text("utf-8"),
    )


def test_every_step_measured(quick: tuple[dict, str, str]) -> None:  # type: ignore[type-arg]
    doc, _, _ = quick
    m = doc["per_size"]["50"]
    for key in (
        "validate_s",
        "build_s",
        "baseline_s",
        "pages",
        "output_mb",
        "largest_page_kb",
        "per_page_ratio",
    ):
        assert m[key] is not None, key
    assert m["build_rss_mb"] is None or m["build_rss_mb"] > 0
    raw = doc["raw"]["50"]
    assert raw["validate"]["ok"] and raw["build"]["ok"], raw
    assert "validate" in raw["build"]["split"]["timings"]
    served = raw["incremental"]["serve"]  # bench/incremental.py: one real `hubdir serve` per size
    assert served["status"] == "ok", served
    assert served["page_updated"] is True and served["search_has_edit"] and served["listing_has_edit"]
    assert 0 < served["rebuild_s"] <= served["page_s"] <= served["consistent_s"]
    assert m["serve_rebuild_s"] == served["rebuild_s"]
    if HAVE_BROWSER:
        for query in bench_run.QUERIES:
            for way in ("query", "from_home"):
                entry = raw["search"][query][way]
                assert "error" not in entry, (query, way, entry)
                assert entry["results_shown"] >= 1 and entry["bytes"] > 0
        phone = raw["mobile"]  # bench/mobile.py: every page type under slow 3G and 4x CPU
        assert {"home", "record", "map", "en home"} <= phone["pages"].keys()
        for name, entry in phone["pages"].items():
            assert "error" not in entry and entry["first_paint_ms"] > 0 and entry["transferred_kb"] > 0, name
        assert phone["near"]["result_ms"] > 0 and phone["near"]["places_shown"] >= 1, phone["near"]
        assert m["phone_foreign"] == 0 and m["phone_home_paint_ms"] == phone["pages"]["home"]["first_paint_ms"]


def test_table_targets_and_machine(quick: tuple[dict, str, str]) -> None:  # type: ignore[type-arg]
    doc, stdout, markdown = quick
    assert "| validate (s) |" in stdout and "| N = 50 |" in stdout.splitlines()[0]
    assert {c["verdict"] for c in doc["targets"]} == {"n/a"}  # no target is about N=50
    assert doc["machine"]["nproc"] >= 1 and doc["machine"]["python"]
    assert markdown.startswith("# hubdir scale benchmark") and "| full build (s) |" in markdown


def test_targets_and_growth_from_numbers() -> None:
    per_size = {
        "20000": {"build_s": 40.0, "validate_s": 4.0},
        "100000": {"build_s": 200.0, "validate_s": 30.0, "build_rss_mb": 2000.0},
    }
    ratios = bench_run.growth(per_size)
    assert ratios["build_growth"] == 5.0 and ratios["export_growth"] is None
    verdicts = {c["target"]: c["verdict"] for c in bench_run.check_targets(per_size, ratios)}
    assert verdicts["validate 100k ≤ 20 s"] == "FAIL"
    assert verdicts["full build 100k ≤ 240 s"] == "PASS"
    assert verdicts["growth build(100k)/build(20k) ≤ 5.5"] == "PASS"
    assert verdicts["full build 2k ≤ 8 s"] == "n/a"


def test_set_aside_defers_the_deletion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier run's folder is renamed out of the way and deleted only when the run ends.

    Deleting tens of thousands of files just before a timed step slows that step on ext4, so the
    benchmark must not do it between its measures.
    """
    monkeypatch.setattr(bench_run, "DISCARDED", [])
    old = tmp_path / "synth-50"
    (old / "content").mkdir(parents=True)
    (old / "content" / "r.yml").write_text("id: r\n", encoding="utf-8")
    bench_run.set_aside(old)
    assert not old.exists()
    [aside] = bench_run.DISCARDED
    assert aside.parent == tmp_path and aside.name.startswith(".discarded-synth-50-")
    assert (aside / "content" / "r.yml").read_text(encoding="utf-8") == "id: r\n"  # still there: deleted at the end
    bench_run.set_aside(tmp_path / "never-made")  # nothing to set aside: nothing listed
    assert len(bench_run.DISCARDED) == 1
