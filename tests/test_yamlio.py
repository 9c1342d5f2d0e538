"""The strict YAML loader: YAML 1.1 traps stay text, every other trap is an error, nothing crashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.yamlio import LoadError, decode, fast_loads, loads, strict_loads
from tests.conftest import FIXTURE_PROJECT, REPO


def both(text: str) -> dict[str, Any]:
    """Load with the full strict reader, and check the fast reader agrees (or declines)."""
    strict = strict_loads(text)
    fast = fast_loads(text)
    assert fast is None or (fast == strict and repr(fast) == repr(strict))
    assert loads(text) == strict
    return strict


def error(text: str) -> tuple[str, int, int]:
    with pytest.raises(LoadError) as exc:
        loads(text)
    assert fast_loads(text) is None
    return exc.value.code, exc.value.line, exc.value.column


@pytest.mark.parametrize(
    "value",
    [
        "no",
        "No",
        "NO",
        "yes",
        "on",
        "off",
        "y",
        "n",
        "0757223344",
        "17:30",
        "2019-05-04",
        "2019-05-04 10:00:00",
        "1_000",
        "0x1F",
        "0o17",
        "+5",
        ".5",
        "1e5",
        ".inf",
        ".nan",
        "Null",
        "NULL",
        "True",
        "FALSE",
        "~x",
        "0123",
    ],
)
def test_yaml11_traps_stay_text(value: str) -> None:
    assert both(f"a: {value}\n") == {"a": value}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("0", 0),
        ("-12", -12),
        ("3.10", 3.1),
        ("-0.5", -0.5),
        ("", None),
        ("~", None),
        ("null", None),
        ('"0757"', "0757"),
        ("'no'", "no"),
        ("[]", []),
        ("{}", {}),
        ("'it''s'", "it's"),
        ('"a\\tb"', "a\tb"),
    ],
)
def test_the_few_typed_values(text: str, value: Any) -> None:
    assert both(f"a: {text}\n") == {"a": value}


def test_keys_that_yaml11_would_turn_into_booleans_stay_text() -> None:
    assert both("on: 1\nno: 2\nyes: 3\n") == {"on": 1, "no": 2, "yes": 3}


def test_a_typical_record_takes_the_fast_path() -> None:
    text = (FIXTURE_PROJECT / "content" / "hubs" / "hub-d-union.yml").read_text("utf-8")
    assert fast_loads(text) is not None
    assert both(text)["contacts"][0] == {
        "type": "office_phone",
        "value": "0757-22220001",
        "label": "办公室",
        "label_en": "Office",
    }


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "content").glob("*/*.yml"))[:40] + sorted((FIXTURE_PROJECT / "content").glob("*/*.yml")),
    ids=lambda p: p.name,
)
def test_fast_and_strict_readers_agree_on_real_files(path: Path) -> None:
    both(decode(path.read_bytes()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", ("Y006", 2, 1)),
        ("a:\n  b: 1\n  b: 2\n", ("Y006", 3, 3)),
        ("a: &x 1\nb: *x\n", ("Y007", 1, 4)),
        ("a: 1\n\tb: 2\n", ("Y004", 2, 1)),
        ("", ("Y003", 1, 1)),
        ("# only a comment\n", ("Y003", 1, 1)),
        ("- a\n", ("Y008", 1, 1)),
        ("text\n", ("Y008", 1, 1)),
        ("1: a\n", ("Y009", 1, 1)),
        ("? [a]\n: b\n", ("Y009", 1, 3)),
        ("a: !!python/object:os.system x\n", ("Y010", 1, 4)),
        ("a: !!int 0757\n", ("Y010", 1, 4)),
        ("a: !!bool yes\n", ("Y010", 1, 4)),
        ("a: b: c\n", ("Y005", 1, 5)),
        ("a: 'x\n", ("Y005", 2, 1)),
        ("a: 1\n---\nb: 2\n", ("Y005", 2, 1)),
        ("a: \x07\n", ("Y005", 1, 4)),
        ("a: " + "[" * 30 + "]" * 30 + "\n", ("Y012", 1, 24)),
        ("- " * 100 + "x\n", ("Y012", 1, 41)),
    ],
)
def test_traps_are_located_errors(text: str, expected: tuple[str, int, int]) -> None:
    assert error(text) == expected


def test_duplicate_key_names_the_first_line() -> None:
    with pytest.raises(LoadError) as exc:
        loads("a: 1\nb: 2\na: 3\n")
    assert exc.value.args_dict == {"key": "a", "first": 1}


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    assert error("\n".join(lines))[0] == "Y007"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a: \xff\n", ("Y002", 1, 4, "Windows-1252")),
        ("a: 示例\n".encode("gbk"), ("Y002", 1, 4, "GBK")),
        ("a: 示例\n".encode("utf-16"), ("Y002", 1, 1, "UTF-16")),
        ("a: 示例\n".encode("utf-16-le"), ("Y002", 1, 1, "UTF-16LE")),
        ("a: 示例\n".encode("utf-16-be"), ("Y002", 1, 1, "UTF-16BE")),
    ],
)
def test_encodings(raw: bytes, expected: tuple[str, int, int, str]) -> None:
    with pytest.raises(LoadError) as exc:
        decode(raw)
    assert (exc.value.code, exc.value.line, exc.value.column, exc.value.args_dict["encoding"]) == expected


def test_utf8_bom_is_dropped() -> None:
    assert loads(decode(b"\xef\xbb\xbfa: 1\n")) == {"a": 1}


def test_size_limit() -> None:
    with pytest.raises(LoadError) as exc:
        decode(b"a: " + b"x" * yamlio.MAX_BYTES)
    assert exc.value.code == "Y001"
    assert decode(b"a: " + b"x" * (yamlio.MAX_BYTES - 4)).startswith("a: ")


def test_locate_points_at_values_keys_and_the_nearest_ancestor(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text("id: x\ncontacts:\n  - type: email\n    value: a@b.org\n", "utf-8")
    assert yamlio.locate(path, ("contacts", 0, "value")) == (4, 12)
    assert yamlio.locate(path, ("contacts", 0, "value"), key=True) == (4, 5)
    assert yamlio.locate(path, ("contacts", 5, "value")) == (3, 3)
    assert yamlio.locate(path, ("nope",)) == (1, 1)
    path.write_text("id: y\n\ncontacts: []\n", "utf-8")  # the cache notices the change
    assert yamlio.locate(path, ("contacts",)) == (3, 11)
    assert yamlio.locate(tmp_path / "missing.yml", ("id",)) == (0, 0)


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        result = loads(text)
    except LoadError as exc:
        assert exc.code.startswith("Y") and exc.line >= 0 and exc.column >= 0
    else:
        assert isinstance(result, dict)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    try:
        result = loads(decode(raw))
    except LoadError as exc:
        assert exc.code.startswith("Y")
    else:
        assert isinstance(result, dict)


SCALARS = st.sampled_from(
    [
        "x",
        "示例",
        "no",
        "on",
        "0757",
        "17:30",
        "2019-05-04",
        "3.10",
        "-1",
        "0",
        "-0",
        "1.5",
        "true",
        "null",
        "~",
        "",
        '"q"',
        "'s'",
        "'it''s'",
        '"a\\"b"',
        "a # c",
        "a#c",
        "a: b",
        "a:",
        "http://x.org/a#b",
        "[]",
        "{}",
        "[a, b]",
        "&a x",
        "*a",
        "!!str 1",
        "|",
        ">",
        "- x",
        "-x",
        "@x",
        "`x",
        "%x",
        "? x",
        "a  b",
        "\u00a0x",
        "x\u00a0#y",
        "'a' b",
        '"a"#b',
        '"a" # b',
        "#",
        "# c",
        "...",
        "---",
        "-",
        "1_0",
        "٣",
        "①",
        "a\\b",
    ]
)
KEYS = st.sampled_from(["a", "b", "id", "on", "no", "true", "null", "1", "k_2", "a b", '"q"', "-x", "x:y"])


@st.composite
def yamlish(draw: st.DrawFn) -> str:
    """Texts made of the block-structure pieces records use, with tricky scalars and odd indentation."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 2, 4, 6]))
        kind = draw(st.sampled_from(["pair", "pair", "open", "item", "item_pair", "comment", "blank", "raw"]))
        if kind == "pair":
            lines.append(f"{indent}{draw(KEYS)}: {draw(SCALARS)}")
        elif kind == "open":
            lines.append(f"{indent}{draw(KEYS)}:")
        elif kind == "item":
            lines.append(f"{indent}- {draw(SCALARS)}")
        elif kind == "item_pair":
            lines.append(f"{indent}-{' ' * draw(st.integers(1, 3))}{draw(KEYS)}: {draw(SCALARS)}")
        elif kind == "comment":
            lines.append(f"{indent}# {draw(SCALARS)}")
        elif kind == "blank":
            lines.append(indent)
        else:
            lines.append(indent + draw(st.text(max_size=6)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "  \n"]))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yamlish())
def test_fast_reader_agrees_with_the_strict_reader(text: str) -> None:
    fast = fast_loads(text)
    try:
        strict: Any = strict_loads(text)
    except LoadError as exc:
        assert fast is None, (text, exc.code)
        return
    if fast is not None:
        assert fast == strict and repr(fast) == repr(strict)
