"""``hubdir validate``: the exact report for each bad input (loader traps and shape errors).

Every test writes one bad file into a private copy of the fixture project,
validates just that file (PATHS) and compares the whole output: location,
severity, code, message, hint and the summary line.
"""

# ruff: noqa: E501 - exact expected output lines are long by nature

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run

HUB = """\
id: hub-x
name: 示例
kind: trade_union
level: town
division: "440606006"
parent: hub-d-union
sources:
  - title: 示例来源
"""


def files_in(project: Path) -> int:
    return sum(1 for p in (project / "content").glob("*/*") if p.suffix in (".yml", ".yaml") and p.is_file())


def summary(project: Path, errors: int, warnings: int = 0, lang: str = "zh") -> str:
    n = files_in(project)
    if lang == "en":
        if not errors and not warnings:
            return f"Checked {n} files: no problems found."
        return f"Checked {n} files: {errors} errors, {warnings} warnings."
    if not errors and not warnings:
        return f"检查了 {n} 个文件，没有发现问题。"
    return f"检查了 {n} 个文件：{errors} 个错误，{warnings} 个警告。"


def put(project: Path, rel: str, content: str | bytes) -> Path:
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8")
    return path


def check(
    run: Run,
    project: Path,
    rel: str,
    content: str | bytes,
    expected: list[str],
    *,
    errors: int = 1,
    warnings: int = 0,
    lang: str = "zh",
    exit_code: int | None = None,
) -> None:
    path = put(project, rel, content)
    result = run(project, "validate", str(path), "--lang", lang)
    assert result.output == "\n".join([*expected, summary(project, errors, warnings, lang)]) + "\n"
    assert result.exit_code == (exit_code if exit_code is not None else (1 if errors else 0))


# -- the fixture project ------------------------------------------------------------------


def test_fixture_project_passes(run: Run, project: Path) -> None:
    result = run(project, "validate")
    assert result.exit_code == 0, result.output
    assert "：0 个错误" in result.output.splitlines()[-1]


def test_fixture_warnings_fail_with_strict(run: Run, project: Path) -> None:
    result = run(project, "validate", "--strict")
    assert result.exit_code == 1
    assert "warning M009" in result.output


# -- strict YAML ---------------------------------------------------------------------


def test_duplicate_key_names_both_lines(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "name: 又一个\n",
        [
            "content/hubs/hub-x.yml:9:1: error Y006: 重复的键“name”（第 2 行已出现）",
            "  提示：同一个字段只能写一次：删除其中一行，保留正确的值。",
        ],
    )


def test_duplicate_key_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "name: again\n",
        [
            'content/hubs/hub-x.yml:9:1: error Y006: Duplicate key "name" (already on line 2)',
            "  hint: A field may appear only once: delete one of the lines and keep the right value.",
        ],
        lang="en",
    )


def test_anchor_and_alias(run: Run, project: Path) -> None:
    text = HUB.replace("name: 示例", "name: &n 示例") + "aliases:\n  - *n\n"
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:2:7: error Y007: 不允许使用 YAML 锚点或别名（&n / *n）",
            "  提示：把内容直接写出来，不要用 & 和 * 引用。",
        ],
    )


def test_alias_bomb_is_refused_before_expansion(run: Run, project: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        "\n".join(lines) + "\n",
        [
            "content/hubs/hub-x.yml:1:4: error Y007: 不允许使用 YAML 锚点或别名（&a / *a）",
            "  提示：把内容直接写出来，不要用 & 和 * 引用。",
        ],
    )


def test_tab(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("  - title", "\t- title"),
        [
            "content/hubs/hub-x.yml:8:1: error Y004: 文件中有制表符（Tab）",
            "  提示：YAML 只能用空格缩进：把 Tab 换成两个空格。",
        ],
    )


def test_tab_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("name: 示例", "name:\t示例"),
        [
            "content/hubs/hub-x.yml:2:6: error Y004: File contains a tab character",
            "  hint: YAML is indented with spaces only: replace the tab with two spaces.",
        ],
        lang="en",
    )


def test_invalid_utf8(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        b"id: hub-x\nname: \xff\xfe x\n",
        [
            "content/hubs/hub-x.yml:2:7: error Y002: 文件不是 UTF-8 编码（看起来像 Windows-1252）",
            "  提示：用编辑器把文件“另存为 UTF-8”后再提交。",
        ],
    )


