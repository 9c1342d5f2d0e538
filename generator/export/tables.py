"""Records → flat tables: one table per registry plus one link table per list-valued field.

The columns are derived from the bundled JSON Schemas, never listed by hand:
a scalar property becomes a column, an object property (``location``) becomes
one column per sub-property (``location_lat``), and a list property becomes a
link table keyed by ``(record_id, position)`` whose columns are the item's
properties (or one ``value`` column for a list of plain values).  A new field
in a schema therefore reaches every format (CSV, XLSX, SQLite, the data
dictionary) without touching this code.

Titles and descriptions come from the schema (``title``/``description`` in
Chinese, ``x-en`` in English); enumerated codes keep their ``x-enum`` labels
for the data dictionary.  Links between tables come from the model's
``LINKS``/``LIST_LINKS`` (the one place that says what a reference means).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from generator import schema
from generator.i18n import t
from generator.registry import LINKS, LIST_LINKS, REGISTRIES, Record

#: A string property with exactly this pattern is a full calendar date.
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

#: Single-valued links that may point outside the registry and so get no foreign key:
#: the district's ``parent`` is its prefecture-level city, which is not a record here.
OPEN_LINKS = {("divisions", "parent")}

RECORD_ID = "record_id"
POSITION = "position"
VALUE = "value"


@dataclass(frozen=True)
class Column:
    """One flat column: where its value sits in a record (or list item), its type and its labels."""

    name: str
    path: tuple[str, ...]
    type: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    required: bool = False
    enum: tuple[str, ...] = ()
    labels: tuple[tuple[str, str, str], ...] = ()  # (code, zh, en)

    def get(self, data: Any) -> Any:
        for step in self.path:
            if not isinstance(data, dict):
                return None
            data = data.get(step)
        return data


@dataclass(frozen=True)
class ForeignKey:
    column: str
    resource: str
    target: str = "id"


@dataclass(frozen=True)
class Table:
    """A resource: either a registry (``list_field`` empty) or the link table of one list field."""

    name: str
    registry: str
    list_field: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    item_columns: tuple[Column, ...] = field(default=())

    @property
    def is_link(self) -> bool:
        return bool(self.list_field)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def rows(self, records: list[Record]) -> Iterator[list[Any]]:
        """Rows in key order (records come sorted by id; items keep their YAML order).

        ``records`` may be ``Rows`` (this table's rows, built once by the exporter and shared by
        CSV, SQLite and XLSX): they are returned as they are.
        """
        if isinstance(records, (Rows, LazyRows)):
            return iter(records)
        return self._rows(records)

    def _rows(self, records: list[Record]) -> Iterator[list[Any]]:
        if not self.is_link:
            # Column.get inlined: rows are built once per format for every record (millions of cells).
            paths = [c.path for c in self.columns]
            if all(len(p) == 1 for p in paths):
                keys = [p[0] for p in paths]
                for record in records:
                    data = record.data
                    if isinstance(data, dict):
                        yield list(map(data.get, keys))  # (the cells fetched in C: millions of them)
                    else:
                        yield [None] * len(keys)
                return
            for record in records:
                row: list[Any] = []
                for path in paths:
                    value: Any = record.data
                    for step in path:
                        if not isinstance(value, dict):
                            value = None
                            break
                        value = value.get(step)
                    row.append(value)
                yield row
            return
        items_are_scalars = not self.item_columns
        # Column.get inlined for one-step paths, the record's id read once per record (1.1 million
        # rows at 100,000 records).
        flat = all(len(c.path) == 1 for c in self.item_columns)
        item_keys = [c.path[0] for c in self.item_columns] if flat else []
        list_field = self.list_field
        for record in records:
            values = record.data.get(list_field)
            if not isinstance(values, list):
                continue
            ident = record.id
            if items_are_scalars:
                yield from ([ident, position, item] for position, item in enumerate(values, start=1))
            elif flat:
                for position, item in enumerate(values, start=1):
                    if isinstance(item, dict):
                        yield [ident, position, *map(item.get, item_keys)]
                    else:
                        yield [ident, position, *[None] * len(item_keys)]
            else:
                for position, item in enumerate(values, start=1):
                    yield [ident, position, *(c.get(item) for c in self.item_columns)]


class Rows(list[Any]):
    """A table's rows already built from its records (``Table.rows`` hands them back unchanged)."""


