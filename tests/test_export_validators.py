"""The two package validators agree: Frictionless (districts) and ``fastcheck`` (province scale).

Each broken package below is made from a real export by changing one CSV;
both validators must reject it, and both must accept the untouched package.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.config import load_config
from generator.export import write_datasets
from generator.export.fastcheck import validate_package
from generator.export.package import _validate_group, choose_validator
from generator.validate import load

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "project"

Rows = list[list[str]]


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("validators") / "data"
    write_datasets(load(load_config(FIXTURE)), out, validate=False)
    return out


def _broken(package_dir: Path, target: Path, resource: str, change: Callable[[Rows], Rows] | None = None,
            raw: bytes | None = None, fix_hash: bool = True) -> Path:
    shutil.copytree(package_dir, target)
    descriptor = json.loads((target / "datapackage.json").read_text("utf-8"))
    res = next(r for r in descriptor["resources"] if r["name"] == resource)
    path = target / res["path"]
    if change is not None:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(change(rows))
        path.write_bytes(buffer.getvalue().encode("utf-8"))
    if raw is not None:
        path.write_bytes(path.read_bytes() + raw)
    if fix_hash:
        data = path.read_bytes()
        res["bytes"] = len(data)
        res["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    (target / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    return target / "datapackage.json"


def _frictionless(descriptor: Path, resource: str) -> list[str]:
    return _validate_group(str(descriptor), [resource], True)


def test_both_accept_the_real_package(package_dir: Path) -> None:
    descriptor = package_dir / "datapackage.json"
    names = [r["name"] for r in json.loads(descriptor.read_text("utf-8"))["resources"]]
    assert _validate_group(str(descriptor), names, True) == []
    assert validate_package(descriptor) == []


def _set(row: int, column: str, value: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        rows[row][rows[0].index(column)] = value
        return rows

    return change


def _duplicate_last(rows: Rows) -> Rows:
    return [*rows, rows[-1]]


CASES: dict[str, tuple[str, Callable[[Rows], Rows] | None, bytes | None, bool, str]] = {
    "foreign key": ("hubs_contacts", _set(1, "record_id", "hub-nowhere"), None, True, "foreign key"),
    "self reference": ("hubs", _set(2, "parent", "hub-nowhere"), None, True, "foreign key"),
    "list link": ("youth_centers_groups", _set(1, "value", "so-nowhere"), None, True, "foreign key"),
    "primary key": ("hubs_services", _duplicate_last, None, True, "primary key"),
    "integer": ("hubs_contacts", _set(1, "position", "one"), None, True, "integer"),
    "required": ("hubs", _set(1, "name", ""), None, True, "required"),
    "enum": ("hubs", _set(1, "status", "asleep"), None, True, "allowed"),
    "hash": ("hubs", _set(1, "name", "改过的名称"), None, False, "hash"),
    "encoding": ("hubs", None, b"hub-x,\xff\xfe,,trade_union,town,440606,,,,,,,,,,,,,,,,,\r\n", True, "utf"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_reject_a_broken_package(case: str, package_dir: Path, tmp_path: Path) -> None:
    resource, change, raw, fix_hash, words = CASES[case]
    descriptor = _broken(package_dir, tmp_path / "pkg", resource, change, raw, fix_hash)
    fast = validate_package(descriptor)
    slow = _frictionless(descriptor, resource)
    assert fast, case
    assert slow, case
    assert any(resource in m for m in fast)
    if case not in ("encoding",):
        assert any(words in m.lower() for m in fast), fast


@pytest.mark.parametrize("case", sorted(CASES))
def test_fastcheck_with_the_previous_outcomes_reports_what_it_reports_without(
    case: str, package_dir: Path, tmp_path: Path
) -> None:
    """A resource's outcome is kept by its file's hash and its descriptor (``export.memo``): the broken
    table is checked anew, the others are taken from the memo, and the problems are the same."""
    from generator.export.memo import Memo

    valid = Memo()
    assert validate_package(package_dir / "datapackage.json", valid) == []
    resource, change, raw, fix_hash, _words = CASES[case]
    descriptor = _broken(package_dir, tmp_path / "pkg", resource, change, raw, fix_hash)
    again = Memo(valid.new)
    assert validate_package(descriptor, again) == validate_package(descriptor)
    outcomes = sum(key[0] == "fastcheck" for key in valid.new)
    assert again.made.get("fastcheck") == 1 and again.hits["fastcheck"] == outcomes - 1
    # a foreign key's check is kept by the outcomes of both ends: only those from or to the table
    touching = [(r["name"], fk) for r in json.loads(descriptor.read_text("utf-8"))["resources"]
                for fk in r["schema"].get("foreignKeys", [])
                if resource in (r["name"], fk["reference"].get("resource") or r["name"])]
    assert again.made.get("fastcheck-fk", 0) <= len(touching) < len(valid.new) - outcomes
    assert again.made.get("fastcheck-fk", 0) > 0 or case == "encoding"  # (no keys read: checked, not kept)
    third = Memo(again.new)
    assert validate_package(descriptor, third) == validate_package(descriptor) and third.made == {}


def test_validator_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBDIR_EXPORT_VALIDATOR", raising=False)
    assert choose_validator(20_000) == "frictionless"
    assert choose_validator(2_000_000) == "fast"
    monkeypatch.setenv("HUBDIR_EXPORT_VALIDATOR", "frictionless")
    assert choose_validator(2_000_000) == "frictionless"
    monkeypatch.setenv("HUBDIR_EXPORT_VALIDATOR", "fast")
    assert choose_validator(10) == "fast"
    assert choose_validator(10, "frictionless") == "fast", "the environment wins over the caller"
    monkeypatch.delenv("HUBDIR_EXPORT_VALIDATOR")
    assert choose_validator(10, "fast") == "fast"  # what `hubdir build` asks for
    assert choose_validator(2_000_000, "frictionless") == "frictionless"


def test_export_with_the_fast_validator_rejects_nothing_valid(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBDIR_EXPORT_VALIDATOR", "fast")
    result = write_datasets(load(load_config(FIXTURE)), tmp_path / "data")
    assert result.total_records == 30


def _outcomes(descriptor: Path) -> list[tuple[list[str], dict[Any, Any], list[Any]]]:
    """Each resource's ``fastcheck._check_resource`` outcome: problems, the keys it holds, its references."""
    from generator.export import fastcheck

    doc = json.loads(descriptor.read_text("utf-8"))
    wanted = {(fk["reference"].get("resource") or res["name"], tuple(fk["reference"]["fields"]))
              for res in doc["resources"] for fk in res.get("schema", {}).get("foreignKeys", [])}
    out = []
    for res in doc["resources"]:
        keys: dict[Any, Any] = {}
        pending: list[Any] = []
        errors = fastcheck._check_resource(descriptor.parent, res, wanted, keys, pending)
        out.append((errors, keys, pending))
    return out


