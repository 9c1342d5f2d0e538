"""Everything specific to mkdocs-material, in one place (a move to Zensical touches this file
and ``templates/overrides`` only).

mkdocs-material builds the few *section pages* of each language (home, kind
listings, map, data, contribute, search, contributed pages) from pages
generated in memory by a hooks module (``File.generated``; no Markdown is
written to disk, no front matter is parsed: the body HTML is handed over as
data in ``on_page_content``).  The same run renders one *shell* page per
language: a real Material page whose title, URL and content are placeholders.
The bulk pages (one per record, town, village and listing chunk) are then
made by pasting their content into that shell, so they carry Material's exact
header, navigation, CSS and JS at string-join speed.

Why not every page through MkDocs: measured at ≈4.4 ms a page (search 28 %,
Jinja 27 %, Markdown 22 %), 100k records × 2 languages would take ~15 min
before search indexing; the shell costs ~0.1 ms a page.
"""

from __future__ import annotations

import html
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OVERRIDES = HERE / "templates" / "overrides"
ASSETS = HERE / "assets"
HOOKS = HERE / "mkdocs_hooks.py"
#: The shell page sits at the same depth as every bulk page (``org/<id>/``, ``area/<code>/``…).
SHELL_URL = "_shell/page/"
SHELL_SRC = "_shell/page.md"
TITLE_SLOT = "HUBDIRTITLESLOT"
CONTENT_SLOT = "<!--hubdir:content-->"
#: The page's own description (``<meta name="description">``, ``og:description``), escaped per page.
DESC_SLOT = "HUBDIRDESCSLOT"

#: Pages the running mkdocs build must generate, keyed by ``src_uri`` (read by the hooks module).
ACTIVE: dict[str, Section] = {}


@dataclass
class Section:
    """A page mkdocs builds: where it goes, its title and its body (already escaped HTML)."""

    src: str
    title: str
    html: str
    in_nav: bool = True
    #: What the page is about, for search engines and share cards (plain text; escaped by the hooks).
    description: str = ""


@dataclass
class NavItem:
    title: str
    src: str = ""
    children: list[NavItem] = field(default_factory=list)

    def to_mkdocs(self) -> Any:
        if self.children:
            return {self.title: [c.to_mkdocs() for c in self.children]}
        return {self.title: self.src}


class Shell:
    """A Material page split at its placeholders: ``render`` joins a bulk page in one pass."""

    def __init__(self, text: str) -> None:
        start = text.index(CONTENT_SLOT)
        head, tail = text[:start], text[start + len(CONTENT_SLOT) :]
        # Material adds an <h1> with the page title before the content: drop it (pages bring their own).
        h1 = head.rfind("<h1")
        if h1 != -1 and TITLE_SLOT in head[h1:]:
            head = head[:h1]
        self.head = [
            [part.split(SHELL_URL) for part in piece.split(TITLE_SLOT)] for piece in head.split(DESC_SLOT)
        ]
        self.tail = tail.split(SHELL_URL)

    def render(self, title: str, path: str, content: str, description: str = "") -> str:
        esc = html.escape(title, quote=True)
        desc = html.escape(description or title, quote=True)
        head = desc.join(esc.join(path.join(parts) for parts in piece) for piece in self.head)
        return head + content + path.join(self.tail)


def mkdocs_config(
    *,
    lang: str,
    site_name: str,
    site_url: str,
    description: str,
    copyright_html: str,
    docs_dir: Path,
    site_dir: Path,
    overrides: Path,
    nav: list[NavItem],
    hub: dict[str, Any],
    strict: bool,
    logo: str = "",
    favicon: str = "",
) -> dict[str, Any]:
    return {
        "site_name": site_name,
        "site_url": site_url,
        "site_description": description,
        "docs_dir": str(docs_dir),
        "site_dir": str(site_dir),
        "use_directory_urls": True,
        "strict": strict,
        "copyright": copyright_html,
        "theme": {
            "name": "material",
            "custom_dir": str(overrides),
            "language": lang,
            "font": False,
            "features": ["navigation.tabs", "navigation.top"],
            **({"logo": logo} if logo else {}),
            **({"favicon": favicon} if favicon else {}),
        },
        "extra": {"generator": False, "hubdir": hub},
        "extra_css": [
            "assets/hubdir/hubdir.css",
            "assets/hubdir/contrib.css",
            "assets/hubdir/nearby.css",
            "assets/hubdir/resident.css",
            "assets/hubdir/listing.css",
            "assets/hubdir/plaque.css",
        ],
        "extra_javascript": [
            "assets/hubdir/hubdir.js",
            "assets/hubdir/nearby.js",
            "assets/hubdir/care.js",
            "assets/hubdir/plaque.js",
        ],
        "plugins": [],
        "hooks": [str(HOOKS)],
        "markdown_extensions": [],
        "nav": [item.to_mkdocs() for item in nav],
        "validation": {"nav": {"omitted_files": "ignore", "not_found": "warn"}},
    }


