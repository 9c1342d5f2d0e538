"""MkDocs hooks: add hubdir's in-memory section pages and hand their HTML over as data.

Loaded by mkdocs from this path (``hooks:`` in the generated config); the
pages to make are in ``generator.site.theme.ACTIVE`` for the duration of one build.
"""

from __future__ import annotations

import html as _html
import re
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

from generator.site import jinjacache, theme


def on_files(files: Files, config: Any) -> Files:
    for src, section in theme.ACTIVE.items():
        inclusion = InclusionLevel.INCLUDED if section.in_nav else InclusionLevel.NOT_IN_NAV
        # No Markdown at all: the body (with its own <h1>) arrives in on_page_content.
        files.append(File.generated(config, src, content="", inclusion=inclusion))
    return files


def on_env(env: Any, config: Any, files: Files) -> Any:
    """The templates compiled by an earlier mkdocs run of this process, not compiled again (``jinjacache``)."""
    env.bytecode_cache = jinjacache.SHARED
    return env


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    section = theme.ACTIVE.get(page.file.src_uri)
    if section is None:
        return html
    page.title = section.title
    if section.description:  # Material prints page.meta.description unescaped; the share tags escape their own
        page.meta["description"] = _html.escape(section.description, quote=True)
        page.meta["hubdir_description"] = section.description
    return section.html


#: hubdir's scripts that only some section pages use, and the markers of those uses: nearby.js (near
#: me, open now, copy address, map popups), plaque.js (the 打印挂牌 button; the light record pages get
#: it through their own bundle).
_SCRIPT_USERS = {
    "nearby": ("data-hubdir-nearby", "data-hubdir-open", "data-hubdir-copy", "data-hubdir-map-kinds"),
    "plaque": ("data-hubdir-plaque",),
}
_SCRIPT_TAGS = {
    name: re.compile(rf'<script src="[^"]*assets/hubdir/{name}\.js"></script>\s*') for name in _SCRIPT_USERS
}


#: Section pages that need none of Material's JavaScript (its bundle is 35 KB gzipped): the search page
#: has its own script; its drawer is Material's CSS checkbox and works without the bundle (tested).
_NO_MATERIAL_JS = ("search.md",)
_BUNDLE_TAG = re.compile(r'<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js"></script>\s*')


def on_post_page(output: str, page: Any, config: Any) -> str:
    """Leave ``nearby.js`` (8.5 KB gzipped) and ``plaque.js`` off the section pages that use none of them
    (search, data, contribute, coverage, listings), and Material's bundle off the search page: on slow 3G every page
    but the map must stay under 100 KB transferred (issue 14; the search page loads index shards too)."""
    if page.file.src_uri in _NO_MATERIAL_JS:
        output = _BUNDLE_TAG.sub("", output, count=1)
    for name, markers in _SCRIPT_USERS.items():
        if not any(marker in output for marker in markers):
            output = _SCRIPT_TAGS[name].sub("", output, count=1)
    return output
