"""``hubdir diff`` on a scripted git history (add, edit, rename, dissolve, merge, remove) and on folders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.diff import Entry, Snapshot, compare, md, read_folder
from tests.conftest import FIXTURE_PROJECT, Run

C = "content"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project in a git repository with four commits after the base."""
    root = tmp_path_factory.mktemp("diff") / "repo"
    shutil.copytree(FIXTURE_PROJECT, root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    _git(root, "tag", "base")

    # 1. edit: a new name and a contact
    _edit(
        root / C / "hubs/hub-rg-union.yml",
        "name: 示例容桂总工会\n",
        'name: 示例容桂街道总工会\ncontacts:\n  - type: hotline\n    value: "12351"\n',
    )
    # 2. add one record, remove another
    (root / C / "hubs/hub-rg-youth-2.yml").write_text(
        "id: hub-rg-youth-2\nname: 示例容桂新团委 <b>粗</b>\nkind: youth_league\nlevel: town\n"
        'division: "440606006"\nsources:\n  - title: 示例来源\n',
        "utf-8",
    )
    _git(root, "rm", "-q", f"{C}/social_orgs/so-dl-socialwork.yml")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "edit, add, remove")

    # 3. rename: same content under a new id (file moved with git mv)
    _git(root, "mv", f"{C}/social_orgs/so-rg-volunteers.yml", f"{C}/social_orgs/so-rg-yv.yml")
    _edit(root / C / "social_orgs/so-rg-yv.yml", "id: so-rg-volunteers", "id: so-rg-yv")
    _git(root, "commit", "-qam", "rename")

    # 4. dissolve one, merge another
    _edit(
        root / C / "youth_centers/yc-sp.yml",
        "services:",
        'status: dissolved\nsuccessor: yc-gz\ndissolved_on: "2024-03-01"\nservices:',
    )
    _edit(
        root / C / "hubs/hub-gz-women.yml",
        "sources:",
        'status: merged\nsuccessor: hub-rg-women\ndissolved_on: "2024-05-01"\nsources:',
    )
    _git(root, "commit", "-qam", "dissolve and merge")
    return root


