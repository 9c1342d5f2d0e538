"""The schema files themselves, checked before anything is validated against them.

A project may bring its own ``schemas/``; a truncated file, ``"type": "strin"``,
a ``$ref`` to a web address or a deleted file must then be a located
configuration error (``schemas/hubs.schema.json:12:15: error C004: …``, exit 2)
rather than an internal error deep inside jsonschema.  A remote ``$ref`` is
refused here, so it is never fetched by anything downstream.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, best_match
from yaml.nodes import MappingNode, Node, SequenceNode

from generator.i18n import t
from generator.problems import Problem, Text

COMMON = "common"
#: The only cross-file reference ``schema.bundle`` understands.
_COMMON_REF = re.compile(r"common\.schema\.json#/\$defs/([^/]+)\Z")
_REMOTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")

#: Python's json error texts → catalogue reasons (``hardening.json_reason.*``).
_JSON_REASONS = (
    ("Expecting ',' delimiter", "comma"),
    ("Expecting ':' delimiter", "colon"),
    ("Expecting property name", "property"),
    ("Expecting value", "value"),
    ("Unterminated string", "string"),
    ("Invalid control character", "control"),
    ("Extra data", "extra"),
)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def check(schemas_dir: Path, root: Path, names: Iterable[str]) -> list[Problem]:
    """Every problem of the schema files ``names`` (without ``.schema.json``) in ``schemas_dir``."""
    stamp = tuple(_stamp(schemas_dir / f"{name}.schema.json") for name in names)
    return list(_check(str(schemas_dir), str(root), tuple(names), stamp))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (-1, -1)
    return (info.st_mtime_ns, info.st_size)


@cache
def _check(schemas_dir: str, root: str, names: tuple[str, ...], stamp: tuple[Any, ...]) -> tuple[Problem, ...]:
    folder, base = Path(schemas_dir), Path(root)
    docs: dict[str, tuple[dict[str, Any], str]] = {}
    problems: list[Problem] = []
    real_root = os.path.realpath(base).rstrip(os.sep) + os.sep
    own = os.path.abspath(folder).startswith(os.path.abspath(base).rstrip(os.sep) + os.sep)
    for name in names:
        path = folder / f"{name}.schema.json"
        rel = _rel(path, base)
        real = os.path.realpath(path)
        if own and os.path.lexists(path) and not real.startswith(real_root):
            problems.append(Problem.make(rel, 0, 0, "Y015", name=path.name, target=real))
            continue
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            problems.append(Problem.make(rel, 0, 0, "C002", name=path.name, path=rel))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            detail = getattr(exc, "strerror", None) or str(exc)
            problems.append(Problem.make(rel, 0, 0, "C007", detail=detail))
            continue
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem.make(rel, exc.lineno, exc.colno, "C003", reason=_json_reason(exc.msg)))
            continue
        if not isinstance(doc, dict):
            problems.append(Problem.make(rel, 1, 1, "C004", name="/", detail="the schema must be a JSON object"))
            continue
        docs[name] = (doc, text)
        error = best_match(Draft7Validator(Draft7Validator.META_SCHEMA).iter_errors(doc))
        if error is not None:
            pointer = tuple(error.absolute_path)
            line, column = _locate(text, pointer)
            problems.append(
                Problem.make(rel, line, column, "C004", name=_pointer(pointer), detail=_schema_detail(error))
            )
    for name, (doc, text) in docs.items():
        rel = _rel(folder / f"{name}.schema.json", base)
        for pointer, ref in _refs(doc):
            code = _ref_problem(ref, doc, docs, folder)
            if code:
                line, column = _locate(text, pointer)
                problems.append(Problem.make(rel, line, column, code, ref=ref))
    return tuple(problems)


def _json_reason(message: str) -> Text:
    key = next((k for needle, k in _JSON_REASONS if message.startswith(needle)), "other")
    return Text(
        t("zh", f"hardening.json_reason.{key}", detail=message), t("en", f"hardening.json_reason.{key}", detail=message)
    )


def _schema_detail(error: SchemaError | Any) -> str:
    """jsonschema's English explanation, shortened (it may quote a whole sub-schema)."""
    text = str(error.message)
    return text if len(text) <= 160 else text[:159] + "…"


def _pointer(pointer: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(p) for p in pointer) if pointer else "/"


def _refs(node: Any, pointer: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield (*pointer, key), value
            elif not key.startswith("x-") and key not in ("enum", "const", "examples", "default"):
                yield from _refs(value, (*pointer, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, (*pointer, index))


def _ref_problem(ref: str, doc: dict[str, Any], docs: dict[str, Any], folder: Path) -> str | None:
    """``C005`` for a remote reference, ``C006`` for one that does not resolve here, else ``None``."""
    if _REMOTE.match(ref):
        return "C005"
    if ref.startswith("#"):
        return None if _follow(doc, ref[1:]) else "C006"
    common = _COMMON_REF.match(ref)
    if common is None:
        return "C006"
    if COMMON in docs:
        return None if _follow(docs[COMMON][0], f"/$defs/{common.group(1)}") else "C006"
    return None if os.path.exists(folder / "common.schema.json") else "C006"


def _follow(doc: Any, pointer: str) -> bool:
    if pointer in ("", "/"):
        return True
    if not pointer.startswith("/"):
        return False
    target = doc
    for part in pointer[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdecimal() and part.isascii() and int(part) < len(target):
            target = target[int(part)]
        else:
            return False
    return True


def _locate(text: str, pointer: tuple[str | int, ...]) -> tuple[int, int]:
    """1-based line and column of the value at ``pointer`` in a JSON text (JSON is YAML flow style)."""
    try:
        node: Node | None = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return 1, 1
    if node is None:
        return 1, 1
    position = (node.start_mark.line + 1, node.start_mark.column + 1)
    for step in pointer:
        child: Node | None = None
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    child = value_node
                    break
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            child = node.value[step]
        if child is None:
            break
        node = child
        position = (node.start_mark.line + 1, node.start_mark.column + 1)
    return position
