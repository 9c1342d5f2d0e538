"""The datasets' memo between builds (``export.memo``): sharded, safe when a shard is lost, keyed cheaply."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path

import pytest

from generator import build, incremental
from generator.config import load_config
from generator.export import memo as memos


def _same_tree(cached: Path, clean: Path) -> None:
    a = sorted(incremental.walk(cached))
    assert a == sorted(incremental.walk(clean))
    assert [rel for rel in a if not filecmp.cmp(cached / rel, clean / rel, shallow=False)] == []


def _shards(out: Path) -> dict[str, int]:
    folder = out.parent / ".site-cache"
    return {p.name: p.stat().st_ino for p in folder.glob(f"{memos.SIDE_FILE}-*.pickle")}


def _edit(project: Path, old: str, new: str, rel: str = "content/womens_homes/wh-gz.yml") -> None:
    path = project / rel
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_a_second_build_rewrites_only_the_memo_shards_an_edit_changed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One record's new name: the shards of the entries it changed are written again, the others
    stay the files they were, and the data equal a clean build's."""
    from generator.export import zipped

    monkeypatch.setattr(zipped, "SPAN", 3)
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    before = _shards(out)
    assert len(before) == memos.SHARDS
    _edit(project, "name: 示例桂洲社区妇女之家", "name: 示例分片妇女之家")
    cached = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
    _same_tree(out / "data", clean.out_dir / "data")
    after = _shards(out)
    assert sorted(after) == sorted(before)
    kept = [name for name in before if after[name] == before[name]]
    assert 0 < len(kept) < memos.SHARDS  # some rewritten (the edit), most kept
    assert cached.datasets is not None and cached.datasets.reused.get("json", 0) == cached.records - 1


