"""The ``hubdir`` command line: exit codes, output formats, PATHS, languages, help, hostile projects."""



from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator import validate as validate_module
from generator.cli import cli, main
from generator.config import load_config
from tests.conftest import REPO, Run
from tests.test_validate import HUB, put, summary

BAD = HUB + "adress: 示例路\n"


# -- exit codes and formats ------------------------------------------------------------


def test_exit_codes(run: Run, project: Path) -> None:
    assert run(project, "validate").exit_code == 0
    put(project, "content/hubs/hub-x.yml", BAD)
    assert run(project, "validate").exit_code == 1
    assert run(project, "validate", "--format", "xml").exit_code == 2
    assert run(project, "validate", str(project / "content" / "nope.yml")).exit_code == 2


def test_github_annotations(run: Run, project: Path) -> None:
    path = put(project, "content/hubs/hub-x.yml", BAD)
    result = run(project, "validate", str(path), "--format", "github")
    assert result.output.splitlines() == [
        "::error file=content/hubs/hub-x.yml,line=9,col=1,title=S002::未知字段“adress”%0A提示：是否想写“address”？",
        summary(project, 1),
    ]
    assert result.exit_code == 1


def test_github_annotation_for_a_whole_file_problem(run: Run, project: Path) -> None:
    (project / "content" / "hubs" / "notes.txt").write_text("x", "utf-8")
    result = run(project, "validate", "--format", "github", "--lang", "en")
    assert (
        '::warning file=content/hubs/notes.txt,title=M032::Ignored "notes.txt": it is not a regular .yml file'
        "%0Ahint: Each record is one .yml file in a registry folder; delete or move this."
    ) in result.output


def test_json_report_structure(run: Run, project: Path) -> None:
    put(project, "content/hubs/hub-x.yml", BAD)
    put(project, "content/hubs/hub-y.yml", HUB.replace("hub-x", "hub-y") + "\tx\n")
    result = run(project, "validate", "--format", "json", "--lang", "en")
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert sorted(doc) == ["errors", "files_checked", "problems", "valid", "version", "warnings"]
    assert doc["version"] == 1 and doc["valid"] is False
    assert (doc["errors"], doc["warnings"]) == (2, 2)
    assert doc["files_checked"] == sum(1 for _ in (project / "content").glob("*/*.yml"))
    for problem in doc["problems"]:
        assert sorted(problem) == ["code", "column", "field", "hint", "line", "message", "path", "severity"]
    keys = [(p["path"], p["line"], p["column"], p["code"]) for p in doc["problems"]]
    assert keys == sorted(keys)
    assert doc["problems"][2] == {
        "code": "S002",
        "column": 1,
        "field": "adress",
        "hint": 'Did you mean "address"?',
        "line": 9,
        "message": 'Unknown field "adress"',
        "path": "content/hubs/hub-x.yml",
        "severity": "error",
    }
    assert doc["problems"][3]["code"] == "Y004"
    # stable: byte-identical on a second run, keys sorted, no trailing spaces
    assert run(project, "validate", "--format", "json", "--lang", "en").output == result.output
    assert result.output == json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def test_json_report_of_a_clean_project(run: Run, project: Path) -> None:
    shutil.rmtree(project / "content" / "hubs")
    shutil.rmtree(project / "content" / "youth_centers")
    shutil.rmtree(project / "content" / "womens_homes")
    shutil.rmtree(project / "content" / "social_orgs")
    doc = json.loads(run(project, "validate", "--format", "json").output)
    assert doc == {
        "errors": 0,
        "files_checked": 8,
        "problems": [],
        "valid": True,
        "version": 1,
        "warnings": 0,
    }


# -- PATHS ---------------------------------------------------------------------------


def test_paths_limit_the_report_but_not_the_checks(run: Run, project: Path) -> None:
    x = put(project, "content/hubs/hub-x.yml", BAD)
    put(project, "content/hubs/hub-y.yml", BAD.replace("hub-x", "hub-y"))
    only_x = run(project, "validate", str(x)).output
    assert "hub-x.yml" in only_x and "hub-y.yml" not in only_x
    everything = run(project, "validate").output
    assert "hub-x.yml:9:1" in everything and "hub-y.yml:9:1" in everything
    folder = run(project, "validate", str(project / "content" / "hubs")).output
    assert "hub-x.yml:9:1" in folder and "hub-y.yml:9:1" in folder and "social_orgs" not in folder
    # references are still resolved against the whole registry: a good file alone passes
    good = put(project, "content/hubs/hub-z.yml", HUB.replace("hub-x", "hub-z"))
    assert run(project, "validate", str(good)).exit_code == 0


