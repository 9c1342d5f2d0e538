"""Issue 11: hostile and broken input, each answered with an exact, located message (zh and en).

Every test writes the bad input into a private copy of the fixture project
and compares the whole message a user sees.
"""

# ruff: noqa: E501 - exact expected output lines are long by nature

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from generator import yamlio
from tests.conftest import REPO, Run
from tests.test_validate import HUB, check, put

# -- 1. fmt and `?` -------------------------------------------------------------------------


def test_fmt_keeps_question_marks_plain(run: Run, project: Path) -> None:
    """Every WeChat article link holds `?`: fmt crashed on it (ruamel emitter without serializer)."""
    text = (
        HUB
        + "address: a?b\n"
        + "contacts:\n  - type: website\n    value: https://mp.weixin.qq.com/s?__biz=x\n"
        + "  - type: wechat\n    value: ? x\n"
    )
    path = put(project, "content/hubs/hub-x.yml", text.replace("value: ? x", 'value: "? x"'))
    result = run(project, "fmt", str(path))
    assert result.output == "已格式化：content/hubs/hub-x.yml\n检查了 1 个文件：格式化了 1 个。\n"
    assert result.exit_code == 0
    out = path.read_text("utf-8")
    assert "address: a?b\n" in out and "    value: https://mp.weixin.qq.com/s?__biz=x\n" in out
    assert '    value: "? x"\n' in out
    assert yamlio.loads(out)["contacts"][0]["value"] == "https://mp.weixin.qq.com/s?__biz=x"
    again = run(project, "--lang", "en", "fmt", "--check", str(path))
    assert again.output == "1 files checked: all canonical.\n" and again.exit_code == 0


# -- 2. block scalars and trailing newlines --------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "content/hubs/hub-x.yml:9:16: error S011: “last_verified”（最近核实日期）中不能有换行：“2099-02-30”",
                '  提示：把值写在冒号后的同一行，不要用 | 或 > 块标量，例如 "2099-02-30"。',
                "content/hubs/hub-x.yml:11:7: error S011: “uscc”（统一社会信用代码）中不能有换行：“81440606MC00000112”",
                '  提示：把值写在冒号后的同一行，不要用 | 或 > 块标量，例如 "81440606MC00000112"。',
            ],
        ),
        (
            "en",
            [
                'content/hubs/hub-x.yml:9:16: error S011: "last_verified" (Last verified) must not contain a line break: "2099-02-30"',
                '  hint: Write the value on the line of its key, not as a | or > block, e.g. "2099-02-30".',
                'content/hubs/hub-x.yml:11:7: error S011: "uscc" (Unified social credit code) must not contain a line break: "81440606MC00000112"',
                '  hint: Write the value on the line of its key, not as a | or > block, e.g. "81440606MC00000112".',
            ],
        ),
    ],
)
def test_block_scalar_codes_and_dates_are_errors(run: Run, project: Path, lang: str, expected: list[str]) -> None:
    text = HUB + "last_verified: |\n  2099-02-30\nuscc: |\n  81440606MC00000112\n"
    check(run, project, "content/hubs/hub-x.yml", text, expected, errors=2, lang=lang)


def test_the_value_without_its_newline_is_checked_too(run: Run, project: Path) -> None:
    """The same values written on one line: the meaning checks see them and report what is wrong."""
    text = HUB + 'last_verified: "2099-02-30"\nuscc: "81440606MC00000112"\n'
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:9:16: error M020: 日期“2099-02-30”不存在",
            "  提示：检查月份和日期，例如 2月没有 30 日。",
            "content/hubs/hub-x.yml:10:7: error M023: 统一社会信用代码 81440606MC00000112 校验位不正确",
            "  提示：对照登记证书逐位核对，常见错误是 O/0、I/1 混淆。",
        ],
        errors=2,
    )


@pytest.mark.parametrize(
    ("kind", "value", "zh_name"),
    [
        ("office_phone", "0757-22223333", "号码或地址"),
        ("email", "office@example.org", "号码或地址"),
        ("website", "https://example.org/", "号码或地址"),
    ],
)
def test_contact_values_with_a_trailing_newline(run: Run, project: Path, kind: str, value: str, zh_name: str) -> None:
    text = HUB + f"contacts:\n  - type: {kind}\n    value: |\n      {value}\n"
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            f"content/hubs/hub-x.yml:11:12: error S011: “contacts[0].value”（{zh_name}）中不能有换行：“{value}”",
            f'  提示：把值写在冒号后的同一行，不要用 | 或 > 块标量，例如 "{value}"。',
        ],
    )


