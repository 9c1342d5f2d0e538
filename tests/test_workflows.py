"""Files around the workflow: CI workflows, pre-commit, editor settings, templates, CONTRIBUTING."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from generator import contributing, yamlio
from generator.cli import cli
from generator.config import load_config
from generator.i18n import catalogue
from generator.registry import REGISTRIES
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
GLOBAL_OPTIONS = {"--root": 1, "--lang": 1}


def _load(path: Path) -> Any:
    """Workflow files through the strict loader: no YAML 1.1 surprises (``on:`` stays a key)."""
    return yamlio.loads(path.read_text("utf-8"))


def _hubdir_calls(script: str) -> list[list[str]]:
    """Every ``hubdir …`` command line in a shell script, as argument lists (redirections dropped)."""
    calls = []
    for line in script.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part.split(">>")[0].split(" > ")[0], comments=True)
            if words and words[0] == "hubdir":
                calls.append(words[1:])
    return calls


def _check_call(args: list[str]) -> str:
    """Parse ``args`` with the real CLI (global options, command, its options); return the command."""
    rest = list(args)
    while rest and rest[0] in GLOBAL_OPTIONS:
        rest = rest[1 + GLOBAL_OPTIONS[rest[0]] :]
    assert rest, f"hubdir called without a command: {args}"
    name, rest = rest[0], rest[1:]
    command = cli.commands.get(name)
    assert command is not None, f"hubdir {name} does not exist (commands: {sorted(cli.commands)})"
    # Arguments that name files in the checkout are checked as text only: parsing alone is the point.
    command.make_context(name, [a if not a.startswith("$") else "x" for a in rest], resilient_parsing=False)
    return name


def test_there_are_the_two_workflows():
    assert {"pages.yml", "pull-request.yml"} <= {p.name for p in WORKFLOWS}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_calls_existing_commands(path: Path):
    doc = _load(path)
    assert {"name", "on", "jobs"} <= set(doc)
    called = []
    for job in doc["jobs"].values():
        assert "runs-on" in job
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            for args in _hubdir_calls(step.get("run", "")):
                called.append(_check_call(args))
    expected = {"pull-request.yml": ["diff", "validate", "fmt", "build"], "pages.yml": ["validate", "build"]}
    if path.name in expected:
        assert called == expected[path.name]


def test_pull_request_workflow_does_what_the_issue_asks():
    doc = _load(REPO / ".github/workflows/pull-request.yml")
    assert set(doc["on"]) == {"pull_request"}
    runs = " ".join(s.get("run", "") for s in doc["jobs"]["check"]["steps"])
    assert "hubdir validate --format github" in runs
    assert "hubdir fmt --check" in runs
    assert "hubdir build --strict" in runs
    assert '--format markdown >> "$GITHUB_STEP_SUMMARY"' in runs
    assert doc["permissions"] == {"contents": "read"}
    checkout = doc["jobs"]["check"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # the diff needs the base commit


def test_pages_workflow_publishes_the_build():
    doc = _load(REPO / ".github/workflows/pages.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    upload = next(s for s in doc["jobs"]["build"]["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "build/site"
    assert doc["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert doc["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


@pytest.mark.parametrize("name", [".pre-commit-hooks.yaml", ".pre-commit-config.yaml"])
def test_pre_commit_hooks_call_existing_commands(name: str):
    text = (REPO / name).read_text("utf-8")
    doc = (
        yamlio.loads("hooks:\n" + "\n".join("  " + line for line in text.splitlines()))
        if name.startswith(".pre-commit-hooks")
        else _load(REPO / name)
    )
    hooks = doc["hooks"] if "hooks" in doc else [h for repo in doc["repos"] for h in repo["hooks"]]
    commands = [_check_call(shlex.split(h["entry"])[1:]) for h in hooks if h["entry"].startswith("hubdir ")]
    assert sorted(commands) == ["fmt", "validate"]
    for hook in hooks:
        if hook["entry"].startswith("hubdir "):
            assert re.search(hook["files"], "content/hubs/hub-440606-union.yml")
            assert not re.search(hook["files"], "README.md")


def test_vscode_maps_every_registry_to_its_schema():
    settings = json.loads((REPO / ".vscode/settings.json").read_text("utf-8"))
    mapping = settings["yaml.schemas"]
    for registry in REGISTRIES:
        assert mapping[f"./schemas/{registry}.schema.json"] == [f"content/{registry}/*.yml"]
    for schema_path in mapping:
        assert (REPO / schema_path).is_file(), schema_path
    assert settings["[yaml]"]["editor.tabSize"] == 2 and settings["[yaml]"]["editor.insertSpaces"] is True


def test_correction_form_matches_the_site_link():
    config = load_config(REPO)
    url = config.site["correction_url"]
    template = re.search(r"template=([^&]+)", url)
    assert template and template.group(1) == "correction.yml"
    form = _load(REPO / ".github/ISSUE_TEMPLATE" / template.group(1))
    assert form["name"] == "报告信息错误 / Report a correction"
    ids = [item.get("id") for item in form["body"] if item["type"] != "markdown"]
    assert ids == ["record", "page", "what", "correct", "source", "privacy"]
    for item in form["body"]:
        assert item["type"] in {"markdown", "input", "textarea", "dropdown", "checkboxes"}
        if item["type"] != "markdown":
            assert item["attributes"]["label"]


def test_pull_request_template_is_chinese():
    text = (REPO / ".github/pull_request_template.md").read_text("utf-8")
    assert "## 改了什么" in text and "## 信息来源" in text and "个人信息" in text


def test_contributing_generated_blocks_are_up_to_date():
    current = contributing.CONTRIBUTING.read_text("utf-8")
    assert contributing.render(current, contributing.blocks()) == current, (
        "CONTRIBUTING.md is out of date: run python -m generator.contributing"
    )


def test_contributing_is_chinese_first_and_covers_every_field():
    text = (REPO / "CONTRIBUTING.md").read_text("utf-8")
    assert text.index("## 在 GitHub 网页上修改") < text.index("# Contributing (English)")
    for registry in REGISTRIES:
        assert f"（`content/{registry}/`）" in text and f"(`content/{registry}/`)" in text
    codes = re.findall(r"^\d+\. \*\*`([A-Z]\d{3})`\*\*", text, re.M)
    assert len(codes) == 20 and codes[:10] == codes[10:]
    for code in codes[:10]:
        assert f"problem.{code}.message" in catalogue("zh")


def test_every_workflow_message_has_both_languages():
    zh = {k for k in catalogue("zh") if k.startswith("workflow.")}
    en = {k for k in catalogue("en") if k.startswith("workflow.")}
    assert zh == en and len(zh) > 50


def test_new_commands_have_bilingual_help():
    for name in ("new", "fmt", "diff", "serve", "release"):
        command = cli.commands[name]
        assert isinstance(command, click.Command)
        help_text = command.help or ""
        assert re.search(r"[\u4e00-\u9fff]", help_text) and re.search(r"[A-Za-z]{4,}", help_text), name
