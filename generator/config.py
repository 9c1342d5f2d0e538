"""``site_config.yml``: loaded with the strict YAML rules and validated by its own schema.

A typo in a key is an error that names the key (and the closest known one):
the config decides what is published, so it is never guessed at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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
class Config:
    """The validated configuration; ``raw`` keeps every key for later issues' sections."""

    root: Path
    raw: dict[str, Any]
    hub_kinds: tuple[HubKind, ...] = field(default=())

    @property
    def site(self) -> dict[str, Any]:
        return self.raw["site"]

    @property
    def district(self) -> dict[str, Any]:
        return self.raw["district"]

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


#: The schemas shipped with this checkout of hubdir, used when a project has none of its own.
BUNDLED_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


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
    if problems:
        raise ConfigError(problems)
    kinds = tuple(HubKind(k["code"], k["name"], k.get("hotline", "")) for k in raw["hub_kinds"])
    return Config(root=root, raw=raw, hub_kinds=kinds)