def test_id_with_a_trailing_newline(run: Run, project: Path) -> None:
    text = HUB.replace("id: hub-x\n", "id: |\n  hub-x\n")
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:1:5: error M001: 编号“hub-x\\n”与文件名“hub-x”不一致",
            "  提示：把文件改名为 hub-x\\n.yml，或把 id 改成 hub-x（已发布的编号不能改）。",
            "content/hubs/hub-x.yml:1:5: error S011: “id”（编号）中不能有换行：“hub-x”",
            '  提示：把值写在冒号后的同一行，不要用 | 或 > 块标量，例如 "hub-x"。',
        ],
        errors=2,
    )


def test_schema_patterns_have_their_ecma_meaning() -> None:
    """`$` is the end of the text, `\\d` an ASCII digit, `.` no line terminator: as editors read them."""
    from generator.schema import ecma_regex, is_blank

    assert ecma_regex("^[0-9]{4}$").search("2024\n") is None
    assert ecma_regex(r"^\d{4}$").search("２０２４") is None
    assert ecma_regex(r"^\d{4}$").search("2024") is not None
    assert ecma_regex("^a.b$").search("a\rb") is None
    assert ecma_regex(r"\S").search("\u3000 \t") is None
    assert ecma_regex(r"[\s]x").search("\u3000x") is not None
    assert ecma_regex(r"^[$]$").search("$") is not None
    assert ecma_regex(r"^\$$").search("$") is not None
    assert is_blank("\u3000 ") and not is_blank(" a ")


# -- 5. blank names --------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ['"   "', '"\u3000"', "' \u00a0'"])
def test_blank_names_are_errors(run: Run, project: Path, blank: str) -> None:
    text = HUB.replace("name: 示例\n", f"name: {blank}\n")
    expected = [
        "content/hubs/hub-x.yml:2:7: error S010: “name”（名称）是空白的",
        "  提示：填写实际内容；不知道时删除整行。",
    ]
    check(run, project, "content/hubs/hub-x.yml", text, expected)
    expected_en = [
        'content/hubs/hub-x.yml:2:7: error S010: "name" (Name) is blank',
        "  hint: Write the actual value; delete the whole line when it is unknown.",
    ]
    check(run, project, "content/hubs/hub-x.yml", text, expected_en, lang="en")


def test_every_required_text_field_refuses_blanks(run: Run, project: Path) -> None:
    text = HUB.replace("  - title: 示例来源\n", '  - title: "\u3000"\n') + 'aliases:\n  - " "\n'
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:8:12: error S010: “sources[0].title”（来源名称）是空白的",
            "  提示：填写实际内容；不知道时删除整行。",
            "content/hubs/hub-x.yml:10:5: error S010: “aliases[0]”是空白的",
            "  提示：填写实际内容；不知道时删除整行。",
        ],
        errors=2,
    )


def test_blank_site_title_is_a_configuration_error(run: Run, project: Path) -> None:
    config = project / "site_config.yml"
    text = config.read_text("utf-8")
    head, sep, rest = text.partition("  title:\n    zh: ")
    assert sep, "the fixture config names the site title"
    line = rest.split("\n", 1)[0]
    config.write_text(head + sep + '"\u3000"' + rest[len(line) :], "utf-8")
    result = run(project, "validate", "--lang", "en")
    assert result.exit_code == 2
    row = head.count("\n") + 2
    assert result.output.splitlines()[:3] == [
        "site_config.yml has problems; cannot continue:",
        f'site_config.yml:{row}:9: error S010: "site.title.zh" is blank',
        "  hint: Write the actual value; delete the whole line when it is unknown.",
    ]


# -- 6. control characters in messages -------------------------------------------------------