def test_a_lost_or_corrupt_memo_shard_costs_only_its_entries(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards deleted, shards of garbage and the memo of one file from before the shards: the next
    build makes those entries again, gives the bytes of a clean build, and writes every shard back."""
    from generator.export import zipped

    monkeypatch.setattr(zipped, "SPAN", 3)
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    folder = out.parent / ".site-cache"
    first, count = memos._SHARDS_OF["json"]
    for number in range(first, first + count):  # the records' JSON: gone
        (folder / f"{memos.shard_name(number)}.pickle").unlink()
    first, count = memos._SHARDS_OF["csv"]
    for number in range(first, first + count):  # the CSV text: garbage
        (folder / f"{memos.shard_name(number)}.pickle").write_bytes(b"\x80\x05not a pickle")
    legacy = folder / f"{memos.SIDE_FILE}.pickle"
    legacy.write_bytes(b"old")
    _edit(project, "name: 示例桂洲社区妇女之家", "name: 示例损坏妇女之家")
    cached = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
    _same_tree(out / "data", clean.out_dir / "data")
    assert len(_shards(out)) == memos.SHARDS and not legacy.exists()
    assert cached.datasets is not None
    reused = cached.datasets.reused
    assert "json" not in reused and "csv" not in reused and reused.get("xlsx", 0) > 0  # the others still serve


def test_shards_are_loaded_by_their_libraries_and_dumped_only_when_changed() -> None:
    """``dump_shards`` leaves out a shard holding what it was loaded with; a shard of other library
    versions (or not a memo at all) is not read."""
    memo = memos.Memo()
    for n in range(200):
        memo.put(("json", f"h{n}"), f"text {n}")
    shards = memo.dump_shards()
    assert set(shards) == set(range(memos.SHARDS))  # nothing loaded: every shard written
    saved = [shards[n] for n in range(memos.SHARDS)]
    again = memos.Memo.load_shards(saved, {})
    for n in range(200):
        assert again.get(("json", f"h{n}")) == f"text {n}"
    assert again.dump_shards() == {}
    again.put(("json", "new"), "a new record")
    assert set(again.dump_shards()) == {memos.shard_of(("json", "new"))}
    assert saved[4][1]  # a shard of records' JSON
    lost = memos.Memo.load_shards([saved[0], "garbage", *saved[2:4], ("zlib 0.0", saved[4][1]), *saved[5:]], {})
    assert lost.old and all(key not in lost.old for key in saved[4][1])
    for key in list(lost.old):  # this export uses every entry again
        lost.get(key)
    for key in saved[4][1]:
        lost.put(key, saved[4][1][key])
    assert set(lost.dump_shards()) == {1, 4}  # written again: the unreadable shard and the other library's


def test_spans_of_records_are_keyed_by_their_parts_and_fall_back_to_their_values() -> None:
    """A record table's run is digested by its records' parts (content hash and place), so the
    same parts give the same key and a changed place a new one; a run with an id not in the parts
    is digested by its values, and the two kinds never share a key."""
    rows = [["a", 1, "x"], ["a", 2, "y"], ["b", 1, "z"]]
    parts = memos.row_parts({"a": "hash-a", "b": "hash-b"}, {"a": "镇甲", "b": "镇乙"})
    keyed = memos.spans(rows, True, "t_aliases", parts)
    assert keyed == memos.spans([list(r) for r in rows], True, "t_aliases", dict(parts))
    moved = memos.row_parts({"a": "hash-a", "b": "hash-b"}, {"a": "镇甲", "b": "镇丙"})
    assert keyed != memos.spans(rows, True, "t_aliases", moved)
    assert keyed != memos.spans(rows, True, "t_sources", parts)  # another table, other text
    by_value = memos.spans(rows, True)
    assert [d for _, _, d in by_value] != [d for _, _, d in keyed]
    assert memos.spans(rows, True, "t_aliases", {"a": parts["a"]}) == by_value  # "b" unknown: by value
    assert [d for _, _, d in memos.spans(rows, False)] == [b""] * len(by_value)


def test_the_memo_shard_of_a_key_is_the_same_in_every_process() -> None:
    """The shard comes from the key's bytes, not Python's salted ``hash``."""
    import subprocess
    import sys

    key = ("segment", "容桂 街道 工会")
    code = "from generator.export import memo; print(memo.shard_of(('segment', '容桂 街道 工会')))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert int(shown.stdout) == memos.shard_of(key)
    assert memos._SHARDS_OF["segment"][0] <= memos.shard_of(key) < sum(memos._SHARDS_OF["segment"])


def test_a_table_whose_first_cell_is_not_a_record_is_cut_by_its_id_column() -> None:
    """``completeness`` (registry, id, …): cut by its first cell it was one run of every hub, made
    again whole after any edit; cut by its id it is in runs like the record tables."""
    from generator.export import zipped

    assert memos.cut_column(["registry", "id", "score"]) == 1
    assert memos.cut_column(["id", "name"]) == 0 and memos.cut_column(["record_id", "position"]) == 0
    assert memos.cut_column(["division", "kind"]) == 0  # no id column: the first
    ids = [f"hub-{n}" for n in range(5000)]
    rows = [["hubs", ident, n] for n, ident in enumerate(ids)]
    runs = memos.spans(rows, True, by=memos.cut_column(["registry", "id", "score"]))
    assert len(runs) == 1 + sum(zipped.cuts_after(ident) for ident in ids[:-1]) > 1
    assert [(a, b) for a, b, _ in runs] == [(a, b) for a, b, _ in memos.spans(rows, False, by=1)]
    assert len(memos.spans(rows, True)) == 1  # by the registry: one run
    changed = [list(row) for row in rows]
    changed[17][2] = -1
    again = memos.spans(changed, True, by=1)
    assert sum(x != y for x, y in zip(runs, again, strict=True)) == 1  # one run's digest changed


def test_a_damaged_or_missing_kept_database_is_made_whole(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous database the build cache keeps (``sqlite.Steps``): with it the unchanged tables'
    pages are copied; damaged (one byte) or gone, the database is made whole; the bytes are always
    a clean build's."""
    from generator.export import sqlite, zipped

    monkeypatch.setattr(zipped, "SPAN", 3)
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    kept = out.parent / ".site-cache" / f"{sqlite.KEPT_FILE}.pickle"
    assert kept.is_file()
    _edit(project, "name: 示例桂洲社区妇女之家", "name: 示例拼接妇女之家")
    spliced = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
    _same_tree(out / "data", clean.out_dir / "data")
    assert spliced.datasets is not None and spliced.datasets.reused.get("sqlite-step", 0) > 0
    for damage, name in ((lambda: kept.write_bytes(kept.read_bytes()[:-1] + b"\x01"), "示例损坏库妇女之家"),
                         (kept.unlink, "示例无库妇女之家")):
        damage()
        _edit(project, "name: 示例拼接妇女之家", f"name: {name}")
        whole = build.build(load_config(project), out, quiet=True)
        clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
        _same_tree(out / "data", clean.out_dir / "data")
        assert whole.datasets is not None and "sqlite-step" not in whole.datasets.reused
        assert kept.is_file()  # left again for the next build
        _edit(project, f"name: {name}", "name: 示例拼接妇女之家")
        build.build(load_config(project), out, quiet=True)
