"""``hubdir release``: immutable dated releases with checksums, changelog, delta, and their listing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.release import list_releases, verify_release
from tests.conftest import FIXTURE_PROJECT, REPO, Run

REL = Path("datasets") / "releases"


def _run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def _set_version(root: Path, version: str) -> None:
    meta = root / "datasets" / "package.yml"
    meta.parent.mkdir(exist_ok=True)
    text = (REPO / "datasets" / "package.yml").read_text("utf-8")
    new, count = re.subn(r'(?m)^version: "[^"]*"$', f'version: "{version}"', text)
    assert count == 1
    meta.write_text(new, "utf-8")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two releases of the fixture project: 1.0.0, then a date release after one edit."""
    root = tmp_path_factory.mktemp("release") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    _set_version(root, "1.0.0")
    first = _run(root, "release", "1.0.0", "--date", "2026-01-01")
    assert first.exit_code == 0, first.output
    assert first.output == (
        "已发布版本 1.0.0（2026-01-01）：datasets/releases/1.0.0，共 "
        f"{_count(root / REL / '1.0.0')} 个文件\n首个发布版本，共 30 条记录\n"
    )
    target = root / "content" / "hubs" / "hub-rg-union.yml"
    target.write_text(
        target.read_text("utf-8").replace("name: 示例容桂总工会", "name: 示例容桂街道总工会"), "utf-8"
    )
    (root / "content" / "social_orgs" / "so-dl-socialwork.yml").unlink()
    second = _run(root, "--lang", "en", "release", "2026-02-01", "--date", "2026-02-01")
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[1] == (
        "Since the previous release 1.0.0: "
        "1 removed, 1 renamed"
    )
    return root


def _count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def test_release_layout_and_checksums(released: Path):
    folder = released / REL / "1.0.0"
    for name in (
        "datapackage.json",
        "SHA256SUMS",
        "CHANGELOG.md",
        "delta.json",
        "release.json",
        "json/all.json.zip",
    ):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "datapackage.json").read_text("utf-8"))["version"] == "1.0.0"
    assert verify_release(folder) == []
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text("utf-8").splitlines()}
    assert {"CHANGELOG.md", "delta.json", "release.json", "datapackage.json"} <= listed
    check = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True)
    assert check.returncode == 0, check.stdout
    assert not any(p.stat().st_mode & 0o222 for p in folder.rglob("*") if p.is_file())  # read-only
    assert not [p for p in (released / REL).iterdir() if p.name.startswith(".")]  # no temp folders left


def test_changelog_and_delta_of_second_release(released: Path):
    folder = released / REL / "2026-02-01"
    changelog = (folder / "CHANGELOG.md").read_text("utf-8")
    assert changelog == "\n".join(
        [
            "# 数据版本 2026-02-01（2026-02-01）",
            "",
            "与上一版本 1.0.0（2026-01-01）相比：",
            "",
            "删除 1 条，更名 1 条",
            "",
            "## 删除（1）",
            "",
            "- **示例大良社会工作服务中心** · `so-dl-socialwork` · 社会组织",
            "",
            "## 更名（1）",
            "",
            "- **示例容桂街道总工会** · `hub-rg-union` · 枢纽型群团组织",
            "  - 名称由“示例容桂总工会”改为“示例容桂街道总工会”",
            "",
            "  | 字段 | 原值 | 新值 |",
            "  |---|---|---|",
            "  | 名称（name） | 示例容桂总工会 | 示例容桂街道总工会 |",
            "",
            "# Data release 2026-02-01 (2026-02-01)",
            "",
            "Changes since the previous release 1.0.0 (2026-01-01):",
            "",
            "1 removed, 1 renamed",
            "",
            "## Removed (1)",
            "",
            "- **示例大良社会工作服务中心** · `so-dl-socialwork` · Social organizations",
            "",
            "## Renamed (1)",
            "",
            "- **示例容桂街道总工会** · `hub-rg-union` · Hub organizations",
            "  - renamed from “示例容桂总工会” to “示例容桂街道总工会”",
            "",
            "  | Field | Before | After |",
            "  |---|---|---|",
            "  | Name (name) | 示例容桂总工会 | 示例容桂街道总工会 |",
            "",
        ]
    )
    delta = json.loads((folder / "delta.json").read_text("utf-8"))
    assert (delta["release"], delta["previous"]) == ("2026-02-01", "1.0.0")
    assert [(c["kind"], c["id"]) for c in delta["changes"]] == [
        ("removed", "so-dl-socialwork"),
        ("renamed", "hub-rg-union"),
    ]
    assert delta["changes"][0]["record"] is None
    assert delta["changes"][1]["record"]["name"] == "示例容桂街道总工会"