def test_path_outside_a_registry_folder(run: Run, project: Path, tmp_path: Path) -> None:
    stray = put(tmp_path, "elsewhere/hub-q.yml", HUB.replace("hub-x", "hub-q"))
    result = run(project, "validate", str(stray))
    assert result.exit_code == 1
    assert "error M033: “elsewhere”不是已知的登记册目录" in result.output


# -- languages -----------------------------------------------------------------------


def test_hubdir_lang_environment_variable(project: Path) -> None:
    put(project, "content/hubs/hub-x.yml", BAD)
    result = CliRunner(env={"HUBDIR_LANG": "en"}).invoke(cli, ["--root", str(project), "validate"])
    assert 'Unknown field "adress"' in result.output
    result = CliRunner(env={"HUBDIR_LANG": "en"}).invoke(
        cli, ["--root", str(project), "validate", "--lang", "zh"]
    )
    assert "未知字段“adress”" in result.output


#: Runs the CLI with a defect planted in the pipeline (every real input is a located error now).
_DEFECT = (
    "import sys, generator.validate as v\n"
    "def boom(*a, **k):\n    raise FileNotFoundError('planted')\n"
    "v.load = boom\n"
    "from generator.cli import main\n"
    "main(sys.argv[1:])\n"
)


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "broken"
    shutil.copytree(REPO / "tests" / "fixtures" / "project", root)
    return root


def test_internal_error_is_reported_in_the_chosen_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)

    def boom(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("planted")

    monkeypatch.setattr(validate_module, "load", boom)
    with pytest.raises(SystemExit) as exc:
        main(["--root", str(root), "--lang", "en", "validate"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err == "Internal error in hubdir (a bug, please report it): FileNotFoundError: planted\n"
    with pytest.raises(SystemExit):
        main(["--root", str(root), "validate", "--lang=en"])
    assert capsys.readouterr().err.startswith("Internal error in hubdir")
    monkeypatch.setenv("HUBDIR_LANG", "en")
    with pytest.raises(SystemExit):
        main(["--root", str(root), "validate"])
    assert capsys.readouterr().err.startswith("Internal error in hubdir")


def test_console_script_never_shows_a_traceback(tmp_path: Path) -> None:
    root = _project(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _DEFECT, "--root", str(root), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == "hubdir 内部错误（这是缺陷，请报告）：FileNotFoundError: planted\n"


#: The ``hubdir`` program with an exit handler that says the interpreter shut down normally.
_WITNESS = (
    "import atexit, sys\n"
    "path = sys.argv.pop()\n"
    "atexit.register(lambda: open(path, 'w').close())\n"
    "from generator.cli import run\n"
    "run()\n"
)


def test_a_finished_build_leaves_without_freeing_its_heap(tmp_path: Path) -> None:
    """At 100k records freeing the build's objects one by one at exit took 2.5 s; a build now
    leaves at once, its output and its exit code complete, and other commands shut down normally."""
    root = _project(tmp_path)
    freed = tmp_path / "freed"

    def hubdir(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", _WITNESS, "--root", str(root), *args, str(freed)],
                              capture_output=True, text=True, check=False)

    done = hubdir("build", "--lang", "en")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Site built:") and lines[-1].startswith("Time per step:")  # all flushed
    assert (root / "build" / "site" / "hubdir-manifest.json.gz").is_file()
    assert not freed.exists()
    refused = hubdir("build", "--strict", "--lang", "en")  # the fixture's warnings refuse it
    assert refused.returncode == 1
    assert "--strict is on; no site was built" in refused.stderr  # the message, flushed
    assert not freed.exists()
    assert hubdir("validate", "--strict").returncode == 1 and freed.exists()


def test_schema_folder_without_files_is_a_located_error(tmp_path: Path) -> None:
    """Once an internal error: now each missing file is named (issue 11)."""
    root = tmp_path / "empty-schemas"
    (root / "schemas").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "fixtures" / "project" / "site_config.yml", root)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "--root", str(root), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "schemas/common.schema.json:0:0: error C002: 缺少 schema 文件 common.schema.json" in proc.stderr.splitlines()


def test_no_project_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "validate"])
    assert result.exit_code == 2
    assert "site_config.yml:0:0: error C001: 找不到站点配置 site_config.yml" in result.output


# -- help texts (datasette-style: a command without docs fails the build) -------------


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, (*prefix, name)))
    return found