def test_gbk(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.encode("gbk"),
        [
            "content/hubs/hub-x.yml:2:7: error Y002: 文件不是 UTF-8 编码（看起来像 GBK）",
            "  提示：用编辑器把文件“另存为 UTF-8”后再提交。",
        ],
    )


def test_gbk_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.encode("gbk"),
        [
            "content/hubs/hub-x.yml:2:7: error Y002: File is not UTF-8 encoded (looks like GBK)",
            "  hint: Save the file as UTF-8 in your editor and commit it again.",
        ],
        lang="en",
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_and_without_bom(run: Run, project: Path, encoding: str) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.encode(encoding),
        [
            f"content/hubs/hub-x.yml:1:1: error Y002: 文件不是 UTF-8 编码（看起来像 {encoding.upper().replace('-LE', 'LE').replace('-BE', 'BE')}）",
            "  提示：用编辑器把文件“另存为 UTF-8”后再提交。",
        ],
    )


def test_utf8_bom_is_accepted(run: Run, project: Path) -> None:
    check(run, project, "content/hubs/hub-x.yml", b"\xef\xbb\xbf" + HUB.encode(), [], errors=0)


@pytest.mark.parametrize("content", ["", "\n\n", "# 只有注释\n"])
def test_empty_file(run: Run, project: Path, content: str) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        content,
        [
            "content/hubs/hub-x.yml:1:1: error Y003: 文件是空的",
            "  提示：每个文件须包含一条记录；可用 `hubdir new` 生成模板。",
        ],
    )


@pytest.mark.parametrize("content", ["- id: hub-x\n- name: 示例\n", "只是一行文字\n", "42\n"])
def test_top_level_not_a_mapping(run: Run, project: Path, content: str) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        content,
        [
            "content/hubs/hub-x.yml:1:1: error Y008: 文件顶层必须是“字段: 值”的映射",
            "  提示：每行以“字段名: 值”开头，不要以“- ”开头。",
        ],
    )


def test_file_over_one_mebibyte(run: Run, project: Path) -> None:
    content = HUB + "description: " + "长" * 400_000 + "\n"
    size = len(content.encode())
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        content,
        [
            f"content/hubs/hub-x.yml:0:0: error Y001: 文件过大（{size} 字节，上限 1048576 字节）",
            "  提示：每个文件只写一条记录；检查是否误粘贴了大量内容。",
        ],
    )


def test_syntax_error_has_a_chinese_reason(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("name: 示例", "name: 示例: 分部"),
        [
            "content/hubs/hub-x.yml:2:9: error Y005: YAML 语法错误：冒号用法不对：值里含有“: ”时请给整个值加引号，或检查缩进",
            "  提示：检查这一行和上一行：缩进、冒号后的空格、引号是否成对。"
            "（解析器原文：mapping values are not allowed in this context）",
        ],
    )


def test_syntax_error_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + 'address: "示例路\n',
        [
            "content/hubs/hub-x.yml:10:1: error Y005: YAML syntax error: unexpected end of file: a quote or bracket"
            " is not closed",
            "  hint: Check this line and the one above: indentation, the space after each colon, matching quotes."
            " (Parser said: while scanning a quoted scalar found unexpected end of stream)",
        ],
        lang="en",
    )


@pytest.mark.parametrize(
    ("content", "where"), [("- " * 50_000 + "x\n", "1:41"), ("a: " + "[" * 50 + "]" * 50 + "\n", "1:24")]
)
def test_deep_nesting_is_refused_without_crashing(run: Run, project: Path, content: str, where: str) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        content,
        [
            f"content/hubs/hub-x.yml:{where}: error Y012: 嵌套层数过多（超过 20 层）",
            "  提示：记录的结构很浅：检查是否误粘贴了大量括号或缩进。",
        ],
    )


def test_unsupported_tag(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "postal_code: !!int 0528300\n",
        [
            "content/hubs/hub-x.yml:9:14: error Y010: 不支持的 YAML 类型标签 tag:yaml.org,2002:int",
            "  提示：删除 !! 开头的标签；需要文字时给值加引号。",
        ],
    )


def test_non_text_key(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "1: x\n",
        [
            "content/hubs/hub-x.yml:9:1: error Y009: 字段名“1”必须是文字",
            "  提示：字段名只能用 schema 中的英文字段名，例如 name、division。",
        ],
    )


# -- YAML 1.1 values stay text, then the schema speaks ------------------------------------


