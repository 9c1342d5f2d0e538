"""The published tables: the schema's columns plus what a reader needs and the YAML does not hold.

``tables.table_specs`` turns the JSON Schemas into flat tables, one column per
YAML field.  A journalist also needs, without joins:

- the *effective* value of a field the YAML may leave out (``status``: the
  model reads a missing status as ``active``, ``registry.EFFECTIVE_DEFAULTS``
  is the one owner of that rule); the tables publish it, so filtering
  ``status == "active"`` finds every record that is in use;
- the code list of ``hubs.kind``, which lives in ``site_config.yml``
  (``hub_kinds``), not in the schema: it becomes the column's enum and labels;
- the place: the division's name, and the code and name of the town
  (镇街) the record lies in (a village's town; a town itself; nothing above);
- the Chinese label of every coded column (``<column>_zh``).

The added columns come after the schema's, so a column keeps its position
from one version to the next.  The JSON keeps the records as the YAML holds
them plus the effective defaults (see ``jsonout``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

from generator.config import Config
from generator.export.tables import Column, DictionaryRow, LazyRows, Rows, Table
from generator.i18n import t
from generator.registry import EFFECTIVE_DEFAULTS, REGISTRIES, Record, Registry

#: Place columns of the main registry tables (divisions have no ``division_name``: it is their ``name``).
PLACE = ("division_name", "town_code", "town_name")
LABEL_SUFFIX = "_zh"


def _derived(name: str, key: str, **args: str) -> Column:
    return Column(name, (), "string", t("zh", f"opendata.column.{key}.title", **args),
                  t("en", f"opendata.column.{key}.title", **args),
                  t("zh", f"opendata.column.{key}.description", **args),
                  t("en", f"opendata.column.{key}.description", **args))


def _with_default(column: Column) -> Column:
    default = EFFECTIVE_DEFAULTS.get(column.name)
    if default is None:
        return column
    note_zh = t("zh", "opendata.default.description", default=default)
    note_en = t("en", "opendata.default.description", default=default)
    return replace(column, description_zh=f"{column.description_zh}{note_zh}",
                   description_en=f"{column.description_en} {note_en}".strip(), required=True)


def _kind_codes(config: Config, column: Column) -> Column:
    labels = tuple((k.code, k.name.get("zh", k.code), k.name.get("en", k.code)) for k in config.hub_kinds)
    return replace(column, enum=tuple(code for code, _, _ in labels), labels=labels)


def publish(config: Config, base: Iterable[Table]) -> tuple[Table, ...]:
    """The tables as published: effective defaults, config code lists, place and label columns."""
    out: list[Table] = []
    for table in base:
        if table.registry not in REGISTRIES:
            out.append(table)
            continue
        columns = [_with_default(c) if not table.is_link else c for c in table.columns]
        if table.registry == "hubs" and not table.is_link:
            columns = [_kind_codes(config, c) if c.name == "kind" else c for c in columns]
        extra: list[Column] = []
        if not table.is_link:
            place = PLACE[1:] if table.registry == "divisions" else PLACE
            extra += [_derived(name, name) for name in place]
        names = {c.name for c in columns}
        for column in columns:
            if column.labels and f"{column.name}{LABEL_SUFFIX}" not in names:
                extra.append(Column(
                    f"{column.name}{LABEL_SUFFIX}", (), "string",
                    t("zh", "opendata.column.label.title", title=column.title_zh),
                    t("en", "opendata.column.label.title", title=column.title_en),
                    t("zh", "opendata.column.label.description", field=column.name),
                    t("en", "opendata.column.label.description", field=column.name),
                ))
        out.append(replace(table, columns=(*columns, *extra)))
    return tuple(out)


@dataclass(frozen=True)
class Place:
    division_name: str
    town_code: str
    town_name: str


class Places:
    """Division code → its name and its town (``registry.geo``: parent links, never code prefixes),
    computed once per division."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.cache: dict[str, Place] = {}

    def of(self, code: str) -> Place:
        found = self.cache.get(code)
        if found is None:
            division = self.registry.division(code)
            town = self.registry.geo.ancestor_at(code, "town") if division is not None else None
            found = Place(division.name if division else "", town.id if town else "", town.name if town else "")
            self.cache[code] = found
        return found