def test_a_line_break_in_a_value_cannot_forge_a_problem_line(run: Run, project: Path) -> None:
    forged = "content/hubs/hub-d-union.yml:1:1: error M002: forged"
    text = HUB.replace("id: hub-x\n", f'id: "hub-x\\n{forged}"\n')
    path = put(project, "content/hubs/hub-x.yml", text)
    for fmt in ("text", "github"):
        result = run(project, "validate", str(path), "--format", fmt)
        assert not any(line.startswith("content/hubs/hub-d-union.yml") for line in result.output.splitlines())
        assert "hub-x\\n" + forged in result.output
    doc = json.loads(run(project, "validate", str(path), "--format", "json", "--lang", "en").output)
    assert doc["problems"][0]["message"] == f'ID "hub-x\\n{forged}" does not match the file name "hub-x"'


def test_a_file_name_with_a_line_break_is_escaped(run: Run, project: Path) -> None:
    name = "x\nhub-d-union.yml:1:1: error Z"
    put(project, f"content/hubs/{name}", "id: x\n")
    result = run(project, "validate", "--lang", "en")
    assert (
        'content/hubs/x\\nhub-d-union.yml:1:1: error Z:0:0: warning M032: Ignored "x\\nhub-d-union.yml:1:1: error Z": it is not a regular .yml file'
        in result.output.splitlines()
    )
    assert not any(line.startswith("hub-d-union") for line in result.output.splitlines())
    github = run(project, "validate", "--format", "github")
    assert "::warning file=content/hubs/x\\nhub-d-union.yml%3A1%3A1%3A error Z,title=M032::" in github.output
    doc = json.loads(run(project, "validate", "--format", "json").output)
    assert "content/hubs/x\\nhub-d-union.yml:1:1: error Z" in [p["path"] for p in doc["problems"]]


@pytest.mark.parametrize(
    ("escape", "char"), [("\\e[2J", "U+001B"), ("\\x00", "U+0000"), ("\\r", "U+000D"), ("\\u202E", None)]
)
def test_control_characters_in_values(run: Run, project: Path, escape: str, char: str | None) -> None:
    text = HUB.replace("name: 示例\n", f'name: "示例{escape}"\n')
    if char is None:  # a bidirectional override is allowed in data but shown escaped
        path = put(project, "content/hubs/hub-x.yml", text + "adress: x\n")
        result = run(project, "validate", str(path))
        assert "\u202e" not in result.output
        return
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            f"content/hubs/hub-x.yml:2:7: error Y016: 值中含有控制字符 {char}",
            "  提示：删除它：公开数据中不能有控制字符（多半来自双引号里的转义，如 \\e、\\x00、\\r）；多行文字请用 | 块标量。",
        ],
    )
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            f"content/hubs/hub-x.yml:2:7: error Y016: The value contains the control character {char}",
            "  hint: Delete it: published data holds no control characters (they usually come from escapes in double quotes such as \\e, \\x00, \\r); write multi-line text as a | block.",
        ],
        lang="en",
    )


def test_printable() -> None:
    from generator.safetext import printable

    assert printable("a\nb\r\x1b[31m\u202e\x00") == "a\\nb\\r\\e[31m\\u202e\\x00"
    assert printable("示例 plain") == "示例 plain"


# -- 7. symlinks out of the project ----------------------------------------------------------


def test_symlink_outside_the_project_is_refused(run: Run, project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text(HUB.replace("name: 示例", "name: 机密"), "utf-8")
    link = project / "content" / "hubs" / "hub-x.yml"
    link.symlink_to(secret)
    result = run(project, "validate")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if "Y015" in line or line.startswith("  提示：记录文件")] == [
        f"content/hubs/hub-x.yml:0:0: error Y015: “hub-x.yml”是指向项目目录之外（{secret}）的符号链接，不会被读取",
        "  提示：记录文件必须在项目目录内：删除这个链接，把文件本身放进 content/。",
    ]
    en = run(project, "validate", "--lang", "en", str(link))
    assert en.output.splitlines()[:2] == [
        f'content/hubs/hub-x.yml:0:0: error Y015: "hub-x.yml" is a symbolic link to outside the project ({secret}); it is not read',
        "  hint: Record files must be inside the project: delete the link and put the file itself into content/.",
    ]
    assert en.exit_code == 1
    built = run(project, "build", "-q", "--out", str(tmp_path / "site"))
    assert built.exit_code == 1 and not (tmp_path / "site").exists()
    fmt = run(project, "fmt", str(link))
    assert fmt.output.splitlines()[0] == f"content/hubs/hub-x.yml：不会格式化：它是指向项目目录之外（{secret}）的符号链接"
    assert fmt.exit_code == 1 and link.is_symlink()


