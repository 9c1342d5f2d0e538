"""``hubdir diff``: what changed between two versions of the registries, record by record.

Why: a pull request's YAML diff shows lines; reviewers (and journalists
reading a changelog) want to know which organizations were added, removed,
renamed, dissolved or merged, and field by field what changed, in Chinese.

A version ("snapshot") is one of:
- a git revision: files are read with ``git ls-tree`` and ``git cat-file``,
  never by checking anything out, so the working tree is untouched;
- a content folder (``content/`` or a project folder holding one);
- a release folder (``datasets/releases/<version>/``), read from its ``json/all.json.zip``
  (``json/all.json`` before issue 16).

Records are matched by id (ids are unique across registries).  The kinds of
change, as a reader of the changelog understands them:

- *renamed* (更名): the same record (same id) has a new ``name``; ids never
  depend on names, so this is how an organization's renaming shows;
- *id_changed* (编号变更): a record's id vanished while a record of the same
  registry with the same content apart from the id, or with the same name,
  appeared (the file was renamed; a published id should not change);
- *moved*: only the file moved; *dissolved* / *merged*: the status became
  ``dissolved`` or ``merged`` (with its successor), rather than an edit.

Field changes compare list items by identity, never by position: an item of
a list of objects is identified by the fields its schema requires (a contact
by type and value, a source by title, a post by post and sector), a list of
codes or names as a set; so inserting an e-mail before a phone is one added
contact, nothing else.  Values are shown with their labels (服务热线, not
``hotline``).  A missing ``status`` reads as ``active`` on both sides
(``registry.with_defaults``), so a release's JSON and the YAML compare equal.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from generator import schema as schemas
from generator import yamlio
from generator.config import Config
from generator.i18n import t
from generator.registry import REGISTRIES, with_defaults
from generator.safetext import printable

#: Order in which kinds of change are reported.
KINDS = ("added", "removed", "renamed", "id_changed", "moved", "dissolved", "merged", "changed")
#: Version of the ``--format json`` document (2: ``renamed`` is a new name, ``id_changed`` a new id,
#: list items carry ``item``: added, removed, changed or reordered).
JSON_VERSION = 2
#: Where a release folder keeps every record (written by ``generator.export``).
RECORDS_FILE = "json/all.json"
RECORDS_ZIP = "json/all.json.zip"
#: The label of the content folder on disk (JSON keeps it; text and Markdown translate it).
WORKTREE = "worktree"


class DiffError(Exception):
    """A snapshot cannot be read; ``key`` is a workflow catalogue key."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


@dataclass(frozen=True)
class Entry:
    registry: str
    id: str
    path: str  # relative to the content folder: "hubs/hub-x.yml"
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))


@dataclass
class Snapshot:
    label: str
    entries: dict[str, Entry] = field(default_factory=dict)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, problem code)


@dataclass(frozen=True)
class FieldChange:
    """One field's change; for a list item ``item`` says what happened to it (added, removed, changed,
    reordered) and ``old``/``new`` are the item (or the whole list, when only the order changed)."""

    path: tuple[str | int, ...]
    old: Any
    new: Any
    item: str = ""

    @property
    def key(self) -> str:
        out = ""
        for step in self.path:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
        return out


@dataclass
class Change:
    kind: str
    registry: str
    id: str
    name: str
    path: str
    old_id: str = ""
    old_name: str = ""
    old_path: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Changes:
    base: str
    head: str
    changes: list[Change] = field(default_factory=list)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # (side, path, code)
    names: dict[str, str] = field(default_factory=dict)  # id → name in head (for successors)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def by_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


# -- reading snapshots --------------------------------------------------------


def _add(snapshot: Snapshot, registry: str, rel: str, text_or_bytes: str | bytes) -> None:
    try:
        text = text_or_bytes if isinstance(text_or_bytes, str) else yamlio.decode(text_or_bytes)
        data = yamlio.loads(text)
    except yamlio.LoadError as exc:
        snapshot.unreadable.append((rel, exc.code))
        return
    rid = data.get("id")
    rid = rid if isinstance(rid, str) and rid else Path(rel).stem
    if rid in snapshot.entries:
        snapshot.unreadable.append((rel, "M002"))
        return
    snapshot.entries[rid] = Entry(registry, rid, rel, data)