class LazyRows:
    """A table's rows made only where a writer asks for them (``places.RecordRows``).

    Why: after a one-record edit the writers take nearly every run of rows from the memo, so the
    rows of unchanged records (a million lists at 100,000 records) need not be made at all.  It
    offers what the writers use of a list: ``len``, slices and iteration (every row, made once).
    """

    def __len__(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[list[Any]]:
        raise NotImplementedError

    def __getitem__(self, part: slice) -> list[list[Any]]:
        raise NotImplementedError


def _type(node: dict[str, Any]) -> str:
    kind = node.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string" and node.get("pattern") == DATE_PATTERN:
        return "date"
    return {"integer": "integer", "number": "number", "boolean": "boolean"}.get(str(kind), "string")


def _labels(node: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    table = node.get("x-enum", {})
    return tuple((str(code), str(table.get(code, {}).get("zh", "")), str(table.get(code, {}).get("en", "")))
                 for code in node.get("enum", []))


def _column(name: str, path: tuple[str, ...], node: dict[str, Any], required: bool,
            parent: dict[str, Any] | None = None) -> Column:
    return Column(
        name=name,
        path=path,
        type=_type(node),
        title_zh=schema.label(node, "zh") or (schema.label(parent, "zh") if parent else name),
        title_en=schema.label(node, "en") or (schema.label(parent, "en") if parent else name),
        description_zh=schema.label(node, "zh", "description") or (
            schema.label(parent, "zh", "description") if parent else ""),
        description_en=schema.label(node, "en", "description") or (
            schema.label(parent, "en", "description") if parent else ""),
        required=required,
        enum=tuple(str(v) for v in node.get("enum", [])),
        labels=_labels(node),
    )


def _object_columns(doc: dict[str, Any], node: dict[str, Any], prefix: str,
                    path: tuple[str, ...]) -> list[Column]:
    """Scalar columns of an object node; nested objects are flattened with ``_`` joined names."""
    columns: list[Column] = []
    required = set(node.get("required", []))
    for key, raw in node.get("properties", {}).items():
        sub = schema.resolve(doc, raw)
        name = f"{prefix}{key}"
        if sub.get("type") == "object":
            columns.extend(_object_columns(doc, sub, f"{name}_", (*path, key)))
        elif sub.get("type") == "array":
            continue  # lists inside objects do not occur in the schemas; they would need their own table
        else:
            columns.append(_column(name, (*path, key), sub, key in required and not prefix))
    return columns


def _record_id_column(registry_doc: dict[str, Any]) -> Column:
    id_node = schema.resolve(registry_doc, registry_doc["properties"]["id"])
    return Column(RECORD_ID, (), "string", schema.label(id_node, "zh"), schema.label(id_node, "en"),
                  _link_text("zh"), _link_text("en"), required=True)


def _link_text(lang: str) -> str:
    return t(lang, "export.dictionary.record_id")


def _position_text(lang: str, what: str) -> str:
    return t(lang, f"export.dictionary.position_{what}")


@cache
def table_specs(schemas_dir: Path) -> tuple[Table, ...]:
    """Every resource of the package, in publication order: registries first, then their link tables."""
    main: list[Table] = []
    links: list[Table] = []
    for registry in REGISTRIES:
        doc = schema.bundle(schemas_dir, registry)
        required = set(doc.get("required", []))
        columns: list[Column] = []
        list_fields: list[tuple[str, dict[str, Any]]] = []
        for key, node in schema.properties(doc):
            if node.get("type") == "array":
                list_fields.append((key, node))
            elif node.get("type") == "object":
                for column in _object_columns(doc, node, f"{key}_", (key,)):
                    columns.append(Column(column.name, column.path, column.type,
                                          f"{schema.label(node, 'zh')}：{column.title_zh}",
                                          f"{schema.label(node, 'en')}: {column.title_en}",
                                          column.description_zh, column.description_en,
                                          False, column.enum, column.labels))
            else:
                columns.append(_column(key, (key,), node, key in required))
        fks = tuple(ForeignKey(name, target) for name, target in LINKS.get(registry, {}).items()
                    if (registry, name) not in OPEN_LINKS and any(c.name == name for c in columns))
        main.append(Table(
            name=registry, registry=registry, list_field="", columns=tuple(columns), primary_key=("id",),
            foreign_keys=fks, title_zh=schema.label(doc, "zh"), title_en=schema.label(doc, "en"),
            description_zh=schema.label(doc, "zh", "description"),
            description_en=schema.label(doc, "en", "description"),
        ))
        for key, node in list_fields:
            links.append(_link_table(doc, registry, key, node))
    return (*main, *links)


def _link_table(doc: dict[str, Any], registry: str, key: str, node: dict[str, Any]) -> Table:
    items = schema.resolve(doc, node.get("items", {}))
    head = [
        _record_id_column(doc),
        Column(POSITION, (), "integer", _position_text("zh", "title"), _position_text("en", "title"),
               _position_text("zh", "description"), _position_text("en", "description"), required=True),
    ]
    fks = [ForeignKey(RECORD_ID, registry)]
    if items.get("type") == "object":
        item_columns = tuple(_object_columns(doc, items, "", ()))
        columns = (*head, *item_columns)
    else:
        item_columns = ()
        value = _column(VALUE, (), items, True, parent=node)
        if not (items.get("title") or items.get("x-en")):
            value = Column(VALUE, (), value.type, schema.label(node, "zh"), schema.label(node, "en"),
                           schema.label(node, "zh", "description"), schema.label(node, "en", "description"),
                           True, value.enum, value.labels)
        columns = (*head, value)
        target = LIST_LINKS.get(registry, {}).get(key)
        if target:
            fks.append(ForeignKey(VALUE, target))
    reg_zh, reg_en = schema.label(doc, "zh"), schema.label(doc, "en")
    field_zh, field_en = schema.label(node, "zh"), schema.label(node, "en")
    return Table(
        name=f"{registry}_{key}", registry=registry, list_field=key, columns=columns,
        primary_key=(RECORD_ID, POSITION), foreign_keys=tuple(fks),
        title_zh=t("zh", "export.link.title", registry=reg_zh, field=field_zh),
        title_en=t("en", "export.link.title", registry=reg_en, field=field_en),
        description_zh=t("zh", "export.link.description", registry=reg_zh, field=field_zh,
                         detail=schema.label(node, "zh", "description")),
        description_en=t("en", "export.link.description", registry=reg_en, field=field_en,
                         detail=schema.label(node, "en", "description")),
        item_columns=item_columns,
    )


@dataclass(frozen=True)
class DictionaryRow:
    """One line of the data dictionary (shown on the site's data page and in the XLSX)."""

    resource: str
    field: str
    title_zh: str
    title_en: str
    type: str
    description_zh: str
    description_en: str
    required: bool
    codes: tuple[tuple[str, str, str], ...]


def dictionary(schemas_dir: Path) -> list[DictionaryRow]:
    from generator.coverage.export import specs as coverage_specs  # issue 6: coverage, completeness

    return [
        DictionaryRow(table.name, c.name, c.title_zh, c.title_en, c.type, c.description_zh, c.description_en,
                      c.required, c.labels)
        for table in (*table_specs(schemas_dir), *coverage_specs())
        for c in table.columns
    ]
