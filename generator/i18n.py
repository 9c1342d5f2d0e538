"""One message catalogue per language: ``locale/zh/*.json`` and ``locale/en/*.json``.

Every string a user reads comes from here.  Each language is one folder,
split into a file per pipeline area (core, export, site, workflow…) so that
areas can be edited independently; a test checks both languages have the
same keys, so a missing translation never reaches a user as a Python error.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the flat ``{"dotted.key": "text"}`` catalogue of ``lang``."""
    flat: dict[str, str] = {}
    folder = resources.files("generator").joinpath(f"locale/{lang}")
    for item in sorted(folder.iterdir(), key=lambda i: i.name):
        if item.name.endswith(".json"):
            before = len(flat)
            part: dict[str, str] = {}
            _flatten("", json.loads(item.read_text("utf-8")), part)
            flat.update(part)
            if len(flat) != before + len(part):
                raise ValueError(f"locale/{lang}/{item.name} repeats keys of another file")
    return flat


def _flatten(prefix: str, node: Any, flat: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else key, value, flat)
    else:
        flat[prefix] = node


def t(lang: str, key: str, /, **args: Any) -> str:
    """Translate ``key`` into ``lang`` and fill ``{placeholders}`` from ``args``."""
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG)[key]
    return text.format(**args) if args else text


def has(lang: str, key: str) -> bool:
    return key in catalogue(lang)
