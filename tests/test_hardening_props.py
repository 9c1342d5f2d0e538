"""Issue 11 properties: on generated YAML the strict loader accepts, `fmt` keeps the data and the
fast reader agrees with the strict one (CRLF, flow collections, huge numbers, quotes, `?`, `:`, `#`).

Documents are built from random values written in random but valid styles
(plain, single- or double-quoted, block or flow collections, LF or CRLF), so
the generator covers what staff type and what other tools write.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generator import schema, yamlio
from generator.fmt import format_text
from tests.conftest import REPO

HUBS = schema.bundle(REPO / "schemas", "hubs")

#: Characters that matter to YAML's syntax, plus CJK, full-width and other Unicode.
_ALPHABET = st.sampled_from(
    [*list("ab xyz019-_.?:#,'\"[]{}&*!|>%@`~=/\\"), "示", "例", "镇", "２", "٣", "é", "\xa0", "\u3000", "😀"]
)
TEXT = st.text(alphabet=_ALPHABET, max_size=24)
NUMBERS = st.one_of(
    st.integers(-(10**120), 10**120).map(str),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(-(10**30), 10**30), st.text("0123456789", min_size=1, max_size=220)),
    st.just("9" * 400 + ".5"),
    st.just("0." + "0" * 400 + "1"),
    st.sampled_from(["0757223344", "-0", "1_000", "0x1F", "1e5", ".5", "3.10", "+1", "17:30", "2019-05-04"]),
)
WORDS = st.sampled_from(["true", "false", "null", "~", "no", "on", "yes", "y", "N", "", "-", "?", ":", "#"])


def _double(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@st.composite
def scalar(draw: st.DrawFn) -> str:
    """One scalar as it could be typed: the text of a value in some style."""
    text = draw(st.one_of(TEXT, NUMBERS, WORDS))
    style = draw(st.sampled_from(["plain", "plain", "double", "single"]))
    if style == "double":
        return _double(text)
    if style == "single":
        return _single(text)
    return text


KEYS = st.sampled_from(["id", "name", "address", "aliases", "description", "x_note", "other", "kind", "a"])


@st.composite
def value(draw: st.DrawFn, indent: int, depth: int = 0) -> str:
    """The text after ``key:`` (a scalar, a flow collection, or a block on the next lines)."""
    kind = draw(st.sampled_from(["scalar", "scalar", "scalar", "flow_list", "flow_map", "block_list", "block_map"]))
    if depth >= 2:
        kind = "scalar"
    if kind == "scalar":
        return " " + draw(scalar())
    if kind == "flow_list":
        items = draw(st.lists(scalar(), max_size=4))
        return " [" + ", ".join(items) + "]"
    if kind == "flow_map":
        pairs = draw(st.lists(st.tuples(KEYS, scalar()), max_size=3, unique_by=lambda p: p[0]))
        return " {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    pad = " " * (indent + 2)
    if kind == "block_list":
        items = draw(st.lists(scalar(), min_size=1, max_size=3))
        return "".join(f"\n{pad}- {item}" for item in items)
    keys = draw(st.lists(KEYS, min_size=1, max_size=3, unique=True))
    return "".join(f"\n{pad}{key}:{draw(value(indent + 2, depth + 1))}" for key in keys)


@st.composite
def document(draw: st.DrawFn) -> str:
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    lines = [f"{key}:{draw(value(0))}" for key in keys]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "# " + draw(TEXT).replace("\n", " "))
    text = "\n".join(lines) + "\n"
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


def _typed(data: Any) -> Any:
    """``data`` with every scalar's type made part of it, key order aside (fmt orders keys by the schema)."""
    if isinstance(data, dict):
        return tuple(sorted((k, _typed(v)) for k, v in data.items()))
    if isinstance(data, list):
        return tuple(_typed(v) for v in data)
    return (type(data).__name__, repr(data))


def _strict(text: str) -> Any:
    try:
        return yamlio.strict_loads(text)
    except yamlio.LoadError:
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(document())
def test_fmt_keeps_every_value_and_is_idempotent(text: str) -> None:
    data = _strict(text)
    assume(data is not None)
    out = format_text(text, HUBS)
    assert yamlio.strict_loads(out) == data
    assert _typed(yamlio.loads(out)) == _typed(data)  # 1 and 1.0, "1" and 1 stay apart
    assert format_text(out, HUBS) == out


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(document())
def test_fast_reader_agrees_on_crlf_flow_and_huge_numbers(text: str) -> None:
    strict = _strict(text)
    fast = yamlio.fast_loads(text)
    if strict is None:
        assert fast is None, text
        return
    if fast is not None:
        assert repr(fast) == repr(strict), text
    assert repr(yamlio.loads(text)) == repr(strict)
    # The same document with the other line ending reads the same.
    other = text.replace("\r\n", "\n") if "\r\n" in text else text.replace("\n", "\r\n")
    assert repr(yamlio.loads(other)) == repr(strict)


@settings(max_examples=300, deadline=None)
@given(NUMBERS)
def test_numbers_follow_one_rule(number: str) -> None:
    expected = yamlio.plain_number(number)
    for text in (f"a: {number}\n", f"a: {number}\r\n", f"a: {number}\nb: [x]\n", f"b: {{x: y}}\na: {number}\n"):
        got = yamlio.loads(text)["a"]
        assert repr(got) == repr(expected if expected is not None else number)
    if expected is not None and isinstance(expected, float):
        assert expected not in (float("inf"), float("-inf"))