def read_folder(folder: Path, label: str | None = None) -> Snapshot:
    """A content folder (or a project folder with ``content/``, or a release with records.json)."""
    if (folder / RECORDS_ZIP).is_file() or (folder / RECORDS_FILE).is_file():
        return read_records_file(folder, label or folder.name)
    if not any((folder / name).is_dir() for name in REGISTRIES) and (folder / "content").is_dir():
        folder = folder / "content"
    snapshot = Snapshot(label or folder.as_posix())
    # The project holding the folder: a link out of it (to any file of the machine running a pull
    # request's check) is not read, as ``validate`` does not read it (Y015).
    boundary = os.path.realpath(folder.parent).rstrip(os.sep) + os.sep
    for name in REGISTRIES:
        sub = folder / name
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if path.suffix in (".yml", ".yaml") and path.is_file():
                if not os.path.realpath(path).startswith(boundary):
                    snapshot.unreadable.append((f"{name}/{path.name}", "Y015"))
                    continue
                try:
                    raw = yamlio.read_limited(path)
                except yamlio.LoadError as exc:
                    snapshot.unreadable.append((f"{name}/{path.name}", exc.code))
                    continue
                _add(snapshot, name, f"{name}/{path.name}", raw)
    return snapshot


def read_records_file(folder: Path, label: str) -> Snapshot:
    """A release's ``all.json`` (``{registry: [record, …]}``, as ``hubdir export`` writes it): in
    ``json/all.json.zip``, or ``json/all.json`` in releases made before issue 16."""
    from generator.export.jsonout import read_all

    path = folder / (RECORDS_ZIP if (folder / RECORDS_ZIP).is_file() else RECORDS_FILE)
    try:
        doc = json.loads(read_all(folder).decode("utf-8"))
        snapshot = Snapshot(label)
        for registry in REGISTRIES:
            for data in doc.get(registry, []):
                rid = str(data["id"])
                snapshot.entries[rid] = Entry(registry, rid, f"{registry}/{rid}.yml", data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as exc:
        raise DiffError("workflow.diff.bad_records", path=str(path), detail=str(exc)) from None
    return snapshot


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, timeout=300)
    except FileNotFoundError:
        raise DiffError("workflow.diff.no_git") from None
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


def git_toplevel(root: Path) -> Path | None:
    try:
        return Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    except (subprocess.CalledProcessError, DiffError):
        return None


