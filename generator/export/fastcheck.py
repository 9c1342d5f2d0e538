"""A streaming validator for the package's own CSV tables, for packages too big for Frictionless' pace.

Frictionless checks every cell in pure Python at about 20 µs a cell: fine
for a district (2k records, ~20k rows: 1–2 s) but about a minute of CPU for
a province (100k records, ~1M rows), more than the whole export may take.
This module checks the same things for the subset of Table Schema that
hubdir writes, at the speed of the ``csv`` module: size and SHA-256 of each
file, strict UTF-8, the header, each cell's type (string, integer, number,
boolean, date), ``required`` and ``enum`` constraints, primary-key
uniqueness and every foreign key.  A test runs both validators over the same
broken packages and expects both to reject them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

_INT = re.compile(r"[+-]?[0-9]+\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
#: Stop listing after this many errors per resource (the first ones say enough).
LIMIT = 20


def _integer(text: str) -> Any:
    if not _INT.match(text):
        raise ValueError(text)
    return int(text)


def _number(text: str) -> Any:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _boolean(text: str) -> Any:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(text)


def _date(text: str) -> Any:
    if not _DATE.match(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def _string(text: str) -> Any:
    return text


CASTS: dict[str, Callable[[str], Any]] = {
    "string": _string, "integer": _integer, "number": _number, "boolean": _boolean, "date": _date,
}


def validate_package(path: Path, memo: Any = None) -> list[str]:
    """Every problem found in the package at ``path`` (an empty list when it is valid).

    Each resource's own checks are a pure function of its file's bytes, its descriptor and the keys
    other resources want of it: with a ``memo`` (``memo.Memo``) their outcome (problems, the keys
    it holds, the references it makes) is keyed by those, so an unchanged table is not parsed
    again.  A foreign key's check is a pure function of the outcomes of the resource that refers and
    of the one that holds the keys: it is kept by those two outcomes' keys, so after an edit only the
    foreign keys from or to a changed table are checked again, and the keys and references of the
    others (tens of MB of tuples at 100,000 records, kept pickled: ``_Outcome``) are never unpickled.
    """
    from generator.export.memo import digest

    descriptor = json.loads(path.read_text("utf-8"))
    base = path.parent
    messages: list[str] = []
    wanted = {(fk["reference"].get("resource") or res["name"], tuple(fk["reference"]["fields"]))
              for res in descriptor["resources"] for fk in res.get("schema", {}).get("foreignKeys", [])}
    outcomes: list[_Outcome] = []
    holders: dict[Target, _Outcome] = {}  # the last resource that holds a target's keys, as ``dict.update``
    for res in descriptor["resources"]:
        outcome = _checked(base, res, wanted, memo)
        messages.extend(f"{res['name']}: {m}" for m in outcome.errors[:LIMIT])
        holders.update(dict.fromkeys(outcome.targets, outcome))
        outcomes.append(outcome)
    for outcome in outcomes:
        for index, (name, fk) in enumerate(outcome.links):
            target = (fk["reference"].get("resource") or name, tuple(fk["reference"]["fields"]))
            holder = holders.get(target)
            key = None
            if memo is not None and outcome.key is not None and holder is not None and holder.key is not None:
                key = ("fastcheck-fk", digest(outcome.key, holder.key, repr(target), str(index)))
            found = memo.get(key) if key is not None else None
            if found is None:
                known = holder.held()[target] if holder is not None else set()
                bad = [(row, value) for row, value in outcome.refs()[index][2] if value not in known]
                found = [f"{name}: row {row} violates the foreign key {fk['fields']} → "
                         f"{target[0]}{list(target[1])}: {list(value)}" for row, value in bad[:LIMIT]]
                if key is not None:
                    memo.put(key, found)
            messages.extend(found)
    return messages


Target = tuple[str, tuple[str, ...]]
Refs = list[tuple[int, tuple[Any, ...]]]


class _Outcome:
    """One resource's checks: its problems, the targets it holds keys for and the foreign keys it has
    (``links``), and the keys and references themselves, made now or unpickled from ``blob`` only
    when a foreign key's check is not in the memo."""

    def __init__(self, key: bytes | None, errors: list[str], targets: tuple[Target, ...],
                 links: tuple[tuple[str, dict[str, Any]], ...], blob: bytes | None = None,
                 parts: tuple[dict[Target, set[tuple[Any, ...]]], list[tuple[str, dict[str, Any], Refs]]] | None = None,
                 ) -> None:
        self.key, self.errors, self.targets, self.links = key, errors, targets, links
        self.blob, self.parts = blob, parts

    @classmethod
    def made(cls, key: bytes | None, errors: list[str], keys: dict[Target, set[tuple[Any, ...]]],
             pending: list[tuple[str, dict[str, Any], Refs]]) -> _Outcome:
        return cls(key, errors, tuple(keys), tuple((name, fk) for name, fk, _ in pending), None, (keys, pending))

    def _parts(self) -> tuple[dict[Target, set[tuple[Any, ...]]], list[tuple[str, dict[str, Any], Refs]]]:
        if self.parts is None:
            self.parts = pickle.loads(self.blob or b"")
        return self.parts

    def held(self) -> dict[Target, set[tuple[Any, ...]]]:
        return self._parts()[0]

    def refs(self) -> list[tuple[str, dict[str, Any], Refs]]:
        return self._parts()[1]

    def saved(self) -> tuple[list[str], tuple[Target, ...], tuple[tuple[str, dict[str, Any]], ...], bytes]:
        """The memo's value (the keys and references pickled: loaded with the memo at the speed of bytes)."""
        blob = self.blob if self.blob is not None else pickle.dumps(self._parts(), protocol=pickle.HIGHEST_PROTOCOL)
        return self.errors, self.targets, self.links, blob


