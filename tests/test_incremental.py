"""Incremental builds: after random edits, additions, deletions, renames and configuration changes the
cached build is byte-identical to a clean build, and the cache never outlives what it describes."""

from __future__ import annotations

import filecmp
import os
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import build, incremental
from generator.config import load_config

ORG_REGISTRIES = ("hubs", "youth_centers", "womens_homes", "social_orgs")


def _tree(folder: Path) -> dict[str, Path]:
    return {rel: folder / rel for rel in incremental.walk(folder)}


def assert_same_tree(cached: Path, clean: Path, note: object = "", *, preview: bool = False) -> None:
    """The same files with the same bytes; ``preview``: ``cached`` is ``hubdir serve``'s, which has no
    manifest (it is for ``hubdir deploy``, and a preview is never deployed), not even a stale one."""
    a, b = _tree(cached), _tree(clean)
    if preview:
        assert incremental.MANIFEST_NAME not in a, note
        b.pop(incremental.MANIFEST_NAME, None)
    assert sorted(a) == sorted(b), (note, sorted(set(a) ^ set(b))[:10])
    differ = [rel for rel in sorted(a) if not filecmp.cmp(a[rel], b[rel], shallow=False)]
    assert differ == [], note


def _records(project: Path, registries: tuple[str, ...] = ORG_REGISTRIES) -> list[Path]:
    return sorted(p for name in registries for p in (project / "content" / name).glob("*.yml"))


def _referenced(project: Path, rid: str) -> bool:
    pattern = re.compile(rf"(^|[\s:\-\"']){re.escape(rid)}([\s\"']|$)", re.M)
    return any(
        pattern.search(p.read_text("utf-8")) for p in _records(project, ("divisions", *ORG_REGISTRIES)) if p.stem != rid
    )


class Mutator:
    """Seeded random changes a member of staff could make, each leaving the project valid."""

    def __init__(self, project: Path, seed: int) -> None:
        self.project = project
        self.rng = random.Random(seed)
        self.added: list[Path] = []
        self.n = 0

    def step(self) -> str:
        self.n += 1
        op = self.rng.choice(["edit", "edit", "edit_division", "add", "delete", "rename", "config", "touch"])
        return getattr(self, op)()

    def edit(self) -> str:
        path = self.rng.choice(_records(self.project))
        text = path.read_text("utf-8")
        field = self.rng.choice(["name", "description", "address"])
        if re.search(rf"^{field}: ", text, re.M) and field != "description":
            text = re.sub(rf"^({field}: .*)$", rf"\g<1>改{self.n}", text, count=1, flags=re.M)
        else:
            text = re.sub(r"^(name: .*)$", rf"\g<1>新{self.n}", text, count=1, flags=re.M)
        path.write_text(text, "utf-8")
        return f"edit {path.stem}"

    def edit_division(self) -> str:
        path = self.rng.choice(_records(self.project, ("divisions",)))
        text = re.sub(r"^(name: .*)$", rf"\g<1>{self.n}", path.read_text("utf-8"), count=1, flags=re.M)
        path.write_text(text, "utf-8")
        return f"edit division {path.stem}"

    def add(self) -> str:
        source = self.rng.choice(_records(self.project, ("youth_centers", "womens_homes", "social_orgs")))
        rid = f"{source.stem.split('-')[0]}-new{self.n}"
        text = re.sub(r"^id: .*$", f"id: {rid}", source.read_text("utf-8"), count=1, flags=re.M)
        text = re.sub(r"^uscc: .*\n", "", text, flags=re.M)  # a credit code belongs to one organization
        text = re.sub(r"^(name: .*)$", rf"\g<1>（新增{self.n}）", text, count=1, flags=re.M)
        target = source.with_name(f"{rid}.yml")
        target.write_text(text, "utf-8")
        self.added.append(target)
        return f"add {rid}"

    def _unreferenced(self) -> Path | None:
        """A random record no other record names (tried in random order: checking all is quadratic)."""
        records = _records(self.project)
        self.rng.shuffle(records)
        return next((p for p in records if not _referenced(self.project, p.stem)), None)

    def delete(self) -> str:
        path = self._unreferenced()
        if path is None:
            return self.add()
        path.unlink()
        return f"delete {path.stem}"

    def rename(self) -> str:
        path = self._unreferenced()
        if path is None:
            return self.add()
        rid = f"{path.stem}-r{self.n}"
        text = re.sub(r"^id: .*$", f"id: {rid}", path.read_text("utf-8"), count=1, flags=re.M)
        path.unlink()
        path.with_name(f"{rid}.yml").write_text(text, "utf-8")
        return f"rename {path.stem} → {rid}"

    def config(self) -> str:
        path = self.project / "site_config.yml"
        text = path.read_text("utf-8")
        text, count = re.subn(r"^(    zh: )(.+)$", rf"\g<1>\g<2>{self.n}", text, count=1, flags=re.M)
        assert count == 1
        path.write_text(text, "utf-8")
        return "config"

    def touch(self) -> str:
        path = self.rng.choice(_records(self.project))
        path.write_bytes(path.read_bytes())
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        return f"touch {path.stem}"


@pytest.mark.parametrize("seed", [7, 2026])
def test_cached_build_equals_a_clean_build_after_random_changes(project: Path, tmp_path: Path, seed: int) -> None:
    out = project / "build" / "site"
    clean = tmp_path / "clean" / "site"
    first = build.build(load_config(project), out, quiet=True)
    assert first.reused == 0
    mutator = Mutator(project, seed)
    reused_any = False
    for _ in range(5):
        done = [mutator.step() for _ in range(mutator.rng.randint(1, 3))]
        config = load_config(project)
        cached = build.build(config, out, quiet=True)
        build.build(config, clean, quiet=True, cache=False)
        assert_same_tree(out, clean, done)
        reused_any = reused_any or cached.reused > 0
        if "config" not in done:  # a changed configuration is a new global key: nothing is reused
            assert 0 < cached.reused < cached.pages, done
    assert reused_any


def test_unchanged_rebuild_reuses_every_bulk_page_and_no_cache_reuses_none(project: Path) -> None:
    out = project / "build" / "site"
    config = load_config(project)
    first = build.build(config, out, quiet=True)
    second = build.build(config, out, quiet=True)
    bulk = sum(1 for _ in out.glob("**/index.html") if _.parent.parent.name in ("org", "area", "list"))
    assert second.reused == bulk > 0
    assert first.reused == 0
    forced = build.build(config, out, quiet=True, cache=False)
    assert forced.reused == 0
    assert not incremental.cache_dir(out).exists()


def test_a_damaged_previous_page_is_rendered_again(project: Path) -> None:
    out = project / "build" / "site"
    config = load_config(project)
    build.build(config, out, quiet=True)
    page = out / "org" / "wh-gz" / "index.html"
    good = page.read_bytes()
    page.unlink()
    page.write_bytes(b"tampered")  # a new file: size and time differ from the manifest
    build.build(config, out, quiet=True)
    assert page.read_bytes() == good


def test_a_damaged_cache_means_a_full_build(project: Path) -> None:
    out = project / "build" / "site"
    config = load_config(project)
    build.build(config, out, quiet=True)
    for name in ("state.pickle", "files.pickle"):
        (incremental.cache_dir(out) / name).write_bytes(b"\x80garbage")
    again = build.build(config, out, quiet=True)
    assert again.reused == 0
    assert (out / "org" / "wh-gz" / "index.html").is_file()


def test_failed_build_keeps_old_site_and_cache(project: Path) -> None:
    out = project / "build" / "site"
    config = load_config(project)
    build.build(config, out, quiet=True)
    before = _tree(out)
    contents = {rel: p.read_bytes() for rel, p in before.items()}
    state = (incremental.cache_dir(out) / "state.pickle").read_bytes()
    broken = project / "content" / "womens_homes" / "wh-gz.yml"
    broken.write_text(broken.read_text("utf-8").replace("hub: hub-gz-women", "hub: hub-missing"), "utf-8")
    with pytest.raises(build.BuildError):
        build.build(load_config(project), out, quiet=True)
    assert {rel: p.read_bytes() for rel, p in _tree(out).items()} == contents
    assert (incremental.cache_dir(out) / "state.pickle").read_bytes() == state


