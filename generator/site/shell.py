"""The light shell of the bulk pages (records, areas, listing chunks).

Why: a record page in Material's own shell was 16–26 KB, ~7 KB of it the navigation drawer of the
whole site and ~3 KB Material's configuration and bundle tags, repeated in ~200,000 files at province
scale (4.6 GB at 100k records).  This shell keeps what a resident sees — Material's look (its cached
stylesheet), a header with the site name, search and the language switch, a short top-level nav, the
page and the footer — and drops the drawer and Material's JavaScript (nothing on these pages uses it).

``templates/shell/page.html`` is rendered once per language with placeholders and cut into pieces by
``theme.Shell``, so a page is still a string join.  ``templates/shell/chrome_*.html`` are the one place
for per-page chrome; the Material section pages include the same files (``overrides/main.html``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from generator.i18n import t
from generator.site.theme import CONTENT_SLOT, SHELL_URL, TITLE_SLOT, Shell

TEMPLATES = Path(__file__).resolve().parent / "templates" / "shell"
#: Every bulk page sits two folders below its language root (``org/<id>/``, ``area/<code>/``, ``list/<x>/``).
ROOT = "../../"


@dataclass
class NavLink:
    title: str
    path: str


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )


def material_stylesheets(lang_root: Path) -> list[str]:
    """Material's main stylesheet as this mkdocs run wrote it (its name carries a content hash)."""
    found = sorted((lang_root / "assets" / "stylesheets").glob("main.*.min.css"))
    if not found:  # the English root shares the Chinese root's assets
        found = sorted((lang_root.parent / "assets" / "stylesheets").glob("main.*.min.css"))
    return [f"assets/stylesheets/{p.name}" for p in found[:1]]


#: One stylesheet (Material's, then hubdir's) and one script per language for every light page: one
#: ``<link>`` and one request per page (~60 bytes of each of ~200,000 pages at 100k records).  Material's
#: stylesheet has no ``url()`` but data URIs, so it reads the same from ``assets/hubdir/``.
BUNDLE_CSS = "assets/hubdir/light.css"


def bundle_js(lang: str) -> str:
    return f"assets/hubdir/light.{lang}.js"


def write_bundles(site: Path, lang: str, stylesheets: list[str], scripts: list[str], hub: dict[str, Any]) -> None:
    """Join Material's stylesheet and hubdir's, and (after this language's map settings and strings)
    hubdir's scripts.

    Runs once every asset is in place (the nearby assets come late); the files are written fresh,
    never through a link into the previous site.
    """
    # every light page sits two folders below its language root: its roots are the same for all of them
    values = {
        "hubdir-tiles": hub["tiles_json"],
        "hubdir-strings": hub["strings_json"],
        "hubdir-root": ROOT,
        "hubdir-site-root": ROOT if lang == "zh" else ROOT + "../",
        "hubdir-edit": hub.get("edit_base", ""),
        "hubdir-correction": hub.get("correction_url", ""),
    }
    meta = "window.hubdirMeta=" + json.dumps(values, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
    parts = [meta + ";\n"] + [(site / src).read_text("utf-8") + "\n;\n" for src in scripts]
    _fresh(site / bundle_js(lang), "".join(parts))
    if lang == "zh":
        joined = [*material_stylesheets(site), *stylesheets]
        _fresh(site / BUNDLE_CSS, "".join((site / href).read_text("utf-8") + "\n" for href in joined))


def _fresh(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.write_text(text, "utf-8")


def light_shell(
    *,
    lang: str,
    site_name: str,
    site_url: str,
    description: str,
    copyright_html: str,
    nav: list[NavLink],
    hub: dict[str, str],
    stylesheets: list[str],
) -> Shell:
    """The shell of one language: rendered once with placeholders, then cut into a ``Shell``.

    ``stylesheets`` are Material's (their names carry content hashes): ``write_bundles`` joins them
    with hubdir's own into ``BUNDLE_CSS``, the one stylesheet the shell links (so they are not linked
    here), and hubdir's scripts into ``bundle_js(lang)``.  ``description`` is the placeholder
    ``Shell.render`` fills with each page's own description.
    """
    root = ROOT if lang == "zh" else ROOT + "../"
    context: dict[str, Any] = {
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "title": TITLE_SLOT,
        "url": SHELL_URL,
        "site_name": site_name,
        "site_url": site_url,
        "description": description,
        "copyright": Markup(copyright_html),
        "nav": nav,
        "hub": hub,
        # English pages live under en/ but use the one copy of the assets at the site root.
        "root": ROOT,
        "assets_root": root,
        "stylesheets": [BUNDLE_CSS],
        "scripts": [bundle_js(lang)],
        "tabs_label": t(lang, "incremental.shell.tabs"),
        "content": Markup(CONTENT_SLOT),
    }
    text = environment().get_template("page.html").render(**context)
    # the line breaks between the shell's own tags are bytes in every page and nothing on screen
    # (header, tabs and footer are flex boxes); the page content is pasted in later, untouched
    text = re.sub(r">\n+<", "><", text)
    return Shell(text)