COMMANDS = _commands(cli)
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_there_are_commands() -> None:
    assert ("validate",) in [path for path, _ in COMMANDS]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_in_chinese_and_english(path: tuple[str, ...], command: click.Command) -> None:
    text = command.help or ""
    assert HAN.search(text), f"hubdir {' '.join(path)} needs a Chinese help text"
    assert re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text), (
        f"hubdir {' '.join(path)} needs an English help text"
    )
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"hubdir {' '.join(path)} {param.opts[0]} needs help"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")


def test_group_help_lists_validate() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "validate" in result.output and HAN.search(result.output)


# -- hostile projects: problems, never a traceback ------------------------------------


def test_missing_content_folder(run: Run, project: Path) -> None:
    shutil.rmtree(project / "content")
    result = run(project, "validate")
    assert result.output.splitlines() == [
        "content:0:0: error M035: 找不到内容目录",
        "  提示：在项目根目录下建立 content/ 目录，每个登记册一个子目录（如 content/hubs/）。",
        "检查了 0 个文件：1 个错误，0 个警告。",
    ]
    assert result.exit_code == 1


def test_folder_named_like_a_record_and_symlink_loops(run: Run, project: Path) -> None:
    (project / "content" / "hubs" / "x.yml").mkdir()
    (project / "content" / "hubs" / "loop.yml").symlink_to("loop.yml")
    (project / "content" / "self").symlink_to("self")
    (project / "content" / "hubs" / "notes.txt").write_text("x", "utf-8")
    result = run(project, "validate", "--lang", "en")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line for line in lines if "M032" in line or "M033" in line] == [
        'content/hubs/loop.yml:0:0: warning M032: Ignored "loop.yml": it is not a regular .yml file',
        'content/hubs/notes.txt:0:0: warning M032: Ignored "notes.txt": it is not a regular .yml file',
        'content/hubs/x.yml:0:0: warning M032: Ignored "x.yml": it is not a regular .yml file',
        'content/self:0:0: warning M033: "self" is not a known registry folder',
    ]
    assert run(project, "validate", "--strict").exit_code == 1


def test_registry_folder_that_is_a_symlink_loop(run: Run, project: Path) -> None:
    shutil.rmtree(project / "content" / "social_orgs")
    (project / "content" / "social_orgs").symlink_to("social_orgs")
    result = run(project, "validate")
    assert "content/social_orgs:0:0: warning M033" in result.output
    assert result.exit_code in (0, 1)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(run: Run, project: Path) -> None:
    path = put(project, "content/hubs/hub-x.yml", HUB)
    path.chmod(0)
    try:
        result = run(project, "validate")
    finally:
        path.chmod(0o644)
    assert "content/hubs/hub-x.yml:0:0: error Y011: 无法读取文件：Permission denied" in result.output


def test_file_that_vanishes_while_reading(project: Path) -> None:
    config = load_config(project)
    import datetime as dt

    validate_module._init(str(config.schemas_dir), config.district, dt.date(2025, 1, 1))
    data, problems = validate_module._read_one(
        ("hubs", str(project / "content/hubs/gone.yml"), "content/hubs/gone.yml")
    )
    assert data is None
    assert [p.message("en") for p in problems] == ["Cannot read the file: No such file or directory"]


def test_output_is_sorted_and_deterministic(run: Run, project: Path) -> None:
    for name in ("hub-c", "hub-a", "hub-b"):
        put(project, f"content/hubs/{name}.yml", BAD.replace("hub-x", name))
    first = run(project, "validate").output
    assert first == run(project, "validate").output
    paths = [line.split(":")[0] for line in first.splitlines() if line.startswith("content/")]
    assert paths == sorted(paths)


def test_parallel_and_sequential_loading_agree(project: Path) -> None:
    for index in range(40):
        put(project, f"content/hubs/hub-p{index}.yml", BAD.replace("hub-x", f"hub-p{index}"))
    put(project, "content/hubs/hub-q.yml", "a: [\n")
    config = load_config(project)
    import datetime as dt

    today = dt.date(2025, 6, 1)
    old = validate_module.PARALLEL_THRESHOLD
    try:
        validate_module.PARALLEL_THRESHOLD = 1
        parallel = validate_module.load(config, today=today, workers=2)
    finally:
        validate_module.PARALLEL_THRESHOLD = old
    sequential = validate_module.load(config, today=today, workers=1)
    assert parallel.report.sorted() == sequential.report.sorted()
    assert [r.data for r in parallel.records] == [r.data for r in sequential.records]
