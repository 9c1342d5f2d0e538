"""The coverage and completeness tables pass ``frictionless validate`` with their foreign keys."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.config import load_config
from generator.coverage import measure
from generator.coverage.render import dataset_tables
from generator.validate import load
from tests.conftest import FIXTURE_PROJECT


@pytest.fixture(scope="module")
def tables():
    loaded = load(load_config(FIXTURE_PROJECT))
    return loaded.registry, dataset_tables(measure(loaded.registry))


def _package(folder: Path, registry, tables, broken: bool = False) -> Path:
    ids = [d.id for d in registry.records("divisions")]
    if broken:
        ids.remove("440606006201")
    (folder / "divisions.csv").write_text("id\n" + "".join(f"{i}\n" for i in ids), "utf-8")
    resources = [
        {
            "name": "divisions",
            "path": "divisions.csv",
            "format": "csv",
            "encoding": "utf-8",
            "schema": {"fields": [{"name": "id", "type": "string"}], "primaryKey": ["id"]},
        }
    ]
    for table in tables:
        (folder / f"{table.name}.csv").write_text(table.csv(), "utf-8")
        resources.append(
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "title": table.title["zh"],
                "description": table.description["zh"],
                "schema": table.schema,
            }
        )
    path = folder / "datapackage.json"
    path.write_text(
        json.dumps({"name": "coverage-test", "resources": resources}, ensure_ascii=False), "utf-8"
    )
    return path


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_tables_validate_with_foreign_keys(tmp_path: Path, tables):
    registry, tabs = tables
    done = _validate(_package(tmp_path, registry, tabs))
    assert done.returncode == 0, done.stdout[-3000:]
    assert json.loads(done.stdout)["valid"] is True


def test_a_missing_division_breaks_the_foreign_key(tmp_path: Path, tables):
    registry, tabs = tables
    done = _validate(_package(tmp_path, registry, tabs, broken=True))
    assert done.returncode == 1
    assert "foreign-key" in done.stdout


def test_journalist_can_recompute_the_figures(tables):
    _, tabs = tables
    coverage = list(csv.DictReader(io.StringIO(tabs[0].csv())))
    daliang = [r for r in coverage if r["town"] == "440606005"]
    assert (sum(r["present"] == "true" for r in daliang), len(daliang)) == (3, 13)
    completeness = list(csv.DictReader(io.StringIO(tabs[1].csv())))
    uscc = [r["uscc"] for r in completeness if r["registry"] == "hubs" and r["uscc"]]
    assert (uscc.count("true"), len(uscc)) == (1, 11)


def test_completeness_cells_equal_the_rows_read_by_column(tables) -> None:
    """The data package's completeness lists (``completeness_cells``, one pattern of cells shared by
    the records with the same fields) equal the dict rows read back by the schema's columns."""
    from generator.coverage.export import pairs
    from generator.coverage.render import COMPLETENESS_COLUMNS, completeness_rows, completeness_schema

    registry, _ = tables
    result = measure(registry)
    names = [f["name"] for f in completeness_schema()["fields"]]
    assert list(COMPLETENESS_COLUMNS) == names
    expected = [[row[name] for name in names] for row in completeness_rows(result)]
    assert len({(tuple(r[5:-2])) for r in expected}) > 1  # records differ in their fields
    (_, coverage_rows), (_, cells) = pairs(registry, result)
    assert list(cells) == expected and len(coverage_rows) > 0
