"""Where other modules add to the site without editing its templates.

Two extension points, both pure data in, escaped HTML out:

* ``section_page(...)`` adds a page built by mkdocs-material in both
  languages (e.g. the coverage page); it appears in the short nav.
* ``area_fragment(...)`` adds a block to every town/village page (e.g. the
  blank spots of that area).
* ``stylesheet(name, css)`` adds CSS for those blocks (served as
  ``assets/hubdir/contrib.css`` on every page).

A contributing module registers at import time and is named in
``CONTRIBUTORS``; ``load()`` imports them before each build.  Registration is
keyed by name, so importing twice (``hubdir serve`` rebuilds in one process)
never duplicates anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from generator.registry import Record
    from generator.site.model import SiteModel

#: Modules imported before each build so they can register pages and fragments.
CONTRIBUTORS: list[str] = ["generator.coverage.contrib"]


@dataclass(frozen=True)
class SectionPage:
    """A section page: ``render(model, lang)`` returns its body HTML (escape what you insert)."""

    slug: str
    title: Callable[[str], str]
    render: Callable[[SiteModel, str], str | Markup]
    order: int = 50


#: Fragment renderer for an area page: ``(model, division record, lang) -> HTML or ""``.
AreaFragment = Callable[["SiteModel", "Record", str], "str | Markup"]

SECTIONS: dict[str, SectionPage] = {}
AREA_FRAGMENTS: dict[str, tuple[int, AreaFragment]] = {}
STYLESHEETS: dict[str, str] = {}


def section_page(page: SectionPage) -> None:
    SECTIONS[page.slug] = page


def area_fragment(name: str, render: AreaFragment, order: int = 50) -> None:
    AREA_FRAGMENTS[name] = (order, render)


def stylesheet(name: str, css: str) -> None:
    STYLESHEETS[name] = css


def css() -> str:
    """All contributed CSS, in name order (deterministic)."""
    return "\n".join(STYLESHEETS[name] for name in sorted(STYLESHEETS))


def load() -> None:
    for module in CONTRIBUTORS:
        importlib.import_module(module)


def sections() -> list[SectionPage]:
    return sorted(SECTIONS.values(), key=lambda p: (p.order, p.slug))


def fragments(model: SiteModel, area: Record, lang: str) -> list[Markup]:
    out = []
    for _, (_, render) in sorted(AREA_FRAGMENTS.items(), key=lambda kv: (kv[1][0], kv[0])):
        html = render(model, area, lang)
        if html:
            out.append(Markup(html))
    return out
