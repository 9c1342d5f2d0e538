"""Plugs coverage into the website through ``generator.site.contrib`` (imported before each build).

Registers the coverage section page (``coverage/`` in both languages, in the
short nav), a block on every district, town and village page showing that
area's own gaps, and the badge/chart styles.  The figures are computed once per registry and shared by
both languages and every page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.coverage import Result, measured
from generator.coverage.site import CSS, render_area_gaps, render_coverage_page, render_village_link
from generator.i18n import t
from generator.site import contrib

if TYPE_CHECKING:
    from generator.registry import Record, Registry
    from generator.site.model import SiteModel

SLUG = "coverage"


def result_for(registry: Registry) -> Result:
    """Coverage of ``registry``, computed once (``coverage.measured``, shared with the datasets)."""
    return measured(registry)


def _page(model: SiteModel, lang: str) -> str:
    return render_coverage_page(result_for(model.registry), lang, here=f"{SLUG}/")


def _fragment(model: SiteModel, area: Record, lang: str) -> str:
    if area.get("level") == "village":  # residents first: a village page links to its blank spots only
        return render_village_link(result_for(model.registry), area.id, lang)
    return render_area_gaps(result_for(model.registry), area.id, lang)


def register() -> None:
    page = contrib.SectionPage(slug=SLUG, title=lambda lang: t(lang, "coverage.nav"), render=_page, order=40)
    contrib.section_page(page)
    contrib.area_fragment(SLUG, _fragment, order=40)
    contrib.stylesheet(SLUG, CSS)


register()
