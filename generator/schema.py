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
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry as RefRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT7

from generator import yamlio
from generator.i18n import has, t
from generator.problems import Problem, Text

COMMON = "common"

#: ECMA-262's ``\\s`` (white space and line terminators): JSON Schema patterns are ECMA regular
#: expressions, and editors (yaml-language-server) run them as such.
ECMA_SPACE = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_BLANK = re.compile(f"[{ECMA_SPACE}]*\\Z")
_LINE_BREAK = re.compile("[\n\r\u2028\u2029\x85]")
#: The characters of ``ECMA_SPACE``, for ``str.strip``.
ECMA_SPACE_CHARS = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


def _ecma_source(pattern: str) -> str:
    """``pattern`` rewritten so that Python's ``re`` gives it its ECMA-262 meaning.

    Python differs where it matters for codes: ``$`` also matches before a
    final newline (a block scalar ``|`` gives ``"2099-02-30\\n"``), ``\\d``
    and ``\\w`` match every Unicode digit and letter (full-width ``２``), and
    ``.`` matches CR.  ``$`` becomes ``\\Z``, ``.`` excludes every line
    terminator, ``\\s``/``\\S`` become ECMA's classes, and the rest is
    compiled with ``re.ASCII``.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(ECMA_SPACE if in_class else f"[{ECMA_SPACE}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{ECMA_SPACE}]")
            else:
                out.append(char + nxt)
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":  # keep ``[^`` together so ``^`` is not read as an anchor
                out.append("^")
                i += 1
        elif char == "$":
            out.append("\\Z")
        elif char == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        else:
            out.append(char)
        i += 1
    return "".join(out)


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A JSON Schema ``pattern`` compiled with its ECMA-262 meaning (``search``, as the spec says)."""
    return re.compile(_ecma_source(pattern), re.ASCII)


