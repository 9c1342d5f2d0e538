"""Strict YAML loading: every YAML 1.1 trap is an error with a position, never a silent change.

PyYAML's ``safe_load`` turns ``0757223344`` into an octal number, ``no`` into
``False``, ``17:30`` into 1050 and ``2019-05-04`` into a date, and lets a
duplicate key silently win.  Here only ``true``/``false`` are booleans, only
plain decimal numbers are numbers, and every other plain scalar stays the text
the staff member typed.

Two readers give the same values:

* ``fast_loads``: a line-based reader for the small block-style subset that
  records are written in (~5x faster than the C parser, which still builds
  a Python node per scalar).  It returns ``None`` for anything it does not
  fully understand, including every input the strict reader would reject.
* ``strict_loads``: the C parser composes a node tree, after tabs, encodings,
  deep nesting, anchors and aliases have been refused; a small walker turns
  it into values and rejects duplicate keys, tags and non-text keys, each
  with a line and column.

``loads`` tries the first and falls back to the second; property tests check
that they agree on every text the fast reader accepts.

Positions are not kept in the returned values (that would cost memory at
province scale).  ``locate`` re-reads a file only when a later check needs
to point at a field, which happens for a handful of files per run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.i18n import t
from generator.problems import Text

MAX_BYTES = 1024 * 1024
#: Records are shallow; deeper nesting is an error (and keeps recursion bounded).
MAX_DEPTH = 20
#: Longer digit strings stay text (Python refuses to convert > 4300 digits anyway).
MAX_INT_DIGITS = 100

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
_NONZERO = re.compile(r"[1-9]")


def plain_number(value: str) -> int | float | None:
    """The number a plain scalar stands for, or ``None`` when it stays text.

    The one rule both readers (and ``fmt``) follow: decimal integers of up to
    ``MAX_INT_DIGITS`` characters, and decimals whose value a float can hold.
    A decimal that would overflow to ``inf`` (a 400-digit number) or underflow
    to ``0.0`` stays the text that was typed, so no value is silently changed
    and the shape check shows what was written.
    """
    if _INT_RE.match(value):
        return int(value) if len(value) <= MAX_INT_DIGITS else None
    if _FLOAT_RE.match(value):
        number = float(value)
        if number in (float("inf"), float("-inf")) or (number == 0.0 and _NONZERO.search(value)):
            return None
        return number
    return None


def number_tag(value: str) -> str | None:
    """``INT``/``FLOAT`` for a plain scalar that is a number by ``plain_number``, else ``None``."""
    number = plain_number(value)
    if number is None:
        return None
    return INT if isinstance(number, int) else FLOAT


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A loader whose implicit typing is YAML 1.2-core-like and much narrower than YAML 1.1."""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                if value in ("", "~", "null"):
                    return NULL
                if value in ("true", "false"):
                    return BOOL
                first = value[0]
                if first == "-" or "0" <= first <= "9":
                    return number_tag(value) or STR
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
    if b"\x00" in raw:
        utf16 = _utf16_without_bom(raw)
        if utf16 is not None:  # a Windows editor's "Unicode": the whole file is wrong
            raise _err("Y002", 1, 1, encoding=utf16)
        # A binary file (or a stray NUL byte): point at the first NUL.
        prefix = raw[: raw.index(b"\x00")].decode("utf-8", "replace")
        raise _err("Y013", *_position(prefix, len(prefix)))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Point at the start of the run of non-ASCII bytes holding the bad byte: in a GBK file the
        # first character's two bytes may happen to look like UTF-8, the second's not.
        start = exc.start
        while start > 0 and raw[start - 1] >= 0x80:
            start -= 1
        prefix = raw[:start].decode("utf-8", "replace")
        line, column = _position(prefix, len(prefix))
        guess = _guess_encoding(raw)
        if guess is None:
            raise _err("Y014", line, column) from None
        raise _err("Y002", line, column, encoding=guess) from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """``UTF-16LE``/``UTF-16BE`` when ``raw`` looks like UTF-16 text without a byte-order mark.

    Records have ASCII keys, so UTF-16 text has a NUL in (nearly) every other byte on one side;
    a binary file's NUL bytes fall on both sides.
    """
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, name in ((odd, even, "UTF-16LE"), (even, odd, "UTF-16BE")):
        if zeros.count(0) >= len(zeros) * 0.3 and other.count(0) <= len(other) * 0.02:
            try:
                raw[: len(raw) // 2 * 2].decode(name.lower().replace("utf-16", "utf-16-"))
            except UnicodeDecodeError:
                return None
            return name
    return None


def _guess_encoding(raw: bytes) -> str | None:
    """The legacy encoding ``raw`` most likely is in, or ``None`` when none fits."""
    for name, shown in (("gbk", "GBK"), ("gb18030", "GB18030"), ("big5", "Big5"), ("cp1252", "Windows-1252")):
        try:
            raw.decode(name)
            return shown
        except UnicodeDecodeError:
            continue
    return None


def _event_position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def compose(text: str) -> Node | None:
    """Compose ``text`` into a node tree, rejecting tabs, anchors and aliases first."""
    tab = text.find("\t")
    if tab >= 0:
        raise _err("Y004", *_position(text, tab))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: only from text that never was UTF-8
        raise _err("Y014", *_position(text, exc.start)) from None
    _check_depth(text)
    if "&" in text or "*" in text:
        # Rare: only then pay for an event scan that finds anchors and aliases
        # before anything could be expanded (an alias bomb is a few hundred bytes).
        try:
            for event in yaml.parse(text, Loader=_BaseLoader):
                anchor = getattr(event, "anchor", None)
                if anchor is not None:
                    raise _err("Y007", *_event_position(event), anchor=anchor)
        except yaml.MarkedYAMLError as exc:
            raise _syntax(exc) from None
        except yaml.YAMLError as exc:
            raise _reader(text, exc) from None
    loader = StrictLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _syntax(exc) from None
    except yaml.YAMLError as exc:  # ReaderError for control characters
        raise _reader(text, exc) from None
    except RecursionError:
        raise _err("Y012", 1, 1, limit=MAX_DEPTH) from None
    finally:
        loader.dispose()


_BRACKETS = re.compile(r"[\[\]{}]")
_NESTING_EVENTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING_EVENTS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _check_depth(text: str) -> None:
    """Refuse deep nesting *before* libyaml sees it.

    libyaml's composer recurses in C (``"- " * 100000`` crashes the process)
    and its flow parser is quadratic (``"[" * 100000`` takes minutes).  Flow
    brackets are counted on the raw text (conservatively: brackets inside
    quotes count too); lines that could open many block levels are checked
    with the iterative event parser.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _err("Y012", *_position(text, match.start()), limit=MAX_DEPTH)
        elif depth:
            depth -= 1
    suspicious = any(
        len(line) - len(line.lstrip(" ")) + line.count("- ") + line.count("? ") > 2 * MAX_DEPTH
        for line in text.split("\n")
        if len(line) > 2 * MAX_DEPTH
    )
    if not suspicious:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, _NESTING_EVENTS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _err("Y012", *_event_position(event), limit=MAX_DEPTH)
            elif isinstance(event, _CLOSING_EVENTS):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        raise _syntax(exc) from None
    except yaml.YAMLError as exc:
        raise _reader(text, exc) from None


#: PyYAML/libyaml problem texts → a reason staff can act on (catalogue key ``yaml_reason.*``).
_REASONS = (
    ("mapping values are not allowed", "mapping_values"),
    ("could not find expected ':'", "expected_colon"),
    ("did not find expected key", "expected_key"),
    ("did not find expected '-' indicator", "expected_dash"),
    ("end of stream", "end_of_stream"),
    ("cannot start any token", "bad_start"),
    ("did not find expected node content", "node_content"),
    ("escape", "escape"),
    ("control characters", "control"),
    ("special characters", "control"),
    ("another document", "documents"),
    ("single document", "documents"),
    ("block sequence entries are not allowed", "sequence_entry"),
    ("expected comment or line break", "trailing"),
)


def _reason(detail: str) -> Text:
    key = next((k for needle, k in _REASONS if needle in detail), "other")
    return Text(t("zh", f"yaml_reason.{key}"), t("en", f"yaml_reason.{key}"))


def _reader(text: str, exc: yaml.YAMLError) -> LoadError:
    position = getattr(exc, "position", 0) or 0
    detail = str(getattr(exc, "reason", exc))
    return _err("Y005", *_position(text, min(position, len(text))), detail=detail, reason=_reason(detail))


def _syntax(exc: yaml.MarkedYAMLError) -> LoadError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    detail = " ".join(x for x in (exc.context, exc.problem) if x)
    return _err("Y005", line, column, detail=detail, reason=_reason(detail))


#: Control characters a double-quoted escape (``"\\e"``, ``"\\x00"``, ``"\\r"``) can put into a value:
#: the YAML reader refuses them typed raw, and they never belong in published data (a line break
#: ``\\n`` does, in descriptions; a tab is harmless and shown escaped in messages).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _control_error(node: Node, value: str) -> None:
    char = _CONTROL.search(value)
    assert char is not None
    raise _err("Y016", *_mark(node), char=f"U+{ord(char.group()):04X}")


def construct(node: Node, depth: int = 0) -> Any:
    """Turn a composed node into plain values; reject what the strict rules forbid."""
    if depth > MAX_DEPTH:
        raise _err("Y012", *_mark(node), limit=MAX_DEPTH)
    if isinstance(node, ScalarNode):
        tag, value = node.tag, node.value
        if tag == STR:
            if _CONTROL.search(value):
                _control_error(node, value)
            return value
        # An explicit ``!!int 0757`` must not turn a phone number into 757: only the plain forms convert.
        if tag in (INT, FLOAT) and number_tag(value) == tag:
            return plain_number(value)
        if tag == BOOL and value in ("true", "false"):
            return value == "true"
        if tag == NULL and value in ("", "~", "null"):
            return None
        raise _err("Y010", *_mark(node), tag=tag)
    if isinstance(node, SequenceNode):
        if node.tag != SEQ:
            raise _err("Y010", *_mark(node), tag=node.tag)
        return [construct(item, depth + 1) for item in node.value]
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
            if _CONTROL.search(key):
                _control_error(key_node, key)
            if key in result:
                line, column = _mark(key_node)
                raise _err("Y006", line, column, key=key, first=first_line[key])
            first_line[key] = key_node.start_mark.line + 1
            result[intern(key)] = construct(value_node, depth + 1)  # (as the fast reader's: ``_FastReader.mapping``)
        return result
    raise _err("Y010", *_mark(node), tag=getattr(node, "tag", "?"))  # pragma: no cover


def loads(text: str) -> dict[str, Any]:
    """Parse one record from text; raise ``LoadError`` with a position on any trap."""
    fast = fast_loads(text)
    if fast is not None:
        return fast
    return strict_loads(text)


def strict_loads(text: str) -> dict[str, Any]:
    """The full strict reader (C parser + strict construction), used when the fast path declines."""
    node = compose(text)
    if node is None:
        raise _err("Y003", 1, 1)
    if not isinstance(node, MappingNode):
        raise _err("Y008", *_mark(node))
    data: dict[str, Any] = construct(node)
    return data


def read_limited(path: Path) -> bytes:
    """The bytes of ``path``, refusing a file over ``MAX_BYTES`` before reading it all (a 10 GB file)."""
    with open(path, "rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise _err("Y001", size=os.fstat(handle.fileno()).st_size, limit=MAX_BYTES)
    return raw


def load_file(path: Path) -> dict[str, Any]:
    return loads(decode(read_limited(path)))


def locate(path: Path, pointer: tuple[str | int, ...], *, key: bool = False) -> tuple[int, int]:
    """1-based position of the node at ``pointer`` (or of its key) in ``path``.

    Falls back to the nearest existing ancestor, so a missing field points at
    the mapping that should hold it.
    """
    try:
        node = _composed(path)
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


#: The last few composed files: a record with several problems is composed once, not once per problem.
_COMPOSED: dict[tuple[str, int, int], Node | None] = {}


def _composed(path: Path) -> Node | None:
    stat = path.stat()
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size)
    if cache_key not in _COMPOSED:
        if len(_COMPOSED) >= 16:
            _COMPOSED.pop(next(iter(_COMPOSED)))
        _COMPOSED[cache_key] = compose(decode(path.read_bytes()))
    return _COMPOSED[cache_key]


# -- fast path -----------------------------------------------------------------
#
# The C parser still builds a Python node object (and two position marks) for
# every scalar, which costs ~0.9 ms for a typical record: too slow for 100k
# records on 2 cores.  Records are written in a small, regular subset of YAML
# (block mappings and sequences, plain or simply quoted scalars, comments), so
# a line-based reader handles that subset ~10x faster.  It *only* accepts input
# it fully understands and returns ``None`` for anything else; the strict
# loader then reads the file and reports problems with positions.  A property
# test checks both readers agree on every text the fast one accepts.

#: Characters that make the fast reader give up: control characters (the YAML
#: reader rejects them), CR and the other YAML 1.1 line breaks, tabs, BOMs.
_FAST_BAD = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_FAST_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63}):(?: +(.*)|\Z)")
#: A content line: its indentation and its text without trailing spaces (blank and comment lines never match).
_FAST_LINE = re.compile(r"^( *)([^ #\n](?:[^\n]*[^ \n])?) *$", re.M)
#: The common plain scalar: no indicator first, no ": " inside, no " #" comment, no trailing colon.
_PLAIN = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ](?:[^:#]|:(?=[^ ])|(?<! )#)*\Z")
_SPECIAL: dict[str, Any] = {"~": None, "null": None, "true": True, "false": False}
#: First characters a plain scalar may not start with (YAML indicators), plus quotes handled separately.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESERVED_KEYS = frozenset(("true", "false", "null"))


class _Fallback(Exception):
    """The fast reader met something outside its subset."""


def _fast_scalar(text: str) -> Any:
    """Value of the text after ``key:`` or ``- `` (leading spaces removed, may hold a comment)."""
    if _PLAIN.match(text):
        if text in _SPECIAL:
            return _SPECIAL[text]
        if not text[0].isdigit():
            return text
    if not text or text[0] == "#":
        return None
    first = text[0]
    if first == '"' or first == "'":
        end = text.find(first, 1)
        if end < 0:
            raise _Fallback
        body, after = text[1:end], text[end + 1 :]
        if first == '"' and "\\" in body:
            raise _Fallback  # escapes
        if after and (after[0] != " " or after.lstrip(" ")[:1] not in ("", "#")):
            raise _Fallback  # '' escapes, text after the closing quote
        return body
    if text == "[]":
        return []
    if text == "{}":
        return {}
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    text = text.rstrip(" ")
    if first in _INDICATORS and not (first == "-" and (_INT_RE.match(text) or _FLOAT_RE.match(text))):
        raise _Fallback
    if ": " in text or text.endswith(":"):
        raise _Fallback
    if text in ("", "~", "null"):
        return None
    if text == "true":
        return True
    if text == "false":
        return False
    if first == "-" or "0" <= first <= "9":
        number = plain_number(text)
        if number is not None:
            return number
    return text


def _fast_lines(text: str) -> list[tuple[int, str]]:
    # Document markers (---, ..., %) need no check: such a line is neither a key nor an item,
    # so the reader gives up on it.
    return [(len(indent), content) for indent, content in _FAST_LINE.findall(text)]


#: Scalars repeat across records (codes, kinds, hotlines, dates): remember the immutable ones.
_SCALARS: dict[str, Any] = {}
_SCALARS_MAX = 200_000


def _scalar(text: str) -> Any:
    try:
        return _SCALARS[text]
    except KeyError:
        pass
    value = _fast_scalar(text)
    if value != [] and value != {}:  # never share a mutable value
        if len(_SCALARS) >= _SCALARS_MAX:
            _SCALARS.clear()
        _SCALARS[text] = value
    return value


class _FastReader:
    __slots__ = ("depth", "lines", "pos")

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines
        self.pos = 0
        self.depth = 0

    def nested(self, indent: int, sequence: bool, first: str | None = None) -> Any:
        """A nested block, as deep as the strict loader allows (it reports deeper ones)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Fallback
        value = self.sequence(indent) if sequence else self.mapping(indent, first)
        self.depth -= 1
        return value

    def mapping(self, indent: int, first: str | None = None) -> dict[str, Any]:
        """A block mapping whose keys sit at column ``indent``; ``first`` is an inline first entry."""
        result: dict[str, Any] = {}
        lines = self.lines
        while True:
            if first is not None:
                content, first = first, None
            else:
                if self.pos >= len(lines):
                    return result
                line_indent, content = lines[self.pos]
                if line_indent < indent:
                    return result
                if line_indent > indent:
                    raise _Fallback
                self.pos += 1
            match = _FAST_KEY.match(content)
            if match is None:
                raise _Fallback
            key, rest = match.group(1, 2)
            # one object per field name in a process (``sys.intern``): the records of a reader's chunk
            # pickle each name once, and the loader's cache shards hold few copies of each
            key = intern(key)
            if key in result or key in _RESERVED_KEYS:
                raise _Fallback
            if rest and rest[0] != "#":
                result[key] = _scalar(rest)
                continue
            # ``key:`` alone: a nested block on deeper lines, or null.
            if self.pos < len(lines):
                child_indent, child = lines[self.pos]
                if child_indent > indent:
                    sequence = child[0] == "-" and (len(child) == 1 or child[1] == " ")
                    result[key] = self.nested(child_indent, sequence)
                    continue
                if child_indent == indent and child[0] == "-":
                    raise _Fallback  # a sequence at the key's own column: let the full parser decide
            result[key] = None

    def sequence(self, indent: int) -> list[Any]:
        result: list[Any] = []
        lines = self.lines
        while self.pos < len(lines):
            line_indent, content = lines[self.pos]
            if line_indent < indent:
                return result
            if line_indent > indent or content[0] != "-":
                raise _Fallback
            if len(content) < 3 or content[1] != " ":
                raise _Fallback
            self.pos += 1
            item = content[2:]
            spaces = len(item) - len(item.lstrip(" "))
            item = item[spaces:]
            if item[0] == "-" and (len(item) == 1 or item[1] == " "):
                raise _Fallback
            if _FAST_KEY.match(item):
                result.append(self.nested(indent + 2 + spaces, False, item))
            else:
                result.append(_scalar(item))
            if self.pos < len(lines) and lines[self.pos][0] > indent and not isinstance(result[-1], dict):
                raise _Fallback  # a continuation line
        return result


def fast_loads(text: str) -> dict[str, Any] | None:
    """The record in ``text`` if it is inside the simple subset, else ``None`` (use ``loads``)."""
    if _FAST_BAD.search(text):
        return None
    try:
        lines = _fast_lines(text)
        if not lines or lines[0][0] != 0:
            return None
        reader = _FastReader(lines)
        result = reader.mapping(0)
        if reader.pos != len(lines):
            return None
        return result
    except (_Fallback, ValueError, IndexError, RecursionError):
        return None