def test_json_reports_every_kind_of_change(run: Run, repo: Path):
    result = run(repo, "diff", "base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["version"] == 2
    assert doc["summary"] == {
        "added": 1,
        "removed": 1,
        "renamed": 1,
        "id_changed": 1,
        "moved": 0,
        "dissolved": 1,
        "merged": 1,
        "changed": 0,
    }
    kinds = [(c["kind"], c["id"]) for c in doc["changes"]]
    assert kinds == [
        ("added", "hub-rg-youth-2"),
        ("removed", "so-dl-socialwork"),
        ("renamed", "hub-rg-union"),
        ("id_changed", "so-rg-yv"),
        ("dissolved", "yc-sp"),
        ("merged", "hub-gz-women"),
    ]
    new_id = doc["changes"][3]
    assert (new_id["old_id"], new_id["old_path"], new_id["path"]) == (
        "so-rg-volunteers",
        "social_orgs/so-rg-volunteers.yml",
        "social_orgs/so-rg-yv.yml",
    )
    assert new_id["fields"] == []
    merged = doc["changes"][5]
    assert merged["successor"] == "hub-rg-women"
    # a missing status is the model's "active", not "none"
    assert merged["fields"] == [
        {"field": "status", "old": "active", "new": "merged"},
        {"field": "successor", "old": None, "new": "hub-rg-women"},
        {"field": "dissolved_on", "old": None, "new": "2024-05-01"},
    ]
    renamed = doc["changes"][2]
    assert (renamed["old_name"], renamed["name"]) == ("示例容桂总工会", "示例容桂街道总工会")
    assert renamed["fields"] == [
        {"field": "name", "old": "示例容桂总工会", "new": "示例容桂街道总工会"},
        {"field": "contacts", "item": "added", "old": None, "new": {"type": "hotline", "value": "12351"}},
    ]


def test_text_one_step_in_chinese(run: Run, repo: Path):
    result = run(repo, "diff", "HEAD~1", "HEAD")
    assert result.exit_code == 0
    assert result.output == "\n".join(
        [
            "比较 HEAD~1 → HEAD",
            "撤销 1 条，合并 1 条",
            "x 撤销 youth_centers/yc-sp 示例升平社区青年坊",
            "    已撤销，由 yc-gz（示例桂洲社区青年坊）承接",
            "    状态（status）：正常运作 → 已撤销",
            "    继任组织（successor）：（无） → yc-gz",
            "    撤销日期（dissolved_on）：（无） → 2024-03-01",
            "x 合并 hubs/hub-gz-women 示例桂洲社区妇联",
            "    已合并入 hub-rg-women（示例容桂妇联）",
            "    状态（status）：正常运作 → 已合并",
            "    继任组织（successor）：（无） → hub-rg-women",
            "    撤销日期（dissolved_on）：（无） → 2024-05-01",
            "",
        ]
    )


def test_markdown_in_english_escapes_yaml_text(run: Run, repo: Path):
    result = run(repo, "--lang", "en", "diff", "HEAD~3", "HEAD~2", "--format", "markdown")
    assert result.exit_code == 0
    assert result.output == "\n".join(
        [
            "## Directory changes",
            "",
            "Comparing HEAD\\~3 → HEAD\\~2",
            "",
            "1 added, 1 removed, 1 renamed",
            "",
            "### Added (1)",
            "",
            "- **示例容桂新团委 &lt;b&gt;粗&lt;/b&gt;** · `hub-rg-youth-2` · Hub organizations",
            "",
            "### Removed (1)",
            "",
            "- **示例大良社会工作服务中心** · `so-dl-socialwork` · Social organizations",
            "",
            "### Renamed (1)",
            "",
            "- **示例容桂街道总工会** · `hub-rg-union` · Hub organizations",
            "  - renamed from “示例容桂总工会” to “示例容桂街道总工会”",
            "",
            "  | Field | Before | After |",
            "  |---|---|---|",
            "  | Name (name) | 示例容桂总工会 | 示例容桂街道总工会 |",
            "  | Public contacts (contacts) | (none) | added: Hotline · 12351 |",
            "",
        ]
    )


def test_markdown_zh_headings(run: Run, repo: Path):
    result = run(repo, "diff", "HEAD~2", "HEAD~1", "--format", "markdown")
    assert "### 编号变更（1）" in result.output
    assert "编号由 so\\-rg\\-volunteers" not in result.output
    assert (
        "  - 编号由 so-rg-volunteers 改为 so-rg-yv（social\\_orgs/so-rg-volunteers.yml → "
        "social\\_orgs/so-rg-yv.yml）" in result.output
    )


def test_head_defaults_to_the_working_tree(run: Run, repo: Path, tmp_path: Path):
    work = tmp_path / "clone"
    _git(repo, "worktree", "add", "-q", str(work), "HEAD")
    try:
        _edit(work / C / "hubs/hub-rg-women.yml", "name: ", "name: 新")
        result = run(work, "diff", "HEAD", "--format", "json")
        doc = json.loads(result.output)
        assert doc["head"] == "worktree"
        assert [(c["kind"], c["id"]) for c in doc["changes"]] == [("renamed", "hub-rg-women")]
    finally:
        _git(repo, "worktree", "remove", "--force", str(work))


def test_no_change(run: Run, repo: Path):
    result = run(repo, "--lang", "en", "diff", "HEAD", "HEAD")
    assert result.output == (
        "Comparing HEAD → HEAD\nNo record changed.\n"
    )


def test_folders_and_moves(run: Run, tmp_path: Path):
    base = tmp_path / "a"
    shutil.copytree(FIXTURE_PROJECT / C, base)
    head = tmp_path / "b"
    shutil.copytree(FIXTURE_PROJECT / C, head)
    (head / "hubs/hub-rg-union.yml").rename(head / "hubs/hub-rg-union-old.yml")
    result = run(FIXTURE_PROJECT, "diff", str(base), str(head), "--format", "json")
    doc = json.loads(result.output)
    assert [(c["kind"], c["id"], c["old_path"], c["path"]) for c in doc["changes"]] == [
        ("moved", "hub-rg-union", "hubs/hub-rg-union.yml", "hubs/hub-rg-union-old.yml")
    ]


def test_unreadable_files_are_listed(tmp_path: Path):
    (tmp_path / "hubs").mkdir()
    (tmp_path / "hubs" / "bad.yml").write_text("id: a\nid: b\n", "utf-8")
    snapshot = read_folder(tmp_path)
    assert snapshot.unreadable == [("hubs/bad.yml", "Y006")]


def test_rename_by_name_with_field_changes():
    before = Snapshot(
        "a", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", {"id": "hub-a", "name": "甲", "x": 1})}
    )
    after = Snapshot(
        "b", {"hub-b": Entry("hubs", "hub-b", "hubs/hub-b.yml", {"id": "hub-b", "name": "甲", "x": 2})}
    )
    changes = compare(before, after)
    assert [(c.kind, c.old_id, c.id, [f.key for f in c.fields]) for c in changes.changes] == [
        ("id_changed", "hub-a", "hub-b", ["x"])
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no-such-rev", "找不到 git 版本“no-such-rev”（也不是文件夹）"),
    ],
)
def test_unknown_revision(run: Run, repo: Path, spec: str, message: str):
    result = run(repo, "diff", spec)
    assert result.exit_code == 2
    assert result.output == message + "\n"


