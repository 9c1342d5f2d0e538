"""The ``coverage`` and ``completeness`` tables in the exporter's own terms (``generator.export.tables``).

The exporter writes each of its ``(Table, records)`` pairs to CSV, XLSX and
SQLite and describes it in ``datapackage.json``; giving it two more pairs is
all it takes for a journalist to get the same figures as the coverage page
(with foreign keys to ``divisions``, checked by ``frictionless validate`` and
by SQLite).  Rows are wrapped as records whose ``data`` is the row itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.coverage import Result, measured
from generator.coverage.render import (
    DatasetTable,
    completeness_cells,
    coverage_rows,
    dataset_tables,
)
from generator.export.tables import Column, ForeignKey, Rows, Table
from generator.registry import Record, Registry

#: Resource names this module adds to the data package.
NAMES = ("coverage", "completeness")


def _column(spec: dict[str, Any]) -> Column:
    constraints = spec.get("constraints", {})
    return Column(
        name=spec["name"],
        path=(spec["name"],),
        type=spec["type"],
        title_zh=spec["title"],
        title_en=spec["x-en"]["title"],
        description_zh=spec["description"],
        description_en=spec["x-en"]["description"],
        required=bool(constraints.get("required", False)),
        enum=tuple(constraints.get("enum", ())),
    )


def as_table(table: DatasetTable, divisions_resource: str = "divisions") -> Table:
    schema = table.schema
    return Table(
        name=table.name,
        registry="",
        list_field="",
        columns=tuple(_column(f) for f in schema["fields"]),
        primary_key=tuple(schema["primaryKey"]),
        foreign_keys=tuple(
            ForeignKey(fk["fields"][0], divisions_resource, fk["reference"]["fields"][0])
            for fk in schema["foreignKeys"]
        ),
        title_zh=table.title["zh"],
        title_en=table.title["en"],
        description_zh=table.description["zh"],
        description_en=table.description["en"],
    )


def specs() -> tuple[Table, ...]:
    """The two tables' shapes (for the data dictionary: they do not depend on the registry)."""
    return tuple(as_table(table) for table in dataset_tables(None))


def pairs(registry: Registry, result: Result | None = None) -> list[tuple[Table, Rows]]:
    """``[(coverage table, rows), (completeness table, rows)]`` for the exporter (the site's figures:
    ``coverage.measured``), the rows as ``Rows`` in column order.

    The completeness rows (one per active record: 100,000 at province scale) are taken as lists
    from ``render.completeness_cells``, not made as dicts and then read back by column.
    """
    result = result or measured(registry)
    out = []
    nowhere = Path()
    for table in dataset_tables(None):
        shape = as_table(table)
        if table.name == "completeness":  # its columns are ``COMPLETENESS_COLUMNS`` (tested against the schema)
            out.append((shape, Rows(completeness_cells(result))))
        else:
            made = coverage_rows(result)
            out.append((shape, Rows(shape.rows([Record(table.name, row, nowhere, "") for row in made]))))
    return out
