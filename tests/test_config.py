"""``site_config.yml``: strictly loaded and validated; any problem stops with exit 2 and names the key."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Run


def edit(project: Path, old: str, new: str) -> None:
    path = project / "site_config.yml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(project: Path, text: str) -> int:
    lines = (project / "site_config.yml").read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


def test_top_level_typo_names_the_key_and_suggests(run: Run, project: Path) -> None:
    edit(project, "\nlicence:", "\nlicnce:")
    result = run(project, "validate")
    assert result.exit_code == 2
    line = line_of(project, "licnce:")
    assert result.output == (
        "站点配置 site_config.yml 有问题，无法继续：\n"
        f"site_config.yml:{line_of(project, 'site:')}:1: error S001: 缺少必填字段“licence”\n"
        "  提示：补上这个字段；可参考贡献指南中的字段说明。\n"
        f"site_config.yml:{line}:1: error S002: 未知字段“licnce”\n"
        "  提示：是否想写“licence”？\n"
        "检查了 1 个文件：2 个错误，0 个警告。\n"
    )


def test_nested_typo_in_english(run: Run, project: Path) -> None:
    edit(project, "  uscc_region_prefix:", "  uscc_region_prefx:")
    result = run(project, "validate", "--lang", "en")
    assert result.exit_code == 2
    line = line_of(project, "  uscc_region_prefx:")
    assert (
        f'site_config.yml:{line}:3: error S002: Unknown field "uscc_region_prefx"\n'
        '  hint: Did you mean "uscc_region_prefix"?\n'
    ) in result.output
    assert result.output.startswith("site_config.yml has problems; cannot continue:\n")


def test_config_yaml_traps_are_errors(run: Run, project: Path) -> None:
    edit(project, "  title:\n", "  title:\n    zh: 重复\n")
    result = run(project, "validate")
    assert result.exit_code == 2
    assert "site_config.yml:7:5: error Y006: 重复的键“zh”（第 6 行已出现）" in result.output


def test_config_wrong_type(run: Run, project: Path) -> None:
    edit(project, 'code: "440606"', "code: 440606")
    result = run(project, "validate")
    assert result.exit_code == 2
    assert "error S009: “root.code”应为文字，但 YAML 把 440606 读成了整数" in result.output


def test_config_that_is_a_folder(run: Run, project: Path) -> None:
    (project / "site_config.yml").unlink()
    (project / "site_config.yml").mkdir()
    result = run(project, "validate")
    assert result.exit_code == 2
    assert "site_config.yml:0:0: error Y011: 无法读取文件：Is a directory" in result.output


def test_missing_config(run: Run, project: Path) -> None:
    (project / "site_config.yml").unlink()
    result = run(project, "validate")
    assert result.exit_code == 2
    assert "error C001: 找不到站点配置 site_config.yml" in result.output


def test_shipped_config_loads(tmp_path: Path) -> None:
    from generator.config import load_config
    from tests.conftest import REPO

    config = load_config(REPO)
    assert config.district["code"] == "440606"
    assert [k.code for k in config.hub_kinds][:3] == ["trade_union", "youth_league", "womens_federation"]
    assert config.hub_kind("womens_federation") is not None and config.hub_kind("nope") is None
    shutil.copy(REPO / "site_config.yml", tmp_path / "site_config.yml")
    assert load_config(tmp_path).schemas_dir == REPO / "schemas"


LEGACY = """district:
  code: "440606"
  name:
    zh: 顺德区
    en: Shunde District
  uscc_region_prefix: "4406"
"""


def _root_section(project: Path) -> tuple[str, str]:
    text = (project / "site_config.yml").read_text("utf-8")
    start = text.index("root:\n")
    end = text.index("\nhub_kinds:")
    return text, text[start:end]


def test_legacy_district_section_is_a_district_root(run: Run, project: Path) -> None:
    from generator.config import load_config

    text, section = _root_section(project)
    (project / "site_config.yml").write_text(text.replace(section, LEGACY), "utf-8")
    area = load_config(project).root_area
    assert (area.code, area.level, area.bounds) == ("440606", "district", None)
    assert run(project, "validate").exit_code == 0


def test_root_and_district_together(run: Run, project: Path) -> None:
    text, section = _root_section(project)
    (project / "site_config.yml").write_text(text.replace(section, section + "\n" + LEGACY), "utf-8")
    line = line_of(project, "district:")
    for lang, expected in (
        (
            "zh",
            f"site_config.yml:{line}:1: error C101: site_config.yml 同时写了 root 和 district\n"
            "  提示：district 是旧写法，等同于 level: district 的 root；删掉 district，只保留 root。\n",
        ),
        (
            "en",
            f"site_config.yml:{line}:1: error C101: site_config.yml has both root and district\n"
            "  hint: district is the old form of a root at level district; delete district and keep root.\n",
        ),
    ):
        result = run(project, "validate", "--lang", lang)
        assert result.exit_code == 2
        assert expected in result.output


def test_no_root(run: Run, project: Path) -> None:
    text, section = _root_section(project)
    (project / "site_config.yml").write_text(text.replace(section, ""), "utf-8")
    result = run(project, "validate")
    assert result.exit_code == 2
    assert (
        "site_config.yml:1:1: error C102: site_config.yml 缺少 root（名录覆盖的区划）\n"
        '  提示：例如 root: {code: "4406", level: city, name: {zh: 佛山市, en: Foshan}, uscc_region_prefix: "4406"}；'
        "旧写法 district: 仍可用。\n"
    ) in result.output
    result = run(project, "validate", "--lang", "en")
    assert "error C102: site_config.yml has no root (the division the directory covers)\n" in result.output


def test_root_code_digits_follow_its_level(run: Run, project: Path) -> None:
    edit(project, "  level: district", "  level: city")
    line = line_of(project, '  code: "440606"')
    result = run(project, "validate")
    assert result.exit_code == 2
    assert (
        f"site_config.yml:{line}:9: error C103: root.code “440606”的位数与层级“city”不符，应为 4 位\n"
        "  提示：国家统计局代码：省 2 位（44）、市 4 位（4406）、区县 6 位（440606）。\n"
    ) in result.output
    result = run(project, "validate", "--lang", "en")
    assert (
        f'site_config.yml:{line}:9: error C103: root.code "440606" does not have the digits of level "city":'
        " it needs 4\n"
    ) in result.output


def test_coordinate_check_waits_for_bounds(run: Run, project: Path) -> None:
    """Without bounds (a new project not yet filled in), coordinates are not boxed in."""
    text, section = _root_section(project)
    far = section[: section.index("  # 坐标")] if "  # 坐标" in section else section[: section.index("  bounds:")]
    (project / "site_config.yml").write_text(text.replace(section, far.rstrip() + "\n"), "utf-8")
    hub = project / "content" / "hubs" / "hub-d-union.yml"
    hub.write_text(hub.read_text("utf-8").replace("lat: 22.8406", "lat: 39.9"), "utf-8")
    result = run(project, "validate")
    assert result.exit_code == 0 and "M025" not in result.output
    (project / "site_config.yml").write_text(text, "utf-8")  # with its bounds, the same point is outside
    assert "error M025" in run(project, "validate").output