def test_list_releases_newest_first(released: Path):
    releases = list_releases(released)
    assert [(r.version, r.date, r.previous) for r in releases] == [
        ("2026-02-01", "2026-02-01", "1.0.0"),
        ("1.0.0", "2026-01-01", None),
    ]
    assert releases[0].path == released / REL / "2026-02-01"
    assert releases[0].changelog_md.startswith("# 数据版本 2026-02-01")
    assert releases[0].changelog == {
        "zh": "与上一版本 1.0.0 相比：删除 1 条，更名 1 条\n"
        "删除：示例大良社会工作服务中心（so-dl-socialwork）\n"
        "更名：示例容桂街道总工会（hub-rg-union）：名称（name）",
        "en": "Since the previous release 1.0.0: 1 removed, 1 renamed\n"
        "Removed: 示例大良社会工作服务中心 (so-dl-socialwork)\n"
        "Renamed: 示例容桂街道总工会 (hub-rg-union): Name (name)",
    }
    assert releases[1].changelog == {"zh": "首个发布版本，共 30 条记录", "en": "First release: 30 records"}
    assert releases[1].records == {
        "divisions": 8,
        "hubs": 15,
        "youth_centers": 2,
        "womens_homes": 2,
        "social_orgs": 3,
    }
    assert releases[0].summary["removed"] == 1
    assert list_releases(FIXTURE_PROJECT / "nowhere") == []


def test_diff_between_release_folders(released: Path):
    result = _run(
        released,
        "diff",
        str(released / REL / "1.0.0"),
        str(released / REL / "2026-02-01"),
        "--format",
        "json",
    )
    doc = json.loads(result.output)
    assert doc["summary"]["renamed"] == 1 and doc["summary"]["removed"] == 1 and doc["summary"]["changed"] == 0


def test_existing_release_is_never_overwritten(released: Path):
    before = (released / REL / "1.0.0" / "SHA256SUMS").read_bytes()
    result = _run(released, "release", "1.0.0")
    assert result.exit_code == 2
    assert result.output == (
        "版本 1.0.0 已发布（datasets/releases/1.0.0），发布后不可更改，不会覆盖；请换一个新版本号\n"
    )
    assert (released / REL / "1.0.0" / "SHA256SUMS").read_bytes() == before


def test_tampering_is_detected(released: Path, tmp_path: Path):
    copy = tmp_path / "copy"
    shutil.copytree(released / REL / "1.0.0", copy)
    (copy / "csv").chmod(0o755)
    tampered = copy / "json" / "all.json.zip"
    tampered.chmod(0o644)
    tampered.write_text("{}\n", "utf-8")
    (copy / "extra.txt").write_text("x", "utf-8")
    assert verify_release(copy) == ["extra.txt", "json/all.json.zip"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1.0"], "版本号“1.0”无效：请用语义化版本（如 1.2.0）或日期（如 2026-11-23）"),
        (["2026-02-30"], "版本号“2026-02-30”无效：请用语义化版本（如 1.2.0）或日期（如 2026-11-23）"),
        (["v1.0.0"], "版本号“v1.0.0”无效：请用语义化版本（如 1.2.0）或日期（如 2026-11-23）"),
        (["2026-03-01", "--date", "2026/03/01"], "日期“2026/03/01”无效：格式为 YYYY-MM-DD"),
        (
            ["2025-12-01", "--date", "2025-12-01"],
            "版本 2025-12-01 的日期 2025-12-01 早于上一版本 2026-02-01（2026-02-01）",
        ),
        (
            ["2.0.0", "--date", "2026-03-01"],
            '数据版本是 1.0.0：请先把 datasets/package.yml 中的 version 改为 "2.0.0"，再发布',
        ),
    ],
)
def test_bad_requests(released: Path, args: list[str], message: str):
    before = sorted(p.name for p in (released / REL).iterdir())
    result = _run(released, "release", *args)
    assert result.exit_code == 2
    assert result.output == message + "\n"
    assert sorted(p.name for p in (released / REL).iterdir()) == before