@pytest.mark.parametrize("case", ["valid", *sorted(CASES)])
def test_fastcheck_by_columns_finds_what_the_row_by_row_pass_finds(
    case: str, package_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column-wise pass (``_clean_columns``) answers only for tables that break no rule, with the
    same keys and references as the row-by-row pass; a broken table goes the row-by-row way."""
    from generator.export import fastcheck

    if case == "valid":
        descriptor = package_dir / "datapackage.json"
    else:
        resource, change, raw, fix_hash, _words = CASES[case]
        descriptor = _broken(package_dir, tmp_path / "pkg", resource, change, raw, fix_hash)
    answered: list[bool] = []
    clean = fastcheck._clean_columns

    def spy(*args: Any) -> Any:
        found = clean(*args)
        answered.append(found is not None)
        return found

    monkeypatch.setattr(fastcheck, "_clean_columns", spy)
    quick = _outcomes(descriptor)
    monkeypatch.setattr(fastcheck, "_clean_columns", lambda *args: None)
    assert quick == _outcomes(descriptor)
    assert any(answered)
    if case in ("primary key", "integer", "required", "enum"):  # a row breaks a rule of its table
        assert not all(answered)
    elif case != "encoding":  # (a broken key is checked across tables, a wrong hash is the file's)
        assert all(answered)


def test_a_kept_foreign_key_check_is_not_taken_when_the_keys_it_points_to_changed(
    package_dir: Path, tmp_path: Path
) -> None:
    """Every hub gone, the tables that refer to hubs unchanged: their checks are not taken from the
    memo (the holder's outcome changed), so the broken references are reported as without it."""
    from generator.export.memo import Memo

    valid = Memo()
    assert validate_package(package_dir / "datapackage.json", valid) == []
    descriptor = _broken(package_dir, tmp_path / "pkg", "hubs", lambda rows: rows[:1])
    again = Memo(valid.new)
    found = validate_package(descriptor, again)
    assert found == validate_package(descriptor)
    assert any(m.startswith("hubs_contacts: ") and "foreign key" in m for m in found)