def test_symlinked_registry_folder_outside_the_project(run: Run, project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(str(project / "content" / "social_orgs"), outside)
    (project / "content" / "social_orgs").symlink_to(outside)
    result = run(project, "validate", "--lang", "en")
    assert (
        f'content/social_orgs:0:0: error Y015: "social_orgs" is a symbolic link to outside the project ({outside}); it is not read'
        in result.output.splitlines()
    )
    assert result.exit_code == 1


def test_symlink_inside_the_project_is_read(run: Run, project: Path) -> None:
    put(project, "records/hub-x.yml", HUB)
    (project / "content" / "hubs" / "hub-x.yml").symlink_to(project / "records" / "hub-x.yml")
    result = run(project, "validate")
    assert result.exit_code == 0, result.output


# -- 8. the two YAML readers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "lat: 22.{d}\n",
        "lat: 22.{d}\r\n",
        "lat: 22.{d}\nother: [a, b]\n",
        "lat: 22.{d}\nother: {{a: b}}\n",
    ],
)
def test_long_decimals_read_the_same_everywhere(text: str) -> None:
    source = text.format(d="1" * 200)
    assert yamlio.loads(source)["lat"] == pytest.approx(22.111111111111111)
    assert yamlio.strict_loads(source)["lat"] == yamlio.loads(source)["lat"]


def test_a_number_too_large_for_a_float_stays_text(run: Run, project: Path) -> None:
    huge = "9" * 400 + ".5"
    assert yamlio.loads(f"a: {huge}\n") == {"a": huge} == yamlio.strict_loads(f"a: {huge}\r\n")
    tiny = "0." + "0" * 400 + "1"
    assert yamlio.loads(f"a: {tiny}\n") == {"a": tiny}
    text = HUB + f"location:\n  lat: {huge}\n  lon: 113.2\n"
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:10:8: error S003: “location.lat”应为数字，实际为文字",
            "  提示：按字段说明改写这个值。",
        ],
    )


# -- 9. Unicode digits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh",
            [
                "content/hubs/hub-x.yml:11:12: error M027: 电话号码“0757-2２２２３３３３”格式不对",
                '  提示：固定电话带区号，如 "0757-22223333"；热线如 "12338"；须加引号。',
            ],
        ),
        (
            "en",
            [
                'content/hubs/hub-x.yml:11:12: error M027: Phone number "0757-2２２２３３３３" is not well formed',
                '  hint: Landlines need the area code, e.g. "0757-22223333"; hotlines like "12338"; quote them.',
            ],
        ),
    ],
)
def test_phone_with_some_full_width_digits(run: Run, project: Path, lang: str, expected: list[str]) -> None:
    text = HUB + 'contacts:\n  - type: office_phone\n    value: "0757-2２２２３３３３"\n'
    check(run, project, "content/hubs/hub-x.yml", text, expected, lang=lang)


def test_resident_id_in_full_width_digits_is_found(run: Run, project: Path) -> None:
    from stdnum.cn import ric

    number = "440606199003071239"
    assert ric.calc_check_digit(number) == number[-1]  # a real check digit, so the check must fire
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)
    text = HUB + f"description: 联系人证件 {wide}\n"
    check(
        run,
        project,
        "content/hubs/hub-x.yml",
        text,
        [
            "content/hubs/hub-x.yml:9:14: error M030: 发现居民身份证号码（440606********1239）",
            "  提示：公开名录不得包含身份证号码：删除它。",
        ],
    )