def _checked(base: Path, res: dict[str, Any], wanted: set[Target], memo: Any) -> _Outcome:
    """``_check_resource``'s outcome, by way of the memo when there is one (keyed by the file's
    sha256, the resource and the targets ``wanted`` of it)."""
    from generator.export.memo import digest

    data = None
    if memo is not None:
        with contextlib.suppress(OSError):
            data = (base / res["path"]).read_bytes()
    if data is None:
        keys: dict[Target, set[tuple[Any, ...]]] = {}
        pending: list[tuple[str, dict[str, Any], Refs]] = []
        return _Outcome.made(None, _check_resource(base, res, wanted, keys, pending), keys, pending)
    mine = sorted(target for target in wanted if target[0] == res["name"])
    sha256 = hashlib.sha256(data)
    key = digest("outcome", sha256.digest(), json.dumps(res, sort_keys=True), repr(mine))
    found = memo.get(("fastcheck", key))
    if found is not None:
        errors, targets, links, blob = found
        return _Outcome(key, list(errors), targets, links, blob)
    keys, pending = {}, []
    outcome = _Outcome.made(key, _check_resource(base, res, wanted, keys, pending, (data, sha256.hexdigest())),
                            keys, pending)
    memo.put(("fastcheck", key), outcome.saved())
    return outcome


