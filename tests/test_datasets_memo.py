"""The datasets' memo between builds (``export.memo``): sharded, safe when a shard is lost, keyed cheaply."""

from __future__ import annotations

import filecmp
import os
from pathlib import Path
from typing import Any

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
    from generator.export import jsonout
    from generator.incremental import load

    chunks = len(jsonout.AllJson(load(load_config(project), None).registry).plan)
    assert chunks > 1  # (``SPAN`` 3: several chunks of all.json)
    # all.json's chunks but the edited record's come from the memo (``jsonout.AllJson``)
    assert cached.datasets is not None and cached.datasets.reused.get("json", 0) == chunks - 1


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


def test_only_the_edited_search_run_and_those_after_it_are_made_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search runs before the edited record's are copied from the kept database (``sqlite.Steps``:
    the pages each run changed, from its journal, and as it left them); that run and those after it are
    made; the database is byte for byte a clean build's, and so is a third build's from the second's.
    The zip's chunks of pages no step wrote anew are the previous zip's, not read again."""
    from generator.export import sqlite, zipped
    from generator.registry import REGISTRIES
    from generator.validate import load

    monkeypatch.setattr(zipped, "SPAN", 2)
    monkeypatch.setattr(zipped, "FILE_CHUNK", 4 * 4096)
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    log = tmp_path / "made.txt"  # the datasets are written in a forked process
    fill = sqlite._fill_search

    def counted(db: Any, run: Any, memo: Any) -> None:
        with log.open("a") as handle:
            handle.write(f"{run[1]}\n")
        fill(db, run, memo)

    monkeypatch.setattr(sqlite, "_fill_search", counted)
    for step, name in enumerate(("示例拼接妇女之家", "示例再拼妇女之家")):
        _edit(project, "name: 示例桂洲社区妇女之家" if step == 0 else "name: 示例拼接妇女之家", f"name: {name}")
        log.write_text("")
        result = build.build(load_config(project), out, quiet=True)
        made = [int(line) for line in log.read_text().split()]
        assert result.datasets is not None and result.datasets.reused.get("sqlite-chunk", 0) > 0
        registry = load(load_config(project)).registry
        records = [r for kind in REGISTRIES for r in registry.records(kind)]
        edited = next(n for n, r in enumerate(records) if r.id == "wh-gz" and r.name.startswith(name))
        begins, begin = [], 0
        for n, record in enumerate(records):
            if zipped.cuts_after(record.id, sqlite.SEARCH_SPANS * zipped.SPAN):
                begins.append(begin)
                begin = n + 1
        begins += [begin] if begin < len(records) else []
        first = max(b for b in begins if b <= edited)
        assert made == [b for b in begins if b >= first] and first > 0, (made, begins, edited)
        clean = build.build(load_config(project), tmp_path / f"clean{step}" / "site", quiet=True, cache=False)
        _same_tree(out / "data", clean.out_dir / "data")


def test_lazy_record_rows_and_their_runs_equal_the_rows_made_whole(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``places.RecordRows`` (a second build's rows, made where a writer asks): every slice, its
    length and its runs and digests (``memo.record_spans``) are those of ``places.rows`` made whole,
    for every published table of records, with runs of a few records and a record without a hash."""
    from generator.export import places, zipped
    from generator.export.tables import table_specs
    from generator.registry import REGISTRIES
    from generator.validate import load

    monkeypatch.setattr(zipped, "SPAN", 3)
    registry = load(load_config(project)).registry
    config = registry.config
    base = table_specs(config.schemas_dir)
    index = places.Places(registry)
    hashes = {r.id: f"hash of {r.id}" for r in registry.all()}
    hashes.pop(registry.records("womens_homes")[1].id)  # its runs: digested by their values
    parts = memos.row_parts(hashes, {r.id: index.of(r.division).division_name for r in registry.all()})
    checked = 0
    for table, spec in zip(places.publish(config, base), base, strict=True):
        assert spec.registry in REGISTRIES
        records = registry.records(spec.registry)
        whole = places.rows(table, spec, records, index)
        lazy = places.RecordRows(table, spec, records, places.Places(registry))
        assert len(lazy) == len(whole)
        for start in range(len(whole) + 1):
            for end in (start, start + 1, start + 4, len(whole) + 2):
                assert lazy[start:end] == whole[start:end]
        assert memos.record_spans(lazy, table.name, parts) == memos.spans(whole, True, table.name, parts)
        assert list(lazy) == whole and lazy[2:5] == whole[2:5]  # made whole once, then sliced
        checked += len(whole) > 3
    assert checked >= 10


