"""Strict YAML loading: every YAML 1.1 trap is an error with a position, never a silent change.

PyYAML's ``safe_load`` turns ``0757223344`` into an octal number, ``no`` into
``False``, ``17:30`` into 1050 and ``2019-05-04`` into a date, and lets a
duplicate key silently win.  Here only ``true``/``false`` are booleans, only
plain decimal numbers are numbers, and every other plain scalar stays the text
the staff member typed.  The C parser composes the node tree (fast); the tree
is turned into Python values by a small walker that also rejects duplicate
keys, unknown tags and non-string keys.

Positions are not kept in the returned values (that would cost memory at
province scale).  ``locate`` re-reads a file only when a later check needs
to point at a field, which happens for a handful of files per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 1024 * 1024

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"

_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+\Z")


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A loader whose implicit typing is YAML 1.2-core-like and much narrower than YAML 1.1."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:  # noqa: D102
        if kind is ScalarNode:
            if implicit[0]:
                if value in ("", "~", "null"):
                    return NULL
                if value in ("true", "false"):
                    return BOOL
                first = value[0]
                if first == "-" or first.isdigit():
                    if _INT_RE.match(value):
                        return INT
                    if _FLOAT_RE.match(value):
                        return FLOAT
            return STR
        return SEQ if kind is SequenceNode else MAP


@dataclass
class LoadError(Exception):
    """A file that cannot be read as one strict YAML mapping."""

    code: str
    line: int = 0
    column: int = 0
    args_: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        super().__init__(self.code)

    @property
    def args_dict(self) -> dict[str, Any]:
        return dict(self.args_)


def _err(code: str, line: int = 0, column: int = 0, **args: Any) -> LoadError:
    return LoadError(code, line, column, tuple(sorted(args.items())))


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def decode(raw: bytes) -> str:
    """Decode UTF-8 (with or without BOM); anything else is an error at its first bad byte."""
    if len(raw) > MAX_BYTES:
        raise _err("Y001", size=len(raw), limit=MAX_BYTES)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _err("Y002", 1, 1, encoding="UTF-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, column = _position(prefix, len(prefix))
        raise _err("Y002", line, column, encoding=_guess_encoding(raw)) from None


def _guess_encoding(raw: bytes) -> str:
    for name in ("gb18030", "big5"):
        try:
            raw.decode(name)
            return name.upper()
        except UnicodeDecodeError:
            continue
    return "?"


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def compose(text: str) -> Node | None:
    """Compose ``text`` into a node tree, rejecting tabs, anchors and aliases first."""
    tab = text.find("\t")
    if tab >= 0:
        raise _err("Y004", *_position(text, tab))
    if "&" in text or "*" in text:
        # Rare: only then pay for an event scan that finds anchors and aliases
        # before anything could be expanded (an alias bomb is a few hundred bytes).
        try:
            for event in yaml.parse(text, Loader=_BaseLoader):
                anchor = getattr(event, "anchor", None)
                if anchor is not None:
                    raise _err("Y007", event.start_mark.line + 1, event.start_mark.column + 1, anchor=anchor)
        except yaml.MarkedYAMLError as exc:
            raise _syntax(exc) from None
    loader = StrictLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _syntax(exc) from None
    except yaml.YAMLError as exc:  # ReaderError for control characters
        position = getattr(exc, "position", 0) or 0
        raise _err("Y005", *_position(text, position), detail=str(getattr(exc, "reason", exc))) from None
    finally:
        loader.dispose()


def _syntax(exc: yaml.MarkedYAMLError) -> LoadError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    detail = " ".join(x for x in (exc.context, exc.problem) if x)
    return _err("Y005", line, column, detail=detail)


def construct(node: Node) -> Any:
    """Turn a composed node into plain values; reject what the strict rules forbid."""
    if isinstance(node, ScalarNode):
        tag, value = node.tag, node.value
        if tag == STR:
            return value
        try:
            if tag == INT:
                return int(value)
            if tag == FLOAT:
                return float(value)
        except ValueError:
            raise _err("Y010", *_mark(node), tag=tag) from None
        if tag == BOOL and value in ("true", "false"):
            return value == "true"
        if tag == NULL and value in ("", "~", "null"):
            return None
        raise _err("Y010", *_mark(node), tag=tag)
    if isinstance(node, SequenceNode):
        if node.tag != SEQ:
            raise _err("Y010", *_mark(node), tag=node.tag)
        return [construct(item) for item in node.value]
    if isinstance(node, MappingNode):
        if node.tag != MAP:
            raise _err("Y010", *_mark(node), tag=node.tag)
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == STR):
                key_text = key_node.value if isinstance(key_node, ScalarNode) else "…"
                raise _err("Y009", *_mark(key_node), key=key_text)
            key = key_node.value
            if key in result:
                line, column = _mark(key_node)
                raise _err("Y006", line, column, key=key, first=first_line[key])
            first_line[key] = key_node.start_mark.line + 1
            result[key] = construct(value_node)
        return result
    raise _err("Y010", *_mark(node), tag=getattr(node, "tag", "?"))  # pragma: no cover


def loads(text: str) -> dict[str, Any]:
    """Parse one record from text; raise ``LoadError`` with a position on any trap."""
    node = compose(text)
    if node is None:
        raise _err("Y003", 1, 1)
    if not isinstance(node, MappingNode):
        raise _err("Y008", *_mark(node))
    data: dict[str, Any] = construct(node)
    return data


def load_file(path: Path) -> dict[str, Any]:
    return loads(decode(path.read_bytes()))


def locate(path: Path, pointer: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]:
    """1-based position of the node at ``pointer`` (or of its key) in ``path``.

    Falls back to the nearest existing ancestor, so a missing field points at
    the mapping that should hold it.
    """
    try:
        node = compose(decode(path.read_bytes()))
    except (LoadError, OSError):
        return 0, 0
    if node is None:
        return 1, 1
    position = _mark(node)
    for step in pointer:
        child: Node | None = None
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == step:
                    child = value_node
                    position = _mark(key_node) if key and step == pointer[-1] else _mark(value_node)
                    break
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            child = node.value[step]
            position = _mark(child)
        if child is None:
            break
        node = child
    return position