def read_git(root: Path, content_dir: Path, rev: str) -> Snapshot:
    """The content folder as it is in git revision ``rev`` (read from blobs, no checkout)."""
    top = git_toplevel(root)
    if top is None:
        raise DiffError("workflow.diff.not_git", spec=rev)
    try:
        commit = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except subprocess.CalledProcessError:
        raise DiffError("workflow.diff.unknown_rev", spec=rev) from None
    prefix = content_dir.resolve().relative_to(top.resolve()).as_posix()
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix)
    wanted: list[tuple[str, str, str]] = []  # (registry, rel, sha)
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, _, path_bytes = item.partition(b"\t")
        _mode, kind, sha = meta.decode().split()
        rel = path_bytes.decode("utf-8", "surrogateescape")[len(prefix) + 1 :]
        parts = rel.split("/")
        if (
            kind == "blob"
            and len(parts) == 2
            and parts[0] in REGISTRIES
            and parts[1].endswith((".yml", ".yaml"))
        ):
            wanted.append((parts[0], rel, sha))
    snapshot = Snapshot(rev)
    if not wanted:
        return snapshot
    out = _git(top, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, _, sha in wanted).encode())
    offset = 0
    for registry, rel, _sha in wanted:
        header_end = out.index(b"\n", offset)
        size = int(out[offset:header_end].split()[2])
        body = out[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        _add(snapshot, registry, rel, body)
    return snapshot


def resolve_spec(config: Config, spec: str) -> Snapshot:
    path = Path(spec)
    if not path.is_absolute():
        candidates = [Path.cwd() / spec, config.root / spec]
        path = next((p for p in candidates if p.is_dir()), path)
    if path.is_dir():
        return read_folder(path, spec)
    return read_git(config.root, config.content_dir, spec)


def compare_specs(config: Config, base: str, head: str | None) -> Changes:
    """Compare two specs; without ``head`` the other side is the content folder on disk."""
    before = resolve_spec(config, base)
    after = resolve_spec(config, head) if head else read_folder(config.content_dir, WORKTREE)
    return compare(before, after, config)


# -- comparing ----------------------------------------------------------------


def flatten(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Leaves of a mapping, walked by key; a list is one leaf (compared item by item elsewhere)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from flatten(child, (*path, key))
    else:
        yield path, value


Identity = Callable[[str], tuple[str, ...]]


def _no_identity(_field: str) -> tuple[str, ...]:
    return ()


def _item_key(item: Any, fields: tuple[str, ...]) -> str:
    if isinstance(item, dict) and fields:
        return json.dumps([item.get(k) for k in fields], ensure_ascii=False, sort_keys=True)
    return json.dumps(item, ensure_ascii=False, sort_keys=True)


def list_changes(field_name: str, old: list[Any], new: list[Any], fields: tuple[str, ...]) -> list[FieldChange]:
    """Items added, removed and changed, matched by identity (``fields``; the whole item without them)."""
    def keyed(items: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items:
            key = _item_key(item, fields)
            n = 1
            while key in out:  # the same identity twice: the n-th occurrence matches the n-th
                n += 1
                key = f"{_item_key(item, fields)}#{n}"
            out[key] = item
        return out

    before, after = keyed(old), keyed(new)
    path: tuple[str | int, ...] = (field_name,)
    out = [FieldChange(path, None, item, "added") for key, item in after.items() if key not in before]
    out += [FieldChange(path, before[key], item, "changed") for key, item in after.items()
            if key in before and before[key] != item]
    out += [FieldChange(path, item, None, "removed") for key, item in before.items() if key not in after]
    if not out and old != new:
        out.append(FieldChange(path, old, new, "reordered"))
    return out


def field_changes(
    old: dict[str, Any], new: dict[str, Any], *, skip: tuple[str, ...] = (), identity: Identity = _no_identity
) -> list[FieldChange]:
    out: list[FieldChange] = []
    keys = list(new) + [k for k in old if k not in new]
    for key in keys:
        if key in skip:
            continue
        a, b = old.get(key, _MISSING), new.get(key, _MISSING)
        if a == b:
            continue
        if isinstance(a, list) or isinstance(b, list):
            out += list_changes(key, a if isinstance(a, list) else [], b if isinstance(b, list) else [],
                                identity(key))
            continue
        before = dict(flatten(a, (key,))) if a is not _MISSING else {}
        after = dict(flatten(b, (key,))) if b is not _MISSING else {}
        for path in list(after) + [p for p in before if p not in after]:
            if before.get(path, _MISSING) != after.get(path, _MISSING):
                out.append(FieldChange(path, before.get(path), after.get(path)))
    return out


_MISSING = object()


def _without_id(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "id"}


def identities(config: Config | None, registry: str) -> Identity:
    """Field → the fields that identify one of its list items (the item schema's ``required``)."""
    if config is None:
        return _no_identity

    def fields(name: str) -> tuple[str, ...]:
        try:
            doc = _schema(config.schemas_dir, registry)
            node = schemas.resolve(doc, doc.get("properties", {}).get(name, {}))
            items = schemas.resolve(doc, node.get("items", {}))
            return tuple(items.get("required", ())) if items.get("type") == "object" else ()
        except (OSError, KeyError, ValueError):
            return ()

    return fields


def compare(before: Snapshot, after: Snapshot, config: Config | None = None) -> Changes:
    """What changed from ``before`` to ``after``; ``config`` gives list-item identities from the schemas."""
    result = Changes(before.label, after.label)
    result.unreadable = [("base", p, c) for p, c in before.unreadable] + [
        ("head", p, c) for p, c in after.unreadable
    ]
    result.names = {rid: e.name for rid, e in after.entries.items()}
    removed = {rid: e for rid, e in before.entries.items() if rid not in after.entries}
    added = {rid: e for rid, e in after.entries.items() if rid not in before.entries}
    changes: list[Change] = []

    def data(entry: Entry) -> dict[str, Any]:
        return with_defaults(entry.registry, entry.data)

    # new ids: same content with a new id, then same registry and name
    for match in (
        lambda a, b: _without_id(data(a)) == _without_id(data(b)),
        lambda a, b: bool(a.name) and a.name == b.name,
    ):
        for old_id in sorted(removed):
            old = removed[old_id]
            new = next(
                (e for rid, e in sorted(added.items()) if e.registry == old.registry and match(old, e)), None
            )
            if new is None:
                continue
            del removed[old_id]
            del added[new.id]
            changes.append(
                Change(
                    "id_changed",
                    new.registry,
                    new.id,
                    new.name,
                    new.path,
                    old_id=old.id,
                    old_name=old.name,
                    old_path=old.path,
                    data=new.data,
                    fields=field_changes(data(old), data(new), skip=("id",),
                                         identity=identities(config, new.registry)),
                )
            )

    for rid, entry in added.items():
        changes.append(Change("added", entry.registry, rid, entry.name, entry.path, data=entry.data))
    for rid, entry in removed.items():
        changes.append(Change("removed", entry.registry, rid, entry.name, entry.path, data=entry.data))
    for rid, new in after.entries.items():
        if rid not in before.entries:
            continue
        old = before.entries[rid]
        old_data, new_data = data(old), data(new)
        if old_data == new_data and old.path == new.path:
            continue
        status_before = old_data.get("status", "active")
        status_after = new_data.get("status", "active")
        if status_after in ("dissolved", "merged") and status_before != status_after:
            kind = status_after
        elif old_data == new_data:
            kind = "moved"
        elif old.name != new.name:
            kind = "renamed"
        else:
            kind = "changed"
        changes.append(
            Change(
                kind,
                new.registry,
                rid,
                new.name,
                new.path,
                old_name=old.name,
                old_path=old.path if old.path != new.path else "",
                data=new.data,
                fields=field_changes(old_data, new_data, identity=identities(config, new.registry)),
            )
        )
    changes.sort(
        key=lambda c: (
            KINDS.index(c.kind),
            REGISTRIES.index(c.registry) if c.registry in REGISTRIES else 99,
            c.id,
        )
    )
    result.changes = changes
    return result


# -- rendering ----------------------------------------------------------------


@cache
def _schema(schemas_dir: Path, registry: str) -> dict[str, Any]:
    return schemas.bundle(schemas_dir, registry)


def registry_label(config: Config, registry: str, lang: str) -> str:
    try:
        return schemas.label(_schema(config.schemas_dir, registry), lang)
    except (OSError, KeyError, ValueError):
        return registry


def _node(config: Config | None, registry: str, path: tuple[str | int, ...]) -> dict[str, Any]:
    """The schema node of a field path (``("contacts",)`` → the contacts array); ``{}`` if unknown."""
    if config is None:
        return {}
    try:
        doc = _schema(config.schemas_dir, registry)
        node: dict[str, Any] = {"properties": doc.get("properties", {})}
        for step in path:
            node = schemas.resolve(doc, node.get("properties", {}).get(str(step), {}))
        return node
    except (OSError, KeyError, ValueError):
        return {}


def field_label(config: Config, registry: str, change: FieldChange, lang: str) -> str:
    """``名称（name）``: the schema title of the top-level field and the exact path."""
    node = _node(config, registry, change.path[:1])
    title = schemas.label(node, lang) if node else ""
    return t(lang, "workflow.diff.field", title=title, key=change.key) if title else change.key


def show_value(value: Any, lang: str, node: dict[str, Any] | None = None, config: Config | None = None,
               registry: str = "") -> str:
    """A value as a reader should see it: codes as their labels, list items and objects spelled out."""
    node = node or {}
    if value is None:
        return t(lang, "workflow.diff.none")
    if isinstance(value, bool):
        return t(lang, f"opendata.diff.{'yes' if value else 'no'}")
    if isinstance(value, list):
        items = _items(node, config, registry)
        return (
            t(lang, "workflow.diff.list_sep").join(show_value(v, lang, items, config, registry) for v in value)
            if value
            else t(lang, "workflow.diff.empty_list")
        )
    if isinstance(value, dict):
        props = node.get("properties", {})
        doc = _schema(config.schemas_dir, registry) if config is not None and registry else {}
        parts = [show_value(v, lang, schemas.resolve(doc, props[k]) if doc and k in props else {})
                 for k, v in value.items()]
        return t(lang, "opendata.diff.item_sep").join(parts)
    labels = node.get("x-enum", {})
    if isinstance(value, str) and value in labels:
        return str(labels[value].get(lang) or labels[value].get("zh") or value)
    return " ".join(str(value).split())


def _items(node: dict[str, Any], config: Config | None, registry: str) -> dict[str, Any]:
    items = node.get("items", {})
    if config is None or not registry or not isinstance(items, dict):
        return items if isinstance(items, dict) else {}
    try:
        return schemas.resolve(_schema(config.schemas_dir, registry), items)
    except (OSError, KeyError, ValueError):
        return {}


def change_text(config: Config, registry: str, change: FieldChange, lang: str) -> tuple[str, str]:
    """(before, after) of one field change, with labels; for a list item, what happened to it."""
    node = _node(config, registry, change.path)
    if change.item:
        items = _items(node, config, registry)
        if change.item == "added":
            return t(lang, "workflow.diff.none"), t(lang, "opendata.diff.item_added",
                                                   value=show_value(change.new, lang, items, config, registry))
        if change.item == "removed":
            return show_value(change.old, lang, items, config, registry), t(lang, "opendata.diff.item_removed")
        if change.item == "reordered":
            return (show_value(change.old, lang, node, config, registry),
                    t(lang, "opendata.diff.reordered", value=show_value(change.new, lang, node, config, registry)))
        return (show_value(change.old, lang, items, config, registry),
                show_value(change.new, lang, items, config, registry))
    return show_value(change.old, lang, node, config, registry), show_value(change.new, lang, node, config, registry)


def counts_line(changes: Changes, lang: str) -> str:
    """The summary a non-programmer reads: only the kinds that happened, in words."""
    parts = [t(lang, f"workflow.diff.count.{kind}", n=changes.count(kind)) for kind in KINDS if changes.count(kind)]
    if not parts:
        return t(lang, "workflow.diff.nothing")
    return t(lang, "opendata.diff.count_sep").join(parts)


def _headline(change: Change, lang: str, changes: Changes) -> str:
    """What happened to one record, in a sentence (for dissolutions, merges, renames, moves)."""
    succ = str(change.data.get("successor", "") or "")
    args = {
        "id": change.id,
        "name": change.name,
        "old_id": change.old_id,
        "old_name": change.old_name or "",
        "path": change.path,
        "old_path": change.old_path,
        "successor": succ,
        "successor_name": changes.names.get(succ, ""),
        "date": str(change.data.get("dissolved_on", "") or ""),
    }
    key = f"workflow.diff.what.{change.kind}"
    if change.kind in ("dissolved", "merged") and not succ:
        key += "_alone"
    return t(lang, key, **args)


def _title(changes: Changes, lang: str) -> str:
    def shown(label: str) -> str:
        return t(lang, "workflow.diff.worktree") if label == WORKTREE else label

    return t(lang, "workflow.diff.title", base=shown(changes.base), head=shown(changes.head))


def render_text(changes: Changes, lang: str, config: Config) -> str:
    lines = [_title(changes, lang), counts_line(changes, lang)]
    marks = {
        "added": "+",
        "removed": "-",
        "renamed": "~",
        "id_changed": ">",
        "moved": ">",
        "dissolved": "x",
        "merged": "x",
        "changed": "~",
    }
    for change in changes.changes:
        label = t(lang, f"workflow.diff.kind.{change.kind}")
        lines.append(f"{marks[change.kind]} {label} {change.registry}/{change.id} {change.name}".rstrip())
        if change.kind not in ("added", "removed", "changed"):
            lines.append(f"    {_headline(change, lang, changes)}")
        elif change.kind == "changed" and change.old_path:
            lines.append(f"    {t(lang, 'workflow.diff.what.moved', **_move_args(change))}")
        for fc in change.fields:
            lines.append(
                "    "
                + t(
                    lang,
                    "workflow.diff.field_line",
                    field=field_label(config, change.registry, fc, lang),
                    old=change_text(config, change.registry, fc, lang)[0],
                    new=change_text(config, change.registry, fc, lang)[1],
                )
            )
    for side, path, code in changes.unreadable:
        lines.append(t(lang, "workflow.diff.unreadable", side=side, path=path, code=code))
    # Each entry is one line: a line break or terminal escape from the data is shown, never obeyed.
    return "\n".join(printable(line) for line in lines) + "\n"


def _move_args(change: Change) -> dict[str, str]:
    return {"id": change.id, "name": change.name, "path": change.path, "old_path": change.old_path}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def md(text: str) -> str:
    """Text from YAML made inert in GitHub Markdown: HTML escaped, markup characters backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(printable(" ".join(str(text).split())), quote=False))


def markdown_sections(changes: Changes, lang: str, config: Config, *, level: int = 3) -> list[str]:
    """One section per kind of change, each record with a table of its field changes."""
    out: list[str] = []
    hashes = "#" * level
    for kind in KINDS:
        group = changes.by_kind(kind)
        if not group:
            continue
        out += [
            t(
                lang,
                "workflow.diff.md_section",
                hashes=hashes,
                kind=t(lang, f"workflow.diff.kind.{kind}"),
                n=len(group),
            ),
            "",
        ]
        for change in group:
            reg = md(registry_label(config, change.registry, lang))
            out.append(f"- **{md(change.name) or md(change.id)}** · `{change.id}` · {reg}")
            if kind not in ("added", "removed", "changed"):
                out.append(f"  - {md(_headline(change, lang, changes))}")
            elif kind == "changed" and change.old_path:
                out.append(f"  - {md(t(lang, 'workflow.diff.what.moved', **_move_args(change)))}")
            if change.fields:
                out += [
                    "",
                    f"  | {t(lang, 'workflow.diff.col_field')} | {t(lang, 'workflow.diff.col_old')} | "
                    f"{t(lang, 'workflow.diff.col_new')} |",
                    "  |---|---|---|",
                ]
                for fc in change.fields:
                    before, after = change_text(config, change.registry, fc, lang)
                    out.append(
                        f"  | {md(field_label(config, change.registry, fc, lang))} | {md(before)} | {md(after)} |"
                    )
                out.append("")
        out.append("")
    for side, path, code in changes.unreadable:
        out.append(f"- {md(t(lang, 'workflow.diff.unreadable', side=side, path=path, code=code))}")
    return out


def render_markdown(changes: Changes, lang: str, config: Config) -> str:
    out = [
        f"## {t(lang, 'workflow.diff.md_title')}",
        "",
        md(_title(changes, lang)),
        "",
        md(counts_line(changes, lang)),
        "",
    ]
    out += markdown_sections(changes, lang, config)
    return "\n".join(out).rstrip("\n") + "\n"


def to_json(changes: Changes) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "base": changes.base,
        "head": changes.head,
        "summary": {kind: changes.count(kind) for kind in KINDS},
        "changes": [
            {
                "kind": c.kind,
                "registry": c.registry,
                "id": c.id,
                "name": c.name,
                "path": c.path,
                "old_id": c.old_id or None,
                "old_name": c.old_name or None,
                "old_path": c.old_path or None,
                "successor": c.data.get("successor") if c.kind in ("dissolved", "merged") else None,
                "fields": [{"field": fc.key, "old": fc.old, "new": fc.new, **({"item": fc.item} if fc.item else {})}
                           for fc in c.fields],
            }
            for c in changes.changes
        ],
        "unreadable": [{"side": s, "path": p, "code": c} for s, p, c in changes.unreadable],
    }


def render_json(changes: Changes, lang: str, config: Config) -> str:
    return json.dumps(to_json(changes), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


RENDERERS: dict[str, Callable[[Changes, str, Config], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
