"""Page content: Jinja templates (autoescaped) filled with data from ``SiteModel``.

``render_sections`` gives the bodies of the section pages mkdocs-material
builds; ``write_bulk`` streams record, area and listing-chunk pages straight
into the site folder through the theme shell, one page at a time, so memory
stays flat whatever the number of records.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from generator import geography, schema
from generator.geography import browse_heading
from generator.i18n import t
from generator.registry import REGISTRIES, Record
from generator.site import contrib, nearby, nearby_page, plaque, record_page, resident
from generator.site.hotlines import strip_view
from generator.site.labels import LIST_SEPARATOR
from generator.site.model import SiteModel, json_ld, record_path, relative, safe_href
from generator.site.recordmemo import RecordMemo
from generator.site.resident import has_cjk
from generator.site.search import INDEX_DIR as SEARCH_INDEX_DIR
from generator.site.theme import Section, Shell

TEMPLATES = Path(__file__).resolve().parent / "templates" / "content"
LATEST = 12
DOWNLOADS_MARKER = "<!--hubdir:downloads-->"
#: The data dictionary's pages (``fields/<registry>/``, light pages two folders below a language root).
FIELDS_DIR = "fields"
FIELDS_DERIVED = "derived"
CELL_LIMIT = 3


@functools.cache
def environment() -> Environment:
    """The content templates, compiled once per process (``hubdir serve`` builds again and again;
    they are hubdir's own files, and a changed one is a new ``incremental.code_version`` too)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    return env


@dataclass
class Page:
    """A rendered bulk page: where it goes (relative to a language root), its title and body."""

    path: str
    title: str
    body: str
    #: For ``<meta name="description">`` and the share card (plain text; the shell escapes it).
    description: str = ""


@dataclass
class Job:
    """A bulk page before it is rendered (``generator/incremental.py`` keys it by ``subject``)."""

    path: str
    kind: str  # "record", "area" or "chunk"
    subject: Any  # the record, or a chunk's (records, the town's page paths, town code)
    render: Callable[[], Page]


class Renderer:
    """Renders every page of one language."""

    def __init__(self, model: SiteModel, lang: str, env: Environment | None = None) -> None:
        self.model = model
        self.lang = lang
        self.env = env or environment()
        self._templates = {
            name: self.env.get_template(f"{name}.html")
            for name in (
                "area",
                "chunk",
                "kind",
                "home",
                "map",
                "search",
                "data",
                "contribute",
                "downloads",
                "fields_page",
            )
        }

    @functools.cached_property
    def record_html(self) -> record_page.RecordHTML:
        """The record pages' writer (plain string joins: the bulk of every build)."""
        return record_page.RecordHTML(self.lang)

    @property
    def zh(self) -> Any:
        """Marks Chinese text on English pages with ``lang="zh-CN"`` (see ``resident.zh_marker``)."""
        return resident.zh_marker(self.lang)

    def tr(self, key: str, **args: Any) -> str:
        return t(self.lang, key, **args)

    def zh_lang(self, text: Any) -> Markup:
        """`` lang="zh-CN"`` for an element holding only ``text`` where ``zh`` would wrap it in a span
        (on the element itself: 13 bytes less for each Chinese name in an English listing's rows)."""
        return Markup(' lang="zh-CN"') if self.lang != "zh" and has_cjk(text) else Markup("")

    def render(self, name: str, path: str, **context: Any) -> str:
        def rel(target: str) -> str:
            return relative(path, target)

        def listing_rows(rows: list[dict[str, Any]], towns: Any, codes: bool, sep: str) -> Markup:
            return Markup(self.listing_rows(rows, path, bool(towns), codes, sep))

        return self._templates[name].render(
            t=self.tr, lang=self.lang, rel=rel, zh=self.zh, zh_lang=self.zh_lang, listing_rows=listing_rows,
            **context,
        )

    def listing_rows(self, rows: list[dict[str, Any]], path: str, towns: bool, codes: bool, sep: str) -> str:
        """The rows of a listing (``_macros.html``'s ``listing``), in Python like the record pages
        (``record_page``): the listings show every record once per language, and a row through Jinja
        cost ~15 µs of attribute look-ups, filters and ``Markup``.  ``towns``: the rows carry their
        town for the town filter; ``codes``: their services' and groups' codes (``listing_context``)."""
        esc, zh_lang = record_page.esc, self.record_html.zh_lang
        out: list[str] = []
        for row in rows:
            name, status = row["name"], row["status"]
            out.append("<tr")
            if towns:
                out.append(f' data-town="{esc(row["town"])}"')
            if codes:
                services, groups = " ".join(map(str, row["services"])), " ".join(map(str, row["groups"]))
                out.append(f' data-services="{esc(services)}" data-groups="{esc(groups)}"')
            out.append(f'><td><a href="{esc(relative(path, row["path"]))}"{zh_lang(name)}>{esc(name)}</a>')
            if status != "active":
                label = esc(row["status_label"])
                out.append(f' <span class="hubdir-status hubdir-status--{esc(status)}">{label}</span>')
            town, place = row["town_name"], row["place"]
            out.append(
                f"</td><td{zh_lang(town)}>{esc(town)}</td><td{zh_lang(place)}>{esc(place)}</td>"
                f'<td>{esc(row["type"])}</td><td>{esc(sep.join(map(str, row["service_labels"])))}</td>'
                f'<td>{esc(sep.join(map(str, row["group_labels"])))}</td></tr>'
            )
        return "".join(out)

    def listing_context(self) -> dict[str, Any]:
        """What the listing macro needs besides its rows: the filters' options, how a cell joins its
        labels, and whether rows carry their codes (only when the labels cannot be read back)."""
        labels, lang = self.model.labels, self.lang
        return {
            "service_options": labels.options("services", lang),
            "group_options": labels.options("target_groups", lang),
            "list_sep": LIST_SEPARATOR[lang],
            "row_codes": not (labels.read_back("services", lang) and labels.read_back("target_groups", lang)),
        }

    # -- bulk pages -----------------------------------------------------------------
    def record_page(self, record: Record) -> Page:
        view = self.model.record_view(record, self.lang)
        view["near"] = nearby_page.record_view(record, self.lang)
        page_url = self.model.absolute(view["path"], self.lang)
        fix = resident.corrections(self.model.config, view, page_url, self.lang, relative(view["path"], ""))
        body = self.record_html.render(view, fix, plaque.has_plaque(record))
        return Page(view["path"], record.name, body, resident.record_description(view, self.lang))

    def area_page(self, area: Record) -> Page:
        view = self.area_view(area)
        def refs(items: list[dict[str, Any]]) -> Markup:  # the record pages' list, in Python (a town lists hundreds)
            return Markup(self.record_html.refs(items, view["path"], show_kind=False))

        body = self.render(
            "area",
            view["path"],
            a=view,
            refs=refs,
            fragments=contrib.fragments(self.model, area, self.lang),
        )
        site = self.model.config.site["title"][self.lang]
        desc = resident.area_description(view, self.count_in(area.id), self.lang, site)
        return Page(view["path"], view["name"], body, desc)

    def area_view(self, area: Record) -> dict[str, Any]:
        m, reg, lang = self.model, self.model.registry, self.lang
        level = str(area.get("level"))
        here = reg.by_division.get(area.id, [])
        hubs = [r for r in here if r.registry == "hubs"]
        hub_groups = []
        for kind in m.kinds:
            found = [r for r in hubs if r.get("kind") == kind.code]
            if found:
                hub_groups.append({"kind": kind.label(lang), **self.model.capped("entries", found, lang)})
        carrier_groups = []
        for kind in m.kinds[len(m.config.hub_kinds) :]:
            found = [r for r in here if r.registry == kind.registry]
            if found:
                carrier_groups.append({"kind": kind.label(lang), **self.model.capped("entries", found, lang)})
        villages: list[dict[str, Any]] = []
        columns: list[str] = []
        if level == "town":
            col_kinds = [k for k in m.kinds if k.registry != "social_orgs"]
            columns = [k.label(lang) for k in col_kinds]
            for village in reg.geo.descendants(area.id, "village"):
                inside = reg.by_division.get(village.id, [])
                cells = []
                for kind in col_kinds:
                    found = [
                        r
                        for r in inside
                        if r.registry == kind.registry
                        and (kind.registry != "hubs" or r.get("kind") == kind.code)
                    ]
                    # a few names per cell, then a count: a town page must not grow with the whole town
                    cells.append(
                        {
                            "shown": [m.link(r, lang) for r in found[:CELL_LIMIT]],
                            "more": max(0, len(found) - CELL_LIMIT),
                        }
                    )
                villages.append(
                    {"path": record_path(village), "name": m.division_name(village.id, lang), "cells": cells}
                )
        towns = []  # the divisions one step down (cities, districts or towns), for any level above town
        if level != "town":
            for child in reg.geo.children(area.id):
                if child.get("level") == "village":
                    continue
                towns.append(
                    {
                        "path": record_path(child),
                        "name": m.division_name(child.id, lang),
                        "count": self.count_in(child.id),
                    }
                )
        chain = list(reg.geo.ancestors(area.id))  # every level above, up to the top the project holds
        name = area.name if lang == "zh" or not area.get("name_en") else str(area.get("name_en"))
        return {
            "id": area.id,
            "path": record_path(area),
            "name": area.name,
            "name_en": area.get("name_en", ""),
            "title": name,
            "level_label": m.labels.enum("type", area.get("type"), lang)
            if area.get("type")
            else m.labels.enum("level", level, lang),
            "chain": [{"path": record_path(d), "name": m.division_name(d.id, lang)} for d in reversed(chain)],
            "hub_groups": hub_groups,
            "carrier_groups": carrier_groups,
            "villages": villages,
            "village_columns": columns,
            "towns": towns,
            "towns_heading": geography.children_heading(reg.geo.child_level(area.id) or "town", lang),
            "help": self.help_nearby(area) if level == "village" and not hub_groups and not carrier_groups else None,
        }

    def help_nearby(self, village: Record) -> dict[str, Any]:
        """An empty village page points residents to its town's hubs and the hotlines."""
        m, reg, lang = self.model, self.model.registry, self.lang
        town = reg.town_of(village.id)
        hubs = []
        if town is not None:
            for record in reg.by_division.get(town.id, []):
                if record.registry == "hubs" and record.active:
                    link = m.link(record, lang) or {}
                    phones = [c for c in m.contacts(record, lang) if c["kind"] in ("office_phone", "hotline")]
                    hubs.append({**link, "phone": phones[0] if phones else None})
        hotlines = strip_view(m.config, lang)  # one owner of the numbers (the hotline strip)
        return {
            "town": m.division_name(town.id, lang) if town is not None else "",
            "hubs": hubs[: m.list_limit],
            "hotlines": hotlines,
        }

    def count_in(self, code: str) -> int:
        return self.model.counts_in.get(code, 0)

    def chunk_pages(self) -> Iterator[Page]:
        """Listing pages of the kinds too big for one page: split by town, then by ``PAGE_SIZE``."""
        for job in self.chunk_jobs():
            yield job.render()

    def chunk_jobs(self) -> Iterator[Job]:
        for kind, plan in self.model.listing_plan.items():
            for town in plan:
                for index, records in enumerate(town["chunks"]):
                    yield Job(
                        town["pages"][index],
                        "chunk",
                        (records, town["pages"], town["town"]),
                        functools.partial(self.chunk_page, kind, town, index),
                    )

    def chunk_page(self, kind: str, town: dict[str, Any], index: int) -> Page:
        label = next(k.label(self.lang) for k in self.model.kinds if k.code == kind)
        records = town["chunks"][index]
        path = town["pages"][index]
        rows = [self.model.row(r, self.lang) for r in records]
        pager = [
            {"n": i + 1, "path": p, "current": i == index} for i, p in enumerate(town["pages"])
        ]
        title = self.tr(
            "site.listing.chunk_title",
            kind=label,
            town=self.model.group_label(town["town"], self.lang),
            page=index + 1,
            pages=len(town["pages"]),
        )
        body = self.render(
            "chunk",
            path,
            title=title,
            kind=label,
            back=f"kinds/{kind}/",
            rows=rows,
            pages=len(town["pages"]),
            pager=pager,
            **self.listing_context(),
        )
        return Page(path, title, body)

    def bulk_jobs(self) -> Iterator[Job]:
        """Every bulk page, not yet rendered: where it goes, what it shows, how to render it."""
        for record in self.model.registry.all():
            if record.registry == "divisions":
                yield Job(record_path(record), "area", record, functools.partial(self.area_page, record))
            else:
                yield Job(record_path(record), "record", record, functools.partial(self.record_page, record))
        yield from self.chunk_jobs()

    def bulk_pages(self) -> Iterator[Page]:
        for job in self.bulk_jobs():
            yield job.render()

    # -- section pages ----------------------------------------------------------------
    def sections(self) -> list[Section]:
        m, lang = self.model, self.lang
        site = m.config.site["title"][lang]

        def about(title: str) -> str:
            return self.tr("resident.desc.section", title=title, site=site)

        out = [Section("index.md", site, self.home(), description=m.config.site["description"][lang])]
        for kind in m.kinds:
            intro = self.tr("site.kind.intro", kind=kind.label(lang), count=len(m.by_kind[kind.code]))
            body = self.kind_page(kind.code)
            out.append(Section(f"kinds/{kind.code}.md", kind.label(lang), body, description=intro))
        map_title = self.tr("site.nav.map")
        out.append(Section("map.md", map_title, self.map_page(), description=about(map_title)))
        data_intro = self.tr("site.data.intro")
        out.append(Section("data.md", self.tr("site.nav.data"), self.data_page(), description=data_intro))
        contribute = self.tr("site.contribute.intro")
        title = self.tr("site.nav.contribute")
        out.append(Section("contribute.md", title, self.contribute_page(), description=contribute))
        for page in contrib.sections():
            body = page.render(m, lang)
            title = page.title(lang)
            out.append(Section(f"{page.slug}.md", title, str(Markup(body)), description=about(title)))
        search_page = Section("search.md", self.tr("site.search.title"), self.search_page(), in_nav=False)
        search_page.description = self.tr("site.search.intro")
        out.append(search_page)
        return out

    def home(self) -> str:
        m, lang = self.model, self.lang
        kinds = [
            {
                "path": f"kinds/{k.code}/",
                "name": k.label(lang),
                "count": m.active_counts[k.code],
            }
            for k in m.kinds
        ]
        # the home page leads down the hierarchy: the root's children, never every town of a province
        geo = m.registry.geo
        district = geo.root
        top_level = (geo.levels_in_scope() or ("town",))[0]
        tops = geo.children(district.id) if district is not None else geo.at_level(top_level)
        towns = [
            {"path": record_path(d), "name": m.division_name(d.id, lang), "count": self.count_in(d.id)}
            for d in tops
            if d.get("level") != "village" or district is None
        ]
        child_level = geo.child_level(district.id) if district is not None else top_level
        dated = m.latest_verified(LATEST)
        latest = [
            {
                "path": record_path(r),
                "name": r.name,
                "date": r.get("last_verified"),
                "kind": m.kind_label(r, lang),
            }
            for r in dated
        ]
        return self.render(
            "home",
            "",
            site_title=m.config.site["title"][lang],
            site_description=m.config.site["description"][lang],
            kinds=kinds,
            towns=towns,
            towns_heading=geography.browse_heading(child_level or "town", lang),
            district={"path": record_path(district), "name": m.division_name(district.id, lang)}
            if district
            else None,
            latest=latest,
            near=self.near_box(),
        )

    def kind_page(self, code: str) -> str:
        m, lang = self.model, self.lang
        kind = next(k for k in m.kinds if k.code == code)
        records = m.by_kind[code]
        path = f"kinds/{code}/"
        chunks = []
        rows: list[dict[str, Any]] = []
        if code in m.listing_plan:
            for town in m.listing_plan[code]:
                chunks.append(
                    {
                        "name": m.group_label(town["town"], lang),
                        "count": sum(len(c) for c in town["chunks"]),
                        "pages": [{"n": i + 1, "path": p} for i, p in enumerate(town["pages"])],
                    }
                )
        else:
            rows = [m.row(r, lang) for r in records]
        towns = sorted({(r["town"], r["town_name"]) for r in rows if r["town"]})
        return self.render(
            "kind",
            path,
            kind=kind.label(lang),
            count=len(records),
            rows=rows,
            chunks=chunks,
            towns=towns,
            page_size=m.page_size,
            **self.listing_context(),
        )

    def map_page(self) -> str:
        m, lang = self.model, self.lang
        kinds = [{"name": k.label(lang), "count": len(m.located_by_kind.get(k.code, []))} for k in m.kinds]
        site_root = "../" if lang == "en" else ""
        return self.render(
            "map",
            "map/",
            kinds=kinds,
            kind_names=[k.label(lang) for k in m.kinds],
            count=sum(k["count"] for k in kinds),
            points_url=f"../{site_root}map/points.json",
            tiles_attribution=m.map_config["attribution"],
            near=self.near_box(),
        )

    def near_box(self) -> dict[str, Any] | None:
        """What the near-me box needs: where its picker starts, the kinds' labels (files are shared),
        whether any organization is located (else the picker leads to a town's page) and whether a
        phone's position can be used at all (located organizations or divisions with a ``location``).
        Always there while the root has divisions below it: a resident must always get somewhere."""
        m = self.model
        root = nearby.root_code(m)
        if not m.registry.geo.children(root):
            return None
        located = nearby.any_place(m)
        division = m.registry.geo.get(root)
        return {
            "root": root,
            "root_path": record_path(division) if division is not None else "",
            "root_name": m.division_name(root, self.lang),
            "kinds": [k.label(self.lang) for k in m.kinds],
            "located": located,
            "locate": located or nearby.any_centre(m),
        }

    def search_page(self) -> str:
        """The search page: a form that works as a plain GET, results drawn by ``hubdir.js`` from the index."""
        m, lang = self.model, self.lang
        site_root = "../" if lang == "en" else ""
        keys = ("results", "none", "short", "loading", "failed", "showing")
        strings = {k: self.tr(f"site.search.{k}") for k in keys}
        strings["sound"] = self.tr("search.sound")
        strings["partial"] = self.tr("search.partial")
        # Without JavaScript (or when nothing matched) the page still leads on: hotlines, kinds, towns.
        geo = m.registry.geo  # the level below the root: a district's towns, a province's cities
        root = geo.root_code
        level = geo.child_level(root)
        hotlines = [
            {"name": k.name.get(lang) or k.name["zh"], "number": k.hotline, "href": safe_href(k.hotline, "tel")}
            for k in m.config.hub_kinds
            if k.hotline
        ]
        return self.render(
            "search",
            "search/",
            index=f"../{site_root}{SEARCH_INDEX_DIR}/",
            strings=json.dumps(strings, ensure_ascii=False, sort_keys=True),
            hotlines=hotlines,
            kinds=[{"path": f"kinds/{k.code}/", "name": k.label(lang)} for k in m.kinds],
            towns=[{"path": record_path(d), "name": geo.label(d.id, lang)} for d in geo.children(root, level)],
            towns_heading=browse_heading(level, lang) if level else "",
        )

    def schema_fields(self) -> list[dict[str, Any]]:
        out = []
        for name in REGISTRIES:
            doc = self.model.labels.schemas[name]
            required = set(doc.get("required", []))
            fields = []
            for key, node in schema.properties(doc):
                kind = node.get("type", "")
                item = schema.resolve(doc, node["items"]) if isinstance(node.get("items"), dict) else {}
                if kind == "array" and item.get("type"):
                    kind = f"array<{item['type']}>"
                codes = self.model.labels.options(key, self.lang) if ("enum" in node or "enum" in item) else []
                fields.append(
                    {
                        "name": key,
                        "title": schema.label(node, self.lang),
                        "description": schema.label(node, self.lang, "description"),
                        "type": kind,
                        "required": key in required,
                        "codes": codes,
                    }
                )
            out.append(
                {
                    "name": name,
                    "title": schema.label(doc, self.lang),
                    "description": schema.label(doc, self.lang, "description"),
                    "fields": fields,
                }
            )
        return out

    def dictionary(self, rows: list[Any]) -> list[dict[str, Any]]:
        """The data dictionary (rows of ``generator.export.data_dictionary``), grouped by table."""
        tables: dict[str, dict[str, Any]] = {}
        en = self.lang == "en"
        for row in rows:
            table = tables.setdefault(
                row.resource, {"name": row.resource, "title": row.resource, "description": "", "fields": []}
            )
            table["fields"].append(
                {
                    "name": row.field,
                    "title": row.title_en if en else row.title_zh,
                    "description": row.description_en if en else row.description_zh,
                    "type": row.type,
                    "required": row.required,
                    "codes": [(c[0], c[2] if en else c[1]) for c in row.codes],
                }
            )
        return list(tables.values())

    def data_page(self) -> str:
        """The data page; ``downloads_html`` fills its downloads marker once the datasets exist."""
        m = self.model
        releases = [release_view(item, self.lang) for item in m.extra.get("releases") or []]
        return self.render("data", "data/", downloads_block=Markup(DOWNLOADS_MARKER), releases=releases)

    def downloads_html(self, exported: Any, dictionary: list[Any] | None = None) -> str:
        m, lang = self.model, self.lang
        downloads = []
        version = ""
        cite = ""
        site_root = "../" if lang == "en" else ""
        if exported is not None:
            version = exported.version
            cite = exported.citation.get(lang, "")
            for f in exported.files:
                downloads.append(
                    {
                        "path": f"{site_root}data/{f.path}",
                        "name": f.path,
                        "format": f.format,
                        "size": human_size(f.bytes, lang),
                        "rows": f.rows,
                        "sha256": f.sha256,
                    }
                )
        licence = dict(m.config.licence)
        licence["href"] = safe_href(licence.get("url"))
        # issue 15: the spreadsheet download first, and the schema.org Dataset for harvesters
        schema_org = getattr(exported, "schema_org", None)
        return self.render(
            "downloads",
            "data/",
            dataset_ld=Markup(json_ld(schema_org)) if schema_org else "",
            spreadsheet=next((d for d in downloads if d["format"] == "xlsx"), None),
            readme=next((d for d in downloads if d["format"] == "readme"), None),
            released=getattr(exported, "released", True),
            downloads=downloads,
            version=version or self.tr("site.data.unreleased"),
            licence=licence,
            count=len(m.organizations()),
            cite=cite
            or self.tr("site.data.cite_default", title=m.config.site["title"][lang], url=m.config.site["url"]),
            groups=self.dictionary_groups(dictionary),
        )

    def dictionary_groups(self, dictionary: list[Any] | None = None) -> list[dict[str, Any]]:
        """The dictionary's tables grouped by the registry they come from, one page each.

        Why pages and not the whole dictionary on the data page: 36 tables of fields are 150 KB of
        HTML (18 KB gzipped), which put ``/data/`` over the 100 KB phone budget, and a journalist
        looking for the downloads had to scroll past them.  A page per registry is linkable and
        citable, reads without JavaScript and stays a few KB; ``hubs_contacts`` goes with ``hubs``,
        the derived tables (coverage, completeness, summary, codes) form a group of their own.
        """
        tables = self.dictionary(dictionary) if dictionary else self.schema_fields()
        groups: dict[str, dict[str, Any]] = {}
        for table in tables:
            name = str(table["name"])
            owner = next((r for r in REGISTRIES if name == r or name.startswith(r + "_")), FIELDS_DERIVED)
            group = groups.get(owner)
            if group is None:
                if owner == FIELDS_DERIVED:
                    title, note = self.tr("resident2.dict.derived"), self.tr("resident2.dict.derived_note")
                else:
                    doc = self.model.labels.schemas.get(owner) or {}
                    title, note = (schema.label(doc, self.lang) if doc else owner), ""
                group = groups[owner] = {
                    "name": owner,
                    "title": title,
                    "note": note,
                    "path": f"{FIELDS_DIR}/{owner}/",
                    "tables": [],
                    "fields": 0,
                }
            group["tables"].append(table)
            group["fields"] += len(table["fields"])
        # the registries in their usual order, the derived tables last
        order = {name: i for i, name in enumerate((*REGISTRIES, FIELDS_DERIVED))}
        return sorted(groups.values(), key=lambda g: order[g["name"]])

    def field_pages(self, dictionary: list[Any] | None = None) -> list[Page]:
        """One light page per dictionary group (``fields/<registry>/``), linked from the data page."""
        groups = self.dictionary_groups(dictionary)
        site = self.model.config.site["title"][self.lang]
        out = []
        for group in groups:
            title = self.tr("resident2.dict.page_title", group=group["title"])
            body = self.render("fields_page", group["path"], g=group, groups=groups, title=title)
            desc = self.tr("resident2.dict.desc", group=group["title"], site=site)
            out.append(Page(group["path"], title, body, desc))
        return out

    def contribute_page(self) -> str:
        site = self.model.config.site
        return self.render(
            "contribute",
            "contribute/",
            registries=self.schema_fields(),
            repo_url=safe_href(site.get("repo_url")),
            correction_url=safe_href(site.get("correction_url")),
        )


def release_view(item: Any, lang: str) -> dict[str, Any]:
    """A release from ``generator.release.list_releases`` in whatever shape it comes (object or mapping)."""

    def get(name: str) -> Any:
        return item.get(name) if isinstance(item, dict) else getattr(item, name, None)

    changes = get("changelog") or get("changes") or ""
    if isinstance(changes, dict):
        changes = changes.get(lang) or changes.get("zh") or ""
    lines = changes.splitlines() if isinstance(changes, str) else [str(c) for c in changes]
    from generator.release import release_files  # issue 15: every release at a stable address

    folder = get("path")
    return {
        "files": release_files(folder, str(get("version") or ""), "../" if lang == "en" else "")
        if folder else [],
        "version": str(get("version") or ""),
        "date": str(get("date") or ""),
        "changes": [
            line.lstrip("-* ").strip() for line in lines if line.strip() and not line.startswith("#")
        ],
    }


def human_size(size: int, lang: str) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


def write_bulk(
    renderer: Renderer,
    shell: Shell,
    root: Path,
    tick: Callable[[int], None] | None = None,
) -> list[str]:
    """Write every bulk page of one language under ``root``; return their paths."""
    paths = []
    made: set[str] = set()
    for page in renderer.bulk_pages():
        folder = root / page.path
        if page.path not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(page.path)
        (folder / "index.html").write_text(shell.render(page.title, page.path, page.body, page.description), "utf-8")
        paths.append(page.path)
        if tick:
            tick(1)
    return paths


def map_points(model: SiteModel, memo: RecordMemo | None = None) -> str:
    """Compact JSON for the map: ``[lat, lon, kind index, id, name, status, phone, hours]`` per located
    record (``hours`` the compact week of ``generator.hours``, for the popup's open-now line).
    ``memo`` (the build's, with the cache) gives an unchanged record's row as the previous build made it."""
    memo = memo or RecordMemo(None)
    kinds = {k.code: i for i, k in enumerate(model.kinds)}
    rows = []
    for code, records in model.by_kind.items():  # ``points_by_kind``'s records, in its order
        number = kinds[code]
        for record in records:
            row = memo.get("map", record, functools.partial(_map_row, model, kind=number))
            if row is not None:
                rows.append(row)
    rows.sort(key=lambda r: (r[3],))
    return json.dumps({"points": rows}, ensure_ascii=False, separators=(",", ":"))


def _map_row(model: SiteModel, record: Record, kind: int) -> list[Any] | None:
    """One record's row of ``map_points`` (``None`` without a point on the map)."""
    point = model.display_point(record)
    if point is None:
        return None
    return [point[0], point[1], kind, record.id, record.name, 0 if record.active else 1,
            nearby.phone_of(record), nearby.hours_of(record)]
