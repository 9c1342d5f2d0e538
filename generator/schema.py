"""Shape validation: each registry's JSON Schema (draft-07), errors turned into located problems.

The schemas in ``schemas/`` are the single description of the fields: they
drive editor completion, these checks, the data dictionary and the field
reference.  Titles and descriptions are Chinese; ``x-en`` holds the English.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from collections.abc import Callable, Iterator
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
from generator.i18n import has, t
from generator.problems import Problem, Text

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


@cache
def _bundled(schemas_dir: str, name: str) -> dict[str, Any]:
    return bundle(Path(schemas_dir), name)


def enum_label(schemas_dir: Path, name: str, field: str, value: Any) -> tuple[str, str]:
    """The (zh, en) label of ``value`` of a top-level enum ``field`` of registry ``name``.

    Falls back to the raw value, so a message can always be written.
    """
    try:
        doc = _bundled(str(schemas_dir), name)
        node = resolve(doc, doc["properties"][field])
        labels = node.get("x-enum", {}).get(value)
    except (KeyError, OSError, ValueError, TypeError):
        labels = None
    if not isinstance(labels, dict):
        return str(value), str(value)
    return str(labels.get("zh", value)), str(labels.get("en", value))


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
        fast = _compile_fast(str(self.dir), name)
        if fast is not None and fast(data):
            return []
        errors = list(self.validator(name).iter_errors(data))
        problems: list[Problem] = []
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
            problems.extend(_to_problems(error, self.validator(name).schema, path, rel))
        return problems


@cache
def _compile(schemas_dir: str, name: str) -> Draft7Validator:
    folder = Path(schemas_dir)
    doc = bundle(folder, name)
    Draft7Validator.check_schema(doc)
    registry: RefRegistry = RefRegistry().with_resource("", Resource(doc, DRAFT7))
    return Draft7Validator(doc, registry=registry)


@cache
def _compile_fast(schemas_dir: str, name: str) -> Callable[[Any], bool] | None:
    try:
        return compile_fast(bundle(Path(schemas_dir), name))
    except _Unsupported:
        return None


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


def _title(doc: dict[str, Any], node: Any) -> Text:
    node = resolve(doc, node) if isinstance(node, dict) else {}
    return Text(label(node, "zh"), label(node, "en"))


def _to_problems(error: ValidationError, doc: dict[str, Any], path: Path, rel: str) -> Iterator[Problem]:
    """One jsonschema error as located, translatable problems."""
    pointer = tuple(error.absolute_path)
    field = _pointer_text(pointer)
    schema_node = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        try:
            missing = str(ast.literal_eval(error.message.rsplit(" is a required property", 1)[0]))
        except (ValueError, SyntaxError):
            missing = error.message
        prop = schema_node.get("properties", {}).get(missing, {})
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S001", field=_pointer_text((*pointer, missing)), name=missing,
                           title=_title(doc, prop))
    elif error.validator == "additionalProperties":
        known = schema_node.get("properties", {})
        allowed = sorted(known)
        for extra in sorted(str(k) for k in error.instance if k not in known):
            line, column = yamlio.locate(path, (*pointer, extra), key=True)
            where = _pointer_text((*pointer, extra))
            guess = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
            if guess:
                yield Problem.make(rel, line, column, "S002", field=where, name=extra, suggestion=guess[0])
            else:
                yield Problem.make(rel, line, column, "S007", field=where, name=extra,
                                   allowed=Text("、".join(allowed), ", ".join(allowed)))
    elif error.validator == "type":
        line, column = yamlio.locate(path, pointer)
        value = error.validator_value
        expected = value if isinstance(value, str) else value[0]
        actual = _type_name(error.instance)
        if error.instance is None:
            code = "S008"
        elif expected == "string" and actual in ("integer", "number", "boolean"):
            code = "S009"
        else:
            code = "S003"
        yield Problem.make(rel, line, column, code, field=field, name=field, expected=_type_text(expected),
                           actual=_type_text(actual), value=_short(error.instance))
    elif error.validator == "enum":
        line, column = yamlio.locate(path, pointer)
        options = [str(o) for o in error.validator_value]
        guess = difflib.get_close_matches(str(error.instance), options, n=1, cutoff=0.5)
        did_you_mean = Text(*(t(lang, "label.did_you_mean", suggestion=guess[0]) if guess else ""
                              for lang in ("zh", "en")))
        yield Problem.make(rel, line, column, "S004", field=field, name=field, value=_short(error.instance),
                           did_you_mean=did_you_mean, options=", ".join(options))
    elif error.validator == "pattern":
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S005", field=field, name=field, value=_short(error.instance),
                           help=Text(label(schema_node, "zh", "description"), label(schema_node, "en", "description")))
    else:
        line, column = yamlio.locate(path, pointer)
        rule = str(error.validator)
        limit = _short(error.validator_value)
        key = f"rule.{rule}" if rule in _RULES else "rule.other"
        yield Problem.make(rel, line, column, "S006", field=field, name=field, value=_short(error.instance),
                           rule=Text(*(t(lang, key, limit=limit, rule=rule) for lang in ("zh", "en"))))


_RULES = frozenset(("minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minimum", "maximum"))


def _type_text(name: str) -> Text:
    key = f"type.{name}"
    return Text(t("zh", key), t("en", key)) if has("zh", key) else Text(name, name)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- fast path -------------------------------------------------------------------
#
# jsonschema walks the schema for every record (~3 ms each with our $refs): too
# slow for 100k records.  Almost every record is valid, so a validity test
# compiled once into nested closures answers "valid?" ~30x faster; only a record
# it does not accept goes through ``iter_errors`` for the full messages.  It
# supports the keywords our schemas use and answers ``False`` whenever unsure,
# so it can never hide an error (a property test compares it with jsonschema).

Predicate = Callable[[Any], bool]

#: Keywords that never affect validity.
_ANNOTATIONS = frozenset(
    ("title", "description", "examples", "default", "$schema", "$id", "$comment", "$defs", "definitions")
)


class _Unsupported(Exception):
    pass


def _is_type(name: str) -> Predicate:
    checks: dict[str, Predicate] = {
        "string": lambda v: isinstance(v, str),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        # A float such as 2.0 is a valid integer in jsonschema; answer "unsure" (False) for it.
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    if name not in checks:
        raise _Unsupported(name)
    return checks[name]


def compile_fast(doc: dict[str, Any], node: Any = None, depth: int = 0) -> Predicate:
    """A predicate that is ``True`` only for instances ``doc`` (bundled) certainly accepts."""
    node = doc if node is None else node
    if depth > 50:
        raise _Unsupported("depth")
    if node is True or node == {}:
        return lambda v: True
    if not isinstance(node, dict):
        raise _Unsupported(repr(node))
    if "$ref" in node:  # draft-07: siblings of $ref are ignored
        return compile_fast(doc, resolve(doc, node), depth + 1)
    tests: list[Predicate] = []
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-"):
            continue
        tests.append(_keyword(doc, node, key, value, depth))
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    tests_tuple = tuple(tests)
    return lambda v: all(test(v) for test in tests_tuple)


def _keyword(doc: dict[str, Any], node: dict[str, Any], key: str, value: Any, depth: int) -> Predicate:
    if key == "type":
        names = [value] if isinstance(value, str) else list(value)
        preds = tuple(_is_type(n) for n in names)
        return preds[0] if len(preds) == 1 else (lambda v: any(p(v) for p in preds))
    if key == "properties":
        props = {name: compile_fast(doc, sub, depth + 1) for name, sub in value.items()}
        return lambda v: not isinstance(v, dict) or all(
            props[k](x) for k, x in v.items() if k in props
        )
    if key == "additionalProperties":
        if value is True:
            return lambda v: True
        if value is not False or "patternProperties" in node:
            raise _Unsupported(key)
        allowed = frozenset(node.get("properties", {}))
        return lambda v: not isinstance(v, dict) or allowed.issuperset(v)
    if key == "required":
        needed = tuple(value)
        return lambda v: not isinstance(v, dict) or all(k in v for k in needed)
    if key == "enum":
        if not all(isinstance(x, str) for x in value):
            raise _Unsupported(key)
        options = frozenset(value)
        return lambda v: isinstance(v, str) and v in options
    if key == "pattern":
        search = re.compile(value).search
        return lambda v: not isinstance(v, str) or search(v) is not None
    if key == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= value
    if key == "maxLength":
        return lambda v: not isinstance(v, str) or len(v) <= value
    if key == "items":
        if not isinstance(value, dict):
            raise _Unsupported(key)
        item = compile_fast(doc, value, depth + 1)
        return lambda v: not isinstance(v, list) or all(item(x) for x in v)
    if key == "minItems":
        return lambda v: not isinstance(v, list) or len(v) >= value
    if key == "maxItems":
        return lambda v: not isinstance(v, list) or len(v) <= value
    if key == "uniqueItems":
        if not value:
            return lambda v: True
        # Only lists of strings are judged here; anything else goes to jsonschema.
        return lambda v: not isinstance(v, list) or (
            all(isinstance(x, str) for x in v) and len(set(v)) == len(v)
        )
    if key in ("minimum", "maximum"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Unsupported(key)
        if key == "minimum":
            return lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v >= value
        return lambda v: isinstance(v, bool) or not isinstance(v, (int, float)) or v <= value
    raise _Unsupported(key)


__all__ = ["Shapes", "bundle", "compile_fast", "jsonschema", "label", "load_schema", "properties", "resolve"]
