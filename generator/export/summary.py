"""Two derived tables: ``summary`` (active records per area and kind) and ``codes`` (every code list).

``summary`` answers the journalist's first question, "how many … in each
town?", without a join or a pivot: one row per division at town level or
above and per kind (the hub kinds of ``site_config.yml``, then the carrier
registries), counting the *active* records in that division or anywhere
below it (a village's women's home counts for its town and for the district).
Zeros are kept: a blank spot is a fact.

``codes`` is the code list of every coded column of the published tables,
with zh and en labels (the same rows as the workbook's 代码表 sheet), so a
CSV or SQLite user can join a code to its label.
"""

from __future__ import annotations

from typing import Any

from generator import schema
from generator.config import Config
from generator.export.tables import Column, ForeignKey, Rows, Table
from generator.i18n import t
from generator.registry import REGISTRIES, Registry

SUMMARY = "summary"
CODES = "codes"
#: Levels that get summary rows (villages are counted in the town above them).
LEVELS = ("province", "city", "district", "town", "sector")
CARRIERS = ("youth_centers", "womens_homes", "social_orgs")


def _col(name: str, kind: str = "string", required: bool = False, enum: tuple[str, ...] = (),
         labels: tuple[tuple[str, str, str], ...] = ()) -> Column:
    key = f"opendata.table.column.{name}"
    return Column(name, (name,), kind, t("zh", f"{key}.title"), t("en", f"{key}.title"),
                  t("zh", f"{key}.description"), t("en", f"{key}.description"), required=required, enum=enum,
                  labels=labels)


def summary_table(config: Config) -> Table:
    kinds = tuple((code, zh, en) for code, _, zh, en in kind_labels(config))
    return Table(
        name=SUMMARY, registry="", list_field="",
        columns=(_col("division", required=True), _col("division_name"), _col("level"),
                 _col("kind", required=True, enum=tuple(k[0] for k in kinds), labels=kinds),
                 _col("kind_zh"), _col("kind_en"),
                 _col("registry", enum=REGISTRIES, labels=registry_labels(config)),
                 _col("active", "integer", required=True)),
        primary_key=("division", "kind"),
        foreign_keys=(ForeignKey("division", "divisions"),),
        title_zh=t("zh", "opendata.table.summary.title"), title_en=t("en", "opendata.table.summary.title"),
        description_zh=t("zh", "opendata.table.summary.description"),
        description_en=t("en", "opendata.table.summary.description"),
    )


def registry_labels(config: Config) -> tuple[tuple[str, str, str], ...]:
    docs = [(name, schema.bundle(config.schemas_dir, name)) for name in REGISTRIES]
    return tuple((name, schema.label(doc, "zh"), schema.label(doc, "en")) for name, doc in docs)


def kind_labels(config: Config) -> list[tuple[str, str, str, str]]:
    """(kind code, registry, zh, en): hub kinds from the configuration, then the carrier registries."""
    out = [(k.code, "hubs", k.name.get("zh", k.code), k.name.get("en", k.code)) for k in config.hub_kinds]
    for registry in CARRIERS:
        doc = schema.bundle(config.schemas_dir, registry)
        out.append((registry, registry, schema.label(doc, "zh"), schema.label(doc, "en")))
    return out


def summary_rows(registry: Registry) -> Rows:
    """Counts in one pass over the records (each walks its division chain once, cached per division)."""
    config = registry.config
    kinds = kind_labels(config)
    # Records are counted by their own division first (one count each), then each division's counts
    # are added up its chain (a few thousand divisions and kinds, not 100,000 records × the chain).
    local: dict[tuple[str, str], int] = {}
    for record in registry.all():
        if record.registry == "divisions" or not record.active:
            continue
        kind = str(record.get("kind", "")) if record.registry == "hubs" else record.registry
        slot = (record.division, kind)
        local[slot] = local.get(slot, 0) + 1
    chains: dict[str, list[str]] = {}
    counts: dict[tuple[str, str], int] = {}
    for (code, kind), count in local.items():
        chain = chains.get(code)
        if chain is None:
            chain = [d.id for d in registry.geo.chain(code) if d.get("level") in LEVELS]
            chains[code] = chain
        for area in chain:
            counts[area, kind] = counts.get((area, kind), 0) + count
    out = Rows()
    for division in registry.records("divisions"):
        if division.get("level") not in LEVELS:
            continue
        for code, reg, zh, en in kinds:
            out.append([division.id, division.name, division.get("level"), code, zh, en, reg,
                        counts.get((division.id, code), 0)])
    return out


def codes_table() -> Table:
    return Table(
        name=CODES, registry="", list_field="",
        columns=(_col("resource", required=True), _col("field", required=True), _col("code", required=True),
                 _col("label_zh"), _col("label_en")),
        primary_key=("resource", "field", "code"), foreign_keys=(),
        title_zh=t("zh", "opendata.table.codes.title"), title_en=t("en", "opendata.table.codes.title"),
        description_zh=t("zh", "opendata.table.codes.description"),
        description_en=t("en", "opendata.table.codes.description"),
    )


def codes_rows(tables: tuple[Table, ...]) -> Rows:
    out = Rows()
    for table in tables:
        for column in table.columns:
            for code, zh, en in column.labels:
                out.append([table.name, column.name, code, zh or None, en or None])
    return out


def pairs(registry: Registry, tables: tuple[Table, ...]) -> list[tuple[Table, Any]]:
    """The two tables and their rows, for the exporter."""
    summary = summary_table(registry.config)
    return [(summary, summary_rows(registry)), (codes_table(), codes_rows((*tables, summary)))]
