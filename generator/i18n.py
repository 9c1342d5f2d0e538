"""One message catalogue per language (``locale/zh.json``, ``locale/en.json``).

Every string a user reads comes from here, so a translation is one file and a
missing key is caught by a test rather than shown as a Python error.
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
    raw = json.loads(resources.files("generator").joinpath(f"locale/{lang}.json").read_text("utf-8"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else key, value)
        else:
            flat[prefix] = node

    walk("", raw)
    return flat


def t(lang: str, key: str, /, **args: Any) -> str:
    """Translate ``key`` into ``lang`` and fill ``{placeholders}`` from ``args``."""
    text = catalogue(lang if lang in LANGS else DEFAULT_LANG)[key]
    return text.format(**args) if args else text


def has(lang: str, key: str) -> bool:
    return key in catalogue(lang)