# -- 10. encodings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "zh", "en"),
    [
        (
            b"id: hub-x\nname: a\x00b\n",
            ["content/hubs/hub-x.yml:2:8: error Y013: 文件含有 NUL 字节（\\0），不是文本文件",
             "  提示：记录须是 UTF-8 文本：检查是否误存成了 Word、图片或其他二进制文件，用文本编辑器重新保存。"],
            ["content/hubs/hub-x.yml:2:8: error Y013: The file contains a NUL byte (\\0): it is not a text file",
             "  hint: Records are UTF-8 text: check it was not saved as a Word document, an image or another binary file, and save it again from a text editor."],
        ),
        (
            HUB.encode("utf-16-le"),
            ["content/hubs/hub-x.yml:1:1: error Y002: 文件不是 UTF-8 编码（看起来像 UTF-16LE）",
             "  提示：用编辑器把文件“另存为 UTF-8”后再提交。"],
            ["content/hubs/hub-x.yml:1:1: error Y002: File is not UTF-8 encoded (looks like UTF-16LE)",
             "  hint: Save the file as UTF-8 in your editor and commit it again."],
        ),
        (
            "id: hub-x\nname: Café\n".encode("cp1252"),
            ["content/hubs/hub-x.yml:2:10: error Y002: 文件不是 UTF-8 编码（看起来像 Windows-1252）",
             "  提示：用编辑器把文件“另存为 UTF-8”后再提交。"],
            ["content/hubs/hub-x.yml:2:10: error Y002: File is not UTF-8 encoded (looks like Windows-1252)",
             "  hint: Save the file as UTF-8 in your editor and commit it again."],
        ),
        (
            b"id: hub-x\nname: \x81\x8d\x8f\n",
            ["content/hubs/hub-x.yml:2:7: error Y014: 文件不是 UTF-8 编码（无法识别是哪种编码）",
             "  提示：用编辑器把文件“另存为 UTF-8”后再提交。"],
            ["content/hubs/hub-x.yml:2:7: error Y014: File is not UTF-8 encoded (the encoding cannot be recognised)",
             "  hint: Save the file as UTF-8 in your editor and commit it again."],
        ),
    ],
)
def test_encodings_are_named(run: Run, project: Path, raw: bytes, zh: list[str], en: list[str]) -> None:
    check(run, project, "content/hubs/hub-x.yml", raw, zh)
    check(run, project, "content/hubs/hub-x.yml", raw, en, lang="en")


def test_empty_site_config(run: Run, project: Path) -> None:
    (project / "site_config.yml").write_text("# 待填写\n", "utf-8")
    result = run(project, "validate")
    assert result.output == (
        "站点配置 site_config.yml 有问题，无法继续：\n"
        "site_config.yml:1:1: error C009: 站点配置是空的\n"
        "  提示：site_config.yml 须写明站点、区划、组织类别和许可；可从 hubdir 随附的 site_config.yml 复制一份再修改。\n"
        "检查了 1 个文件：1 个错误，0 个警告。\n"
    )
    assert result.exit_code == 2
    en = run(project, "--lang", "en", "validate")
    assert en.output.splitlines()[1:3] == [
        "site_config.yml:1:1: error C009: The site configuration is empty",
        "  hint: site_config.yml names the site, the division, the hub kinds and the licence; copy the site_config.yml shipped with hubdir and edit it.",
    ]


# -- 10. files in content/ -----------------------------------------------------------------


def test_misnamed_record_files_are_errors(run: Run, project: Path, tmp_path: Path) -> None:
    put(project, "content/hubs/hub-x.YML", HUB)
    put(project, "content/hubs/hub-y.yml.txt", HUB.replace("hub-x", "hub-y"))
    put(project, "content/hubs/town/hub-z.yml", HUB.replace("hub-x", "hub-z"))
    put(project, "content/hub-w.yml", HUB.replace("hub-x", "hub-w"))
    result = run(project, "validate")
    lines = [line for line in result.output.splitlines() if "M03" in line or "提示：把" in line or "提示：登记册" in line or "提示：记录应" in line]
    assert lines == [
        "content/hub-w.yml:0:0: error M033: “hub-w.yml”不是已知的登记册目录",
        "  提示：记录应放在以下目录之一：divisions, hubs, youth_centers, womens_homes, social_orgs",
        "content/hubs/hub-x.YML:0:0: error M037: “hub-x.YML”不会被读取：记录文件的扩展名必须是小写的 .yml 或 .yaml",
        "  提示：把文件改名为 hub-x.yml。",
        "content/hubs/hub-y.yml.txt:0:0: error M037: “hub-y.yml.txt”不会被读取：记录文件的扩展名必须是小写的 .yml 或 .yaml",
        "  提示：把文件改名为 hub-y.yml。",
        "content/hubs/town:0:0: error M038: 目录“town”中的 1 个记录文件不会被读取",
        "  提示：登记册目录中不能再分子目录：把这些 .yml 文件直接放进 hubs/。",
    ]
    assert result.exit_code == 1
    en = run(project, "validate", "--lang", "en").output.splitlines()
    assert 'content/hubs/hub-x.YML:0:0: error M037: "hub-x.YML" is not read: a record file\'s extension must be a lower-case .yml or .yaml' in en
    assert "  hint: Rename the file to hub-x.yml." in en
    assert 'content/hubs/town:0:0: error M038: The 1 record files in the folder "town" are not read' in en
    assert "  hint: Registry folders have no sub-folders: put these .yml files directly into hubs/." in en
    built = run(project, "build", "-q", "--out", str(tmp_path / "site"))  # not strict: still refused
    assert built.exit_code == 1 and not (tmp_path / "site").exists()