def test_cached_validation_reports_exactly_what_a_full_validation_reports(project: Path) -> None:
    from generator.validate import load

    config = load_config(project)
    files = incremental.FileCache()
    incremental.load(config, files)
    mutator = Mutator(project, 99)
    broken = project / "content" / "hubs" / "hub-rg-youth.yml"
    broken.write_text(broken.read_text("utf-8") + "adress: 拼错的字段\n", "utf-8")
    for _ in range(6):
        mutator.step()
        config = load_config(project)
        cached = incremental.load(config, files)
        full = load(config)
        assert cached.report.problems == full.report.problems
        assert [(r.registry, r.id, r.data, r.rel) for r in cached.records] == [
            (r.registry, r.id, r.data, r.rel) for r in full.records
        ]


def _indexes(registry: object) -> list[object]:
    """What a registry holds and indexes, as plain values (to compare two registries)."""
    reg: Any = registry
    groups = (reg.by_division, reg.children, reg.carriers, reg.successors_of)
    return [
        [(r.registry, r.id, r.rel, r.data) for r in reg.all()],
        *({k: [r.id for r in v] for k, v in sorted(g.items()) if v} for g in groups),
        reg.config.root,
    ]


#: Edits of one record file: (name, change of its text).  Plain ones change no field a registry index
#: or a cross-record check reads; the others do, or move lines under a cross-record problem.
FIELD_EDITS: list[tuple[str, Callable[[str, int], str]]] = [
    ("name", lambda text, n: re.sub(r"^(name: .*)$", rf"\g<1>改{n}", text, count=1, flags=re.M)),
    ("lines", lambda text, n: text.replace("\nid: ", f"\n# 备注{n}\n# 第二行\nid: ", 1)),
    ("aliases", lambda text, n: text.replace("\nname: ", f"\naliases:\n  - 别名{n}\nname: ", 1)
     if "\naliases:" not in text else text),
    ("dissolved", lambda text, n: re.sub(r"^status: .*\n", "", text, flags=re.M) + "status: dissolved\n"),
    ("hub", lambda text, n: re.sub(r"^(hub|host|parent): .*$", r"\g<1>: hub-rg-union", text, count=1, flags=re.M)),
    ("uscc", lambda text, n: re.sub(r"^uscc: .*\n", "", text, flags=re.M) + "uscc: 12440606MB2C62836J\n"),
    ("level", lambda text, n: re.sub(r"^level: .*$", "level: district", text, count=1, flags=re.M)),
    ("broken", lambda text, n: text + "name: 重复\n"),
]


@pytest.mark.parametrize("seed", [3, 41])
def test_a_load_after_plain_edits_keeps_the_registry_and_reports_what_a_full_load_does(
    project: Path, seed: int
) -> None:
    """``load(changed=)`` (``hubdir serve``) takes the registry and the cross-record problems of the last
    load when the edits cannot change them (``_load_again``); after any edit, plain or not, its records,
    registry and report are a full validation's."""
    from generator.validate import load

    config = load_config(project)
    files = incremental.FileCache()
    incremental.load(config, files)
    rng = random.Random(seed)
    originals = {p: p.read_text("utf-8") for p in _records(project)}
    kept: list[str] = []
    anew: list[str] = []
    for n in range(24):
        paths = rng.sample(sorted(originals), rng.choice([1, 1, 2]))
        if n < 2:  # lines moved under a cross-record problem (M009 on its ``level``); a plain name
            paths = [project / "content" / "hubs" / "hub-rg-commerce.yml"]
        done = []
        for path in paths:
            name, edit = FIELD_EDITS[1 - n] if n < 2 else rng.choice(FIELD_EDITS)
            if n >= 2 and rng.random() < 0.3:  # back to how it was
                path.write_text(originals[path], "utf-8")
                name = "restore"
            else:
                path.write_text(edit(path.read_text("utf-8"), n), "utf-8")
            done.append(f"{name} {path.stem}")
        previous = files.last.registry if files.last is not None else None
        cached = incremental.load(config, files, changed=paths)
        full = load(config)
        assert cached.report.problems == full.report.problems, done
        assert [(r.registry, r.rel, r.data) for r in cached.records] == [
            (r.registry, r.rel, r.data) for r in full.records
        ], done
        assert _indexes(cached.registry) == _indexes(full.registry), done
        (kept if cached.registry is previous else anew).append(" ".join(done))
        if full.report.errors:  # staff fix the broken file before going on
            for path in paths:
                path.write_text(originals[path], "utf-8")
            incremental.load(config, files, changed=paths)
    assert kept and anew, (kept, anew)
    assert any(p.code == "M009" for p in full.report.problems)  # a cross-record problem stayed reported


@pytest.mark.parametrize("seed", [5, 17])
def test_a_new_process_reuses_the_saved_cross_record_problems_only_when_a_full_load_agrees(
    project: Path, tmp_path: Path, seed: int
) -> None:
    """A second ``hubdir build`` (a new process: the file cache read from disk) takes the cross-record
    problems the first one saved (``CrossMemo``) after a plain edit, and runs the checks again after any
    other; its report and records are always a full validation's."""
    from generator.validate import load

    out = tmp_path / "site"
    config = load_config(project)
    rng = random.Random(seed)
    originals = {p: p.read_text("utf-8") for p in _records(project)}
    kept: list[str] = []
    anew: list[str] = []
    paths: list[Path] = []
    done = ""
    for n in range(10):
        cache = incremental.Cache(out, config)
        cached = incremental.load(config, cache.files)
        full = load(config)
        assert cached.report.problems == full.report.problems, n
        assert [(r.registry, r.rel, r.data) for r in cached.records] == [
            (r.registry, r.rel, r.data) for r in full.records
        ], n
        if n:
            (kept if cache.files.reused_cross else anew).append(done)
        if full.report.errors:  # staff fix the broken file before going on
            for path in paths:
                path.write_text(originals[path], "utf-8")
        else:
            cache.save()  # what a build that succeeded leaves for the next
        paths = [project / "content" / "hubs" / "hub-rg-commerce.yml"] if n == 0 else rng.sample(sorted(originals), 1)
        name, edit = FIELD_EDITS[1] if n == 0 else FIELD_EDITS[0] if n % 2 else rng.choice(FIELD_EDITS)
        for path in paths:
            path.write_text(edit(path.read_text("utf-8"), n), "utf-8")
        done = f"{name} {paths[0].stem}"
        config = load_config(project)
    assert kept and anew, (kept, anew)
    assert anew[0].startswith("lines ")  # lines moved under a cross-record problem: checked again


def test_the_site_manifest_lists_every_file_with_its_hash(built_site: tuple[Path, Path, object]) -> None:
    import hashlib
    import json

    _, site, _ = built_site
    manifest = json.loads(incremental.read_manifest_text(site / incremental.MANIFEST_NAME))
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {rel for rel in incremental.walk(site) if rel != incremental.MANIFEST_NAME}
    assert set(listed) == on_disk
    for rel in ("index.html", "org/wh-gz/index.html", "assets/hubdir/hubdir.js"):
        data = (site / rel).read_bytes()
        assert listed[rel]["size"] == len(data)
        assert listed[rel]["sha256"] == hashlib.sha256(data).hexdigest()


def test_cache_sits_beside_the_site_and_is_ignored_by_git() -> None:
    root = Path(__file__).resolve().parent.parent
    assert "/build/" in (root / ".gitignore").read_text("utf-8").split()
    assert incremental.cache_dir(root / "build" / "site") == root / "build" / ".site-cache"


