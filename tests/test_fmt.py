"""``hubdir fmt``: canonical YAML, comments kept, idempotent, and never a changed value."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import schema, yamlio
from generator.fmt import format_text, needs_quotes, record_files
from tests.conftest import FIXTURE_PROJECT, REPO, Run

HUBS = schema.bundle(REPO / "schemas", "hubs")

MESSY = """\
# yaml-language-server: $schema=../../schemas/hubs.schema.json
# 容桂工会（示例）
name: 示例工会  # 全称
id: hub-x
kind: trade_union
level: town
division: "440606006"
contacts:
- value: 0757-22223333
  type: office_phone
- {type: hotline, value: '12351', label: 'no'}
aliases: [容桂工会, yes, 17:30, 2019-05-04, '3楼', "on"]
location: {lon: 113.20, lat: 22.80}
description: |
  第一行
  第二行
sources:
    - title: "来源: 报道"
      date: 2019-05-04
last_verified: '2024-01-02'
"""

CANONICAL = """\
# yaml-language-server: $schema=../../schemas/hubs.schema.json
# 容桂工会（示例）
id: hub-x
name: 示例工会  # 全称
aliases:
  - 容桂工会
  - "yes"
  - "17:30"
  - "2019-05-04"
  - "3楼"
  - "on"
kind: trade_union
level: town
division: "440606006"
location:
  lat: 22.80
  lon: 113.20
contacts:
  - type: office_phone
    value: "0757-22223333"
  - type: hotline
    value: "12351"
    label: "no"
description: |
  第一行
  第二行
sources:
  - title: "来源: 报道"
    date: "2019-05-04"
last_verified: "2024-01-02"
"""


def test_canonical_form_exact():
    assert format_text(MESSY, HUBS) == CANONICAL
    assert yamlio.loads(CANONICAL) == yamlio.loads(MESSY)


def test_idempotent_and_keeps_comments():
    once = format_text(MESSY, HUBS)
    assert format_text(once, HUBS) == once
    assert "# 容桂工会（示例）" in once and "# 全称" in once


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "yes",
        "on",
        "off",
        "NO",
        "y",
        "0757223344",
        "17:30",
        "2019-05-04",
        "1.0",
        "12",
        "~",
        "null",
        "true",
        "",
        "+86 757",
        "3楼",
        "#tag",
        "a: b",
        "- x",
        "0x1F",
        ".inf",
        " padded",
    ],
)
def test_needs_quotes(text):
    assert needs_quotes(text)


@pytest.mark.parametrize(
    "text", ["顺德区", "Shunde District", "hub-rg-union", "trade_union", "Mo-Fr 09:00-17:00", "Women's home"]
)
def test_plain_when_safe(text):
    assert not needs_quotes(text)


#: Control characters the loader refuses in values (Y016); line breaks and tabs stay allowed.
_CONTROL = "".join(chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Zl", "Zp"), blacklist_characters=_CONTROL), max_size=30
    )
)
def test_any_string_round_trips(text):
    """Whatever the text, the canonical file reads back as the same text (strict loader)."""
    source = f"id: hub-x\nname: {yamlio_quote(text)}\n"
    out = format_text(source, HUBS)
    assert yamlio.loads(out) == {"id": "hub-x", "name": text}
    assert format_text(out, HUBS) == out


def yamlio_quote(text: str) -> str:
    """A YAML double-quoted scalar with every non-ASCII or control character escaped."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


def _all_records() -> list[tuple[Path, Path]]:
    out = []
    for root in (REPO, FIXTURE_PROJECT):
        for path in record_files([root / "content"]):
            out.append((root, path))
    return out


def test_shipped_files_keep_their_data_and_are_stable():
    """On every shipped and fixture record: the strict loader reads the same data, twice formatted = once."""
    count = 0
    for _root, path in _all_records():
        text = path.read_text("utf-8")
        registry = schema.bundle(REPO / "schemas", path.parent.name)
        once = format_text(text, registry)
        assert yamlio.loads(once) == yamlio.loads(text), path
        assert format_text(once, registry) == once, path
        count += 1
    assert count > 250