def test_a_second_build_takes_the_runs_of_the_unedited_registries_from_the_memo(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit of a women's home the tables of the other registries are cut as before (their
    runs from the memo, no row made for them), those of the women's homes again; the data equal a
    clean build's, and an edit of a division's name (shown in other registries' rows) cuts those
    again too."""
    from generator.export import tables, zipped

    monkeypatch.setattr(zipped, "SPAN", 3)
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    specs = tables.table_specs(load_config(project).schemas_dir)
    others = sum(spec.registry != "womens_homes" for spec in specs)
    _edit(project, "name: 示例桂洲社区妇女之家", "name: 示例分段妇女之家")
    cached = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
    _same_tree(out / "data", clean.out_dir / "data")
    assert cached.datasets is not None and cached.datasets.reused.get("spans") == others
    division = next(p for p in sorted((project / "content" / "divisions").glob("*.yml"))
                    if "\nparent: " in p.read_text("utf-8") and "level: village" in p.read_text("utf-8"))
    text = division.read_text("utf-8")
    name = next(line for line in text.splitlines() if line.startswith("name: "))
    division.write_text(text.replace(name, name + "新", 1), "utf-8")
    moved = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean2" / "site", quiet=True, cache=False)
    _same_tree(out / "data", clean.out_dir / "data")
    assert moved.datasets is not None and moved.datasets.reused.get("spans", 0) < others


def test_new_entries_go_to_shards_written_anyway_and_a_changed_value_rewrites_its_shard() -> None:
    """An edit's new fragments replace old ones: they go into a shard of their kind that lost
    entries, so fewer shards are written; an entry loaded and ``put`` again with a new value (the
    database's ``sqlite-steps``) rewrites its shard, or the next build would read the old one."""
    memo = memos.Memo()
    for n in range(400):
        memo.put(("json", f"h{n}"), f"text {n}")
    memo.put(("sqlite-steps",), "steps 1")
    saved = memo.dump_shards()
    again = memos.Memo.load_shards([saved[n] for n in range(memos.SHARDS)], {})
    for key in list(again.old):
        if key not in (("json", "h7"), ("json", "h8")):
            again.get(key)
    for n in range(20):
        again.put(("json", f"new {n}"), "an edit's fragment")
    lost = {again.shard[("json", "h7")], again.shard[("json", "h8")]}
    assert set(again.dump_shards()) == lost
    dumped = again.dump_shards()
    assert sum(len(entries) for _, entries in dumped.values()) == sum(
        len(entries) for number, (_, entries) in saved.items() if number in lost) - 2 + 20
    again.put(("sqlite-steps",), "steps 2")
    written = again.dump_shards()
    assert again.shard[("sqlite-steps",)] in written
    final = memos.Memo.load_shards([written.get(n, saved[n]) for n in range(memos.SHARDS)], {})
    assert final.get(("sqlite-steps",)) == "steps 2" and final.get(("json", "new 3")) == "an edit's fragment"
    assert final.get(("json", "h7")) is None and final.get(("json", "h9")) == "text 9"


def test_a_broken_key_in_a_made_table_or_pointing_into_one_is_found_when_the_rest_is_copied(
    project: Path, tmp_path: Path
) -> None:
    """After a build the database checks the foreign keys of the tables it made and of those pointing
    into them, not of the tables copied from the previous file: a broken key in either is found."""
    from generator.export import places, sqlite
    from generator.export.tables import Rows, table_specs
    from generator.validate import load

    registry = load(load_config(project)).registry
    config = registry.config
    base = table_specs(config.schemas_dir)
    index = places.Places(registry)
    pairs = [(table, places.rows(table, spec, registry.records(spec.registry), index))
             for table, spec in zip(places.publish(config, base), base, strict=True)]
    cache = tmp_path / "cache"
    hashes = {r.id: f"hash of {r.id}" for r in registry.all()}

    def write(tables: list[tuple[Any, list[Any]]], old: dict[Any, Any] | None, name: str) -> memos.Memo:
        memo = memos.Memo(old, hashes)
        memo.saved = memo.leave = cache
        digests = [memos.digest(repr(rows)) for _, rows in tables]
        sqlite.write_sqlite(tmp_path / name, tables, registry, memo, digests)
        return memo

    first = write(pairs, None, "first.sqlite")
    names = [table.name for table, _ in pairs]
    homes = names.index("womens_homes")
    broken = Rows(list(row) for row in pairs[homes][1])
    broken[0][[c.name for c in pairs[homes][0].columns].index("division")] = "999999999999"
    with pytest.raises(sqlite.ForeignKeyError):
        write([*pairs[:homes], (pairs[homes][0], broken), *pairs[homes + 1:]], first.new, "second.sqlite")
    divisions = names.index("divisions")
    used = pairs[homes][1][0][[c.name for c in pairs[homes][0].columns].index("division")]
    fewer = Rows(row for row in pairs[divisions][1] if row[0] != used)
    again = write(pairs, None, "third.sqlite")
    with pytest.raises(sqlite.ForeignKeyError):  # the copied tables pointing into the made one
        write([*pairs[:divisions], (pairs[divisions][0], fewer), *pairs[divisions + 1:]], again.new, "fourth.sqlite")
    copied = write(pairs, again.new, "fifth.sqlite")
    # every table and search run copied (only the index step made): nothing to check, nothing wrong
    assert copied.made.get("sqlite-step") == 1 and copied.hits.get("sqlite-step", 0) > len(pairs)



def _synth_database(folder: Path, records: int) -> tuple[Path, int]:
    """The database of a synthetic registry, made whole, and its number of search runs."""
    from bench import synth
    from generator.export import places, sqlite, zipped
    from generator.export.tables import table_specs
    from generator.registry import REGISTRIES
    from generator.validate import load

    synth.write_project(records, folder / "project")
    registry = load(load_config(folder / "project")).registry
    config = registry.config
    base = table_specs(config.schemas_dir)
    index = places.Places(registry)
    pairs = [(table, places.rows(table, spec, registry.records(spec.registry), index))
             for table, spec in zip(places.publish(config, base), base, strict=True)]
    sqlite.write_sqlite(folder / "db.sqlite", pairs, registry)
    ids = [r.id for name in REGISTRIES for r in registry.records(name)]
    return folder / "db.sqlite", len(list(zipped.groups(ids, str, sqlite.SEARCH_SPANS * zipped.SPAN)))


def _index_pages(path: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT name, count(*) FROM dbstat WHERE name LIKE 'idx_%' GROUP BY name"))


def test_the_foreign_key_indexes_are_as_packed_as_indexes_built_afresh(tmp_path: Path) -> None:
    """An index filled row by row in the table's key order leaves its pages ~70% full (10% more zipped
    bytes); built after the rows it is as small as ``REINDEX`` makes it."""
    import shutil
    import sqlite3

    path, _ = _synth_database(tmp_path, 2000)
    pages = _index_pages(path)
    assert len(pages) >= 10 and max(pages.values()) >= 4
    copy = tmp_path / "reindexed.sqlite"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as db:
        db.execute("REINDEX")
    assert pages == _index_pages(copy)


def test_each_search_run_is_one_segment_of_each_full_text_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of records is written as one FTS5 segment (``sqlite.HASH_SIZE``), however long: with FTS5's
    default a long run was flushed as several, which repeat the same terms (the zipped database grew by
    some 190 KB at 20,000 records)."""
    import sqlite3

    from generator.export import zipped

    monkeypatch.setattr(zipped, "SPAN", 1 << 30)  # one run of every record
    path, runs = _synth_database(tmp_path, 3000)
    assert runs == 1
    with sqlite3.connect(path) as db:
        for table in ("search_data", "search_trigram_data"):  # a segment's rows: its id << 37 (FTS5's rowids)
            segments = db.execute(f"SELECT count(DISTINCT id >> 37) FROM {table} WHERE id >> 37 > 0").fetchone()[0]
            assert segments == runs, table