def test_invalid_registry_is_not_released(run: Run, project: Path):
    target = project / "content" / "hubs" / "hub-rg-union.yml"
    target.write_text(target.read_text("utf-8").replace("kind: trade_union", "kind: trade-union"), "utf-8")
    result = run(project, "release", "2026-03-01", "--date", "2026-03-01")
    assert result.exit_code == 1
    assert result.output.endswith("登记册有错误，未发布：请先修正上面列出的问题\n")
    assert "content/hubs/hub-rg-union.yml:" in result.output
    assert not (project / REL).exists() or not any((project / REL).iterdir())


def test_validate_and_build_name_a_changed_release_file(released: Path, tmp_path: Path):
    """Issue 15 D9: editing a published release fails validate (so CI) and build, naming the file."""
    root = tmp_path / "project"
    shutil.copytree(released, root)
    target = root / REL / "1.0.0" / "csv" / "hubs.csv"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes().replace("示例容桂总工会".encode(), "示例容桂总工会（改）".encode()))
    (root / REL / "2026-02-01" / "extra.txt").write_text("x", "utf-8")
    result = _run(root, "validate")
    assert result.exit_code == 1
    assert (
        "datasets/releases/1.0.0/csv/hubs.csv:0:0: error R001: "
        "已发布版本 1.0.0 的文件 csv/hubs.csv 与 SHA256SUMS 不符：发布后被修改过"
    ) in result.output
    assert "datasets/releases/2026-02-01/extra.txt:0:0: error R003: " in result.output
    english = _run(root, "--lang", "en", "validate")
    assert (
        "datasets/releases/1.0.0/csv/hubs.csv:0:0: error R001: File csv/hubs.csv of published release 1.0.0 "
        "does not match SHA256SUMS: it was changed after publication"
    ) in english.output
    assert "restore the file with git" in english.output
    (root / REL / "1.0.0" / "SHA256SUMS").chmod(0o644)
    (root / REL / "1.0.0" / "SHA256SUMS").unlink()
    assert "error R004: 已发布版本 1.0.0 的 SHA256SUMS 缺失或无法读取" in _run(root, "validate").output
    build = _run(root, "build", "--out", str(tmp_path / "site"))
    assert build.exit_code == 1 and "R003" in build.output
    assert not (tmp_path / "site").exists()


def test_untouched_releases_validate(released: Path):
    result = _run(released, "validate")
    assert result.exit_code == 0, result.output


def test_citations_carry_the_release_date_and_changed_data_are_unreleased(released: Path, tmp_path: Path):
    """Issue 15 D10: a release cites its own date; an export whose data differ from every release says so."""
    first = json.loads((released / REL / "1.0.0" / "datapackage.json").read_text("utf-8"))
    assert first["version"] == "1.0.0"
    assert "第 1.0.0 版（2026-01-01）" in first["description"]
    assert "version 1.0.0 (2026-01-01)" in first["description"]
    second = json.loads((released / REL / "2026-02-01" / "datapackage.json").read_text("utf-8"))
    assert second["version"] == "1.0.0+2026-02-01"
    # the content as released: the export names that release
    same = _run(released, "export", "--out", str(tmp_path / "same"))
    assert same.exit_code == 0, same.output
    doc = json.loads((tmp_path / "same" / "datapackage.json").read_text("utf-8"))
    assert doc["version"] == "1.0.0+2026-02-01" and "（2026-02-01）" in doc["description"]
    # one more edit: never the released number for different data
    root = tmp_path / "project"
    shutil.copytree(released, root)
    target = root / "content" / "hubs" / "hub-rg-women.yml"
    target.write_text(target.read_text("utf-8").replace("name: 示例容桂妇联", "name: 示例容桂街道妇联"), "utf-8")
    changed = _run(root, "export", "--out", str(tmp_path / "changed"))
    assert changed.exit_code == 0, changed.output
    doc = json.loads((tmp_path / "changed" / "datapackage.json").read_text("utf-8"))
    assert doc["version"] == "1.0.0+unreleased"
    assert "第 1.0.0+unreleased 版" in doc["description"]
