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

import csv
import datetime as dt
import hashlib
import io
import json
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
    again.  The foreign keys are always checked across every resource.
    """
    descriptor = json.loads(path.read_text("utf-8"))
    base = path.parent
    messages: list[str] = []
    keys: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {}
    pending: list[tuple[str, dict[str, Any], list[tuple[int, tuple[Any, ...]]]]] = []
    wanted = {(fk["reference"].get("resource") or res["name"], tuple(fk["reference"]["fields"]))
              for res in descriptor["resources"] for fk in res.get("schema", {}).get("foreignKeys", [])}
    for res in descriptor["resources"]:
        if memo is None:
            found = _check_resource(base, res, wanted, keys, pending)
        else:
            found = _check_memoized(base, res, wanted, keys, pending, memo)
        messages.extend(f"{res['name']}: {m}" for m in found[:LIMIT])
    for name, fk, values in pending:
        target = (fk["reference"].get("resource") or name, tuple(fk["reference"]["fields"]))
        known = keys.get(target, set())
        bad = [(row, value) for row, value in values if value not in known]
        for row, value in bad[:LIMIT]:
            messages.append(f"{name}: row {row} violates the foreign key {fk['fields']} → "
                            f"{target[0]}{list(target[1])}: {list(value)}")
    return messages


Target = tuple[str, tuple[str, ...]]
Refs = list[tuple[int, tuple[Any, ...]]]


def _check_memoized(base: Path, res: dict[str, Any], wanted: set[Target],
                    keys: dict[Target, set[tuple[Any, ...]]],
                    pending: list[tuple[str, dict[str, Any], Refs]], memo: Any) -> list[str]:
    """``_check_resource`` by way of the memo (keyed by the file's sha256, the resource, ``wanted``)."""
    from generator.export.memo import digest

    try:
        data = (base / res["path"]).read_bytes()
    except OSError:
        return _check_resource(base, res, wanted, keys, pending)
    mine = sorted(target for target in wanted if target[0] == res["name"])
    key = ("fastcheck", digest(hashlib.sha256(data).digest(), json.dumps(res, sort_keys=True), repr(mine)))
    found = memo.get(key)
    if found is None:
        own_keys: dict[Target, set[tuple[Any, ...]]] = {}
        own_pending: list[tuple[str, dict[str, Any], Refs]] = []
        errors = _check_resource(base, res, wanted, own_keys, own_pending)
        found = memo.put(key, (errors, own_keys, own_pending))
    errors, own_keys, own_pending = found
    keys.update(own_keys)
    pending.extend(own_pending)
    return list(errors)


def _check_resource(base: Path, res: dict[str, Any], wanted: set[Target],
                    keys: dict[Target, set[tuple[Any, ...]]],
                    pending: list[tuple[str, dict[str, Any], Refs]]) -> list[str]:
    name = res["name"]
    errors: list[str] = []
    try:
        data = (base / res["path"]).read_bytes()
    except OSError as exc:
        return [f"cannot read {res['path']}: {exc.strerror}"]
    if "bytes" in res and res["bytes"] != len(data):
        errors.append(f"size is {len(data)} bytes, the descriptor says {res['bytes']}")
    if "hash" in res:
        algorithm, _, digest = str(res["hash"]).rpartition(":")
        if hashlib.new(algorithm or "md5", data).hexdigest() != digest:
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