def test_a_record_file_is_read_again_unless_its_stat_is_unchanged_and_older_than_the_last_read(
    project: Path,
) -> None:
    """Like git's index: (mtime, size, inode) unchanged and older than the last read → not read again;
    a file changed within ``RACY_NS`` of that read is always read, whatever its stat says."""
    config = load_config(project)
    files = incremental.FileCache()
    path = project / "content" / "womens_homes" / "wh-gz.yml"
    before = path.stat()
    incremental.load(config, files)
    rel = "content/womens_homes/wh-gz.yml"
    assert files.stats[rel] == (before.st_mtime_ns, before.st_size, before.st_ino)

    def same_stat_edit(old: str, new: str) -> None:
        text = path.read_text("utf-8")
        assert old in text and len(old.encode()) == len(new.encode())
        with open(path, "r+b") as fh:  # same inode, same size, then the old time again
            fh.write(text.replace(old, new, 1).encode("utf-8"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert files.stats[rel] == (path.stat().st_mtime_ns, path.stat().st_size, path.stat().st_ino)

    def name_of(loaded: object) -> str:
        return str(next(r for r in loaded.records if r.id == "wh-gz").data["name"])  # type: ignore[attr-defined]

    name = name_of(incremental.load(config, files))
    # the previous read happened within RACY_NS of the file's time: it is read again
    files.read_ns = before.st_mtime_ns + incremental.RACY_NS // 2
    same_stat_edit(name[:2], "甲乙")
    assert name_of(incremental.load(config, files)).startswith("甲乙")
    # long after the file's time: trusted by its stat (the edit that kept size, inode and time is not seen)
    files.read_ns = before.st_mtime_ns + 10 * incremental.RACY_NS
    same_stat_edit("甲乙", "丙丁")
    assert name_of(incremental.load(config, files)).startswith("甲乙")
    # any real change of the stat is read
    path.write_text(path.read_text("utf-8").replace("丙丁", "戊", 1), "utf-8")
    assert name_of(incremental.load(config, files)).startswith("戊")


def test_the_search_memo_gives_the_bytes_of_a_fresh_index(project: Path, tmp_path: Path) -> None:
    """Documents taken from the previous build's memo make the same index as documents made anew,
    and an edited record's document is made anew (its key changed)."""
    from generator.site import search
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    def model_and_hashes() -> tuple[SiteModel, dict[str, str]]:
        config = load_config(project)
        loaded = load(config)
        model = SiteModel(config, loaded.registry, labels_for(config.schemas_dir))
        return model, incremental.record_hashes(loaded.registry, None)

    model, hashes = model_and_hashes()
    memo = search.write(model, tmp_path / "first", None, hashes)
    assert len(memo.docs.docs) == len(model.registry)
    path = project / "content" / "womens_homes" / "wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace("name: 示例桂洲社区妇女之家", "name: 示例记忆妇女之家", 1), "utf-8")
    model, hashes = model_and_hashes()
    again = search.write(model, tmp_path / "cached", memo, hashes)  # without reuse: every file written
    search.write(model, tmp_path / "clean")
    assert_same_tree(tmp_path / "cached", tmp_path / "clean")
    assert len(set(again.docs.docs) - set(memo.docs.docs)) == 1  # only the edited record's document was made anew
    assert "示例记忆妇女之家" in "".join(p.read_text("utf-8") for p in (tmp_path / "clean").rglob("d/*.json"))


@pytest.mark.parametrize("seed", [3, 5])
def test_page_keys_taken_from_the_previous_build_equal_keys_computed_anew(project: Path, seed: int) -> None:
    """``PageKeys(previous=)`` (the preview's consolidating build) recomputes only the pages a change
    touches; after any change every page's key is the key a fresh ``PageKeys`` computes, and a change
    of the indexes (a link, a division, an added or deleted record) computes every key anew."""
    from generator.site import pages
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    def keys(previous: incremental.PageKeys | None) -> incremental.PageKeys:
        config = load_config(project)
        registry = load(config).registry
        model = SiteModel(config, registry, labels_for(config.schemas_dir))
        made = incremental.PageKeys(
            model, incremental.record_hashes(registry, None), "base", previous=previous, track=True
        )
        made.prepare(pages.Renderer(model, "zh").bulk_jobs())
        return made

    last = keys(None)
    assert not last.derived
    mutator = Mutator(project, seed)
    derived = 0
    for step in range(8):
        # every other step the commonest edit (a name, an address), which keeps the indexes
        plain = mutator.edit if step % 4 == 0 else mutator.edit_division
        done = plain() if step % 2 == 0 else mutator.step()
        kept = keys(last)
        fresh = keys(None)
        assert kept._memo == fresh._memo, done
        derived += kept.derived
        if kept.derived and done.startswith("edit"):
            assert kept._memo != last._memo, done  # the edited record's pages have new keys
        last = kept
    assert derived >= 3


@pytest.mark.parametrize("seed", [3, 8])
def test_page_keys_carried_from_the_previous_state_equal_keys_computed_anew(project: Path, seed: int) -> None:
    """``PageKeys.carry`` (a second ``hubdir build`` after edits that keep the indexes) takes the
    previous key of every page no edited record reaches and computes only the others; every key is
    the key a fresh ``PageKeys`` computes."""
    from generator.site import pages
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    def model_and_hashes() -> tuple[Any, dict[str, str]]:
        config = load_config(project)
        registry = load(config).registry
        # pages of two rows: listing pages of every kind, whose keys are carried too
        model = SiteModel(config, registry, labels_for(config.schemas_dir), page_size=2)
        return model, incremental.record_hashes(registry, None)

    model, hashes = model_and_hashes()
    assert sum(1 for job in pages.Renderer(model, "zh").bulk_jobs() if job.kind == "chunk") > 10
    last = incremental.PageKeys(model, hashes, "base")
    last.prepare(pages.Renderer(model, "zh").bulk_jobs())
    mutator = Mutator(project, seed)
    for _ in range(4):
        done = [mutator.edit() for _ in range(mutator.rng.randint(1, 2))]  # names, addresses: no index moves
        model, new_hashes = model_and_hashes()
        changed = {rid for rid, digest in new_hashes.items() if hashes.get(rid) != digest}
        old = {f"{path}index.html": incremental.make_entry(1, 1, "", key) for path, key in last._memo.items()}
        jobs = list(pages.Renderer(model, "zh").bulk_jobs())
        kept = incremental.PageKeys(model, new_hashes, "base")
        kept.carry(jobs, old, changed)
        fresh = incremental.PageKeys(model, new_hashes, "base")
        fresh.prepare(jobs)
        assert kept._memo == fresh._memo, done
        assert kept._memo != last._memo, done
        assert 0 < kept.computed < len(jobs) // 2 < fresh.computed, done
        last, hashes = kept, new_hashes


def test_a_second_build_computes_only_the_keys_of_pages_an_edit_reaches(project: Path, tmp_path: Path) -> None:
    """From the disk (a new process), after a plain edit: a few keys; after an added record (new
    indexes): every key.  Each time the site equals a clean build."""
    out, clean = project / "build" / "site", tmp_path / "clean" / "site"
    first = build.build(load_config(project), out, quiet=True)
    bulk = first.keys_computed
    assert bulk > 0
    _edit_name(project)
    second = build.build(load_config(project), out, quiet=True)
    assert 0 < second.keys_computed < bulk // 2
    build.build(load_config(project), clean, quiet=True, cache=False)
    assert_same_tree(out, clean)
    Mutator(project, 1).add()
    third = build.build(load_config(project), out, quiet=True)
    assert third.keys_computed > bulk
    build.build(load_config(project), clean, quiet=True, cache=False)
    assert_same_tree(out, clean)


@pytest.mark.parametrize("seed", [11])
def test_the_preview_equals_a_clean_build_after_random_changes(project: Path, tmp_path: Path, seed: int) -> None:
    """``hubdir serve``'s steps (in place, the general fast path, the consolidating build with the cache
    kept in memory) end in the bytes of a clean build, whatever staff changed."""
    from generator.serve import Preview, changed_files, stamp, watched_paths

    config = load_config(project)
    preview = Preview(config, project / "build" / "preview", "zh", echo=lambda _m: None)
    assert preview.rebuild()
    mutator = Mutator(project, seed)
    plain = 0
    for _ in range(6):
        before = stamp(watched_paths(config))
        if plain < 2 and mutator.rng.random() < 0.5:  # the commonest edit: a name, in place
            path = mutator.rng.choice(_records(project))
            path.write_text(re.sub(r"^(name: .*)$", r"\g<1>改", path.read_text("utf-8"), count=1, flags=re.M), "utf-8")
            done = [f"name {path.stem}"]
            plain += 1
        elif mutator.rng.random() < 0.4:  # lines moved (the registry kept), or a status (a new one)
            path = mutator.rng.choice(_records(project))
            text = path.read_text("utf-8")
            if mutator.rng.random() < 0.5:
                text = FIELD_EDITS[1][1](text, mutator.n)
                done = [f"lines {path.stem}"]
            else:
                text = re.sub(r"^(status|dissolved_on|successor): .*\n", "", text, flags=re.M)
                text += 'status: dissolved\ndissolved_on: "2020-01-01"\n'
                done = [f"dissolved {path.stem}"]
            path.write_text(text, "utf-8")
        else:
            done = [mutator.step() for _ in range(mutator.rng.randint(1, 2))]
        changed = changed_files(before, stamp(watched_paths(config)))
        assert preview.rebuild(changed), (done, preview.status.message)
        assert preview.status.consistent or not changed
        clean = tmp_path / f"clean-{mutator.n}"
        build.build(load_config(project), clean, quiet=True, cache=False, datasets=False)
        assert_same_tree(preview.out_dir, clean, done, preview=True)
    preview.memory.wait()
    assert preview.status.in_place >= 1


# -- the search index: only the shards that change are written ----------------------------------------


def _search_state(project: Path) -> tuple[object, dict[str, str]]:
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    config = load_config(project)
    loaded = load(config)
    return SiteModel(config, loaded.registry, labels_for(config.schemas_dir)), incremental.record_hashes(
        loaded.registry, None
    )


def _linker(previous_site: Path, site: Path, taken: list[str]):  # type: ignore[no-untyped-def]
    """``search.write``'s ``reuse``: the previous file hard-linked into the new site (as the cache does)."""

    def reuse(rel: str, sha: str) -> bool:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(previous_site / rel, site / rel)
        taken.append(rel)
        return True

    return reuse


@pytest.fixture(scope="module")
def synth_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic registry large enough for an index of many key and document shards."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import synth

    out = tmp_path_factory.mktemp("synth") / "p400"
    synth.write_project(400, out)
    return out


@pytest.mark.parametrize("seed", [3, 16])
def test_the_search_index_after_random_changes_is_the_clean_index(
    synth_project: Path, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edits, additions, deletions and renames of records and divisions, one build after another, each
    index made from the previous one (its state through pickle, as the cache keeps it) has the bytes of
    an index made from nothing; files are taken from the previous index only when their bytes are the same."""
    import pickle
    import shutil

    from generator.site import search, search_files

    project = tmp_path / "project"
    shutil.copytree(synth_project, project)
    model, hashes = _search_state(project)
    before = tmp_path / "0"
    index = search.write(model, before, None, hashes)
    mutator = Mutator(project, seed)
    paths: list[str] = []  # which way each index was made (both must be held to a clean index)
    changed_postings = search_files.changed_postings

    def spy(previous, docs, order):  # type: ignore[no-untyped-def]
        update = changed_postings(previous, docs, order)
        paths.append("full" if update is None else "changed")
        return update

    monkeypatch.setattr(search_files, "changed_postings", spy)
    for step in range(1, 7):
        done = [
            getattr(mutator, mutator.rng.choice(["edit", "edit", "edit_division", "add", "delete", "rename"]))()
            for _ in range(mutator.rng.randint(1, 2))
        ]
        model, hashes = _search_state(project)
        site, clean = tmp_path / str(step), tmp_path / f"clean{step}"
        taken: list[str] = []
        previous = pickle.loads(pickle.dumps(index))
        index = search.write(model, site, previous, hashes, _linker(before, site, taken))
        search.write(model, clean)
        assert_same_tree(site, clean, done)
        assert sorted(index.files) == sorted(incremental.files_under(clean, search.INDEX_DIR))
        assert all(previous.files[rel] == index.files[rel] for rel in taken), done
        assert set(taken).isdisjoint(index.written) and len(taken) + len(index.written) == len(index.files)
        shutil.rmtree(clean)
        before = site
    assert set(paths) == {"full", "changed"}, paths


def test_an_edit_rewrites_only_the_search_shards_it_changes(synth_project: Path, tmp_path: Path) -> None:
    """A changed address touches the shards of its words and its document's shard: every other file of
    the index is the previous build's, and every file written has new bytes (meta.json names them)."""
    import shutil

    from generator.site import search

    project = tmp_path / "project"
    shutil.copytree(synth_project, project)
    model, hashes = _search_state(project)
    index = search.write(model, tmp_path / "first", None, hashes)
    path = next(p for p in _records(project, ("hubs",)) if re.search(r"^address: ", p.read_text("utf-8"), re.M))
    path.write_text(re.sub(r"^(address: .*)$", r"\g<1>樱花巷", path.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    model, hashes = _search_state(project)
    taken: list[str] = []
    reuse = _linker(tmp_path / "first", tmp_path / "second", taken)
    again = search.write(model, tmp_path / "second", index, hashes, reuse)
    written = set(again.written)
    assert f"{search.INDEX_DIR}/meta.json" in written
    shards = {rel for rel in written if rel.startswith(f"{search.INDEX_DIR}/k/")}
    docs = {rel for rel in written if rel.startswith(f"{search.INDEX_DIR}/d/")}
    # the shards of the address's new character pairs (樱花, 花巷, the one before 樱…); a row shows no address
    assert 1 <= len(shards) <= 4 and docs == set()
    assert len(taken) == len(index.files) - len(written) > 100
    assert all(index.files.get(rel) != again.files[rel] for rel in written)
    assert any('"樱花":' in (tmp_path / "second" / rel).read_text("utf-8") for rel in shards)


def test_a_second_build_takes_unchanged_search_shards_from_the_previous_site(project: Path, tmp_path: Path) -> None:
    """Through the cache: after a one-record edit the index is written in part, the rest linked from the
    previous site with its manifest entry; a shard gone from the previous site is written again."""
    from generator.site import search

    out = project / "build" / "site"
    config = load_config(project)
    first = build.build(config, out, quiet=True)
    assert first.search_reused == 0 and first.search_written > 0
    index_files = list(incremental.files_under(out, search.INDEX_DIR))
    path = project / "content" / "womens_homes" / "wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace("name: 示例桂洲社区妇女之家", "name: 示例樱花妇女之家", 1), "utf-8")
    (out / search.INDEX_DIR / "p" / "0.json").unlink()  # damaged: written again, not linked
    second = build.build(load_config(project), out, quiet=True)
    clean = build.build(load_config(project), tmp_path / "clean" / "site", quiet=True, cache=False)
    assert_same_tree(out / "search", clean.out_dir / "search")
    assert second.search_reused > 0 and second.search_written >= 3  # meta.json, a shard, a document shard
    assert second.search_reused + second.search_written == len(index_files)
    manifest = (out / incremental.MANIFEST_NAME).read_bytes()
    assert manifest == (clean.out_dir / incremental.MANIFEST_NAME).read_bytes()


def test_the_datasets_equal_a_clean_export_after_each_kind_of_change(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export's fragments (``export.memo``) from the previous build give the bytes of a clean
    build after an edit, an addition, a deletion, a rename and a division's new name; the records
    run in short chunks here so that most chunks are reused and only the changed ones made anew."""
    import generator.export as export_module
    from generator.export import zipped

    monkeypatch.setattr(zipped, "SPAN", 3)  # the fixture's ~30 records in ~10 runs (the forked jobs inherit it)
    # as for a large package: the writers forked while the memo is empty (the first and the clean
    # builds), inline once it holds a previous export (``export._write_all``); the same bytes
    monkeypatch.setattr(export_module, "BACKGROUND_ROWS", 0)
    out = project / "build" / "site"
    clean = tmp_path / "clean" / "site"
    first = build.build(load_config(project), out, quiet=True)
    assert first.datasets is not None and first.datasets.reused == {}
    mutator = Mutator(project, 5)
    for change in (mutator.edit, mutator.add, mutator.delete, mutator.rename, mutator.edit_division):
        done = change()
        config = load_config(project)
        cached = build.build(config, out, quiet=True)
        build.build(config, clean, quiet=True, cache=False)
        assert_same_tree(out / "data", clean / "data", done)
        assert cached.datasets is not None
        reused = cached.datasets.reused
        assert reused.get("json", 0) >= 3, (done, reused)  # all.json's chunks but the changed one(s)
        assert reused.get("sqlite-step", 0) > 0, (done, reused)  # unchanged tables' pages: the previous file's
        if not done.startswith("edit division"):  # a division's name is in its whole subtree's HSDS rows
            assert reused.get("hsds", 0) > 0 and reused.get("xlsx", 0) > 0, (done, reused)


def test_the_export_memo_makes_only_the_edited_records_fragments_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-record edit: every other record's JSON, HSDS run, GeoJSON run and workbook chunk comes
    from the memo (counted, not timed), and the files equal an export without a memo."""
    import pickle

    from generator.export import jsonout, write_datasets, zipped
    from generator.export.memo import Memo
    from generator.validate import load

    monkeypatch.setattr(zipped, "SPAN", 3)
    loaded = load(load_config(project))
    first = Memo(None, incremental.record_hashes(loaded.registry, None))
    write_datasets(loaded, tmp_path / "first", validator="fast", memo=first)
    chunks = len(jsonout.AllJson(loaded.registry).plan)
    assert first.hits == {} and first.made["json"] == chunks
    path = project / "content" / "womens_homes" / "wh-gz.yml"
    path.write_text(path.read_text("utf-8").replace("name: 示例桂洲社区妇女之家", "name: 示例记忆妇女之家", 1), "utf-8")
    loaded = load(load_config(project))
    second = Memo.load(pickle.loads(pickle.dumps(first.dump())), incremental.record_hashes(loaded.registry, None))
    result = write_datasets(loaded, tmp_path / "cached", validator="fast", memo=second)
    write_datasets(loaded, tmp_path / "clean", validator="fast")
    assert_same_tree(tmp_path / "cached", tmp_path / "clean")
    assert second.made["json"] == 1 and second.hits["json"] == chunks - 1  # the edited record's chunk of all.json
    assert second.made["hsds"] == 1 and second.hits["hsds"] >= 3  # the edited record's run, no other
    assert second.made["geojson"] == 1 and second.hits["geojson"] >= 3
    # the workbook: the chunks holding the record's rows (its table, its lists, the counts), no others
    assert 0 < second.made["xlsx"] < second.hits["xlsx"]
    assert 0 < second.made["csv"] < second.hits["csv"]  # the CSV text of the same spans of rows
    assert result.reused == second.hits
    assert "示例记忆妇女之家" in zipped.read_member(tmp_path / "cached" / "json" / "all.json.zip", "all.json").decode()


def test_the_export_memo_keeps_the_derived_description_and_the_profile_check(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``datasets/package.yml`` the description ``init`` would write is taken from the memo, as
    is each resource's profile check; a changed resource is checked anew (a stale outcome is never
    used), with the problems the whole descriptor's check gives, and the files equal the first's."""
    import json
    import pickle

    from generator.export import ExportError, package, write_datasets
    from generator.export.memo import Memo
    from generator.validate import load

    (project / "datasets" / "package.yml").unlink()
    loaded = load(load_config(project))
    hashes = incremental.record_hashes(loaded.registry, None)
    first = Memo(None, hashes)
    write_datasets(loaded, tmp_path / "first", validator="fast", memo=first)
    resources = len(json.loads((tmp_path / "first" / "datapackage.json").read_text("utf-8"))["resources"])
    assert first.made["meta"] == 1 and first.made["profile"] == resources > 3
    second = Memo.load(pickle.loads(pickle.dumps(first.dump())), hashes)
    write_datasets(loaded, tmp_path / "second", validator="fast", memo=second)
    assert second.hits["meta"] == 1 and second.hits["profile"] == resources and "profile" not in second.made
    assert_same_tree(tmp_path / "second", tmp_path / "first")
    # the third resource has a title of the wrong type: checked anew, the others taken from the memo
    third = Memo.load(pickle.loads(pickle.dumps(second.dump())), hashes)
    original = package.descriptor
    broken: list[dict[str, Any]] = []

    def descriptor(*args: Any, **kwargs: Any) -> dict[str, Any]:
        made = original(*args, **kwargs)
        made["resources"][2] = {**made["resources"][2], "title": 5}
        broken.append(made)
        return made

    monkeypatch.setattr(package, "descriptor", descriptor)
    with pytest.raises(ExportError) as failed:
        write_datasets(loaded, tmp_path / "third", validator="fast", memo=third)
    assert third.made["profile"] == 1 and third.hits["profile"] == resources - 1
    assert failed.value.messages == package.profile_errors(broken[0]) != []
    assert failed.value.messages[0].startswith("resources/2/title: ")


def test_chunked_zips_open_in_every_reader_and_use_zip64_when_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members deflated in chunks are ordinary zips (Python's zipfile and Info-ZIP test them), also
    with the zip64 extensions (forced here by a lower limit)."""
    import shutil
    import subprocess
    import zipfile

    from generator.export import zipped

    data = [f"{i},名称{i},{'x' * (i % 50)}\r\n".encode() * 40 for i in range(400)]
    for limit in (zipped.ZIP64_LIMIT, 1000):
        monkeypatch.setattr(zipped, "ZIP64_LIMIT", limit)
        target = tmp_path / f"t{limit}.zip"
        members = [("a.csv", zipped.pieces(data)), ("empty.txt", []), ("b.txt", [zipped.piece(b"x")])]
        zipped.write_zip(target, members, None)
        with zipfile.ZipFile(target) as archive:
            assert archive.testzip() is None
            assert archive.read("a.csv") == b"".join(data)
            assert archive.read("empty.txt") == b""
            assert archive.read("b.txt") == b"x"
        if shutil.which("unzip"):
            subprocess.run(["unzip", "-tq", str(target)], check=True, capture_output=True)


def test_combined_crcs_equal_the_crc_of_the_joined_bytes() -> None:
    """``zipped.crc_combine`` (by tables of powers of two, not a pass over zero bytes) gives zlib's
    CRC-32 of the concatenation, for lengths around every power of two up to 2**24 and odd ones."""
    import random
    import zlib

    from generator.export import zipped

    rng = random.Random(16)
    sizes = [0, 1, 2, 3, *(2**k + d for k in range(2, 25) for d in (-1, 0, 1))]
    sizes += [rng.randrange(1, 3_000_000) for _ in range(8)]
    for size in sizes:
        head, tail = rng.randbytes(rng.randrange(0, 64)), rng.randbytes(size)
        assert zipped.crc_combine(zlib.crc32(head), zlib.crc32(tail), size) == zlib.crc32(head + tail), size


# -- the update in place and its journal ----------------------------------------------------------------


def _edit_name(project: Path, rid: str = "wh-gz", mark: str = "改") -> Path:
    path = next((project / "content").glob(f"*/{rid}.yml"))
    path.write_text(re.sub(r"^(name: .*)$", rf"\g<1>{mark}", path.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    return path


def test_an_incremental_build_moves_only_what_changed_into_the_previous_site(project: Path, tmp_path: Path) -> None:
    """Unchanged pages stay the same files (same inode and time: nothing was rewritten or linked); the
    edited record's page is new; a deleted record's page and its folder are gone."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    untouched = out / "org" / "hub-rg-youth" / "index.html"
    before = untouched.stat()
    edited_page = out / "org" / "wh-gz" / "index.html"
    old_page = edited_page.read_bytes()
    _edit_name(project)
    victim = next(p for p in _records(project) if not _referenced(project, p.stem) and p.stem != "wh-gz")
    victim.unlink()
    second = build.build(load_config(project), out, quiet=True)
    assert second.reused > 0
    after = untouched.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert edited_page.read_bytes() != old_page
    assert not (out / "org" / victim.stem).exists()
    assert not (incremental.cache_dir(out) / incremental.JOURNAL_NAME).exists()
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")


def test_a_build_failing_after_its_pages_are_written_keeps_the_old_site_and_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    contents = {rel: p.read_bytes() for rel, p in _tree(out).items()}
    cache = incremental.cache_dir(out)
    state = (cache / incremental.STATE_NAME).read_bytes()
    _edit_name(project)

    def broken(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "_sitemaps", broken)  # the last step before the manifest
    with pytest.raises(build.BuildError):
        build.build(load_config(project), out, quiet=True)
    assert {rel: p.read_bytes() for rel, p in _tree(out).items()} == contents
    assert (cache / incremental.STATE_NAME).read_bytes() == state
    assert not (cache / incremental.JOURNAL_NAME).exists()
    monkeypatch.undo()
    assert build.build(load_config(project), out, quiet=True).reused > 0
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")


def test_a_build_stopped_while_it_updates_the_site_is_repaired_by_a_full_build(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash is a failure after the first few moves: the journal stays, the next build trusts
    nothing of the half-updated site (it rebuilds it whole) and ends in a clean build's bytes."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    for n, rid in enumerate(("wh-gz", "hub-rg-youth", "yc-gz")):
        _edit_name(project, rid, f"改{n}")
    real = os.replace
    calls = [0]

    def dying(src: str, dst: str) -> None:
        if str(dst).startswith(str(out) + os.sep):
            calls[0] += 1
            if calls[0] > 2:
                raise OSError(5, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(incremental.os, "replace", dying)
    with pytest.raises(build.BuildError):
        build.build(load_config(project), out, quiet=True)
    monkeypatch.undo()
    assert calls[0] == 3
    assert (incremental.cache_dir(out) / incremental.JOURNAL_NAME).is_file()
    repaired = build.build(load_config(project), out, quiet=True)
    assert repaired.reused == 0
    assert not (incremental.cache_dir(out) / incremental.JOURNAL_NAME).exists()
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")
    assert build.build(load_config(project), out, quiet=True).reused > 0  # and the cache is trusted again


def test_hand_edited_and_deleted_output_files_are_written_again(project: Path, tmp_path: Path) -> None:
    out = project / "build" / "site"
    config = load_config(project)
    build.build(config, out, quiet=True)
    page = out / "org" / "hub-rg-youth" / "index.html"
    page.write_text(page.read_text("utf-8").replace("<title>", "<title>手改", 1), "utf-8")
    (out / "area").joinpath(next(p.name for p in (out / "area").iterdir()), "index.html").unlink()
    (out / "map" / "points.json").unlink()
    (out / incremental.MANIFEST_NAME).write_text("{}", "utf-8")
    again = build.build(config, out, quiet=True)
    assert again.reused > 0
    build.build(config, tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")


def test_one_edit_writes_one_shard_of_the_checked_files_again(project: Path) -> None:
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    cache = incremental.cache_dir(out)

    def shards() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.glob("files-*.pickle")}

    first = shards()
    assert 1 < len(first) <= incremental.SHARDS
    _edit_name(project)
    build.build(load_config(project), out, quiet=True)
    second = shards()
    assert set(second) == set(first)
    rewritten = [name for name in first if first[name] != second[name]]
    assert rewritten == [incremental.FILES_SHARD.format(incremental.shard_of("content/womens_homes/wh-gz.yml"))]
    files = incremental.Cache(out, load_config(project)).files
    assert len(files.entries) == len(files.keys) - 1  # every file's checks found again ("\0validation" aside)


def test_the_records_in_a_shard_of_the_checked_files_share_their_field_names(project: Path) -> None:
    """Each record arrives with its own copy of every field name; pickled so, a shard held them all
    (interned by the reader, ``yamlio``: a fifth of the bytes a second build reads at 100,000 records)."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    shards = sorted(incremental.cache_dir(out).glob("files-*.pickle"))
    assert sum(len(incremental._unpickle(shard)) > 1 for shard in shards) > 1
    for shard in shards:
        entries = incremental._unpickle(shard)
        copies: dict[str, set[int]] = {}
        for data, _problems in entries.values():
            for name in data or {}:
                copies.setdefault(name, set()).add(id(name))
        assert "id" in copies or not entries
        assert {name: len(ids) for name, ids in copies.items() if len(ids) > 1} == {}, shard.name


def test_the_preview_reads_the_cache_again_after_another_build_into_its_folder(project: Path, tmp_path: Path) -> None:
    """``hubdir serve`` keeps the last state in memory; a ``build()`` by someone else into the same
    folder (another process) makes that state stale, and the preview's next build notices."""
    from generator.serve import Preview

    config = load_config(project)
    preview = Preview(config, project / "build" / "preview", "zh", echo=lambda _m: None)
    assert preview.rebuild()
    preview.memory.wait()
    source = project / "content" / "social_orgs"
    added = source / "so-extra.yml"
    text = next(source.glob("*.yml")).read_text("utf-8")
    text = re.sub(r"^uscc: .*\n", "", re.sub(r"^id: .*$", "id: so-extra", text, count=1, flags=re.M), flags=re.M)
    added.write_text(text, "utf-8")
    build.build(load_config(project), preview.out_dir, quiet=True, datasets=False)  # not through the preview
    added.unlink()
    assert preview.rebuild()
    preview.memory.wait()
    assert not (preview.out_dir / "org" / "so-extra").exists()
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False, datasets=False)
    assert_same_tree(preview.out_dir, tmp_path / "clean", preview=True)


def test_the_previews_first_build_leaves_the_search_memo_for_the_first_edit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview saves its cache in the background while the build deletes its temporary folder,
    where the search memo was written: the memo must be in the cache when the build returns, or the
    first edit after ``hubdir serve`` starts computes every search document again (4 s of 6.7 s at 20k)."""
    import time

    from generator.serve import Preview

    write = incremental.Cache._write

    def slow_write(self: incremental.Cache, *args: object) -> None:  # a big state takes seconds to pickle
        time.sleep(0.5)
        write(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(incremental.Cache, "_write", slow_write)
    config = load_config(project)
    preview = Preview(config, project / "build" / "preview", "zh", echo=lambda _m: None)
    assert preview.rebuild()
    cache = incremental.Cache(preview.out_dir, config)
    first = cache.side_file("search-memo")  # read before the background save has finished
    assert first is not None
    assert preview.rebuild([_edit_name(project)])
    preview.memory.wait()
    second = incremental.Cache(preview.out_dir, config).side_file("search-memo")
    assert len(set(second.docs.docs) - set(first.docs.docs)) == 1  # only the edited record's document


def test_the_search_memo_keeps_the_keys_of_unchanged_documents_and_drops_those_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A memo made after another shares its key bytes (unchanged documents are not copied); once most
    of them belong to documents gone it is compacted, every remembered document's keys intact."""
    import pickle

    from generator.site import search

    monkeypatch.setattr(search, "MEMO_SLACK", 0)
    first = search.Memo()
    for n in range(4):
        first.add(f"d{n}", (n,), [f"row{n}"], "kind", f"名{n}\0n{n}".encode(), f"文{n}".encode())
    first = pickle.loads(pickle.dumps(first))
    second = search.Memo(after=first)
    second.keep("d1", first.docs["d1"])
    second.add("d9", (9,), ["row9"], "kind", "新".encode(), b"")
    assert second.keys is first.keys  # nothing copied yet
    second = pickle.loads(pickle.dumps(second))  # sealed: d0, d2, d3 gone are most of the bytes → compacted
    assert second.known("d1") == ("名1\0n1".encode(), "文1".encode())
    assert second.known("d9") == ("新".encode(), b"")
    assert second.known("d0") is None
    assert len(second.keys) == sum(len(part) for key in ("d1", "d9") for part in second.known(key) or ())


def test_the_manifest_is_json_whatever_the_file_names() -> None:
    import json

    names = ["index.html", "a/中文/index.html", 'we"ird.txt', "back\\slash", "tab\there", "del\x7f", "e\u2028x"]
    files = {name: incremental.make_entry(n, 1, f"{n:064x}") for n, name in enumerate(names)}
    text = incremental.manifest_text(files)
    expected = {"files": [{"path": k, "sha256": files[k][2], "size": files[k][0]} for k in sorted(files)], "format": 1}
    assert json.loads(text) == expected
    assert text == json.dumps(expected, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_a_build_overtaken_by_another_build_of_the_same_site_writes_nothing(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds into one folder: the one that finishes first wins, the other refuses to update the
    site by its now stale plan (it would delete what the first wrote) and says to run again."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    real = build._sitemaps
    nested = [False]

    def overtaken(*args: object) -> None:
        if not nested[0]:  # another build starts and finishes while this one is writing
            nested[0] = True
            _edit_name(project, "hub-rg-youth", "他")
            build.build(load_config(project), out, quiet=True)
        real(*args)  # type: ignore[arg-type]

    _edit_name(project)
    monkeypatch.setattr(build, "_sitemaps", overtaken)
    with pytest.raises(build.BuildError) as caught:
        build.build(load_config(project), out, quiet=True)
    assert caught.value.key == "incremental.build.concurrent"
    assert "另一次构建" in caught.value.message("zh")
    site = out.resolve()
    assert caught.value.message("zh") == (
        f"另一次构建在此期间更新了 {site}，本次的改动没有写入（网站保持那次构建的结果）：请再运行一次"
    )
    assert caught.value.message("en") == (
        f"another build updated {site} meanwhile, so this one wrote nothing (the site is as that build left it): "
        "run the build again"
    )
    monkeypatch.undo()
    assert "他" in (out / "org" / "hub-rg-youth" / "index.html").read_text("utf-8")
    build.build(load_config(project), out, quiet=True)  # runs again: both edits
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")


def test_completeness_rows_kept_between_loads_equal_rows_measured_anew(project: Path) -> None:
    """The preview measures a new registry after every edit; the rows of records whose data it kept
    are taken from the last measurement, and an edited record is measured again."""
    from generator import coverage

    config = load_config(project)
    files = incremental.FileCache()
    spec = coverage.spec_from_config(config)
    first = coverage.compute_completeness(incremental.load(config, files).registry, spec)
    row = next(r for r in first.records if "address" in r.present and (project / r.rel).is_file())
    path = project / row.rel
    text = path.read_text("utf-8")
    path.write_text(re.sub(r"^address: .*\n", "", text, count=1, flags=re.M), "utf-8")
    registry = incremental.load(config, files, changed=[path]).registry
    kept = coverage.compute_completeness(registry, spec)
    coverage._ROWS["rows"] = {}  # measured anew
    fresh = coverage.compute_completeness(registry, spec)
    assert kept.records == fresh.records
    edited = next(r for r in kept.records if r.rel == row.rel)
    assert "address" in edited.missing and edited != row
    assert sum(a is b for a, b in zip(first.records, kept.records, strict=True)) == len(first.records) - 1


def test_the_english_workers_short_result_stands_only_for_the_same_pages(project: Path) -> None:
    """The English pages' worker returns a digest of its page paths and only the entries it rendered;
    the parent rebuilds the rest from the previous state — never for another list of pages."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True, datasets=False)
    state = incremental.Cache(out, load_config(project))
    old = state.old.files
    paths = sorted(rel[len("en/") : -len("index.html")] for rel in old if rel.startswith("en/org/"))
    rendered = {f"en/{paths[0]}index.html": incremental.make_entry(1, 2, "sha", "key")}
    result = (incremental.paths_digest(paths), rendered, len(paths) - 1)
    expanded = incremental.expand_bulk(result, paths, "en/", state)
    assert expanded is not None
    assert expanded[0] == paths and expanded[2] == len(paths) - 1
    assert expanded[1] == {f"en/{p}index.html": old[f"en/{p}index.html"] for p in paths} | rendered
    assert incremental.expand_bulk(result, paths[1:], "en/", state) is None
    assert incremental.expand_bulk(result, [*paths[1:], paths[0]], "en/", state) is None  # order matters too


def test_a_second_build_takes_the_sitemap_of_the_first_unless_its_pages_change(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process (``_SITEMAPS`` empty) keeps the previous sitemap files after an edit that adds or
    removes no page, makes them anew after one that does, each time a clean build's bytes."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    made = [0]
    real = build._sitemap_files

    def counted(*args: Any) -> dict[str, bytes]:
        made[0] += 1
        return real(*args)

    monkeypatch.setattr(build, "_sitemap_files", counted)
    for change, makes in ((lambda: _edit_name(project), 0), (lambda: Mutator(project, 3).add(), 1)):
        change()
        build._SITEMAPS["urls"] = None  # another process
        made[0] = 0
        build.build(load_config(project), out, quiet=True)
        assert made[0] == makes
        clean = tmp_path / f"clean-{makes}"
        build.build(load_config(project), clean, quiet=True, cache=False)
        assert_same_tree(out, clean)


def test_sitemaps_taken_from_the_last_ones_equal_sitemaps_made_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sitemap files are kept in the process between builds (``hubdir serve``): the same URLs give
    the kept files, other URLs new ones, each the bytes of a first build."""
    base = "https://example.org/"
    many = {"zh": [f"org/so-{i}/" for i in range(build.SITEMAP_LIMIT)], "en": ["", "org/so-1/"]}
    few = {"zh": ["", "org/a/"], "en": [""]}

    def made(paths: dict[str, list[str]], fresh: bool) -> dict[str, bytes]:
        if fresh:
            build._SITEMAPS["urls"] = None
        folder = tmp_path / f"site-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        (folder / "sitemap-9.xml.gz").write_bytes(b"stale")
        build._sitemaps(folder, base, paths)
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}

    for paths in (many, many, few, many, few, few):
        kept = made(paths, fresh=False)
        assert kept == made(paths, fresh=True)
        assert ("sitemap-2.xml.gz" in kept) == (paths is many) and "sitemap-9.xml.gz" not in kept
    made(few, fresh=False)
    monkeypatch.setattr(build, "SITEMAP_LIMIT", 1)  # the same URLs under another limit: other files
    assert made(few, fresh=False) == made(few, fresh=True) and "sitemap-3.xml.gz" in made(few, fresh=False)


def _figures(model: Any) -> dict[str, object]:
    """``SiteModel``'s structural figures with records by id (to compare models of two registries)."""
    from generator.site.model import STRUCTURAL_FIGURES

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return getattr(value, "rel", value)

    return {name: plain(getattr(model, name)) for name in STRUCTURAL_FIGURES}


def test_a_model_of_the_same_registry_after_a_plain_edit_adopts_figures_equal_to_a_fresh_models(
    project: Path,
) -> None:
    """``SiteModel.adopt`` (``hubdir serve``) takes the previous model's structural figures only for the
    same registry object, which a load keeps only after plain edits; they equal a fresh model's."""
    from generator.site.labels import labels_for
    from generator.site.model import SiteModel
    from generator.validate import load

    config = load_config(project)
    files = incremental.FileCache()
    labels = labels_for(config.schemas_dir)
    previous = SiteModel(config, incremental.load(config, files).registry, labels, page_size=2)
    _figures(previous)
    rng = random.Random(8)
    adopted = 0
    for n in range(10):
        path = rng.choice(_records(project))
        name, edit = FIELD_EDITS[n % 2] if n < 6 else rng.choice(FIELD_EDITS[3:7])
        path.write_text(edit(path.read_text("utf-8"), n), "utf-8")
        model = SiteModel(config, incremental.load(config, files, changed=[path]).registry, labels, page_size=2)
        model.adopt(previous)
        adopted += "counts_in" in model.__dict__
        fresh = SiteModel(config, load(config).registry, labels, page_size=2)
        assert _figures(model) == _figures(fresh), (name, path.stem)
        previous = model
    assert 0 < adopted < 10


def test_an_empty_villages_page_follows_an_edit_of_its_towns_hubs(project: Path, tmp_path: Path) -> None:
    """An empty village's page names its town's hubs (``Renderer.help_nearby``): their edit is part of
    its page key, so the next build renders it again rather than keeping the old name."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    page = out / "area" / "440606005002" / "index.html"
    assert "示例大良总工会<" in page.read_text("utf-8")
    _edit_name(project, "hub-dl-union", "改")
    build.build(load_config(project), out, quiet=True)
    assert "示例大良总工会改<" in page.read_text("utf-8")


def _map_data(project: Path, folder: Path, memo: Any) -> None:
    """What the build's map worker writes (``build._write_map_data``), with ``memo``."""
    from generator.site import nearby, pages

    model, _ = _search_state(project)
    (folder / "map").mkdir(parents=True)
    (folder / "map" / "points.json").write_text(pages.map_points(model, memo), "utf-8")  # type: ignore[arg-type]
    nearby.write(model, folder, memo)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [5, 42])
def test_map_rows_kept_by_record_equal_rows_made_anew_after_every_kind_of_change(
    synth_project: Path, tmp_path: Path, seed: int
) -> None:
    """The map worker's memo (``site.recordmemo``): after moves, renames, new phones and hours, a
    dissolution, additions, deletions and renames, the map points and near-me files made from the
    previous build's memo (through pickle, as the cache keeps it) have the bytes of files made from
    nothing, and only the changed records are computed again."""
    import pickle
    import shutil

    from generator.site.recordmemo import RecordMemo

    project = tmp_path / "project"
    shutil.copytree(synth_project, project)
    rng = random.Random(seed)

    def field_edit() -> str:
        path = rng.choice([p for p in _records(project) if "\n  lat: " in p.read_text("utf-8")])  # located
        before = text = path.read_text("utf-8")
        change = rng.choice(["lat", "lon", "office_phone", "hours", "dissolve", "name_en"])
        if change in ("lat", "lon"):  # a move within its leaf or into the next one
            text = re.sub(rf"^(  {change}: )(\S+)$", lambda m: f"{m[1]}{float(m[2]) + rng.choice([1e-6, 0.02])}",
                          text, count=1, flags=re.M)
        elif change == "office_phone":
            text = re.sub(r'(type: office_phone\n    value: )"[^"]+"', r'\g<1>"0757-29999999"', text, count=1)
        elif change == "hours":
            text = re.sub(r'^opening_hours: .*$', 'opening_hours: "Mo-Su 09:00-21:00"', text, count=1, flags=re.M)
        elif change == "dissolve":
            text = re.sub(r"^status: active$", "status: dissolved\ndissolved_on: \"2026-01-05\"", text,
                          count=1, flags=re.M)
        else:
            text = re.sub(r"^(name_en: .*)$", r"\g<1> (moved)", text, count=1, flags=re.M)
        if text == before:  # a field this record lacks: its name, then
            text = re.sub(r"^(name: .*)$", r"\g<1>改", text, count=1, flags=re.M)
        path.write_text(text, "utf-8")
        return f"{change} {path.stem}"

    _, hashes = _search_state(project)
    memo = RecordMemo(hashes)
    _map_data(project, tmp_path / "0", memo)
    mutator = Mutator(project, seed)
    for step in range(1, 6):
        other = ["add", "delete", "rename", "edit"]
        done = [field_edit() if rng.random() < 0.6 else getattr(mutator, rng.choice(other))()
                for _ in range(rng.randint(1, 2))]
        _, hashes = _search_state(project)
        memo = RecordMemo(hashes, pickle.loads(pickle.dumps(memo.new)))
        site, clean = tmp_path / str(step), tmp_path / f"clean{step}"
        _map_data(project, site, memo)
        _map_data(project, clean, RecordMemo(None))
        assert_same_tree(site, clean, done)
        assert 0 < memo.computed <= 2 * len(done), (memo.computed, done)  # a map row and an entry per change
        shutil.rmtree(clean)


def test_the_state_files_are_read_when_asked_and_never_from_another_save(project: Path, tmp_path: Path) -> None:
    """The state's file entries are a part of their own, read only when first asked (the datasets
    worker is forked before); a part left by another save is not taken for this one's: nothing of
    the previous site is kept, and the output is still a clean build's."""
    out = project / "build" / "site"
    build.build(load_config(project), out, quiet=True)
    cache = incremental.cache_dir(out)
    earlier = (cache / incremental.STATE_FILES_NAME).read_bytes()
    state = incremental.Cache(out, load_config(project))
    (cache / incremental.STATE_FILES_NAME).write_bytes(b"\x80garbage")  # after the cache was opened
    assert state.old.files == {}  # so it was read only now
    (cache / incremental.STATE_FILES_NAME).write_bytes(earlier)
    assert incremental.Cache(out, load_config(project)).old.files  # the same save's part is used
    _edit_name(project)
    assert build.build(load_config(project), out, quiet=True).reused > 0
    (cache / incremental.STATE_FILES_NAME).write_bytes(earlier)  # the part of the build before
    assert build.build(load_config(project), out, quiet=True).reused == 0
    build.build(load_config(project), tmp_path / "clean", quiet=True, cache=False)
    assert_same_tree(out, tmp_path / "clean")


def test_the_datasets_time_is_the_newest_record_file_even_when_only_a_time_changed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside git the datasets' time is the newest content file's; ``hubdir build`` takes the
    files' times from the stat its load took (not a second stat of every file), so a file touched
    since the last build, same bytes, moves it on as a clean build would."""
    import datetime as dt
    import json
    import subprocess

    from generator.export.package import iso

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=project, capture_output=True, check=False).returncode == 0:
        pytest.skip("the temporary folder is inside a git work tree")
    files = sorted((project / "content").rglob("*.yml"))
    for index, path in enumerate(files):
        os.utime(path, (1_600_000_000 + index, 1_600_000_000 + index))
    out = project / "build" / "site"

    def created() -> str:
        return str(json.loads((out / "data" / "datapackage.json").read_text("utf-8"))["created"])

    build.build(load_config(project), out, quiet=True)
    first = created()
    assert first == iso(dt.datetime.fromtimestamp(1_600_000_000 + len(files) - 1, dt.UTC))
    os.utime(files[0], (1_700_000_000, 1_700_000_000))  # only its time: the same bytes
    assert build.build(load_config(project), out, quiet=True).reused > 0
    assert created() == "2023-11-14T22:13:20Z" != first


def test_an_edit_writes_only_the_near_me_leaves_it_changes(synth_project: Path, tmp_path: Path) -> None:
    """``nearby.write(reuse=)``: a leaf whose records all kept their content hash is the previous
    file (here copied, as the cache keeps it in place); only the edited record's leaf is written, and
    the files have the bytes of files made from nothing."""
    import shutil

    from generator.site import nearby
    from generator.site.recordmemo import RecordMemo

    project = tmp_path / "project"
    shutil.copytree(synth_project, project)
    model, hashes = _search_state(project)
    first: dict[str, tuple[str, str]] = {}  # rel → (key, sha256)
    nearby.write(model, tmp_path / "0", RecordMemo(hashes), lambda rel, key: False, first)
    assert len(first) > 5 and all(rel.startswith("near/l/") for rel in first)
    path = next(p for p in _records(project) if "\n  lat: " in p.read_text("utf-8") and "\nstatus: active" in
                p.read_text("utf-8"))
    path.write_text(re.sub(r"^(name: .*)$", r"\g<1>改", path.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    model, hashes = _search_state(project)
    site, clean = tmp_path / "1", tmp_path / "clean"

    def reuse(rel: str, key: str) -> bool:
        if first.get(rel, ("",))[0] != key:
            return False
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tmp_path / "0" / rel, site / rel)
        return True

    second: dict[str, tuple[str, str]] = {}
    nearby.write(model, site, RecordMemo(hashes), reuse, second)
    nearby.write(model, clean, RecordMemo(None))
    assert_same_tree(site, clean)
    assert len(second) == 1, second  # the edited record's leaf
    assert "改" in (site / next(iter(second))).read_text("utf-8")


def test_a_build_keeping_near_me_leaves_equals_a_clean_build(synth_project: Path, tmp_path: Path) -> None:
    """The map worker's kept leaves (``build._write_map_data``) stay in the site and its manifest: after
    an edit of a located record and after a deletion the site equals a clean build."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(synth_project, project)
    out, clean = project / "build" / "site", tmp_path / "clean" / "site"
    build.build(load_config(project), out, quiet=True, datasets=False)
    located = [p for p in _records(project) if "\n  lat: " in p.read_text("utf-8")]
    path = located[0]
    path.write_text(re.sub(r"^(name: .*)$", r"\g<1>改", path.read_text("utf-8"), count=1, flags=re.M), "utf-8")
    for step in range(2):
        build.build(load_config(project), out, quiet=True, datasets=False)
        build.build(load_config(project), clean, quiet=True, datasets=False, cache=False)
        assert_same_tree(out, clean, step)
        manifest = incremental.read_manifest_text(out / incremental.MANIFEST_NAME)
        leaves = sorted(p.relative_to(out).as_posix() for p in (out / "near" / "l").iterdir())
        assert leaves and all(f'"path":"{rel}"' in manifest for rel in leaves)
        if step == 0:
            next(p for p in located[1:] if not _referenced(project, p.stem)).unlink()
