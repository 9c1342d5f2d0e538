"""``hubdir new``: start a record file with a free, stable id and every field listed.

Why: most staff are not programmers.  A new file that already has the editor
modeline (autocompletion from the schema), every required field, and every
optional field as a commented line with its Chinese title is easier to fill
in than a blank page, and the id is chosen by the tool so it is never a
duplicate and never a reused one.

Ids: ``<prefix>-<division>-<n>`` when a division is given (``hub-440606006-3``),
else ``<prefix>-<n>`` (prefix from ``registry.ID_PREFIX``), with ``n`` one more
than the highest ``n`` ever used with that stem.  "Ever used" covers every file
in the content folder, every id mentioned as a successor, and, inside a git
repository, every record file deleted or renamed away in any branch's history
(``git log --all --no-renames --diff-filter=D``), so an id that was published
once and withdrawn is never given to a different organization.  Divisions use
their statistical code as id.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import geography
from generator import schema as schemas
from generator.config import Config
from generator.fmt import needs_quotes
from generator.problems import Problem
from generator.registry import HUB_FIELD, ID_PREFIX, REGISTRIES, Registry

#: Hub kind a carrier's hub must have (mirrors ``checks.CARRIER_HUB_KIND``).
CARRIER_KIND = {"youth_centers": "youth_league", "womens_homes": "womens_federation"}
#: What ``--kind`` fills in, by registry.
KIND_FIELD = {"hubs": "kind", "social_orgs": "org_type", "divisions": "type"}


class NewError(Exception):
    """A bad request; ``key`` is a workflow catalogue key, ``args`` fill it."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


@dataclass
class Draft:
    registry: str
    id: str
    path: Path
    text: str


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if needs_quotes(text) else text


def deleted_ids(root: Path) -> set[str]:
    """Stems of record files deleted (or renamed away) anywhere in git history; empty outside git."""
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "log",
                "--all",
                "--no-renames",
                "--diff-filter=D",
                "--name-only",
                "--format=",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {Path(line).stem for line in out.splitlines() if line.endswith((".yml", ".yaml"))}


def used_ids(config: Config, registry: Registry) -> set[str]:
    """Every id in use now or ever (see the module docstring)."""
    used = {r.id for r in registry.all()}
    used.update(str(r.get("successor")) for r in registry.all() if r.get("successor"))
    content = config.content_dir
    if content.is_dir():
        for folder in content.iterdir():
            if folder.is_dir():
                used.update(p.stem for p in folder.iterdir() if p.suffix in (".yml", ".yaml"))
    used.update(deleted_ids(config.root))
    return used


def next_id(stem: str, used: Iterable[str]) -> str:
    """``<stem>-<n>`` with ``n`` above every number ever used after ``stem-``."""
    pattern = re.compile(re.escape(stem) + r"-([0-9]+)\Z")
    numbers = [int(m.group(1)) for u in used if (m := pattern.match(u))]
    return f"{stem}-{max(numbers, default=0) + 1}"


def _find_hub(registry: Registry, kind: str, divisions: list[str]) -> str | None:
    """The active hub of ``kind`` in the first of ``divisions`` that has one, preferring the hub
    at that division's own level (the town union, not an enterprise union in the town)."""
    for code in divisions:
        found = [
            r
            for r in registry.by_division.get(code, [])
            if r.registry == "hubs" and r.active and r.get("kind") == kind
        ]
        if found:
            level = registry.geo.level(code)
            return next((r.id for r in found if r.get("level") == level), found[0].id)
    return None


