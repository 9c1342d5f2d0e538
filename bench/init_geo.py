"""``hubdir init CODE`` then ``validate`` and ``build`` of the divisions alone, on real geographies.

Why: the issue's target "``hubdir init 44`` followed by validate and build of the
province with its divisions only: ≤ 90 s" measures init and the pipeline's
growth in divisions, without records.  Each step is a child process timed by
:func:`bench.run.run_step` (wall time, CPU, peak memory).

    python -m bench.init_geo --codes 440605,4406,44
    python -m bench.run --init-codes 440605,4406,44 ...   # the same inside the whole benchmark
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from bench.run import fmt, hubdir, run_step  # noqa: E402

STEPS = ("init", "validate", "build")
TARGET_44_S = 90


def bench_code(code: str, work: Path, timeout: float = 1800) -> dict[str, Any]:
    project = work / f"init-{code}"
    shutil.rmtree(project, ignore_errors=True)
    result: dict[str, Any] = {"code": code}
    result["init"] = run_step(hubdir("init", str(project), "--division", code), timeout=timeout)
    if result["init"]["ok"]:
        result["divisions"] = sum(1 for _ in (project / "content" / "divisions").iterdir())
        result["validate"] = run_step(hubdir("--root", str(project), "validate"), timeout=timeout)
        result["build"] = run_step(hubdir("--root", str(project), "build", "--quiet"), timeout=timeout)
    total = [result.get(s, {}).get("seconds") for s in STEPS]
    result["total_s"] = round(sum(total), 2) if all(t is not None for t in total) else None
    result["ok"] = all(result.get(s, {}).get("ok") for s in STEPS)
    shutil.rmtree(project, ignore_errors=True)
    return result


def bench(codes: list[str], work: Path) -> list[dict[str, Any]]:
    return [bench_code(code, work) for code in codes]


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| code | divisions | init | validate | build | total | peak memory (build) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        cells = [fmt(r.get(s, {}).get("seconds"), " s") if r.get(s, {}).get("ok") else "failed" if s in r else "n/a"
                 for s in STEPS]
        rss = r.get("build", {}).get("rss_mb")
        lines.append(f"| {r['code']} | {r.get('divisions', 'n/a')} | {' | '.join(cells)} | "
                     f"{fmt(r.get('total_s'), ' s')} | {fmt(rss, ' MB')} |")
    for r in results:
        if r["code"] == "44" and r.get("total_s") is not None:
            verdict = "PASS" if r["total_s"] <= TARGET_44_S else "FAIL"
            lines.append(f"\n{verdict}  hubdir init 44 + validate + build ≤ {TARGET_44_S} s "
                         f"(measured {r['total_s']} s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", default="440605,4406,44", help="comma-separated division codes")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp folder)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hubdir-init-bench-"))
    try:
        print(table(bench([c.strip() for c in args.codes.split(",") if c.strip()], work)))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