def test_stray_non_record_files_stay_warnings(run: Run, project: Path) -> None:
    put(project, "content/hubs/notes.md", "x")
    put(project, "content/notes", "x")
    result = run(project, "validate", "--lang", "en")
    assert "content/hubs/notes.md:0:0: warning M032" in result.output
    assert 'content/notes:0:0: warning M033: "notes" is not a known registry folder' in result.output
    assert result.exit_code == 0


# -- 4. broken schema files ------------------------------------------------------------------


def _own_schemas(project: Path) -> Path:
    shutil.copytree(REPO / "schemas", project / "schemas")
    return project / "schemas" / "hubs.schema.json"


def _line_col(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def test_truncated_schema_file(run: Run, project: Path) -> None:
    path = _own_schemas(project)
    text = path.read_text("utf-8")
    cut = text.index('"properties"')  # the file ends in the middle of a string
    path.write_text(text[: cut + 5], "utf-8")
    line, col = _line_col(text, '"properties"')
    result = run(project, "validate")
    assert result.output.splitlines()[:3] == [
        "schemas/ 中的 schema 有问题，无法继续：",
        f"schemas/hubs.schema.json:{line}:{col}: error C003: schema 文件不是有效的 JSON：字符串没有结束（缺少引号）",
        "  提示：检查这一处附近的逗号、引号和括号是否成对（可用 python -m json.tool 文件名 检查）。",
    ]
    assert result.exit_code == 2
    path.write_text('{\n  "type": "object"\n  "properties": {}\n}\n', "utf-8")
    result = run(project, "validate", "--lang", "en")
    assert result.output.splitlines()[:3] == [
        "The schemas in schemas/ have problems; cannot continue:",
        "schemas/hubs.schema.json:3:3: error C003: The schema file is not valid JSON: a comma is missing",
        "  hint: Check the commas, quotes and brackets near this point (python -m json.tool FILE shows the error too).",
    ]
    assert result.exit_code == 2


def test_misspelt_type_in_a_schema(run: Run, project: Path) -> None:
    path = _own_schemas(project)
    text = path.read_text("utf-8").replace('"type": "string"', '"type": "strin"', 1)
    path.write_text(text, "utf-8")
    line, col = _line_col(text, '"strin"')
    pointer = json.loads(text)
    where = next(k for k, v in pointer["properties"].items() if v.get("type") == "strin")
    for lang, expected in (
        ("zh", [
            "schemas/ 中的 schema 有问题，无法继续：",
            f"schemas/hubs.schema.json:{line}:{col}: error C004: “/properties/{where}/type”不是有效的 JSON Schema（draft-07）：'strin' is not valid under any of the given schemas",
            "  提示：按 draft-07 规范改正；例如 type 只能是 string、number、integer、boolean、array、object 或 null。",
        ]),
        ("en", [
            "The schemas in schemas/ have problems; cannot continue:",
            f"schemas/hubs.schema.json:{line}:{col}: error C004: \"/properties/{where}/type\" is not valid JSON Schema (draft-07): 'strin' is not valid under any of the given schemas",
            "  hint: Correct it as draft-07 defines it; e.g. type is one of string, number, integer, boolean, array, object or null.",
        ]),
    ):
        result = run(project, "validate", "--lang", lang)
        assert result.output.splitlines()[:3] == expected
        assert result.exit_code == 2


def test_deleted_schema_file(run: Run, project: Path) -> None:
    path = _own_schemas(project)
    path.unlink()
    for command in (["validate"], ["build", "-q"], ["fmt", "--check"], ["coverage"]):
        result = run(project, *command)
        assert result.output.splitlines()[:3] == [
            "schemas/ 中的 schema 有问题，无法继续：",
            "schemas/hubs.schema.json:0:0: error C002: 缺少 schema 文件 hubs.schema.json",
            "  提示：从版本库恢复这个文件（git checkout -- schemas/hubs.schema.json）；如不需要自定义 schema，可删除整个 schemas/ 目录，改用 hubdir 随附的 schema。",
        ], command
        assert result.exit_code == 2
    en = run(project, "--lang", "en", "validate")
    assert en.output.splitlines()[1:3] == [
        "schemas/hubs.schema.json:0:0: error C002: The schema file hubs.schema.json is missing",
        "  hint: Restore it from the repository (git checkout -- schemas/hubs.schema.json); without custom schemas, delete the whole schemas/ folder to use the schemas shipped with hubdir.",
    ]


class _Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.requests.append(self.path)
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_remote_ref_is_refused_and_never_fetched(run: Run, project: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/name.schema.json"
        path = _own_schemas(project)
        text = path.read_text("utf-8").replace('"common.schema.json#/$defs/name"', f'"{url}"', 1)
        path.write_text(text, "utf-8")
        line, col = _line_col(text, f'"{url}"')
        for lang, expected in (
            ("zh", [
                f"schemas/hubs.schema.json:{line}:{col}: error C005: schema 引用了外部地址 {url}：hubdir 从不下载外部 schema",
                "  提示：只能引用 schemas/ 中的文件（如 common.schema.json#/$defs/name）或本文件内的 #/$defs/…。",
            ]),
            ("en", [
                f"schemas/hubs.schema.json:{line}:{col}: error C005: The schema refers to the remote address {url}: hubdir never downloads schemas",
                "  hint: Refer only to files in schemas/ (e.g. common.schema.json#/$defs/name) or to #/$defs/… in the same file.",
            ]),
        ):
            for command in ("validate", "build"):
                result = run(project, "--lang", lang, command)
                assert result.output.splitlines()[1:3] == expected
                assert result.exit_code == 2
        assert _Recorder.requests == []
    finally:
        server.shutdown()
        server.server_close()


def test_unresolvable_local_ref(run: Run, project: Path) -> None:
    path = _own_schemas(project)
    text = path.read_text("utf-8").replace('"common.schema.json#/$defs/name"', '"common.schema.json#/$defs/nam"', 1)
    path.write_text(text, "utf-8")
    line, col = _line_col(text, '"common.schema.json#/$defs/nam"')
    result = run(project, "validate")
    assert result.output.splitlines()[1:3] == [
        f"schemas/hubs.schema.json:{line}:{col}: error C006: 找不到 schema 引用的 common.schema.json#/$defs/nam",
        "  提示：检查名称是否拼错，以及它是否在被引用文件的 $defs 中。",
    ]
    assert result.exit_code == 2


# -- 10. release ---------------------------------------------------------------------------


def test_bad_release_version_exits_2(run: Run, project: Path) -> None:
    result = run(project, "--lang", "en", "release", "v1")
    assert result.exit_code == 2
    assert result.output.endswith(
        "Invalid version “v1”: use a semantic version (e.g. 1.2.0) or a date (e.g. 2026-11-23)\n"
    )


def test_diff_never_reads_a_link_out_of_the_project(run: Run, project: Path, tmp_path: Path) -> None:
    """`hubdir diff` reads the working tree in a pull request's check: a link out must not be shown."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(project), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "content")
    secret = tmp_path / "secret.yml"
    secret.write_text("id: hub-secret\nname: 机密 SECRET\n", "utf-8")
    (project / "content" / "hubs" / "hub-secret.yml").symlink_to(secret)
    zh = run(project, "diff", "HEAD")
    assert zh.output.splitlines()[-1] == "无法读取（head）：hubs/hub-secret.yml（Y015），未参与比较"
    en = run(project, "--lang", "en", "diff", "HEAD", "--format", "markdown")
    assert "SECRET" not in zh.output + en.output and "机密" not in zh.output + en.output
    assert en.output.splitlines()[-1] == "- Unreadable (head): hubs/hub-secret.yml (Y015), left out of the comparison"
