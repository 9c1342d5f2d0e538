"""Shape validation: each registry's JSON Schema (draft-07), errors turned into located problems.

The schemas in ``schemas/`` are the single description of the fields: they
drive editor completion, these checks, the data dictionary and the field
reference.  Titles and descriptions are Chinese; ``x-en`` holds the English.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT7

from generator import yamlio
from generator.problems import Problem

COMMON = "common"


def load_schema(schemas_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir / f"{name}.schema.json").read_text("utf-8"))
    return data


def bundle(schemas_dir: Path, name: str) -> dict[str, Any]:
    """The registry schema with the shared ``$defs`` copied in and refs made local.

    A self-contained schema is what later stages (data dictionary, field
    reference) walk, and it validates without a reference resolver.
    """
    doc = load_schema(schemas_dir, name)
    common = load_schema(schemas_dir, COMMON)
    text = json.dumps(doc).replace(f'"{COMMON}.schema.json#/$defs/', '"#/$defs/')
    bundled: dict[str, Any] = json.loads(text)
    bundled["$defs"] = common["$defs"]
    return bundled


def resolve(schema_doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (only those exist in a bundled schema)."""
    while "$ref" in node:
        ref = node["$ref"]
        target: Any = schema_doc
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def label(node: dict[str, Any], lang: str, what: str = "title") -> str:
    if lang == "zh":
        return str(node.get(what, ""))
    return str(node.get("x-en", {}).get(what, "")) or str(node.get(what, ""))


def properties(schema_doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Top-level properties of a bundled schema, refs resolved, in schema order."""
    for key, node in schema_doc.get("properties", {}).items():
        yield key, resolve(schema_doc, node)


class Shapes:
    """Compiled validators for every schema in a folder."""

    def __init__(self, schemas_dir: Path) -> None:
        self.dir = schemas_dir
        self._validators: dict[str, Draft7Validator] = {}

    def validator(self, name: str) -> Draft7Validator:
        if name not in self._validators:
            self._validators[name] = _compile(str(self.dir), name)
        return self._validators[name]

    def check(self, name: str, data: dict[str, Any], path: Path, rel: str) -> list[Problem]:
        validator = self.validator(name)
        if validator.is_valid(data):
            return []
        problems = []
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            problems.extend(_to_problems(error, path, rel))
        return problems


@cache
def _compile(schemas_dir: str, name: str) -> Draft7Validator:
    folder = Path(schemas_dir)
    doc = bundle(folder, name)
    Draft7Validator.check_schema(doc)
    registry: RefRegistry = RefRegistry().with_resource("", Resource(doc, DRAFT7))
    return Draft7Validator(doc, registry=registry)


def _pointer_text(pointer: tuple[str | int, ...]) -> str:
    out = ""
    for step in pointer:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _to_problems(error: ValidationError, path: Path, rel: str) -> Iterator[Problem]:
    pointer = tuple(error.absolute_path)
    field = _pointer_text(pointer)
    schema_node = error.schema if isinstance(error.schema, dict) else {}
    desc_zh = str(schema_node.get("description", ""))
    desc_en = str(schema_node.get("x-en", {}).get("description", "")) or desc_zh
    if error.validator == "required":
        missing = str(error.message.split("'")[1]) if "'" in error.message else ""
        prop = schema_node.get("properties", {}).get(missing, {})
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S001", field=_pointer_text((*pointer, missing)), name=missing,
                           title=str(prop.get("title", "")) if isinstance(prop, dict) else "")
    elif error.validator == "additionalProperties":
        allowed = sorted(schema_node.get("properties", {}))
        extras = [k for k in error.instance if k not in schema_node.get("properties", {})]
        for extra in extras:
            line, column = yamlio.locate(path, (*pointer, extra), key=True)
            guess = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
            if guess:
                yield Problem.make(rel, line, column, "S002", field=_pointer_text((*pointer, extra)),
                                   name=extra, suggestion=guess[0])
            else:
                yield Problem.make(rel, line, column, "S007", field=_pointer_text((*pointer, extra)),
                                   name=extra, allowed="、".join(allowed))
    elif error.validator == "type":
        line, column = yamlio.locate(path, pointer)
        expected = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        actual = _type_name(error.instance)
        if error.instance is None:
            code = "S008"
        elif expected == "string" and actual in ("integer", "number", "boolean"):
            code = "S009"
        else:
            code = "S003"
        yield Problem.make(rel, line, column, code, field=field, name=field, expected=expected, actual=actual,
                           value=_short(error.instance))
    elif error.validator == "enum":
        line, column = yamlio.locate(path, pointer)
        options = [str(o) for o in error.validator_value]
        guess = difflib.get_close_matches(str(error.instance), options, n=1, cutoff=0.5)
        yield Problem.make(rel, line, column, "S004", field=field, name=field, value=_short(error.instance),
                           suggestion=guess[0] if guess else "", options=", ".join(options))
    elif error.validator == "pattern":
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S005", field=field, name=field, value=_short(error.instance),
                           help_zh=desc_zh, help_en=desc_en)
    else:
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S006", field=field, name=field, rule=str(error.validator),
                           limit=_short(error.validator_value), value=_short(error.instance))


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Shapes", "bundle", "jsonschema", "label", "load_schema", "properties", "resolve"]
