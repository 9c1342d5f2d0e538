"""``site_config.yml``: loaded with the strict YAML rules and validated by its own schema.

A typo in a key is an error that names the key (and the closest known one):
the config decides what is published, so it is never guessed at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator import schema, yamlio
from generator.problems import Problem

CONFIG_NAME = "site_config.yml"


class ConfigError(Exception):
    """The configuration cannot be used; carries the problems to show (exit 2)."""

    #: The catalogue key of the line printed above the problems.
    heading = "cli.config_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].code if problems else "config")
        self.problems = problems


class SchemaFilesError(ConfigError):
    """A schema file is missing, not JSON, not draft-07, or refers to something unresolvable or remote."""

    heading = "hardening.schemas_invalid"


@dataclass(frozen=True)
class HubKind:
    code: str
    name: dict[str, str]
    hotline: str = ""


@dataclass(frozen=True)
class RootArea:
    """The division the project covers (its ``root:`` section, or the legacy ``district:``).

    ``level`` is ``province``, ``city`` or ``district``; ``bounds`` (a WGS-84 box) may be
    absent until staff fill it in, and then coordinates are not checked against a box.
    """

    code: str
    level: str
    name: dict[str, str]
    uscc_region_prefix: str
    bounds: dict[str, float] | None

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name.get("zh", self.code)

    def as_dict(self) -> dict[str, Any]:
        """The section as a plain mapping (what ``config.district`` returned before ``root:``)."""
        out: dict[str, Any] = {
            "code": self.code,
            "level": self.level,
            "name": dict(self.name),
            "uscc_region_prefix": self.uscc_region_prefix,
        }
        if self.bounds is not None:
            out["bounds"] = dict(self.bounds)
        return out


def root_area(raw: dict[str, Any]) -> RootArea:
    """Read ``root:`` (or ``district:``, which is a root at level ``district``)."""
    section = raw.get("root") or raw.get("district") or {}
    level = str(section.get("level", "district")) if "root" in raw else "district"
    bounds = section.get("bounds")
    return RootArea(
        code=str(section.get("code", "")),
        level=level,
        name=dict(section.get("name") or {}),
        uscc_region_prefix=str(section.get("uscc_region_prefix", "")),
        bounds=dict(bounds) if isinstance(bounds, dict) else None,
    )


@dataclass(frozen=True)
class Config:
    """The validated configuration; ``raw`` keeps every key for later issues' sections."""

    root: Path
    raw: dict[str, Any]
    hub_kinds: tuple[HubKind, ...] = field(default=())

    @property
    def site(self) -> dict[str, Any]:
        return self.raw["site"]

    @cached_property
    def root_area(self) -> RootArea:
        """The division this project covers (``config.root`` is the project folder)."""
        return root_area(self.raw)

    @property
    def district(self) -> dict[str, Any]:
        """Legacy view of :attr:`root_area` as a mapping (code, level, name, prefix, bounds)."""
        return self.root_area.as_dict()

    @property
    def licence(self) -> dict[str, Any]:
        return self.raw["licence"]

    def hub_kind(self, code: str) -> HubKind | None:
        return next((k for k in self.hub_kinds if k.code == code), None)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def schemas_dir(self) -> Path:
        return schemas_dir(self.root)


#: The schemas shipped with hubdir, used when a project has none of its own: ``generator/schemas`` is a
#: link to the repository's ``schemas/`` in a checkout and a real folder in an installed wheel.
BUNDLED_SCHEMAS = (Path(__file__).resolve().parent / "schemas").resolve()


def schemas_dir(root: Path) -> Path:
    """A project's own ``schemas/`` if it has one, else the schemas beside this package."""
    own = root / "schemas"
    return own if own.is_dir() else BUNDLED_SCHEMAS


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``site_config.yml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


#: Image files the configuration names (issue 14): ``(section, …, key)`` paths into ``site_config.yml``.
IMAGE_KEYS = (("brand", "logo"), ("brand", "favicon"), ("brand", "share_image"), ("corrections", "wechat", "qr_image"))


def _missing_images(root: Path, raw: dict[str, Any], path: Path, rel: str) -> list[Problem]:
    """Each configured image must exist inside the project (it is copied into the site)."""
    problems = []
    for keys in IMAGE_KEYS:
        node: Any = raw
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and not (root / node).is_file():
            line, column = yamlio.locate(path, keys)
            problems.append(Problem.make(rel, line, column, "C141", name=".".join(keys), path=node))
    return problems


def load_config(root: Path) -> Config:
    path = root / CONFIG_NAME
    rel = CONFIG_NAME
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    if os.path.lexists(path) and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        # A link out of the project (a pull request could point it at any file of the build machine,
        # and the messages would quote that file's keys): never read.
        raise ConfigError([Problem.make(rel, 0, 0, "Y015", name=CONFIG_NAME, target=real)])
    try:
        raw = yamlio.load_file(path)
    except FileNotFoundError:
        raise ConfigError([Problem.make(rel, 0, 0, "C001", root=str(root))]) from None
    except yamlio.LoadError as exc:
        if exc.code == "Y003":  # an empty configuration: `hubdir new` (the Y003 hint) makes records, not configs
            raise ConfigError([Problem.make(rel, 1, 1, "C009")]) from None
        raise ConfigError([Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]) from None
    except OSError as exc:  # a folder named site_config.yml, no permission…
        raise ConfigError([Problem.make(rel, 0, 0, "Y011", detail=exc.strerror or str(exc))]) from None
    from generator import schemacheck
    from generator.registry import REGISTRIES

    folder = schemas_dir(root)
    broken = schemacheck.check(folder, root, (schema.COMMON, "site_config", *REGISTRIES))
    if broken:
        raise SchemaFilesError(broken)
    if not raw:
        raise ConfigError([Problem.make(rel, 1, 1, "C009")])
    shapes = schema.Shapes(folder)
    problems = shapes.check("site_config", raw, path, rel)
    if not problems:
        problems = _root_problems(raw, path, rel) or _missing_images(root, raw, path, rel)
    if problems:
        raise ConfigError(problems)
    kinds = tuple(HubKind(k["code"], k["name"], k.get("hotline", "")) for k in raw["hub_kinds"])
    return Config(root=root, raw=raw, hub_kinds=kinds)


#: Digits of the root's code at each level it can have.
_ROOT_DIGITS = {"province": 2, "city": 4, "district": 6}


def _root_problems(raw: dict[str, Any], path: Path, rel: str) -> list[Problem]:
    """``root:`` xor ``district:``; the root's code has the digits of its level."""
    if "root" in raw and "district" in raw:
        line, column = yamlio.locate(path, ("district",), key=True)
        return [Problem.make(rel, line, column, "C101")]
    if "root" not in raw and "district" not in raw:
        return [Problem.make(rel, 1, 1, "C102")]
    area = root_area(raw)
    if "root" in raw and len(area.code) != _ROOT_DIGITS.get(area.level, -1):
        line, column = yamlio.locate(path, ("root", "code"))
        return [
            Problem.make(
                rel, line, column, "C103", code=area.code, level=area.level, digits=_ROOT_DIGITS[area.level]
            )
        ]
    return []
