"""``site_config.yml``: loaded with the strict YAML rules and validated by its own schema.

A typo in a key is an error that names the key (and the closest known one):
the config decides what is published, so it is never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import schema, yamlio
from generator.problems import Problem

CONFIG_NAME = "site_config.yml"


class ConfigError(Exception):
    """The configuration cannot be used; carries the problems to show (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].code if problems else "config")
        self.problems = problems


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
    try:
        raw = yamlio.load_file(path)
    except FileNotFoundError:
        raise ConfigError([Problem.make(rel, 0, 0, "C001", root=str(root))]) from None
    except yamlio.LoadError as exc:
        raise ConfigError([Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]) from None
    except OSError as exc:  # a folder named site_config.yml, no permission…
        raise ConfigError([Problem.make(rel, 0, 0, "Y011", detail=exc.strerror or str(exc))]) from None
    shapes = schema.Shapes(schemas_dir(root))
    problems = shapes.check("site_config", raw, path, rel) or _missing_images(root, raw, path, rel)
    if problems:
        raise ConfigError(problems)
    kinds = tuple(HubKind(k["code"], k["name"], k.get("hotline", "")) for k in raw["hub_kinds"])
    return Config(root=root, raw=raw, hub_kinds=kinds)