def rows(table: Table, base: Table, records: list[Record], places: Places) -> Rows:
    """``table``'s rows: ``base``'s (the schema columns), with defaults filled and derived cells added."""
    width = len(base.columns)
    defaults = [(i, EFFECTIVE_DEFAULTS[c.name]) for i, c in enumerate(base.columns)
                if not base.is_link and c.name in EFFECTIVE_DEFAULTS]
    label_of: list[tuple[int, dict[str, str]]] = []
    index = {c.name: i for i, c in enumerate(table.columns)}
    for column in table.columns[width:]:
        if column.name.endswith(LABEL_SUFFIX) and column.name[: -len(LABEL_SUFFIX)] in index:
            source = table.columns[index[column.name[: -len(LABEL_SUFFIX)]]]
            label_of.append((index[source.name], {code: zh for code, zh, _ in source.labels}))
    place_names = [c.name for c in table.columns[width:] if c.name in PLACE]
    produced: Iterator[list[Any]] = base.rows(records)
    if base.is_link:
        made = Rows(produced)
        # A link table has most of the rows (155,000 of 227,000 at 20,000 records): each label column
        # is appended in C, over the whole column (the codes are texts: an absent cell, None, has no label).
        for i, labels in label_of:
            deque(map(list.append, made, map(labels.get, map(itemgetter(i), made))), maxlen=0)
        return made
    out = Rows()
    shown: dict[str, list[Any]] = {}  # division code → its place cells (a few hundred divisions)
    for record, row in zip(records, produced, strict=True):
        for i, default in defaults:
            if row[i] is None:
                row[i] = default
        code = record.division  # a division's own code: its chain starts with itself
        cells = shown.get(code)
        if cells is None:
            place = places.of(code)
            cells = shown[code] = [getattr(place, name) or None for name in place_names]
        row.extend(cells)
        if label_of:
            row.extend([labels.get(row[i]) if row[i] is not None else None for i, labels in label_of])
        out.append(row)
    return out


class RecordRows(LazyRows):
    """``rows(table, base, records, places)``, made only for the records a writer asks for.

    A record's rows are its own (its cells, the defaults, its place and the code labels): the rows
    of any run of records are the same made alone as within the whole table.  What is known without
    making them: how many rows each record has (one; in a link table as many as its list holds)
    and each record's first cell, so the runs and their digests (``spans``) need no row.
    """

    def __init__(self, table: Table, base: Table, records: list[Record], places: Places) -> None:
        self.table, self.base, self.records, self.places = table, base, records, places
        self._all: Rows | None = None
        #: How many rows there are, when the caller knows (``memo.record_spans``'s memo of the runs).
        self.length: int | None = None
        self._counts: list[int] | None = None
        self._firsts: list[Any] = []
        self._ends: list[int] = []

    def _index(self) -> tuple[list[int], list[Any], list[int]]:
        """Each record's count of rows, first cell, and the row number after its last row (made on
        first use: with the runs from the memo, only a table that changed needs them)."""
        if self._counts is None:
            base, records = self.base, self.records
            if base.is_link:
                field = base.list_field
                self._counts = [len(v) if isinstance(v := r.data.get(field), list) else 0 for r in records]
                self._firsts = [r.id for r in records]
            else:
                self._counts = [1] * len(records)
                first = base.columns[0] if base.columns else None
                self._firsts = [first.get(r.data) if first is not None else None for r in records]
            total = 0
            for count in self._counts:
                total += count
                self._ends.append(total)
        return self._counts, self._firsts, self._ends

    def __len__(self) -> int:
        if self.length is None:
            ends = self._index()[2]
            self.length = ends[-1] if ends else 0
        return self.length

    def all(self) -> Rows:
        """Every row (made once, then kept: the database's step of a changed table reads them all)."""
        if self._all is None:
            self._all = rows(self.table, self.base, self.records, self.places)
        return self._all

    def __iter__(self) -> Iterator[list[Any]]:
        return iter(self.all())

    def __getitem__(self, part: slice) -> list[list[Any]]:
        if self._all is not None:
            return list(self._all[part])
        start, stop, step = part.indices(len(self))
        if step != 1:
            return list(self.all()[part])
        if start >= stop:
            return []
        ends = self._index()[2]
        first = bisect_right(ends, start)
        last = bisect_right(ends, stop - 1)
        offset = ends[first - 1] if first else 0
        made = rows(self.table, self.base, self.records[first:last + 1], self.places)
        return list(made[start - offset:stop - offset])

    def runs(self) -> list[tuple[int, int, list[Any]]]:
        """``memo.spans``'s runs of these rows cut by their first cell (``by=0``), each with the
        first cells of its records that have rows (in order; a record's rows all share it): the
        same bounds as ``memo.spans`` gives the rows, made from the records alone."""
        from generator.export import zipped

        out: list[tuple[int, int, list[Any]]] = []
        start = 0
        idents: list[Any] = []
        previous: Any = _NOTHING
        for count, ident, end in zip(*self._index(), strict=True):
            if not count:
                continue
            if previous is not _NOTHING and previous != ident and zipped.cuts_after(str(previous)):
                out.append((start, end - count, idents))
                start, idents = end - count, []
            idents.append(ident)
            previous = ident
        if start < len(self):
            out.append((start, len(self), idents))
        return out


_NOTHING = object()


def tables(config: Config) -> tuple[Table, ...]:
    """Every published table's shape, in publication order (for the data dictionary and the site)."""
    from generator.coverage.export import specs as coverage_specs
    from generator.export import summary
    from generator.export.tables import table_specs

    shaped = (*publish(config, table_specs(config.schemas_dir)), *coverage_specs(), summary.summary_table(config))
    return (*shaped, summary.codes_table())


def dictionary(published: Iterable[Table]) -> list[DictionaryRow]:
    return [
        DictionaryRow(table.name, c.name, c.title_zh, c.title_en, c.type, c.description_zh, c.description_en,
                      c.required, c.labels)
        for table in published
        for c in table.columns
    ]