def prepare_overrides(work: Path) -> Path:
    """Copy the overrides and patch Material's Chinese strings so pages say ``lang="zh-CN"``.

    ``zh-CN`` tells browsers, screen readers and search engines which Chinese; Material's own
    ``zh`` strings are kept, only the language code changes.
    """
    target = work / "overrides"
    shutil.copytree(OVERRIDES, target, dirs_exist_ok=True)
    # the per-page chrome of the light shell (site/shell.py), included by main.html too
    for chrome in sorted((HERE / "templates" / "shell").glob("chrome_*.html")):
        (target / "hubdir-chrome").mkdir(exist_ok=True)
        shutil.copy2(chrome, target / "hubdir-chrome" / chrome.name)
    import material

    zh = Path(material.__file__).parent / "templates" / "partials" / "languages" / "zh.html"
    text = zh.read_text("utf-8").replace('"language": "zh"', '"language": "zh-CN"', 1)
    (target / "partials" / "languages").mkdir(parents=True, exist_ok=True)
    (target / "partials" / "languages" / "zh.html").write_text(text, "utf-8")
    return target


def build_language(config: dict[str, Any], work: Path, sections: list[Section], *, quiet: bool) -> Shell:
    """Run one mkdocs-material build of the section pages, then cut the shell out of it."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    docs = Path(config["docs_dir"])
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ASSETS, docs / "assets" / "hubdir", dirs_exist_ok=True)
    from generator.site import contrib

    extra_css = contrib.css() or "/* no contributed styles */\n"
    (docs / "assets" / "hubdir" / "contrib.css").write_text(extra_css, "utf-8")
    from generator.site import listing

    (docs / "assets" / "hubdir" / "listing.css").write_text(listing.css(), "utf-8")
    config_path = work / f"mkdocs-{config['theme']['language']}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    ACTIVE.clear()
    for section in sections:
        ACTIVE[section.src] = section
    ACTIVE[SHELL_SRC] = Section(SHELL_SRC, TITLE_SLOT, CONTENT_SLOT, in_nav=False, description=DESC_SLOT)
    level = logging.WARNING if quiet else logging.INFO
    logging.getLogger("mkdocs").setLevel(level)
    try:
        cfg = load_config(config_file=str(config_path))
        mkdocs_build(cfg)
    finally:
        ACTIVE.clear()
    site_dir = Path(config["site_dir"])
    shell_file = site_dir / SHELL_URL / "index.html"
    shell = Shell(shell_file.read_text("utf-8"))
    shutil.rmtree(site_dir / "_shell")
    for name in ("sitemap.xml", "sitemap.xml.gz"):
        (site_dir / name).unlink(missing_ok=True)
    scrub_assets(site_dir)
    return shell


#: Hosts Material's bundle would contact in situations this site never creates (a ResizeObserver
#: polyfill for pre-2020 browsers, mermaid diagrams, GitHub repository facts).  They are cut out so
#: that no file of the site even names a foreign host; a blocked request in mainland China would
#: otherwise stall the page.
_FOREIGN_IN_BUNDLE = {"https://unpkg.com/": "data:text/javascript,", "https://api.github.com": ""}


def scrub_assets(site_dir: Path) -> None:
    """Drop Material's unused search (lunr, worker) and source maps; cut foreign hosts from its bundle."""
    scripts = site_dir / "assets" / "javascripts"
    for unused in ("lunr", "workers"):
        shutil.rmtree(scripts / unused, ignore_errors=True)
    for source_map in sorted((site_dir / "assets").rglob("*.map")):
        source_map.unlink()
    for bundle in sorted(scripts.glob("bundle.*.js")):
        text = bundle.read_text("utf-8")
        for host, replacement in _FOREIGN_IN_BUNDLE.items():
            text = text.replace(host, replacement)
        text = text.replace("//# sourceMappingURL=", "//# sourceMappingURL-removed=")
        bundle.write_text(text, "utf-8")
