"""``hubdir new``: free stable ids, the full template, and a file that validates once filled in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from generator import yamlio
from generator.config import load_config
from generator.new import next_id
from generator.validate import load
from tests.conftest import REPO, Run

S008 = "  提示：不知道的信息请删除整行（或在行首加 # 注释掉），不要留空。"


def test_new_hub_fills_what_it_can_and_says_what_is_left(run: Run, project: Path):
    result = run(project, "new", "hubs", "--division", "440606006001", "--kind", "womens_federation")
    assert result.exit_code == 0, result.output
    rel = "content/hubs/hub-440606006001-1.yml"
    assert result.output == "\n".join(
        [
            f"已创建 {rel}（编号 hub-440606006001-1）",
            f"还需填写以下内容（填好后运行 hubdir validate {rel}）：",
            f"{rel}:3:6: error S008: “name”没有值",
            S008,
            f"{rel}:29:11: error S008: “sources[0].title”没有值",
            S008,
            "检查了 1 个文件：2 个错误，0 个警告。",
            "",
        ]
    )
    text = (project / rel).read_text("utf-8")
    first, _, rest = text.partition("\n")
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert ((project / rel).parent / first[len(prefix) :]).resolve() == REPO / "schemas" / "hubs.schema.json"
    assert rest.startswith("id: hub-440606006001-1\nname:  # 名称：")
    for line in (
        "kind: womens_federation\n",
        "level: village\n",
        'division: "440606006001"\n',
        "parent: hub-rg-women\n",
        "# name_en:  # 英文名称：英文名称（如有官方译名）。\n",
        "# contacts:  # 公开联系方式：",
        "sources:  # 信息来源：",
        "  - title:  # 来源名称：",
        "# last_verified:  # 最近核实日期：",
    ):
        assert line in text

    # Already canonical, and valid once the two blanks are filled in.
    assert run(project, "fmt", "--check", str(project / rel)).exit_code == 0
    filled = text.replace("name:  #", "name: 示例桂洲社区妇联  #").replace(
        "  - title:  #", "  - title: 示例来源  #"
    )
    (project / rel).write_text(filled, "utf-8")
    check = run(project, "validate", str(project / rel))
    assert check.exit_code == 0, check.output
    assert check.output == "检查了 31 个文件，没有发现问题。\n"


def test_new_youth_center_finds_its_host(run: Run, project: Path):
    result = run(
        project,
        "--lang",
        "en",
        "new",
        "youth_centers",
        "--division",
        "440606006001",
        "--name",
        "示例新青年坊",
    )
    assert result.exit_code == 0
    rel = "content/youth_centers/yc-440606006001-1.yml"
    assert result.output.splitlines()[:3] == [
        f"Created {rel} (id yc-440606006001-1)",
        f"Still to fill in (then run hubdir validate {rel}):",
        f'{rel}:29:11: error S008: "sources[0].title" has no value',
    ]
    data = yamlio.load_file(project / rel)
    assert data == {
        "id": "yc-440606006001-1",
        "name": "示例新青年坊",
        "division": "440606006001",
        "host": "hub-rg-youth",
        "sources": [{"title": None}],
    }


def test_new_division_uses_its_code(run: Run, project: Path):
    result = run(
        project,
        "new",
        "divisions",
        "--division",
        "440606006003",
        "--name",
        "示例新社区",
        "--kind",
        "community",
    )
    assert result.exit_code == 0, result.output
    data = yamlio.load_file(project / "content/divisions/440606006003.yml")
    assert data == {
        "id": "440606006003",
        "name": "示例新社区",
        "level": "village",
        "type": "community",
        "parent": "440606006",
        "sources": [{"title": None}],
    }


def test_ids_count_up_and_are_never_reused(run: Run, project: Path):
    assert next_id("hub", ["hub-1", "hub-7", "hub-x", "hubs-9"]) == "hub-8"
    assert run(project, "new", "social_orgs").output.startswith("已创建 content/social_orgs/so-1.yml")
    assert run(project, "new", "social_orgs").output.startswith("已创建 content/social_orgs/so-2.yml")

    # so-2 is committed, then deleted: in a git repository its id stays taken.
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "add"], check=True)
    subprocess.run([*git, "rm", "-q", "content/social_orgs/so-2.yml"], check=True)
    subprocess.run([*git, "commit", "-qm", "withdraw so-2"], check=True)
    result = run(project, "new", "social_orgs")
    assert result.output.startswith("已创建 content/social_orgs/so-3.yml（编号 so-3）")


def test_new_file_validates_in_the_pipeline(project: Path, run: Run):
    run(project, "new", "womens_homes", "--division", "440606006002", "--name", "示例上佳市妇女之家")
    config = load_config(project)
    loaded = load(config)
    todo = [p.code for p in loaded.report.problems if p.path == "content/womens_homes/wh-440606006002-1.yml"]
    # No women's federation in 上佳市 or 容桂? 容桂's is found up the chain.
    data = yamlio.load_file(project / "content/womens_homes/wh-440606006002-1.yml")
    assert data["hub"] == "hub-rg-women"
    assert todo == ["S008"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["clubs"], "未知的登记册“clubs”；可选：divisions, hubs, youth_centers, womens_homes, social_orgs"),
        (
            ["hubs", "--kind", "union"],
            "未知的类别“union”；可选：trade_union, youth_league, womens_federation, "
            "disabled_persons_federation, federation_of_commerce",
        ),
        (["womens_homes", "--kind", "x"], "登记册 womens_homes 没有类别字段，不能使用 --kind"),
        (["hubs", "--division", "440606999"], "找不到区划代码 440606999（content/divisions/ 中没有）"),
        (
            ["youth_centers", "--division", "440606006"],
            "440606006（容桂街道）不是村（社区）级区划；青年坊和妇女之家须设在村（社区）",
        ),
        (["divisions"], "新增区划须用 --division 给出它的统计用区划代码"),
        (["divisions", "--division", "44060600"], "“44060600”不是 2、4、6、9 或 12 位的区划代码"),
        (["divisions", "--division", "440606006"], "记录 440606006 已存在，不会覆盖"),
        (["hubs", "--name", "  "], "--name 不能为空"),
    ],
)
def test_bad_requests(run: Run, project: Path, args: list[str], message: str):
    before = sorted(p.name for p in (project / "content").rglob("*.yml"))
    result = run(project, "new", *args)
    assert result.exit_code == 2
    assert result.output == message + "\n"
    assert sorted(p.name for p in (project / "content").rglob("*.yml")) == before


def test_bad_request_in_english(run: Run, project: Path):
    result = run(project, "--lang", "en", "new", "hubs", "--division", "440606999")
    assert result.exit_code == 2
    assert result.output == "No division with code 440606999 (not in content/divisions/)\n"
