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
    assert "error S009: “district.code”应为文字，但 YAML 把 440606 读成了整数" in result.output


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
