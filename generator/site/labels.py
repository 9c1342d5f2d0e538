"""Human labels for field names and coded values, read from the schemas.

The schemas are the one place where a field's Chinese/English title and each
enum code's zh/en label live (``title``/``x-en`` and ``x-enum``); the site
never repeats them, so a new service code needs one schema edit only.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from generator import hours, schema
from generator.registry import REGISTRIES

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "PH")
#: How a list of labels is joined in a sentence or a listing cell, per language.
LIST_SEPARATOR = {"zh": "、", "en": ", "}


class Labels:
    """Field titles and enum labels for every registry, in both languages."""

    def __init__(self, schemas_dir: Path) -> None:
        self.schemas: dict[str, dict[str, Any]] = {
            name: schema.bundle(schemas_dir, name) for name in REGISTRIES
        }
        self.enums: dict[str, dict[str, dict[str, str]]] = {}
        #: ``enum``'s answers for string codes, (field, code, lang) → label: it is asked ~20 times for
        #: every page (services, groups, contact types, levels), always about the same few codes.
        self._enum_memo: dict[tuple[str, str, str], str] = {}
        self.fields: dict[str, dict[str, dict[str, Any]]] = {}
        for name, doc in self.schemas.items():
            self.fields[name] = {}
            for key, node in schema.properties(doc):
                self.fields[name][key] = node
                self._collect(doc, key, node)

    def _collect(self, doc: dict[str, Any], key: str, node: dict[str, Any]) -> None:
        """Remember the ``x-enum`` table of a field (also inside arrays and objects)."""
        node = schema.resolve(doc, node)
        if "x-enum" in node:
            self.enums.setdefault(key, {}).update(node["x-enum"])
        if isinstance(node.get("items"), dict):
            self._collect(doc, key, node["items"])
        for sub, child in node.get("properties", {}).items():
            if isinstance(child, dict):
                self._collect(doc, sub, child)

    def enum(self, field: str, code: Any, lang: str) -> str:
        """The label of ``code`` in ``field``'s code list (the code itself if unknown)."""
        if code.__class__ is str:  # (not ``1`` and ``True``, equal as keys but told apart by ``str``)
            key = (field, code, lang)
            found = self._enum_memo.get(key)
            if found is None:
                found = self._enum_memo[key] = self._label(field, code, lang)
            return found
        return self._label(field, code, lang)

    def _label(self, field: str, code: Any, lang: str) -> str:
        entry = self.enums.get(field, {}).get(str(code))
        return str(entry.get(lang) or entry.get("zh")) if entry else str(code)

    def options(self, field: str, lang: str) -> list[tuple[str, str]]:
        return [(code, self.enum(field, code, lang)) for code in self.enums.get(field, {})]

    @lru_cache(maxsize=64)  # noqa: B019 - one Labels per schemas folder, kept for the build
    def read_back(self, field: str, lang: str) -> bool:
        """Whether a listing cell of ``field``'s labels (joined by ``LIST_SEPARATOR``) names its codes
        exactly: the pieces of the labels between separators all distinct (so a label, as a run of
        pieces, is found in a cell only where it is listed), none empty or with spaces a browser collapses.

        Then the listing's filter script reads a row's services and target groups from the cells a
        resident sees, and the rows carry no ``data-services``/``data-groups`` codes (~75 bytes a row,
        ~15 MB of listings at 100,000 records); otherwise the rows keep the codes.
        """
        sep = LIST_SEPARATOR[lang]
        labels = [label for _, label in self.options(field, lang)]
        pieces = [piece for label in labels for piece in label.split(sep)]
        return len(set(pieces)) == len(pieces) and all(
            piece and piece == " ".join(piece.split()) for piece in pieces
        ) and all(label == " ".join(label.split()) for label in labels)

    def title(self, registry: str, field: str, lang: str) -> str:
        node = self.fields.get(registry, {}).get(field)
        return schema.label(node, lang) if node else field


@cache
def labels_for(schemas_dir: Path) -> Labels:
    return Labels(schemas_dir)


def opening_hours(value: str, lang: str) -> list[str]:
    """``Mo-Fr 08:30-12:00,14:30-17:30; Sa off`` → readable lines (``generator.hours`` owns the grammar)."""
    return list(_described(value, lang))


@lru_cache(maxsize=8192)
def _described(value: str, lang: str) -> tuple[str, ...]:
    """Most venues share a few opening-hours values: each is put into words once per build, not per page."""
    return tuple(hours.describe(value, lang))
