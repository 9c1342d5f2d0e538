"""Search synonyms are data: the project's search_synonyms.yml extends the built-in list, and a bad
file is reported like every other file (located, zh and en, non-zero exit)."""

from __future__ import annotations

from pathlib import Path

from conftest import Run

from generator.config import load_config
from generator.site import search, search_query
from generator.site.labels import labels_for
from generator.site.model import SiteModel
from generator.validate import load

BAD = """\
kinds:
  womens_fed: [妇女会]
  womens_homes: [妇女小家, "!!", 家暴]
services:
  marriage_mediaton: [吵架]
target_groups:
  single_mothers: [单身妈妈]
places:
  "440606099": [老城]
"""


def test_a_bad_synonyms_file_says_where_and_what(project: Path, run: Run) -> None:
    (project / "search_synonyms.yml").write_text(BAD, "utf-8")
    zh = run(project, "validate")
    assert zh.exit_code == 1
    lines = [line for line in zh.output.splitlines() if line.startswith("search_synonyms.yml")]
    assert lines == [
        "search_synonyms.yml:2:3: error Q001: 搜索同义词里的类别“womens_fed”不存在",
        "search_synonyms.yml:3:24: error Q005: 同义词“!!”里没有可搜索的文字",
        "search_synonyms.yml:3:30: error Q006: 同义词“家暴”已表示服务项目，不能再表示类别",
        "search_synonyms.yml:5:3: error Q002: 搜索同义词里的服务项目“marriage_mediaton”不存在",
        "search_synonyms.yml:9:3: error Q004: 搜索同义词里的区划“440606099”不在 content/divisions 中",
    ]
    assert "一个词只能表示一类意思；删去这一处，或换一个词。" in zh.output
    en = run(project, "validate", "--lang", "en")
    lines = [line for line in en.output.splitlines() if line.startswith("search_synonyms.yml")]
    assert lines == [
        'search_synonyms.yml:2:3: error Q001: the search synonyms name an unknown kind "womens_fed"',
        'search_synonyms.yml:3:24: error Q005: the synonym "!!" has nothing that can be searched',
        'search_synonyms.yml:3:30: error Q006: the synonym "家暴" already means a service and cannot also mean a kind',
        'search_synonyms.yml:5:3: error Q002: the search synonyms name an unknown service "marriage_mediaton"',
        'search_synonyms.yml:9:3: error Q004: the search synonyms name division "440606099", '
        "which is not in content/divisions",
    ]
    build = run(project, "build", "--out", str(project / "out"))
    assert build.exit_code != 0 and not (project / "out").exists()  # nothing is published from a bad file


def test_a_misshapen_synonyms_file_is_a_schema_error(project: Path, run: Run) -> None:
    (project / "search_synonyms.yml").write_text("kinds: [妇联]\nsynonym: 1\n", "utf-8")
    result = run(project, "validate", "--lang", "en")
    assert result.exit_code == 1
    assert 'search_synonyms.yml:1:8: error S003: "kinds" should be a mapping of fields, not a list' in result.output
    assert 'search_synonyms.yml:2:1: error S007: Unknown field "synonym"' in result.output
    (project / "search_synonyms.yml").write_text("kinds:\n  womens_homes: [a]\n  womens_homes: [b]\n", "utf-8")
    result = run(project, "validate", "--lang", "en")
    assert "search_synonyms.yml:3:3: error Y006" in result.output  # a duplicate key, as everywhere


def test_the_projects_words_reach_the_search(project: Path, tmp_path: Path, run: Run) -> None:
    (project / "search_synonyms.yml").write_text(
        'kinds:\n  womens_homes: [姐妹驿家]\nplaces:\n  "440606006": [容奇]\nstopwords: [麻烦]\n', "utf-8"
    )
    assert run(project, "validate").exit_code == 0
    config = load_config(project)
    model = SiteModel(config, load(config).registry, labels_for(config.schemas_dir))
    search.write(model, tmp_path)
    index = tmp_path / search.INDEX_DIR
    assert (
        search_query.find(index, "麻烦容奇姐妹驿家")
        == search_query.find(index, "容桂妇女之家")
        == ["org/wh-gz/", "org/wh-sx/"]
    )


def test_a_changed_synonyms_file_rebuilds_the_index_of_a_cached_build(project: Path) -> None:
    from generator import build

    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    index = out / search.INDEX_DIR
    assert search_query.find(index, "暖心小屋") == []
    (project / "search_synonyms.yml").write_text("kinds:\n  womens_homes: [暖心小屋]\n", "utf-8")
    build.build(load_config(project), out, quiet=True)  # the cache must not keep the old index
    assert search_query.find(index, "暖心小屋") == ["org/wh-gz/", "org/wh-sx/"]