def test_yaml11_traps_stay_strings(run: Run, project: Path) -> None:
    """``2019-05-04`` stays a valid date string; ``17:30`` and ``0757223344`` reach the pattern checks as typed."""
    text = HUB + "established_on: 2019-05-04\nopening_hours: 17:30\npostal_code: 0757223344\n"
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:10:16: error S005: “opening_hours”的格式不对：“17:30”",
            '  提示：OpenStreetMap 开放时间写法，例如 "Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00"'
            "（Mo 周一 … Su 周日，PH 法定节假日）。须加引号。",
            "content/hubs/hub-x.yml:11:14: error S005: “postal_code”的格式不对：“0757223344”",
            "  提示：6 位邮政编码，需加引号。",
        ],
        errors=2,
    )


def test_no_and_on_stay_strings(run: Run, project: Path) -> None:
    text = (
        'id: wh-x\nname: 示例\ndivision: "440606006001"\nhub: hub-gz-women\nwheelchair_accessible: no\n'
        "status: on\nsources:\n  - title: 示例\n"
    )
    check(
        run,
        project,
        "content/womens_homes/wh-x.yml",
        text,
        [
            "content/womens_homes/wh-x.yml:5:24: error S003: “wheelchair_accessible”应为布尔值（true 或 false），实际为文字",
            "  提示：按字段说明改写这个值。",
            "content/womens_homes/wh-x.yml:6:9: error S004: “status”的值“on”不在代码表中",
            "  提示：可选值：active, dissolved, merged",
        ],
        errors=2,
    )


def test_number_where_text_is_needed(run: Run, project: Path) -> None:
    text = HUB.replace('division: "440606006"', "division: 440606006")
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:5:11: error S009: “division”应为文字，但 YAML 把 440606006 读成了整数",
            '  提示：给值加上引号，例如 "440606006"，以免前导零等被改变。',
        ],
    )


def test_number_where_text_is_needed_in_english(run: Run, project: Path) -> None:
    text = HUB.replace('division: "440606006"', "division: 440606006")
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            'content/hubs/hub-x.yml:5:11: error S009: "division" should be text, but YAML read 440606006 as'
            " a whole number",
            '  hint: Put the value in quotes, e.g. "440606006", so leading zeros and the like are kept.',
        ],
        lang="en",
    )


# -- shape ---------------------------------------------------------------------------


def test_unknown_field_suggests_the_closest(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "adress: 示例路\n",
        [
            "content/hubs/hub-x.yml:9:1: error S002: 未知字段“adress”",
            "  提示：是否想写“address”？",
        ],
    )


def test_unknown_field_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "adress: 示例路\n",
        [
            'content/hubs/hub-x.yml:9:1: error S002: Unknown field "adress"',
            '  hint: Did you mean "address"?',
        ],
        lang="en",
    )


def test_unknown_nested_field(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "    titel: x\n",
        [
            "content/hubs/hub-x.yml:9:5: error S002: 未知字段“titel”",
            "  提示：是否想写“title”？",
        ],
    )


def test_missing_required_field(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("name: 示例\n", ""),
        [
            "content/hubs/hub-x.yml:1:1: error S001: 缺少必填字段“name”（名称）",
            "  提示：补上这个字段；可参考贡献指南中的字段说明。",
        ],
    )


def test_missing_required_field_in_english(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("name: 示例\n", ""),
        [
            'content/hubs/hub-x.yml:1:1: error S001: Missing required field "name" (Name)',
            "  hint: Add the field; see the field reference in the contributors' guide.",
        ],
        lang="en",
    )


def test_enum_typo(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB.replace("level: town", "level: twon"),
        [
            "content/hubs/hub-x.yml:4:8: error S004: “level”的值“twon”不在代码表中",
            "  提示：是否想写“town”？可选值：province, city, district, town, village, sector",
        ],
    )


def test_empty_value(run: Run, project: Path) -> None:
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        HUB + "address:\n",
        [
            "content/hubs/hub-x.yml:9:9: error S008: “address”没有值",
            "  提示：不知道的信息请删除整行（或在行首加 # 注释掉），不要留空。",
        ],
    )


def test_length_and_uniqueness_rules(run: Run, project: Path) -> None:
    text = HUB + 'aliases:\n  - 甲\n  - 甲\nname_en: "' + "x" * 201 + '"\n'
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            'content/hubs/hub-x.yml:10:3: error S006: “aliases”列表中有重复的项：["甲", "甲"]',
            "  提示：按字段说明修改。",
            "content/hubs/hub-x.yml:12:10: error S006: “name_en”不能超过 200 个字符：" + "x" * 59 + "…",
            "  提示：按字段说明修改。",
        ],
        errors=2,
    )