def _check_resource(base: Path, res: dict[str, Any], wanted: set[Target],
                    keys: dict[Target, set[tuple[Any, ...]]],
                    pending: list[tuple[str, dict[str, Any], Refs]],
                    read: tuple[bytes, str] | None = None) -> list[str]:
    """The problems of one resource; ``read``: its file's bytes and their SHA-256 (hex) when the
    caller has them (``_checked``: the memo's key), so that the file is neither read nor hashed twice."""
    name = res["name"]
    errors: list[str] = []
    if read is not None:
        data, sha256 = read
    else:
        try:
            data = (base / res["path"]).read_bytes()
        except OSError as exc:
            return [f"cannot read {res['path']}: {exc.strerror}"]
        sha256 = ""
    if "bytes" in res and res["bytes"] != len(data):
        errors.append(f"size is {len(data)} bytes, the descriptor says {res['bytes']}")
    if "hash" in res:
        algorithm, _, digest = str(res["hash"]).rpartition(":")
        found = sha256 if sha256 and algorithm == "sha256" else hashlib.new(algorithm or "md5", data).hexdigest()
        if found != digest:
            errors.append("hash does not match the descriptor")
    try:
        text = data.decode(res.get("encoding", "utf-8"))
    except UnicodeDecodeError as exc:
        return [*errors, f"not {res.get('encoding', 'utf-8')}: {exc}"]
    schema = res["schema"]
    fields = schema["fields"]
    names = [f["name"] for f in fields]
    missing = set(schema.get("missingValues", [""]))
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != names:
        return [*errors, f"header {header} is not {names}"]
    casts = [CASTS[f.get("type", "string")] for f in fields]
    required = [bool(f.get("constraints", {}).get("required")) for f in fields]
    enums = [set(f["constraints"]["enum"]) if "enum" in f.get("constraints", {}) else None for f in fields]
    pk = [names.index(n) for n in schema.get("primaryKey", [])]
    seen: set[tuple[Any, ...]] = set()
    fks: list[tuple[dict[str, Any], list[int], Refs]] = [
        (fk, [names.index(n) for n in fk["fields"]], []) for fk in schema.get("foreignKeys", [])]
    collect = {target: [names.index(n) for n in target[1]] for target in wanted if target[0] == name}
    collected: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {t: set() for t in collect}
    width = len(names)
    try:
        body = list(reader)
    except csv.Error:  # the row-by-row pass below stops where it did, with the problems before it
        body = None
    quick = None if body is None else _clean_columns(body, width, missing, casts, required, enums, pk, collect,
                                                     [columns for _fk, columns, _refs in fks])
    if quick is not None:
        found_keys, found_refs = quick
        keys.update(found_keys)
        pending.extend((name, fk, refs) for (fk, _columns, _refs), refs in zip(fks, found_refs, strict=True))
        return errors
    if body is None:
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader, None)
    for number, row in enumerate(body if body is not None else reader, start=2):
        if len(row) != width:
            errors.append(f"row {number} has {len(row)} cells, not {width}")
            continue
        values: list[Any] = []
        for index, cell in enumerate(row):
            if cell in missing:
                if required[index]:
                    errors.append(f"row {number}: {names[index]} is required")
                values.append(None)
                continue
            try:
                value = casts[index](cell)
            except ValueError:
                errors.append(f"row {number}: {names[index]} {cell!r} is not a {fields[index].get('type')}")
                value = None
            enum = enums[index]
            if enum is not None and cell not in enum:
                errors.append(f"row {number}: {names[index]} {cell!r} is not one of the allowed codes")
            values.append(value)
        if pk:
            key = tuple(values[i] for i in pk)
            if key in seen:
                errors.append(f"row {number}: primary key {list(key)} repeats")
            seen.add(key)
        for target, columns in collect.items():
            collected[target].add(tuple(values[i] for i in columns))
        for _fk, columns, refs in fks:
            ref = tuple(values[i] for i in columns)
            if any(v is not None for v in ref):
                refs.append((number, ref))
        if len(errors) > LIMIT:
            break
    keys.update(collected)
    pending.extend((name, fk, refs) for fk, _columns, refs in fks)
    return errors


def _clean_columns(rows: list[list[str]], width: int, missing: set[str], casts: list[Callable[[str], Any]],
                   required: list[bool], enums: list[set[str] | None], pk: list[int],
                   collect: dict[Target, list[int]], fk_columns: list[list[int]],
                   ) -> tuple[dict[Target, set[tuple[Any, ...]]], list[Refs]] | None:
    """``_check_resource``'s outcome for rows that break no rule, checked a column at a time over its
    distinct values (a province's table repeats most of them: several times faster than the
    row-by-row pass); ``None`` when a row might break one: the row-by-row pass then names every
    problem as it always did.  The keys and references are the same values that pass collects."""
    if any(len(row) != width for row in rows):
        return None
    columns: list[tuple[str, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    values: dict[int, list[Any]] = {}
    needed = {*pk, *(i for cols in collect.values() for i in cols), *(i for cols in fk_columns for i in cols)}
    for index, column in enumerate(columns):
        distinct = set(column)
        present = distinct - missing
        if required[index] and len(present) != len(distinct):
            return None
        enum = enums[index]
        if enum is not None and not present <= enum:
            return None
        cast = casts[index]
        cast_of: dict[str, Any] = dict.fromkeys(distinct - present)  # a missing cell is None
        try:
            for cell in present:
                cast_of[cell] = cast(cell)
        except ValueError:
            return None
        if index in needed:
            values[index] = list(map(cast_of.__getitem__, column))
    if pk:
        keys = list(zip(*(values[i] for i in pk), strict=True)) if rows else []
        if len(set(keys)) != len(keys):
            return None
    collected = {target: set(zip(*(values[i] for i in cols), strict=True)) if rows else set()
                 for target, cols in collect.items()}
    refs: list[Refs] = []
    for cols in fk_columns:
        nothing = (None,) * len(cols)
        refs.append([(number, ref) for number, ref in enumerate(zip(*(values[i] for i in cols), strict=True),
                                                                 start=2) if ref != nothing] if rows else [])
    return collected, refs