def is_blank(text: str) -> bool:
    """Empty or only white space (ECMA's, so ``"　"`` U+3000 counts): what a ``\\S`` pattern refuses."""
    return _BLANK.match(text) is not None


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and ecma_regex(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft-07 with ECMA-262 patterns: the schemas stay plain draft-07 for editors, and the checks here
#: give each pattern the meaning editors give it.
Validator = validators.extend(Draft7Validator, {"pattern": _ecma_pattern})


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
    registry: RefRegistry = RefRegistry().with_resource("", Resource(doc, DRAFT7))  # type: ignore[call-arg]
    compiled: Draft7Validator = Validator(doc, registry=registry)
    return compiled


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
    """`` (Title)`` of a field for a message, or nothing when the schema gives none."""
    node = resolve(doc, node) if isinstance(node, dict) else {}
    zh, en = label(node, "zh"), label(node, "en")
    return Text(f"（{zh}）" if zh else "", f" ({en})" if en else "")


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
        yield Problem.make(
            rel,
            line,
            column,
            "S001",
            field=_pointer_text((*pointer, missing)),
            name=missing,
            title=_title(doc, prop),
        )
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
                yield Problem.make(
                    rel,
                    line,
                    column,
                    "S007",
                    field=where,
                    name=extra,
                    allowed=Text("、".join(allowed), ", ".join(allowed)),
                )
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
        yield Problem.make(
            rel,
            line,
            column,
            code,
            field=field,
            name=field,
            expected=_type_text(expected),
            actual=_type_text(actual),
            value=_short(error.instance),
        )
    elif error.validator == "enum":
        line, column = yamlio.locate(path, pointer)
        options = [str(o) for o in error.validator_value]
        guess = difflib.get_close_matches(str(error.instance), options, n=1, cutoff=0.5)
        did_you_mean = Text(
            *(t(lang, "label.did_you_mean", suggestion=guess[0]) if guess else "" for lang in ("zh", "en"))
        )
        yield Problem.make(
            rel,
            line,
            column,
            "S004",
            field=field,
            name=field,
            value=_short(error.instance),
            did_you_mean=did_you_mean,
            options=", ".join(options),
        )
    elif error.validator == "pattern" and isinstance(error.instance, str) and is_blank(error.instance):
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(rel, line, column, "S010", field=field, name=field, title=_title(doc, schema_node))
    elif error.validator == "pattern" and isinstance(error.instance, str) and _LINE_BREAK.search(error.instance):
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(
            rel,
            line,
            column,
            "S011",
            field=field,
            name=field,
            value=_short(error.instance.strip(ECMA_SPACE_CHARS)),
            title=_title(doc, schema_node),
        )
    elif error.validator == "pattern":
        line, column = yamlio.locate(path, pointer)
        yield Problem.make(
            rel,
            line,
            column,
            "S005",
            field=field,
            name=field,
            value=_short(error.instance),
            help=Text(label(schema_node, "zh", "description"), label(schema_node, "en", "description")),
        )
    else:
        line, column = yamlio.locate(path, pointer)
        rule = str(error.validator)
        limit = _short(error.validator_value)
        key = f"rule.{rule}" if rule in _RULES else "rule.other"
        yield Problem.make(
            rel,
            line,
            column,
            "S006",
            field=field,
            name=field,
            value=_short(error.instance),
            rule=Text(*(t(lang, key, limit=limit, rule=rule) for lang in ("zh", "en"))),
        )


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
# slow for 100k records.  Almost every record is valid, so the schema is
# compiled once into a plain Python function that answers "certainly valid?"
# ~50x faster; only a record it does not accept goes through ``iter_errors``
# for the full messages.  It supports the keywords our schemas use, refuses
# to compile anything else, and answers ``False`` whenever unsure (e.g. a str
# subclass, 2.0 as an integer), so it can never hide an error: a property
# test compares it with jsonschema.

Predicate = Callable[[Any], bool]

#: Keywords that never affect validity.
_ANNOTATIONS = frozenset(
    ("title", "description", "examples", "default", "$schema", "$id", "$comment", "$defs", "definitions")
)
_SUPPORTED = frozenset(
    (
        "type",
        "properties",
        "additionalProperties",
        "required",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minimum",
        "maximum",
    )
)
_TYPE_TEST = {
    "string": "type({v}) is str",
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "integer": "type({v}) is int",
    "number": "type({v}) in (int, float)",
}
#: Guards that make a keyword apply only to its kind of value, as JSON Schema says.
_GUARD = {
    "str": "isinstance({v}, str)",
    "dict": "isinstance({v}, dict)",
    "list": "isinstance({v}, list)",
    "num": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
}
_KEYWORD_KIND = {
    "properties": "dict",
    "additionalProperties": "dict",
    "required": "dict",
    "pattern": "str",
    "minLength": "str",
    "maxLength": "str",
    "items": "list",
    "minItems": "list",
    "maxItems": "list",
    "uniqueItems": "list",
    "minimum": "num",
    "maximum": "num",
}
_KIND_OF_TYPE = {"string": "str", "object": "dict", "array": "list", "integer": "num", "number": "num"}


class _Unsupported(Exception):
    pass


class _Gen:
    """Writes the body of ``def valid(v0)``: each failing test returns False."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.names = 0

    def const(self, value: Any) -> str:
        self.names += 1
        name = f"c{self.names}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def node(self, node: Any, v: str, indent: int, depth: int = 0) -> None:
        if depth > 40:
            raise _Unsupported("depth")
        if node is True or node == {}:
            return
        if not isinstance(node, dict):
            raise _Unsupported(repr(node))
        if "$ref" in node:  # draft-07: siblings of $ref are ignored
            self.node(resolve(self.doc, node), v, indent, depth + 1)
            return
        keys = {k for k in node if k not in _ANNOTATIONS and not k.startswith("x-")}
        if keys - _SUPPORTED:
            raise _Unsupported(", ".join(sorted(keys - _SUPPORTED)))
        known_kind = None
        if "type" in node:
            names = [node["type"]] if isinstance(node["type"], str) else list(node["type"])
            if any(n not in _TYPE_TEST for n in names):
                raise _Unsupported(str(names))
            self.emit(
                indent, f"if not ({' or '.join(_TYPE_TEST[n].format(v=v) for n in names)}): return False"
            )
            kinds = {_KIND_OF_TYPE.get(n) for n in names}
            known_kind = kinds.pop() if len(kinds) == 1 else None
        if "enum" in node:
            values = node["enum"]
            if not all(isinstance(x, str) for x in values):
                raise _Unsupported("enum")
            self.emit(
                indent, f"if type({v}) is not str or {v} not in {self.const(frozenset(values))}: return False"
            )
        for kind in ("dict", "str", "list", "num"):
            present = [k for k in keys if _KEYWORD_KIND.get(k) == kind]
            if not present:
                continue
            inner = indent
            if known_kind != kind:
                self.emit(indent, f"if {_GUARD[kind].format(v=v)}:")
                inner = indent + 1
            getattr(self, f"_{kind}")(node, v, inner, depth)

    def _dict(self, node: dict[str, Any], v: str, indent: int, depth: int) -> None:
        if node.get("additionalProperties", True) is not True:
            if node["additionalProperties"] is not False:
                raise _Unsupported("additionalProperties")
            allowed = self.const(frozenset(node.get("properties", {})))
            self.emit(indent, f"if not {allowed}.issuperset({v}): return False")
        if node.get("required"):
            self.emit(indent, f"if not {self.const(frozenset(node['required']))}.issubset({v}): return False")
        for name, sub in node.get("properties", {}).items():
            x = self.var()
            self.emit(indent, f"{x} = {v}.get({name!r}, MISSING)")
            self.emit(indent, f"if {x} is not MISSING:")
            before = len(self.lines)
            self.node(sub, x, indent + 1, depth + 1)
            if len(self.lines) == before:
                self.emit(indent + 1, "pass")

    def _str(self, node: dict[str, Any], v: str, indent: int, depth: int) -> None:
        if "pattern" in node:
            self.emit(
                indent, f"if {self.const(ecma_regex(node['pattern']).search)}({v}) is None: return False"
            )
        if "minLength" in node:
            self.emit(indent, f"if len({v}) < {int(node['minLength'])}: return False")
        if "maxLength" in node:
            self.emit(indent, f"if len({v}) > {int(node['maxLength'])}: return False")

    def _list(self, node: dict[str, Any], v: str, indent: int, depth: int) -> None:
        if "minItems" in node:
            self.emit(indent, f"if len({v}) < {int(node['minItems'])}: return False")
        if "maxItems" in node:
            self.emit(indent, f"if len({v}) > {int(node['maxItems'])}: return False")
        if node.get("uniqueItems"):
            self.emit(
                indent, f"if not all(type(e) is str for e in {v}) or len(set({v})) != len({v}): return False"
            )
        if "items" in node:
            if not isinstance(node["items"], dict):
                raise _Unsupported("items")
            x = self.var()
            self.emit(indent, f"for {x} in {v}:")
            before = len(self.lines)
            self.node(node["items"], x, indent + 1, depth + 1)
            if len(self.lines) == before:
                self.emit(indent + 1, "pass")

    def _num(self, node: dict[str, Any], v: str, indent: int, depth: int) -> None:
        for key, op in (("minimum", "<"), ("maximum", ">")):
            if key in node:
                limit = node[key]
                if isinstance(limit, bool) or not isinstance(limit, int | float):
                    raise _Unsupported(key)
                self.emit(indent, f"if {v} {op} {limit!r}: return False")


def compile_fast(doc: dict[str, Any]) -> Predicate:
    """A function that is ``True`` only for instances the bundled schema ``doc`` certainly accepts.

    Raises ``_Unsupported`` for a schema using a keyword it does not know.
    """
    gen = _Gen(doc)
    gen.node(doc, "v0", 1)
    source = "def valid(v0):\n" + "\n".join(gen.lines) + "\n    return True\n"
    namespace: dict[str, Any] = {"MISSING": object(), **gen.consts}
    exec(compile(source, "<hubdir-fast-schema>", "exec"), namespace)
    valid: Predicate = namespace["valid"]
    return valid


__all__ = ["Shapes", "bundle", "compile_fast", "jsonschema", "label", "load_schema", "properties", "resolve"]
