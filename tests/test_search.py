"""The static search index (generator/site/search.py): what it holds, how it ranks, how it is stored.

The browser side (assets/hubdir.js) is held to ``search.find`` in test_browser.py; here the index is
checked through ``find`` and by reading its files.
"""

from __future__ import annotations

import base64
import itertools
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.site import search, search_query


def _index(built_site: tuple[Path, Path, object]) -> Path:
    return built_site[1] / search.INDEX_DIR


def _rows(index: Path) -> list[list]:  # type: ignore[type-arg]
    meta = json.loads((index / "meta.json").read_text("utf-8"))
    rows = []
    for i in range(-(-meta["docs"] // meta["docs_per_shard"])):
        rows += json.loads((index / "d" / f"{i}.json").read_text("utf-8"))
    return rows


def test_every_record_and_area_page_is_one_document(built_site: tuple[Path, Path, object]) -> None:
    site = built_site[1]
    paths = [row[0] for row in _rows(_index(built_site))]
    pages = sorted(f"{top}/{d.name}/" for top in ("org", "area") for d in (site / top).iterdir())
    assert sorted(paths) == pages and len(set(paths)) == len(paths)


def test_document_order_puts_active_towns_and_hubs_first(built_site: tuple[Path, Path, object]) -> None:
    rows = _rows(_index(built_site))
    active = [r for r in rows if not r[4]]
    assert rows[: len(active)] == active, "inactive records come last"
    assert active[0][0] == "area/440606/" and active[1][0].startswith("area/4406060")
    first_org = next(i for i, r in enumerate(active) if r[0].startswith("org/"))
    assert active[first_org][0].startswith("org/hub-")
    assert {r[4] for r in rows} == {"", "dissolved", "merged"}


def test_chinese_words_inside_the_text(built_site: tuple[Path, Path, object]) -> None:
    # a service label: two records list marriage mediation; neither has it in its name
    assert search_query.find(_index(built_site), "婚姻家庭调解") == ["org/wh-gz/", "org/so-rg-fitness/"]


def test_names_and_aliases_rank_before_text(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    rows = {r[0]: r for r in _rows(index)}
    assert search_query.find(index, "容桂青年义工协会")[0] == "org/so-rg-volunteers/"
    assert search_query.find(index, "桂洲巾帼健身队") == ["org/so-rg-fitness/"]  # an alias: 示例 is not in it
    for query in ("容桂", "妇女", "青年", "社区"):
        found = search_query.find(index, query)
        in_name = [query in rows[p][1] or any(query in a for a in rows[p][7]) for p in found]
        assert in_name == sorted(in_name, reverse=True), query
        assert True in in_name and False in in_name, f"{query}: the fixture has both kinds"


def test_pinyin_full_initials_and_from_any_syllable(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    assert "org/yc-gz/" in search_query.find(index, "guizhou")[:5]
    assert search_query.find(index, "slrgzgh")[0] == "org/hub-rg-union/"  # 示例容桂总工会, initials of the whole name
    rows = {r[0]: r for r in _rows(index)}
    in_name = [p for p, r in rows.items() if "容桂" in r[1] or any("容桂" in a for a in r[7])]
    found = search_query.find(index, "rg")
    assert found and sorted(found) == sorted(in_name)  # initials: names only
    for query in ("ronggui", "RongGui", "ｒｏｎｇｇｕｉ"):
        found = search_query.find(index, query)
        # the place in full pinyin: its area page (exact), names with 容桂, then everything inside 容桂
        assert found[0] == "area/440606006/", query
        assert set(found[: len(in_name)]) == set(in_name), query
        assert set(found) == set(search_query.find(index, "容桂")), query
    assert search_query.find(index, "rgx") == []


def test_queries_that_find_nothing(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    for query in ("", "   ", "r", "!!!", "没有这种组织", "zzzz"):
        assert search_query.find(index, query) == [], query


def test_several_words_must_all_match(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    both = search_query.find(index, "容桂 妇女")
    assert both and set(both) <= set(search_query.find(index, "容桂")) & set(search_query.find(index, "妇女"))
    assert set(search_query.find(index, "妇女 gz")) <= set(search_query.find(index, "guizhou"))


def test_keys_cover_pairs_characters_and_pinyin_prefixes() -> None:
    forms = search.latin_forms(["容桂街道妇女联合会", "Ronggui Women"])
    assert forms == ["rong gui jie dao fu nv lian he hui", "ronggui women"]
    keys = search.latin_keys(forms)
    assert {"ro", "ron", "rong", "rg", "rgj", "rgjd", "gu", "guij", "fn", "funv", "wo", "wome"} <= keys
    assert not {k for k in keys if len(k) < 2 or len(k) > 4}
    assert search.han_keys("容桂 妇联", singles=False) == {"容桂", "妇联"}
    assert search.han_keys("容桂 妇联", singles=True) == {"容桂", "妇联", "容", "桂", "妇", "联"}
    assert search.query_terms("容桂 ｒｇ x 2024") == [("han", "容桂"), ("latin", "rg"), ("latin", "2024")]
    assert search.han_keys("𬒈香村", singles=False) == {"𬒈香", "香村"}  # a supplementary-plane character


def test_rare_characters_outside_the_basic_plane(built_site: tuple[Path, Path, object]) -> None:
    assert search_query.find(_index(built_site), "𬒈香") == ["org/wh-sx/"]  # its alias


def test_shard_hash_is_fnv1a_32() -> None:
    # published FNV-1a test vectors; hubdir.js computes the same over UTF-8 bytes
    assert search.shard_of("a", 2**32) == 0xE40C292C
    assert search.shard_of("foobar", 2**32) == 0xBF9CF968
    assert search.shard_of("容桂", 7) == search.shard_of("容桂", 7)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a shared, busy CI machine
@given(st.integers(min_value=1, max_value=3000).flatmap(
    lambda n: st.tuples(st.just(n), st.sets(st.integers(min_value=0, max_value=n - 1)))
))
def test_posting_lists_round_trip(case: tuple[int, set[int]]) -> None:
    total, docs = case
    encoded = json.loads(search.encode(sorted(docs), total))
    assert search.decode(encoded) == sorted(docs)


def _both_forms(docs: list[int], total: int) -> tuple[str, str]:
    """A posting list as a gap list and as a bitmap, made the plain way (one document at a time)."""
    gaps: list[int] = []
    end = 0
    for doc in docs:
        if gaps and doc == end:
            gaps[-1:] = [gaps[-1] - 1] if gaps[-1] < 0 else [gaps[-1], -1]
        else:
            gaps.append(doc - end)
        end = doc + 1
    bits = bytearray((total + 31) // 32 * 4)
    for doc in docs:
        bits[doc >> 3] |= 1 << (doc & 7)
    return json.dumps(gaps, separators=(",", ":")), '"' + base64.b64encode(bytes(bits)).decode("ascii") + '"'


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.integers(min_value=1, max_value=400).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 12)), max_size=120),
        )
    )
)
def test_posting_lists_take_the_shorter_form(case: tuple[int, list[tuple[int, int]]]) -> None:
    # runs of documents, many or few: encode finds runs without a loop per document, and a list with
    # more runs than the bitmap allows is a bitmap at once; either way the shorter form, ties to gaps
    total, runs = case
    docs = sorted({doc for start, length in runs for doc in range(start, min(start + length, total))})
    gaps, bitmap = _both_forms(docs, total)
    assert search.encode(docs, total) == (gaps if len(gaps) <= len(bitmap) else bitmap)


@given(st.lists(st.lists(st.sampled_from(["a", "e", "er", "zh", "ang", "qiong", "7", "42"]), min_size=1, max_size=7)))
def test_latin_keys_are_the_prefixes_from_every_token(forms: list[list[str]]) -> None:
    # the 2-4 letter prefixes of the tokens from each one on, run together, and of their initials
    expected = set()
    for toks in forms:
        for i in range(len(toks)):
            full, initials = "".join(toks[i : i + 4]), "".join(t[0] for t in toks[i : i + 4])
            expected |= {text[:size] for text in (full, initials) for size in (2, 3, 4) if len(text[:size]) >= 2}
    assert search.latin_keys([" ".join(toks) for toks in forms]) == expected


def test_dense_lists_become_bitmaps_sparse_ones_gap_lists() -> None:
    total = 100_000
    dense = json.loads(search.encode(list(range(0, total, 2)), total))
    assert isinstance(dense, str) and len(dense) <= total // 8 * 4 // 3 + 8
    assert json.loads(search.encode([5, 6, 7, 8, 900], total)) == [5, -3, 891]
    assert json.loads(search.encode(list(range(total)), total)) == [0, -(total - 1)]


# -- reading residents' queries (issue 13) ------------------------------------------------------------


def _plan(built_site: tuple[Path, Path, object], query: str) -> search_query.Plan:
    plan = search_query.search(search_query.Index(_index(built_site)), query).plan
    assert plan is not None
    return plan


def test_place_and_kind_in_one_breath(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    assert [s.concepts for s in _plan(built_site, "容桂妇女之家").segments] == [["p:440606006"], ["k:womens_homes"]]
    assert search_query.find(index, "桂洲妇女之家")[0] == "org/wh-gz/"  # 桂洲社区 said short; the name has 社区 between
    assert search_query.find(index, "容桂妇联")[0] == "org/hub-rg-women/"  # the town's own first, then the villages'
    assert search_query.find(index, "容桂妇联")[1:3] == ["org/hub-gz-women/", "org/hub-sx-women/"]
    assert search_query.find(index, "顺德妇联")[0] == "org/hub-d-women/"  # 顺德 is the district: its own first
    assert search_query.find(index, "容桂工会")[0] == "org/hub-rg-union/"  # 总工会 in the name, 工会 typed
    assert search_query.find(index, "容桂工会") == search_query.find(index, "容桂 工会")
    assert search_query.find(index, "大良青年坊") == ["org/yc-sp/"]  # 升平社区 lies in 大良 (the tree, not the name)


def test_the_same_kind_at_the_places_above_nearest_first(built_site: tuple[Path, Path, object]) -> None:
    # 桂洲 has no youth league committee: 容桂's, then the district's
    assert search_query.find(_index(built_site), "桂洲团委")[:2] == ["org/hub-rg-youth/", "org/hub-d-youth/"]


def test_services_and_groups_in_everyday_words(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    assert search_query.find(index, "婚姻调解") == search_query.find(index, "婚姻家庭调解")
    assert search_query.find(index, "家暴")[0] == "org/wh-gz/"  # 反家庭暴力援助
    assert search_query.find(index, "单亲妈妈")[0] == "org/wh-gz/"  # 单亲母亲
    assert search_query.find(index, "被家暴了怎么办")[0] == "org/wh-gz/"  # filler words left out
    assert search_query.find(index, "家暴投靠")[0] == "org/wh-gz/"  # an unknown word, left out
    assert _plan(built_site, "家暴投靠").mode == "partial"


def test_numbers_hotlines_and_phones(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    found = search_query.find(index, "12338")
    rows = {r[0]: r for r in _rows(index)}
    women = [p for p, r in rows.items() if r[3] == rows["org/hub-d-women/"][3] and not r[4]]
    assert set(women) <= set(found)  # every active women's federation answers 12338
    assert found[0] == "org/wh-gz/"  # the one that lists 12338 itself comes first
    assert search_query.find(index, "0757-28880002")[0] == "org/wh-gz/"
    assert search_query.find(index, "28880002")[0] == "org/wh-gz/"  # without the area code


def test_forgiving_sound_missing_extra_traditional_full_width(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    assert search_query.find(index, "荣桂妇联") == search_query.find(index, "容桂妇联")  # same pinyin
    assert _plan(built_site, "荣桂妇联").mode == "sound"
    assert search_query.find(index, "容桂妇女家") == search_query.find(index, "容桂妇女之家")  # a character missing
    assert search_query.find(index, "容桂妇女之之家") == search_query.find(index, "容桂妇女之家")  # one too many
    assert search_query.find(index, "婦聯") == search_query.find(index, "妇联")  # traditional
    assert search_query.find(index, "容桂婦女之家") == search_query.find(index, "容桂妇女之家")
    assert search_query.find(index, "ＲＯＮＧＧＵＩ") == search_query.find(index, "ronggui")  # full width


def test_english_names_and_labels(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    assert search_query.find(index, "Ronggui women's federation") == search_query.find(index, "容桂妇联")
    assert search_query.find(index, "youth center") == search_query.find(index, "青年坊")
    assert search_query.find(index, "marriage mediation") == search_query.find(index, "婚姻调解")
    assert search_query.find(index, "example guizhou youth")[0] == "org/yc-gz/"  # its English name


def test_active_before_dissolved_or_merged(built_site: tuple[Path, Path, object]) -> None:
    index = _index(built_site)
    found = search_query.find(index, "大良工会")
    assert found.index("org/hub-dl-union/") < found.index("org/hub-dl-old-union/")  # merged comes after
    found = search_query.find(index, "妇女之家")
    assert found.index("org/wh-gz/") < found.index("org/wh-sx/")  # dissolved comes after


def test_every_posting_list_of_a_kind_or_place_is_a_few_runs(built_site: tuple[Path, Path, object]) -> None:
    # document order keeps each kind and each subtree together, so their lists stay small at any N
    shard = {}
    for path in (_index(built_site) / "k").iterdir():
        shard.update(json.loads(path.read_text("utf-8")))
    for key, most in (("@kwomens_federation", 3), ("@p440606006", 8), ("@p440606005", 8)):
        docs = search.decode(shard[key][0])
        runs = 1 + sum(1 for a, b in itertools.pairwise(docs) if b != a + 1)
        assert len(docs) > runs and runs <= most, key
