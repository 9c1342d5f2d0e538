"""The record page's HTML, written by plain Python string joins (the bulk of every build).

Why not a Jinja template: a record page is rendered ~2×N times (100k records → 200k pages) and the
template spent ~75 % of its time in Jinja's attribute look-ups, macro calls and ``Markup`` wrapping
(measured 1.47 ms a page under cProfile, 0.5 ms without).  Here each page is one list of strings
joined once; the words come from a per-language table escaped once per build.

Everything printed goes through ``esc`` (the same five characters Jinja's autoescape escapes), links
through ``model.safe_href`` upstream (the view), so nothing a record holds can become markup.  Where
the view's value is a string by construction (labels, names, the catalogue's words, links made here)
the escaper is called directly, without ``esc``'s test and call (~25 values a page, 200,000 pages).
"""

from __future__ import annotations

import re
from typing import Any

from generator.i18n import t
from generator.site.labels import LIST_SEPARATOR
from generator.site.model import PHONE_TYPES
from generator.site.resident import has_cjk

#: A number as a coordinate is written (``hubdir.js`` ``minimapPoint`` reads the same).
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

try:  # markupsafe's C escaper (what Jinja's autoescape runs), without wrapping the result in Markup
    from markupsafe._speedups import _escape_inner as _escape
except ImportError:  # pragma: no cover - the pure-Python markupsafe

    def _escape(text: str, /) -> str:  # type: ignore[misc]
        return (
            text.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&#34;")
            .replace("'", "&#39;")
        )


def esc(value: Any) -> str:
    """HTML-escape like Jinja's autoescape (``markupsafe.escape``): ``& < > " '``."""
    return _escape(value if isinstance(value, str) else str(value))


def short_rel(from_path: str, to_path: str) -> str:
    """The shortest relative link between two folder pages of one language root:
    ``org/a/`` → ``org/b/`` is ``../b/`` (not ``../../org/b/``): bytes in every related-record link."""
    src = from_path.split("/")[:-1]
    dst = to_path.split("/")
    common = 0
    while common < len(src) and common < len(dst) - 1 and src[common] == dst[common]:
        common += 1
    rest = "/".join(dst[common:])
    up = len(src) - common
    return "../" * up + rest if (up or rest) else "./"


#: The catalogue keys the page prints without arguments (escaped once per language).
_WORDS = (
    "site.record.aliases",
    "site.record.kind",
    "site.record.unit",
    "site.record.address",
    "site.record.postal_code",
    "site.record.services",
    "site.record.target_groups",
    "directions.title",
    "site.record.hours",
    "hours.china_time",
    "site.record.area",
    "site.record.wheelchair",
    "site.record.established",
    "site.record.uscc",
    "site.yes",
    "site.no",
    "site.record.about",
    "site.record.relations",
    "site.record.hosted_by",
    "site.record.children",
    "site.record.carriers",
    "site.record.groups",
    "site.record.predecessors",
    "site.record.undertakes",
    "site.record.funder",
    "site.record.posts",
    "site.record.location",
    "site.record.on_map",
    "site.record.sources",
    "site.record.never_verified",
    "resident.fix.title",
)


#: schema.org's types for microdata's ``itemtype`` (https, as the JSON-LD ``@context`` was).
SCHEMA = "https://schema.org/"