def test_not_a_repository(run: Run, project: Path):
    assert subprocess.run(["git", "-C", str(project), "rev-parse"], capture_output=True).returncode != 0
    result = run(project, "--lang", "en", "diff", "main")
    assert result.exit_code == 2
    assert result.output == (
        "“main” is not a folder and the project is not in a git repository "
        "(cannot read it as a git revision)\n"
    )


def test_project_in_a_subfolder_of_the_repository(run: Run):
    """The fixture project sits three folders deep in this repository: blobs are found by prefix."""
    if subprocess.run(["git", "-C", str(FIXTURE_PROJECT), "rev-parse"], capture_output=True).returncode:
        pytest.skip("this checkout is not a git repository")
    result = run(FIXTURE_PROJECT, "diff", "HEAD", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["head"] == "worktree"


def test_md_escapes_markup():
    assert md("<script>*x*|[a](javascript:1)") == "&lt;script&gt;\\*x\\*\\|\\[a\\](javascript:1)"


def _hub(**fields: object) -> dict[str, object]:
    return {"id": "hub-a", "name": "甲", "kind": "trade_union", **fields}


def test_list_items_are_compared_by_identity_and_shown_with_labels():
    """Issue 15 D8: an e-mail inserted before a phone is one added contact, not two changes and an addition."""
    from generator.config import load_config
    from generator.diff import render_text

    config = load_config(FIXTURE_PROJECT)
    phone = {"type": "office_phone", "value": "0757-22220001"}
    email = {"type": "email", "value": "a@example.org"}
    before = Snapshot("a", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", _hub(
        contacts=[phone], services=["legal_aid", "job_services"]))})
    after = Snapshot("b", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", _hub(
        contacts=[email, {**phone}], services=["job_services", "legal_aid", "care_visits"], status="merged"))})
    changes = compare(before, after, config)
    [change] = changes.changes
    assert change.kind == "merged"
    assert [(f.key, f.item, f.old, f.new) for f in change.fields] == [
        ("contacts", "added", None, email),
        ("services", "added", None, "care_visits"),
        ("status", "", "active", "merged"),
    ]
    text = render_text(changes, "zh", config)
    assert "    公开联系方式（contacts）：（无） → 新增：电子邮箱 · a@example.org" in text
    assert "    服务项目（services）：（无） → 新增：关爱慰问" in text
    assert "    状态（status）：正常运作 → 已合并" in text
    assert "office_phone" not in text and "care_visits" not in text
    english = render_text(changes, "en", config)
    assert "    Public contacts (contacts): (none) → added: Email · a@example.org" in english
    assert english.splitlines()[1] == "1 merged"


def test_changed_and_removed_items_and_a_pure_reordering():
    from generator.config import load_config
    from generator.diff import render_text

    config = load_config(FIXTURE_PROJECT)
    a = {"type": "hotline", "value": "12351"}
    b = {"type": "office_phone", "value": "0757-1"}
    before = Snapshot("a", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", _hub(contacts=[a, b]))})
    after = Snapshot("b", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", _hub(
        contacts=[{**a, "note": "24 小时"}]))})
    [change] = compare(before, after, config).changes
    assert [(f.item, f.old, f.new) for f in change.fields] == [
        ("changed", a, {**a, "note": "24 小时"}), ("removed", b, None)]
    assert change.kind == "changed"
    text = render_text(compare(before, after, config), "zh", config)
    assert text.splitlines()[1] == "信息更新 1 条"
    assert "公开联系方式（contacts）：服务热线 · 12351 → 服务热线 · 12351 · 24 小时" in text
    assert "公开联系方式（contacts）：办公电话 · 0757-1 → （已删除）" in text
    swapped = Snapshot("c", {"hub-a": Entry("hubs", "hub-a", "hubs/hub-a.yml", _hub(contacts=[b, a]))})
    [change] = compare(before, swapped, config).changes
    assert [f.item for f in change.fields] == ["reordered"]