@pytest.mark.parametrize("root", [REPO, FIXTURE_PROJECT], ids=["content", "fixture"])
def test_shipped_content_is_canonical(run: Run, root: Path):
    result = run(root, "fmt", "--check")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("格式全部规范。\n")


def test_check_lists_files_and_write_fixes_them(run: Run, project: Path):
    assert run(project, "fmt").exit_code == 0  # start from canonical files
    target = project / "content" / "hubs" / "hub-rg-union.yml"
    original = target.read_text("utf-8")
    messy = original.replace("kind: trade_union\n", "").replace(
        "id: hub-rg-union\n", "id: hub-rg-union\nkind: 'trade_union'\n"
    )
    messy = messy.replace("name: 示例容桂总工会", "name:    示例容桂总工会   # 注释保留")
    target.write_text(messy, "utf-8")
    data_before = yamlio.load_file(target)

    result = run(project, "fmt", "--check")
    assert result.exit_code == 1
    total = len(list(record_files([project / "content"])))
    assert result.output == (
        "格式不规范：content/hubs/hub-rg-union.yml\n"
        f"检查了 {total} 个文件：1 个格式不规范。运行 hubdir fmt 修正。\n"
    )
    assert target.read_text("utf-8") == messy  # --check never writes

    result = run(project, "--lang", "en", "fmt", "--check", str(project / "content" / "hubs"))
    assert result.exit_code == 1
    assert "not canonical: content/hubs/hub-rg-union.yml\n" in result.output

    result = run(project, "fmt")
    assert result.exit_code == 0
    assert (
        result.output == f"已格式化：content/hubs/hub-rg-union.yml\n检查了 {total} 个文件：格式化了 1 个。\n"
    )
    fixed = target.read_text("utf-8")
    assert "name: 示例容桂总工会      # 注释保留\n" in fixed  # end-of-line comments keep their column
    assert fixed.index("name:") < fixed.index('kind: "trade_union"')
    assert yamlio.load_file(target) == data_before
    assert run(project, "fmt", "--check").exit_code == 0


def test_broken_file_is_reported_and_left_alone(run: Run, project: Path):
    target = project / "content" / "hubs" / "hub-rg-union.yml"
    broken = target.read_text("utf-8") + "name: 重复\n"
    target.write_text(broken, "utf-8")
    result = run(project, "fmt", str(target))
    assert result.exit_code == 1
    line = broken.count("\n")
    assert result.stderr == (
        f"content/hubs/hub-rg-union.yml：无法格式化：第 {line} 行第 1 列有 YAML 问题 Y006，"
        "请先运行 hubdir validate\n"
    )
    assert target.read_text("utf-8") == broken


def test_files_outside_registries_are_skipped(run: Run, project: Path):
    stray = project / "notes.yml"
    stray.write_text("a: 1\n", "utf-8")
    result = run(project, "--lang", "en", "fmt", str(stray))
    assert result.exit_code == 0
    assert result.stderr == (
        "notes.yml: skipped: not in a registry folder "
        "(divisions, hubs, youth_centers, womens_homes, social_orgs)\n"
    )
    assert stray.read_text("utf-8") == "a: 1\n"


def test_parallel_and_serial_agree(project: Path):
    from generator import fmt
    from generator.config import load_config

    target = project / "content" / "hubs" / "hub-rg-union.yml"
    target.write_text(target.read_text("utf-8").replace("kind: trade_union", "kind: 'trade_union'"), "utf-8")
    config = load_config(project)
    files = [REPO / "content", project / "content"]
    serial = fmt.run(config, files, check=True, workers=1)
    parallel = fmt.run(config, files, check=True, workers=2)
    assert (serial.changed, serial.unchanged) == (parallel.changed, parallel.unchanged)
    assert serial.changed == [target] and len(serial.unchanged) > fmt.PARALLEL_THRESHOLD