class RecordHTML:
    """Writes the body of one language's record pages (what ``templates/content/record.html`` did).

    Classes only where a style or script needs one it cannot get from the structure (the facts are
    ``.hubdir-record > dl``): a class is bytes in ~200,000 pages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.w = {key: esc(t(lang, key)) for key in _WORDS}
        self.sep = LIST_SEPARATOR[lang]
        #: ``places``' links by the identity of the divisions' list (``SiteModel.places`` shares one
        #: list per division); the list is kept with them, so its id stays its own.
        self._places: dict[int, tuple[list[dict[str, Any]], str]] = {}
        #: ``parent``'s lines by the parent's link (``SiteModel.link``'s shared dict), kept with it.
        self._parents: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}

    @staticmethod
    def prop(md: dict[str, Any] | None, name: str) -> str:
        """`` itemprop="name"`` on a page with microdata (the Chinese one), nothing on the other."""
        return f' itemprop="{name}"' if md else ""

    def tr(self, key: str, **args: Any) -> str:
        return _escape(t(self.lang, key, **args))

    def zh(self, text: Any) -> str:
        """Escaped text; on English pages Chinese text is marked ``lang="zh-CN"`` (``resident.zh_marker``)."""
        if self.lang != "zh" and has_cjk(text):
            return f'<span lang="zh-CN">{esc(text)}</span>'
        return esc(text)

    def zh_lang(self, text: Any) -> str:
        """`` lang="zh-CN"`` for an element holding only ``text`` when ``zh`` would mark it: on the
        element itself, not a span inside (16 bytes less for every Chinese name on an English page)."""
        return ' lang="zh-CN"' if self.lang != "zh" and has_cjk(text) else ""

    def link(self, href: str, text: Any) -> str:
        return f'<a href="{_escape(href)}"{self.zh_lang(text)}>{esc(text)}</a>'

    def ref(self, item: dict[str, Any] | None, here: str, in_zh: bool = False) -> str:
        """A link to a related record (its status if not active); ``in_zh``: inside an element already
        marked Chinese (``refs``), so the name needs no mark and the page's own words need ``lang``."""
        if not item:
            return ""
        back = f' lang="{self.lang}"' if in_zh else ""
        if item.get("path"):
            rel = short_rel(here, item["path"])
            out = f'<a href="{_escape(rel)}">{esc(item["name"])}</a>' if in_zh else self.link(rel, item["name"])
            status = item.get("status")
            if status and status != "active":
                label = _escape(item["status_label"])
                out += f' <span class="hubdir-status hubdir-status--{_escape(status)}"{back}>{label}</span>'
            return out
        return esc(item.get("name", "")) if in_zh else self.zh(item.get("name", ""))

    def refs(self, items: list[dict[str, Any]], here: str, show_kind: bool = True, known: str | None = None) -> str:
        """A list of related records; the kind is said only where it changes along the list, starting
        from ``known`` (the kind the page or the list's label has said already).

        On an English page a list of Chinese names is marked Chinese once, on the list, and the
        page's own words in it (kinds, statuses) English: not every name on its own."""
        in_zh = self.lang != "zh" and bool(items) and all(has_cjk(i.get("name")) for i in items)
        parts = ['<ul class="hubdir-refs" lang="zh-CN">' if in_zh else '<ul class="hubdir-refs">']
        back = f' lang="{self.lang}"' if in_zh else ""
        previous = known
        for item in items:
            kind = item.get("kind")
            parts.append("<li>")
            if show_kind and kind and kind != previous:
                parts.append(f'<span class="hubdir-kind"{back}>{esc(kind)}</span> ')
            previous = kind
            parts.append(self.ref(item, here, in_zh))
            parts.append("</li>")
        parts.append("</ul>")
        return "".join(parts)

    def more(self, count: int, kind: str, here: str) -> str:
        """How many were left out, and a link to the kind's listing, which holds every one."""
        if not count:
            return ""
        if not kind:
            return f'<p class="hubdir-small">{self.tr("site.record.more", count=count)}</p>'
        href = _escape(short_rel(here, f"kinds/{kind}/"))
        link = f'<a href="{href}">{self.tr("pages.more_link")}</a>'
        return f'<p class="hubdir-small">{self.tr("pages.more", count=count)}{link}</p>'

    def render(self, r: dict[str, Any], fix: list[dict[str, Any]], plaque: bool) -> str:
        w, zh, here = self.w, self.zh, r["path"]
        near = r.get("near") or {}
        # schema.org microdata once per entity, on its canonical (Chinese) page: properties on the text
        # the page shows (``model.schema`` says why not JSON-LD); "url" is the page itself
        md = r.get("schema")
        if md:
            o = [f'<article class="hubdir-record" itemscope itemtype="{SCHEMA}{md["type"]}">']
            o.append('<link itemprop="url" href="./">')
            if r["dissolved_on"]:
                o.append(f'<meta itemprop="dissolutionDate" content="{esc(r["dissolved_on"])}">')
        else:
            o = ['<article class="hubdir-record">']
        o.append(f'<p class="hubdir-eyebrow"><span class="hubdir-kind">{_escape(r["kind"])}</span>')
        o.append(self.places(here, r["divisions"]))
        o.append(f"</p><h1{self.zh_lang(r['name'])}{self.prop(md, 'name')}>{_escape(r['name'])}</h1>")
        if r["name_en"]:
            o.append(f'<p class="hubdir-name-en" lang="en">{esc(r["name_en"])}</p>')
        if r["aliases"]:
            o.append(f'<p>{w["site.record.aliases"]}{zh("、".join(r["aliases"]))}</p>')
        status = r["status"]
        if status != "active":
            o.append(
                '<div class="admonition warning hubdir-gone" role="note"><p class="admonition-title">'
                f"{_escape(r['status_label'])}</p><p>{self.tr('site.record.gone_' + status)}"
            )
            if r["dissolved_on"]:
                o.append(" " + self.tr("site.record.since", date=r["dissolved_on"]))
            o.append("</p>")
            if r["successor"]:
                o.append(f"<p>{self.tr('site.record.successor')}{self.ref(r['successor'], here)}</p>")
            o.append("</div>")
        o.append(f'<dl><dt>{w["site.record.kind"]}</dt><dd>{_escape(r["kind"])}')
        if r["level"]:
            o.append(f"（{_escape(r['level'])}）")
        if r["org_type"]:
            o.append(f"（{_escape(r['org_type'])}）")
        o.append("</dd>")
        if r["unit"]:
            o.append(f"<dt>{w['site.record.unit']}</dt><dd>{zh(r['unit'])}</dd>")
        if r["address"]:
            # the copy button and its status line are made by nearby.js from the marked address (a
            # JavaScript-only control: ~115 bytes of HTML in ~200,000 pages that had them hidden)
            address = r["address"]
            o.append(f"<dt data-p>{w['site.record.address']}</dt>")
            if md:
                o.append(f'<dd itemprop="address" itemscope itemtype="{SCHEMA}PostalAddress">')
                o.append('<meta itemprop="addressCountry" content="CN">')
                o.append('<span itemprop="streetAddress" data-hubdir-copy>')
            else:
                o.append(f"<dd><span data-hubdir-copy{self.zh_lang(address)}>")
            o.append(f"{esc(address)}</span>")
            if r["postal_code"]:
                code = esc(r["postal_code"])
                o.append(f"（{w['site.record.postal_code']} ")
                o.append(f'<span itemprop="postalCode">{code}</span>）' if md else f"{code}）")
            o.append("</dd>")
        if r["services"]:
            o.append(f"<dt data-p>{w['site.record.services']}</dt><dd>{_escape(self.sep.join(r['services']))}</dd>")
        if r["target_groups"]:
            o.append(f"<dt>{w['site.record.target_groups']}</dt><dd>{_escape(self.sep.join(r['target_groups']))}</dd>")
        o.append("</dl>")
        if near.get("dirs"):  # plain links written at build time (directions.py): they work without JavaScript
            links = " ".join(f'<a href="{query_href(d["href"])}">{_escape(d["label"])}</a>' for d in near["dirs"])
            o.append(f'<p class="hubdir-dirs"><span>{w["directions.title"]}</span> {links}</p>')
        o.append("<dl>")
        telephone = md["telephone"] if md else ""
        for c in r["contacts"]:
            mark = " data-p" if c["kind"] in PHONE_TYPES else ""
            value, prop = _escape(c["value"]), ""
            if telephone and c["kind"] in PHONE_TYPES and c["value"] == telephone:
                telephone = ""  # the first phone is the entity's "telephone": the row, or its number if noted
                if c["note"]:
                    value = f'<span itemprop="telephone">{value}</span>'
                else:
                    prop = ' itemprop="telephone"'
            o.append(f"<dt{mark}>{_escape(c['type'])}</dt><dd{prop}>")
            if c["href"]:
                extra = ' rel="nofollow"' if c["kind"] == "website" else ""
                o.append(f'<a href="{_escape(c["href"])}"{extra}>{value}</a>')
            else:
                o.append(value)
            if c["note"]:
                o.append(f"（{zh(c['note'])}）")
            o.append("</dd>")
        if r["hours"]:
            o.append(f"<dt data-p>{w['site.record.hours']}</dt><dd>")
            for part in md["hours"] if md else ():  # schema.org's syntax, not the lines shown
                o.append(f'<meta itemprop="openingHours" content="{_escape(part)}">')
            if near.get("open"):
                # hidden until nearby.js says open or closed, and gives it its class then
                o.append(f'<span data-hubdir-open="{_escape(near["open"])}" hidden></span>')
            for line in r["hours"]:
                o.append(f"{_escape(line)}<br>")
            if near.get("holidays"):  # the rule explained (the plaque keeps only the hours lines)
                o.append(f'<span class="hubdir-ph">{_escape(near["holidays"])}</span><br>')
            if r["hours_note"]:
                o.append(f"{zh(r['hours_note'])}<br>")
            o.append(f'<span class="hubdir-small">{w["hours.china_time"]}</span></dd>')
        elif r["hours_note"]:
            o.append(f"<dt data-p>{w['site.record.hours']}</dt><dd>{zh(r['hours_note'])}</dd>")
        if r["area_sqm"]:
            o.append(f"<dt>{w['site.record.area']}</dt><dd>{self.tr('site.record.sqm', n=r['area_sqm'])}</dd>")
        if r["wheelchair"] is not None:
            o.append(
                f"<dt>{w['site.record.wheelchair']}</dt><dd>{w['site.yes'] if r['wheelchair'] else w['site.no']}</dd>"
            )
        if r["established_on"]:
            o.append(f"<dt>{w['site.record.established']}</dt><dd>{esc(r['established_on'])}</dd>")
        if r["uscc"]:
            o.append(f"<dt>{w['site.record.uscc']}</dt><dd><code{self.prop(md, 'taxID')}>{esc(r['uscc'])}</code></dd>")
        o.append("</dl>")
        if r["description"]:
            text = r["description"]
            o.append(f'<h2>{w["site.record.about"]}</h2><p class="hubdir-text"{self.zh_lang(text)}>{esc(text)}</p>')
        o.append("<div>")
        if r["parent"] or r["children"] or r["carriers"] or r["groups"] or r["hosts"] or r["predecessors"]:
            o.append(f"<h2>{w['site.record.relations']}</h2>")
            if r["parent"]:
                o.append(self.parent(r, md))
            # hosts and groups: the label names their kind (入驻的社区青年坊, 入驻的社会组织); the others
            # start from the page's own kind (a union's member unions say nothing more)
            for key, word, more, own in (
                ("hosts", "site.record.hosted_by", True, False),
                ("children", "site.record.children", True, True),
                ("carriers", "site.record.carriers", True, True),
                ("groups", "site.record.groups", False, False),
                ("predecessors", "site.record.predecessors", True, True),
            ):
                if r[key]:
                    o.append(f"<p>{w[word]}</p>{self.refs(r[key], here, show_kind=own, known=r['kind'])}")
                    if more:
                        o.append(self.more(r[key + "_more"], r[key + "_kind"], here))
        if r["undertakes"]:
            o.append(f"<h2>{w['site.record.undertakes']}</h2><ul>")
            for u in r["undertakes"]:
                o.append(f"<li>{esc(u['service'])}")
                if u.get("programme"):
                    o.append(f"：{zh(u['programme'])}")
                if u.get("funder"):
                    o.append(f"（{w['site.record.funder']}{zh(u['funder'])}）")
                if u.get("since"):
                    o.append(f" {esc(u['since'])}–{esc(u.get('until') or '')}")
                o.append("</li>")
            o.append("</ul>")
        if r["posts"]:
            o.append(f"<h2>{w['site.record.posts']}</h2><ul>")
            for p in r["posts"]:
                o.append(f"<li>{esc(p['post'])}（{esc(p['sector'])}）")
                if p.get("count"):
                    o.append(f" × {esc(p['count'])}")
                if p.get("since"):
                    o.append("，" + self.tr("site.record.since_year", date=p["since"]))
                if p.get("note"):
                    o.append(f"：{zh(p['note'])}")
                o.append("</li>")
            o.append("</ul>")
        if r["point"]:
            lat, lon = r["point"]
            loc = r["location"]
            coords = self.tr("site.record.coords", lat=loc.get("lat"), lon=loc.get("lon"))
            # hubdir.js draws the map and names it (role, label): an empty box says nothing without it.
            # It reads the point from the WGS-84 coordinates shown just below (the last two numbers
            # before " · ") and converts them for the tiles; only where those do not end the line
            # (a translation that says them otherwise) the box carries the point itself.
            shown = _NUMBER.findall(coords)[-2:]
            said = shown == [str(loc.get("lat")), str(loc.get("lon"))] and coords.endswith(shown[1])
            box = "" if said else f' data-lat="{esc(lat)}" data-lon="{esc(lon)}"'
            o.append(f'<h2>{w["site.record.location"]}</h2><div class="hubdir-minimap"{box}></div>')
            scope = ""
            if md:  # the coordinates shown are the item's "geo"
                scope = f' itemprop="geo" itemscope itemtype="{SCHEMA}GeoCoordinates"'
                coords = self.tr("site.record.coords", lat="\x00", lon="\x01")
                coords = coords.replace("\x00", f'<span itemprop="latitude">{esc(loc.get("lat"))}</span>')
                coords = coords.replace("\x01", f'<span itemprop="longitude">{esc(loc.get("lon"))}</span>')
            to_map = _escape(short_rel(here, "map/"))
            o.append(
                f'<p class="hubdir-small"{scope}>{coords} · <a href="{to_map}#{_escape(r["id"])}">'
                f"{w['site.record.on_map']}</a></p>"
            )
        o.append(f'<h2>{w["site.record.sources"]}</h2><ul>')
        for s in r["sources"]:
            o.append("<li>")
            title = s.get("title", "")
            if s.get("href"):
                o.append(f'<a href="{esc(s["href"])}" rel="nofollow"{self.zh_lang(title)}>{esc(title)}</a>')
            else:
                o.append(zh(title))
            if s.get("publisher"):
                o.append(f"，{zh(s['publisher'])}")
            if s.get("date"):
                o.append(f"，{esc(s['date'])}")
            if s.get("note"):
                o.append(f"。{zh(s['note'])}")
            o.append("</li>")
        # plaque.js puts its button on this line (``site/plaque.py``): the mark, not a hidden button
        o.append('</ul><p class="hubdir-verified" data-plaque>' if plaque else '</ul><p class="hubdir-verified">')
        if r["last_verified"]:
            o.append(self.tr("site.record.last_verified", date=r["last_verified"]))
        else:
            o.append(w["site.record.never_verified"])
        o.append(" · " + self.tr("resident.record.id", id=r["id"]))
        o.append("</p>")
        o.append(self.fix(r, fix))
        o.append("</div></article>")
        return "".join(o)

    def places(self, here: str, divisions: list[dict[str, Any]]) -> str:
        """The eyebrow's links to the page's divisions, the largest first: the same on every page of
        one village (from a page two folders deep outside ``area/``, a link to ``area/<code>/`` is
        ``../../area/<code>/`` whichever page it is), so joined once per village and language."""
        top, _, rest = here.partition("/")
        deep = top != "area" and rest.count("/") == 1
        if deep:
            found = self._places.get(id(divisions))
            if found is not None and found[0] is divisions:
                return found[1]
        text = "".join(f" · {self.link(short_rel(here, d['path']), d['name'])}" for d in reversed(divisions))
        if deep and all(str(d["path"]).startswith("area/") for d in divisions):
            self._places[id(divisions)] = (divisions, text)
        return text

    def parent(self, r: dict[str, Any], md: dict[str, Any] | None) -> str:
        """``parent_line``, the same for every member of one hub (``SiteModel.link`` shares one dict
        per record): made once per hub, page kind and label when the page and the parent's are two
        folders deep and not the same page (then the link is ``../<id>/`` or ``../../<path>``)."""
        parent, here = r["parent"], r["path"]
        path = str(parent.get("path") or "")
        top, _, rest = here.partition("/")
        if rest.count("/") != 1 or (path and (path.count("/") != 2 or path == here)):
            return self.parent_line(r, md)
        key = (id(parent), top, r["parent_label"], md["parent_type"] if md else None)
        found = self._parents.get(key)
        if found is None or found[0] is not parent:
            found = self._parents[key] = (parent, self.parent_line(r, md))
        return found[1]

    def parent_line(self, r: dict[str, Any], md: dict[str, Any] | None) -> str:
        """The parent organization (or the venue's hub); with microdata its "parentOrganization": a
        name and the page's link (a relative link is the absolute address microdata reads)."""
        parent, label = r["parent"], _escape(r["parent_label"])
        if not md or not parent.get("path"):
            return f"<p>{label}{self.ref(parent, r['path'])}</p>"
        scope = f' itemprop="parentOrganization" itemscope itemtype="{SCHEMA}{md["parent_type"]}"'
        link = short_rel(r["path"], parent["path"])
        name = f'<span itemprop="name">{_escape(parent["name"])}</span>'
        out = f'<p{scope}>{label}<a href="{_escape(link)}" itemprop="url">{name}</a>'
        status = parent.get("status")
        if status and status != "active":
            gone = _escape(parent["status_label"])
            out += f' <span class="hubdir-status hubdir-status--{_escape(status)}">{gone}</span>'
        return out + "</p>"

    def fix(self, v: dict[str, Any], fix: list[dict[str, Any]]) -> str:
        """Corrections without GitHub (issue 14): the configured channels with this record filled in."""
        w, zh = self.w, self.zh
        o: list[str] = []
        if fix:
            o.append(
                '<section class="hubdir-fix" aria-labelledby="hubdir-fix-h">'
                f'<h2 id="hubdir-fix-h">{w["resident.fix.title"]}</h2>'
                f'<p>{self.tr("resident.fix.intro", id=v["id"])}</p><ul class="hubdir-refs">'
            )
            for c in fix:
                o.append(f"<li>{esc(c['label'])}：")
                if c.get("href"):
                    extra = ' rel="nofollow"' if c["kind"] == "form" else ""
                    o.append(f'<a href="{esc(c["href"])}" data-fix="{esc(c["kind"])}"{extra}>{zh(c["text"])}</a>')
                else:
                    o.append(zh(c["text"]))
                if c.get("note"):
                    o.append(f"（{esc(c['note'])}）")
                if c.get("image"):
                    o.append(
                        f'<img src="{esc(c["image"])}" alt="{esc(c.get("image_alt", ""))}" width="160" '
                        'height="160" loading="lazy">'
                    )
                o.append("</li>")
            o.append("</ul></section>")
        # staff links (edit on GitHub, report a correction there): hubdir.js writes them from the record's
        # file and the two addresses' shared beginnings in the cached light.<lang>.js (``shell``): ~300
        # bytes of every page, for pages that need JavaScript themselves (GitHub's editor and issue forms)
        edit, correction = v["edit_url"], v["correction_url"]
        if edit or correction:
            path = esc(edit_path(v["edit_path"], v["id"])) if edit else ""
            o.append(f'<p class="hubdir-staff" data-edit="{path}"></p>')
        return "".join(o)


def edit_path(rel: str, rid: str) -> str:
    """A record file's path as its page's ``data-edit`` says it: ``content/<folder>/<id>.yml`` (the
    usual place, the file named by its id) as ``<folder>/``, which ``hubdir.js`` completes from the
    page's canonical address (~35 bytes of every record page); any other path in full."""
    folder, _, name = rel.removeprefix("content/").rpartition("/")
    if rel.startswith("content/") and folder and "/" not in folder and name == f"{rid}.yml":
        return folder + "/"
    return rel


#: "&" before a query parameter's name and "=": not a character reference in HTML (one needs a ";" or,
#: for the few legacy names, to start with one: none of the map apps' parameters does).
_PARAM_AMP = re.compile(r"&amp;(?=[A-Za-z_]+=)")


def query_href(url: str) -> str:
    """``url`` escaped for an ``href``, its parameters' "&" as they are (the same URL for browsers and
    parsers, ``tests/test_nearby.py``): ~40 bytes of each record page with directions."""
    return _PARAM_AMP.sub("&", _escape(url))
