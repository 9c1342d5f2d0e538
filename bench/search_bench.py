"""Search quality and cost: precision@1 and @3 over the relevance set, bytes and time in Chromium.

Why a relevance set: "search understands residents" is a claim about many queries at once; the
set (``bench/search_relevance.yml``) writes each query as residents type it with a rule for
which records answer it, so the numbers move when the search gets better or worse, not when
the data is regenerated.  The queries run over ``bench/synth.py``'s registry (2,000 records: a
women's home, a youth center, a women's federation and a union in every village).

    python -m bench.search_bench                  # p@1, p@3 at 2,000 records (index only, seconds)
    python -m bench.search_bench --records 20000 --browser   # also bytes and time per query (full build)

``bench/run.py`` calls ``browser_queries`` for its search measurement at every size.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(REPO))

from bench import synth  # noqa: E402

RELEVANCE = Path(__file__).resolve().parent / "search_relevance.yml"
RECORDS = 2000
#: Queries of the new classes the browser benchmark times (besides bench/run.py's own three).
BROWSER_QUERIES = ("容桂妇女之家", "顺德妇联", "婚姻调解", "12338", "荣桂妇联", "Ronggui women's federation")


def load_set(path: Path = RELEVANCE) -> list[dict[str, Any]]:
    from generator import yamlio

    queries: list[dict[str, Any]] = yamlio.load_file(path)["queries"]
    return queries


@dataclass
class Facts:
    """What a relevance rule can ask of a record (or an area)."""

    id: str
    kind: str
    chain: list[str]
    services: set[str]
    groups: set[str]


def facts(model: Any) -> dict[str, Facts]:
    """Per result id (record id, or division code for an area page)."""
    out: dict[str, Facts] = {}
    reg = model.registry
    for record in reg.all():
        chain = [d.id for d in reg.geo.chain(record.division)]
        if record.registry == "divisions":
            kind = "area"
        else:
            found = model.kind_of(record)
            kind = found.code if found else record.registry
        out[record.id] = Facts(
            record.id, kind, chain, set(record.get("services") or []), set(record.get("target_groups") or [])
        )
    return out


def relevant(rule: dict[str, Any], fact: Facts) -> bool:
    if "ids" in rule and fact.id not in rule["ids"]:
        return False
    if "kind" in rule and fact.kind != rule["kind"]:
        return False
    if "within" in rule and rule["within"] not in fact.chain:
        return False
    if "at" in rule and (not fact.chain or fact.chain[0] != rule["at"]):
        return False
    if "service" in rule and rule["service"] not in fact.services:
        return False
    return not ("group" in rule and rule["group"] not in fact.groups)


def result_id(path: str) -> str:
    return path.strip("/").split("/")[1]


def evaluate(index_dir: Path, model: Any, queries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """precision@1 and @3 of every query, per class and overall."""
    from generator.site import search_query

    queries = queries if queries is not None else load_set()
    known = facts(model)
    rows = []
    for item in queries:
        rule = item["relevant"]
        answers = {rid for rid, fact in known.items() if relevant(rule, fact)}
        top = [result_id(p) for p in search_query.find(index_dir, str(item["q"]))[:3]]
        first_ok = bool(top) and top[0] in answers and top[0] in item.get("first", [top[0]])
        hits = sum(1 for rid in top if rid in answers)
        p3 = hits / min(3, len(answers)) if answers else 0.0
        rows.append(
            {
                "q": item["q"],
                "class": item.get("class", ""),
                "answers": len(answers),
                "top": top,
                "p1": 1.0 if first_ok else 0.0,
                "p3": round(min(1.0, p3), 3),
            }
        )
    classes: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        classes.setdefault(row["class"], []).append(row)

    def mean(items: list[dict[str, Any]], key: str) -> float:
        return round(sum(r[key] for r in items) / len(items), 3) if items else 0.0

    return {
        "queries": len(rows),
        "p1": mean(rows, "p1"),
        "p3": mean(rows, "p3"),
        "classes": {c: {"queries": len(v), "p1": mean(v, "p1"), "p3": mean(v, "p3")} for c, v in classes.items()},
        "rows": rows,
    }


def index_project(project: Path, out: Path) -> tuple[Any, Path]:
    """Validate the project and write only its search index (what the relevance set needs)."""
    from generator.config import load_config
    from generator.site import search
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    config = load_config(project)
    loaded = load(config)
    model = SiteModel(config, loaded.registry, labels_for(config.schemas_dir))
    if out.exists():
        shutil.rmtree(out)
    search.write(model, out)
    return model, out / search.INDEX_DIR


#: bench/run.py computes the relevance set up to this size (it loads the project in-process).
RELEVANCE_MAX = 20000


def relevance(project: Path, site: Path) -> dict[str, Any]:
    """The relevance set over a built site's index (bench/run.py); rows left out to keep the JSON small."""
    from generator.config import load_config
    from generator.site import search
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir))
    result = evaluate(site / search.INDEX_DIR, model)
    result["misses"] = [r for r in result.pop("rows") if r["p3"] < 1 or r["p1"] < 1]
    return result


def browser_queries(site: Path, queries: tuple[str, ...] = BROWSER_QUERIES) -> dict[str, Any]:
    """Bytes fetched and time to the first result for each query (bench/run.py's Chromium harness)."""
    from bench import run

    return run.browser_search(site, queries)


def report(result: dict[str, Any]) -> str:
    lines = [
        f"relevance set: {result['queries']} queries  precision@1 {result['p1']:.3f}  precision@3 {result['p3']:.3f}"
    ]
    for name, c in sorted(result["classes"].items()):
        lines.append(f"  {name:<14} {c['queries']:>3} queries  p@1 {c['p1']:.3f}  p@3 {c['p3']:.3f}")
    misses = [r for r in result["rows"] if r["p3"] < 1 or r["p1"] < 1]
    for r in misses:
        lines.append(f"  miss: {r['q']!s:<28} p@1 {r['p1']:.0f} p@3 {r['p3']:.2f}  top {r['top']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Search relevance (p@1, p@3) and, with --browser, bytes per query.")
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--work", type=Path, default=None, help="folder for the synthetic project (default: temp)")
    parser.add_argument("--browser", action="store_true", help="build the whole site and time the queries in Chromium")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hubdir-search-"))
    try:
        project = work / f"synth-{args.records}"
        if not (project / "site_config.yml").exists():
            synth.write_project(args.records, project, force=True)
        model, index = index_project(project, work / f"index-{args.records}")
        print(report(evaluate(index, model)))
        if args.browser:
            from generator import build
            from generator.config import load_config

            site = work / f"site-{args.records}"
            build.build(load_config(project), site, quiet=True)
            for query, entry in browser_queries(site).items():
                q = entry["query"]
                print(
                    f"  {query!s:<28} {q.get('bytes', 0) / 1024:7.1f} KB  {q.get('first_result_ms', 'n/a')} ms"
                    f"  {q.get('requests', 0)} requests {q.get('error', '')}"
                )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
