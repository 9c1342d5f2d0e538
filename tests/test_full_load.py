"""A full build's main process: what its load, its workers' results and its mkdocs runs cost (issue 16)."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from generator import build, incremental, validate
from generator.config import load_config
from generator.registry import Record
from generator.site import jinjacache

TODAY = dt.date(2026, 1, 5)


def _first_record(project: Path) -> Path:
    return sorted((project / "content" / "hubs").glob("*.yml"))[0]


def test_a_load_without_cache_keys_every_file_as_a_load_that_reads_each_itself(project: Path) -> None:
    """The readers hash the files a load with no cache entry does not read (``_read_hashed``): the keys,
    hashes, stats and problems are those of a load that reads and hashes every file itself."""
    config = load_config(project)
    (project / "content" / "hubs" / "broken.yml").write_text("id: [unclosed\n", "utf-8")
    (project / "content" / "hubs" / "huge.yml").write_bytes(b"id: x\n" + b"#" * (2 * 1024 * 1024))
    blind = incremental.FileCache()
    seeded = incremental.FileCache(entries={"not a key": (None, [])})  # an entry: every file read here
    loads = [incremental.load(config, files, today=TODAY) for files in (blind, seeded)]
    assert blind.keys == seeded.keys and list(blind.keys) == list(seeded.keys)
    assert blind.hashes == seeded.hashes and list(blind.hashes) == list(seeded.hashes)
    assert blind.stats == seeded.stats and list(blind.stats) == list(seeded.stats)
    assert blind.entries == seeded.entries
    assert loads[0].report.problems == loads[1].report.problems
    assert {p.code for p in loads[0].report.problems if p.path.endswith(("broken.yml", "huge.yml"))} >= {"Y001"}
    assert "" not in blind.keys.values()
    # the next load finds every file's entry under the key the readers made
    again = incremental.FileCache(blind.entries, blind.hashes, blind.keys, blind.stats, 0)
    incremental.load(config, again, today=TODAY)
    assert again.keys == blind.keys


def test_read_hashed_keys_the_bytes_it_read(project: Path) -> None:
    path = _first_record(project)
    validate._init(str(load_config(project).schemas_dir), load_config(project).district, TODAY)
    rel = f"content/hubs/{path.name}"
    (data, problems), hashed = incremental._read_hashed(("hubs", str(path), rel, "vkey"))
    blob = path.read_bytes()
    assert hashed == (incremental._h("vkey", "hubs", rel, blob), incremental._h("hubs", rel, blob))
    assert (data, problems) == validate._read_one(("hubs", str(path), rel))
    assert incremental._read_hashed(("hubs", str(path), rel, None))[1] is None
    assert incremental._read_hashed(("hubs", str(path) + ".gone", rel, "vkey"))[1] is None


def test_a_record_id_follows_its_data() -> None:
    record = Record("hubs", {"id": "hub-a"}, Path("a.yml"), "a.yml")
    assert record.id == "hub-a"
    record.data = {"id": 7}
    assert record.id == "7"
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record and copy.id == "7"
    assert Record("hubs", {}, Path("b.yml"), "b.yml").id == ""


def test_a_record_status_and_division_follow_its_data() -> None:
    """``active`` and ``division`` are stored slots: they must say what the current ``data`` says."""
    record = Record("hubs", {"id": "hub-a", "division": "440606001", "status": "closed"}, Path("a.yml"), "a.yml")
    assert (record.active, record.division) == (False, "440606001")
    record.data = {"id": "hub-a"}  # status left out: the effective default, active
    assert (record.active, record.division) == (True, "")
    record.data = {"id": "hub-a", "status": None}
    assert record.active is False
    town = Record("divisions", {"id": "440606001", "division": "x"}, Path("d.yml"), "d.yml")
    assert (town.active, town.division) == (True, "440606001")
    copy = pickle.loads(pickle.dumps(record))
    assert (copy.active, copy.division) == (record.active, record.division)


def _big(marker: str) -> build.Later:
    """A result larger than a pipe holds, and work left for after it: a marker file."""

    def then() -> None:
        Path(marker).write_text("done", "utf-8")

    return build.Later("x" * (1 << 20), then)


def test_a_worker_finishes_before_the_build_asks_for_its_result(tmp_path: Path) -> None:
    """``_Job.listen_all``: the result is taken as it comes, so the worker does not wait in ``send``
    for the build to ask, and the work it left for later runs meanwhile."""
    marker = tmp_path / "marker"
    job = build._Job(_big, str(marker))
    try:
        build._Job.listen_all()
        assert job.reader is not None
        job.proc.join(120)  # ends without anyone asking for the result
        assert not job.proc.is_alive()
        assert marker.read_text("utf-8") == "done"
        assert job.result() == "x" * (1 << 20)
    finally:
        build._Job.stop_all()


def test_the_second_mkdocs_run_takes_the_first_ones_compiled_templates(project: Path) -> None:
    jinjacache.SHARED.clear()
    loads = {"n": 0}
    original = jinjacache.MemoryBytecodeCache.load_bytecode

    def counting(self: jinjacache.MemoryBytecodeCache, bucket: object) -> None:
        found = bucket.key in self.code  # type: ignore[attr-defined]
        loads["n"] += found
        original(self, bucket)  # type: ignore[arg-type]

    jinjacache.MemoryBytecodeCache.load_bytecode = counting  # type: ignore[method-assign]
    try:
        build.build(load_config(project), quiet=True, cache=False, datasets=False, search=False)
    finally:
        jinjacache.MemoryBytecodeCache.load_bytecode = original  # type: ignore[method-assign]
    assert jinjacache.SHARED.code  # the Chinese run's templates
    assert loads["n"] > 10  # the English run compiled none of those again