def plan(
    config: Config,
    registry: Registry,
    name: str,
    *,
    division: str | None = None,
    kind: str | None = None,
    title: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """The new id and the values known in advance for a record of registry ``name``."""
    if name not in REGISTRIES:
        raise NewError("workflow.new.unknown_registry", name=name, registries=", ".join(REGISTRIES))
    if title is not None and not title.strip():
        raise NewError("workflow.new.empty_name")
    values: dict[str, Any] = {}
    doc = schemas.bundle(config.schemas_dir, name)
    props = dict(schemas.properties(doc))
    if kind is not None:
        field = KIND_FIELD.get(name)
        if field is None:
            raise NewError("workflow.new.kind_not_applicable", registry=name)
        options = [k.code for k in config.hub_kinds] if name == "hubs" else list(props[field].get("enum", []))
        if kind not in options:
            raise NewError("workflow.new.unknown_kind", kind=kind, options=", ".join(options))
        values[field] = kind
    if title is not None:
        values["name"] = title.strip()

    if name == "divisions":
        if not division:
            raise NewError("workflow.new.division_required")
        level = geography.level_for_code(division)
        if not division.isascii() or not division.isdigit() or not level:
            raise NewError("workflow.new.bad_code", code=division)
        if (
            registry.division(division) is not None
            or (config.content_dir / name / f"{division}.yml").exists()
        ):
            raise NewError("workflow.new.exists", id=division)
        values = {"id": division, **values, "level": level}
        parent = registry.geo.guess_parent(division)
        if parent:
            values["parent"] = parent
        return division, values

    stem = ID_PREFIX[name]
    if division is not None:
        record = registry.division(division)
        if record is None:
            raise NewError("workflow.new.unknown_division", code=division)
        level = str(record.get("level"))
        if name in CARRIER_KIND and level != "village":
            raise NewError("workflow.new.village_required", code=division, name=record.name)
        values["division"] = division
        stem = f"{stem}-{division}"
        chain = [d.id for d in registry.geo.chain(division)]
        if name == "hubs":
            values["level"] = level
            if kind and len(chain) > 1:
                parent_hub = _find_hub(registry, kind, chain[1:])
                if parent_hub:
                    values["parent"] = parent_hub
        elif name in CARRIER_KIND:
            hub = _find_hub(registry, CARRIER_KIND[name], chain)
            if hub:
                values[HUB_FIELD[name]] = hub
    rid = next_id(stem, used_ids(config, registry))
    return rid, {"id": rid, **values}


def _comment(text: str) -> str:
    return " ".join(text.split())


def render(config: Config, name: str, values: dict[str, Any], path: Path) -> str:
    """The file text: modeline, then every field in schema order (optional ones commented)."""
    doc = schemas.bundle(config.schemas_dir, name)
    required = set(doc.get("required", []))
    schema_file = config.schemas_dir / f"{name}.schema.json"
    modeline = os.path.relpath(schema_file, path.parent).replace(os.sep, "/")
    lines = [f"# yaml-language-server: $schema={modeline}"]
    for key, node in schemas.properties(doc):
        about = _comment(f"{schemas.label(node, 'zh')}：{schemas.label(node, 'zh', 'description')}")
        if key in values:
            lines.append(f"{key}: {_scalar(values[key])}")
        elif key not in required:
            lines.append(f"# {key}:  # {about}")
        elif node.get("type") == "array":
            items = schemas.resolve(doc, node.get("items", {}))
            if items.get("type") == "object":
                first = (items.get("required") or list(items.get("properties", {})))[0]
                sub = schemas.resolve(doc, items["properties"][first])
                sub_about = _comment(f"{schemas.label(sub, 'zh')}：{schemas.label(sub, 'zh', 'description')}")
                lines.append(f"{key}:  # {about}")
                lines.append(f"  - {first}:  # {sub_about}")
            else:
                lines.append(f"{key}:  # {about}")
                lines.append("  -")
        else:
            lines.append(f"{key}:  # {about}")
    return "\n".join(lines) + "\n"


def draft(
    config: Config,
    registry: Registry,
    name: str,
    *,
    division: str | None = None,
    kind: str | None = None,
    title: str | None = None,
) -> Draft:
    rid, values = plan(config, registry, name, division=division, kind=kind, title=title)
    path = config.content_dir / name / f"{rid}.yml"
    if path.exists():
        raise NewError("workflow.new.exists", id=rid)
    return Draft(name, rid, path, render(config, name, values, path))


def write(item: Draft) -> None:
    """Create the file; never overwrite one (``x`` mode fails if it appeared meanwhile)."""
    created = False
    try:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        with item.path.open("x", encoding="utf-8", newline="\n") as handle:
            created = True
            handle.write(item.text)
    except FileExistsError:
        raise NewError("workflow.new.exists", id=item.id) from None
    except OSError as exc:  # a full disk or a read-only folder: named, never an internal error
        from generator import oswrite

        if created:  # no half-written record left behind
            item.path.unlink(missing_ok=True)
        raise NewError("hardening.new_failed", detail=oswrite.describe(exc, item.path, out_option=False)) from None


def problems_for(problems: Iterable[Problem], rel: str) -> list[Problem]:
    return [p for p in problems if p.path == rel]
