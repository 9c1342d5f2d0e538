"""Coverage on the website: the coverage page and each town's and village's own gaps, as escaped HTML.

Pure functions of a :class:`generator.coverage.Result`: they know the site's
URL scheme (``area/<code>/``, ``org/<id>/``, relative links between
directory-style pages) but import nothing from the site package, so they can
be tested alone and plugged into whatever builds the pages.  Every value that
comes from YAML is escaped; badges say "有/缺" (yes/MISSING) in words, so
colour is never the only cue and the page prints in black and white.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from generator import geography
from generator.coverage import LEVELS, DivisionCoverage, Ratio, Result, Slot
from generator.coverage.render import field_label, level_label, registry_label, requirement_label
from generator.coverage.svg import Bar, bar_chart
from generator.i18n import t
from generator.site.labels import LIST_SEPARATOR
from generator.site.resident import has_cjk

#: Where the coverage page lives, relative to a language root.
PAGE_PATH = "coverage/"
#: Up to this many villages/communities the coverage page draws each one (a district has ~200).  Above,
#: as at province scale, the page stays a summary and each town's page carries its villages' matrix.
VILLAGE_DETAIL_LIMIT = 400
#: Up to this many towns the coverage page has a row per town (a city has ~40-150).  Above, as in a
#: province of ~1,800 towns, it has a row per child of the root and each district/city page has its towns.
TOWN_DETAIL_LIMIT = 200

#: Styles for badges and the matrix (appended to the site's stylesheet; readable in print and dark mode).
CSS = """
/* coverage (issue 6): blank-spot badges, matrix, charts */
.md-typeset .hubdir-cov{display:inline-block;padding:0 .45em;border:1px solid currentColor;
  border-radius:.25em;font-size:.85em;line-height:1.5;white-space:nowrap}
.md-typeset .hubdir-cov--yes{color:#0b5e2a;background:#e3f4e8}
.md-typeset .hubdir-cov--no{color:#8a1c1c;background:#fbe5e5;font-weight:700}
.md-typeset .hubdir-cov--na{color:inherit;border-style:dashed;opacity:.8}
[data-md-color-scheme="slate"] .md-typeset .hubdir-cov--yes{color:#9be3b0;background:rgba(46,160,67,.18)}
[data-md-color-scheme="slate"] .md-typeset .hubdir-cov--no{color:#ffb3b3;background:rgba(220,50,50,.2)}
.md-typeset .hubdir-cov-list{list-style:none;margin-left:0;padding-left:0}
.md-typeset .hubdir-cov-list li{margin:.2em 0}
.md-typeset .hubdir-cov-chart{display:block;width:auto;max-width:100%;margin:1em 0}
.md-typeset .hubdir-cov-chart figcaption{font-size:.8em;font-style:normal;text-align:left;max-width:none;
  margin:.2em 0 0}
.md-typeset .hubdir-cov-pct{white-space:nowrap;text-align:right}
@media print{.md-typeset .hubdir-cov{background:none!important;color:#000!important}
  .md-typeset .hubdir-cov--no{border-width:2px}.hubdir-cov-chart{break-inside:avoid}}
"""


def rel(here: str, target: str) -> str:
    """Relative link between two directory-style pages of one language root."""
    depth = here.count("/")
    return "../" * depth + target if (depth or target) else "./"


def area_path(code: str) -> str:
    return f"area/{code}/"


def org_path(rid: str) -> str:
    return f"org/{rid}/"


def _a(here: str, target: str, text: str, anchor: str = "", lang: str = "zh") -> str:
    """A link; on English pages a Chinese name is marked ``lang="zh-CN"`` (screen readers, fonts)."""
    href = rel(here, target) + (f"#{anchor}" if anchor else "")
    if lang != "zh" and has_cjk(text):
        return f'<a href="{escape(href)}"><span lang="zh-CN">{escape(text)}</span></a>'
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def badge(kind: str, text: str, sign: str = "") -> str:
    """``kind`` is yes/no/na; ``sign`` (✓/✗) is decoration hidden from screen readers."""
    mark = f'<span aria-hidden="true">{sign}</span> ' if sign else ""
    return f'<span class="hubdir-cov hubdir-cov--{kind}">{mark}{escape(text)}</span>'


def slot_badge(slot: Slot | None, lang: str, label: str = "") -> str:
    """A yes/MISSING badge; with ``label`` it names the requirement (``妇联：缺``)."""
    if slot is None:
        return badge("na", t(lang, "coverage.mark.not_required"))
    state = "present" if slot.filled else "missing"
    text = t(lang, f"coverage.badge.{state}", label=label) if label else t(lang, f"coverage.mark.{state}")
    return badge("yes", text, "✓") if slot.filled else badge("no", text, "✗")


def _ratio(ratio: Ratio) -> str:
    return escape(f"{ratio.present}/{ratio.total} · {ratio.text()}" if ratio.total else ratio.text())


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), caption: str = ""
) -> str:
    """An HTML table; header texts are escaped here, cells must already be HTML."""
    head = "".join(
        f'<th scope="col"{" class=hubdir-cov-pct" if i in numeric else ""}>{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    # data-label: a phone shows each row stacked, every cell named by its column (resident.css)
    labels = [f' data-label="{escape(h)}"' for h in headers]
    body = "".join(
        "<tr>"
        + "".join(
            (
                f'<th scope="row">{c}</th>'
                if i == 0
                else f'<td class="hubdir-cov-pct"{labels[i]}>{c}</td>'
                if i in numeric
                else f"<td{labels[i]}>{c}</td>"
            )
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    # A wide table scrolls sideways on a phone: the scrolling box takes keyboard focus and has a name.
    label = escape(caption or " · ".join(headers))
    return (
        f'<div class="md-typeset__scrollwrap" tabindex="0" role="region" aria-label="{label}">'
        '<div class="md-typeset__table"><table class="hubdir-table">'
        f"{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></div>"
    )


def _p(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _figure(svg: str, caption: str) -> str:
    """A chart with a visible caption (the SVG's own title/desc serve screen readers); one line, so a
    Markdown step, if any, leaves it alone."""
    cap = f'<figcaption aria-hidden="true">{escape(caption)}</figcaption>'
    return f'<figure class="hubdir-cov-chart">{svg}{cap}</figure>'


def villages_in_detail(result: Result) -> bool:
    """Whether the coverage page lists every village/community (see ``VILLAGE_DETAIL_LIMIT``)."""
    return result.coverage.village_count <= VILLAGE_DETAIL_LIMIT


def towns_in_detail(result: Result) -> bool:
    """Whether the coverage page has a row per town (see ``TOWN_DETAIL_LIMIT``)."""
    return len(result.coverage.towns) <= TOWN_DETAIL_LIMIT


def _children_rows(result: Result, code: str, lang: str, here: str) -> tuple[list[str], list[list[str]]]:
    """A table of a division's measured children: own slots and everything below them."""
    cov = result.coverage
    headers = [
        geography.children_heading(result.registry.geo.child_level(code) or "town", lang),
        t(lang, "coverage.col.own"),
        t(lang, "coverage.col.combined"),
    ]
    rows = []
    for child in result.registry.geo.children(code):
        measured = cov.get(child.id)
        if measured is None or measured.level == "village":
            continue
        rows.append(
            [
                _a(here, area_path(child.id), measured.display_name(lang)),
                _ratio(measured.ratio),
                _ratio(cov.subtree_ratio(child.id)),
            ]
        )
    return headers, rows


def _levels(result: Result) -> list[str]:
    return [lv for lv in LEVELS if result.spec.requirements(lv)]


# --------------------------------------------------------------------------- charts
def towns_chart(result: Result, lang: str) -> str:
    bars = [Bar(tw.town.display_name(lang), tw.combined) for tw in result.coverage.towns]
    return bar_chart(
        f"towns-{lang}", t(lang, "coverage.chart.towns"), t(lang, "coverage.chart.towns_desc"), bars, lang
    )


def requirements_chart(result: Result, level: str, lang: str) -> str:
    cov = result.coverage
    bars = [
        Bar(requirement_label(result, r, lang), cov.requirement_ratio(r))
        for r in cov.spec.requirements(level)
    ]
    name = t(lang, f"coverage.level.{level}")
    return bar_chart(
        f"kinds-{level}-{lang}",
        t(lang, "coverage.chart.requirements", level=level_label(level, lang)),
        t(lang, "coverage.chart.requirements_desc", level=name),
        bars,
        lang,
    )


def _kinds_title(level: str, lang: str) -> str:
    return t(lang, "coverage.chart.requirements", level=level_label(level, lang))


def fields_chart(result: Result, lang: str) -> str:
    bars = [Bar(field_label(f, lang), r) for f, r in result.completeness.by_field().items() if r.total]
    return bar_chart(
        f"fields-{lang}", t(lang, "coverage.chart.fields"), t(lang, "coverage.chart.fields_desc"), bars, lang
    )


# --------------------------------------------------------------------------- the coverage page
def render_coverage_page(result: Result, lang: str, here: str = PAGE_PATH, data_page: str = "data/") -> str:
    """The whole coverage page body (HTML, with its own ``<h1>``)."""
    cov, comp = result.coverage, result.completeness
    out: list[str] = [f"<h1>{escape(t(lang, 'coverage.title'))}</h1>"]
    out.append(f"<p>{escape(t(lang, 'coverage.summary.rules'))}</p>")
    out.append(
        '<ul class="hubdir-cov-summary">'
        + "".join(f"<li>{escape(line)}</li>" for line in _summary(result, lang))
        + "</ul>"
    )
    out.append(
        f"<p>{escape(t(lang, 'coverage.page.data'))} "
        f"{_a(here, data_page, t(lang, 'coverage.page.data_link'))}</p>"
    )

    # towns: chart and table (at province scale: the root's children, and each of their pages has its towns)
    by_town = towns_in_detail(result)
    root = cov.root
    out.append(f'<h2 id="towns">{escape(t(lang, "coverage.heading.towns"))}</h2>')
    if not by_town and root is not None:
        out.append(_p(t(lang, "geography.coverage.towns_elsewhere", count=len(cov.towns))))
        headers, rows = _children_rows(result, root.code, lang, here)
        out.append(_table(headers, rows, (1, 2)))
    elif cov.towns and cov.overall.total:
        out.append(_figure(towns_chart(result, lang), t(lang, "coverage.chart.towns")))
        rows = [
            [
                _a(here, area_path(tw.town.code), tw.town.display_name(lang), lang=lang),
                _ratio(tw.own),
                _ratio(tw.village_ratio),
                _ratio(tw.combined),
            ]
            for tw in cov.towns
        ]
        out.append(
            _table(
                [
                    t(lang, "coverage.col.town"),
                    t(lang, "coverage.col.own"),
                    t(lang, "coverage.col.villages"),
                    t(lang, "coverage.col.combined"),
                ],
                rows,
                (1, 2, 3),
            )
        )

    # a matrix per level above the villages (towns only while there are few enough of them)
    for level in LEVELS[:-1]:
        if not result.spec.requirements(level) or not cov.divisions(level):
            continue
        out.append(
            f'<h2 id="matrix-{level}">'
            f"{escape(t(lang, 'coverage.heading.matrix', level=level_label(level, lang)))}</h2>"
        )
        if level == "town" and not by_town:
            out.append(_figure(requirements_chart(result, level, lang), _kinds_title(level, lang)))
            continue
        out.append(_matrix(result, cov.divisions(level), level, lang, here))
        if level == "town":
            out.append(_figure(requirements_chart(result, level, lang), _kinds_title(level, lang)))

    # villages, town by town (on their towns' pages when there are too many for one page)
    detailed = villages_in_detail(result)
    if result.spec.requirements("village") and cov.divisions("village"):
        out.append(f'<h2 id="villages">{escape(t(lang, "coverage.heading.villages"))}</h2>')
        out.append(_figure(requirements_chart(result, "village", lang), _kinds_title("village", lang)))
        if not detailed:
            out.append(_p(t(lang, "coverage.page.villages_elsewhere", count=len(cov.divisions("village")))))
        for tw in cov.towns if detailed else ():
            if not tw.villages:
                continue
            out.append(
                f'<h3 id="town-{escape(tw.town.code)}">{escape(tw.town.display_name(lang))} '
                f"<small>{_ratio(tw.village_ratio)}</small></h3>"
            )
            out.append(_matrix(result, tw.villages, "village", lang, here))

    # the list of blank spots, one row per division
    spots = [d for d in cov.divisions() if d.missing]
    out.append(f'<h2 id="blank-spots">{escape(t(lang, "coverage.heading.blank_spots"))}</h2>')
    if spots:
        out.append(_p(t(lang, "coverage.page.blank_count", spots=cov.overall.missing, divisions=len(spots))))
        if not detailed:
            elsewhere = [d for d in spots if d.level == "village"]
            spots = [d for d in spots if d.level != "village"]
            count = sum(len(d.missing) for d in elsewhere)
            out.append(_p(t(lang, "coverage.page.village_spots_elsewhere", divisions=len(elsewhere), spots=count)))
        if not by_town:
            elsewhere = [d for d in spots if d.level == "town"]
            spots = [d for d in spots if d.level != "town"]
            count = sum(len(d.missing) for d in elsewhere)
            out.append(_p(t(lang, "geography.coverage.town_spots_elsewhere", divisions=len(elsewhere), spots=count)))
        rows = []
        for d in spots:
            town = result.division_name(d.town, lang) if d.level == "village" else ""
            gaps = " ".join(
                slot_badge(s, lang, requirement_label(result, s.requirement, lang)) for s in d.missing
            )
            notes = "; ".join(escape(_note(s, lang)) for s in d.missing if s.inactive)
            rows.append(
                [
                    _a(here, area_path(d.code), d.display_name(lang), lang=lang),
                    escape(t(lang, f"coverage.level.{d.level}")),
                    escape(town),
                    gaps,
                    notes,
                ]
            )
        if rows:
            out.append(
                _table(
                    [
                        t(lang, "coverage.col.division"),
                        t(lang, "coverage.col.level"),
                        t(lang, "coverage.col.town"),
                        t(lang, "coverage.col.missing"),
                        t(lang, "coverage.col.note"),
                    ],
                    rows,
                )
            )
    else:
        out.append(f"<p>{escape(t(lang, 'coverage.no_blank_spots'))}</p>")

    # completeness
    out.append(f'<h2 id="completeness">{escape(t(lang, "coverage.heading.completeness"))}</h2>')
    if comp.records:
        out.append(f"<p>{escape(t(lang, 'coverage.page.fields_rule'))}</p>")
        out.append(_figure(fields_chart(result, lang), t(lang, "coverage.chart.fields")))
        fields = comp.spec.fields()
        by_registry = comp.by_registry()
        out.append(
            f'<h3 id="completeness-registry">{escape(t(lang, "coverage.heading.completeness_registry"))}</h3>'
        )
        rows = [
            [
                escape(registry_label(name, lang)),
                str(comp.registry_count(name)),
                *[_ratio(by_registry[name][f]) for f in fields],
                _ratio(comp.registry_ratio(name)),
            ]
            for name in by_registry
        ]
        out.append(
            _table(
                [
                    t(lang, "coverage.col.registry"),
                    t(lang, "coverage.col.records"),
                    *[field_label(f, lang) for f in fields],
                    t(lang, "coverage.col.overall"),
                ],
                rows,
                tuple(range(1, len(fields) + 3)),
            )
        )
        out.append(f'<h3 id="completeness-town">{escape(t(lang, "coverage.heading.completeness_town"))}</h3>')
        rows = []
        for town, ratios in comp.by_town().items() if by_town else ():
            name = result.division_name(town, lang)
            cell = _a(here, area_path(town), name, lang=lang) if town else escape(name)
            rows.append(
                [
                    cell,
                    str(len(comp.in_town(town))),
                    *[_ratio(ratios[f]) for f in fields],
                    _ratio(comp.town_ratio(town)),
                ]
            )
        if not by_town and root is not None:  # per child of the root: rolled up, no field columns
            fields = ()
            for child in result.registry.geo.children(root.code):
                done, count = result.completeness_below(child.id)
                if count:
                    rows.append(
                        [_a(here, area_path(child.id), result.division_name(child.id, lang)), str(count), _ratio(done)]
                    )
        first_col = t(lang, "coverage.col.town")
        if not by_town and root is not None:
            first_col = geography.children_heading(result.registry.geo.child_level(root.code) or "town", lang)
        out.append(
            _table(
                [
                    first_col,
                    t(lang, "coverage.col.records"),
                    *[field_label(f, lang) for f in fields],
                    t(lang, "coverage.col.overall"),
                ],
                rows,
                tuple(range(1, len(fields) + 3)),
            )
        )
        limit = result.spec.least_complete
        least = comp.least_complete(limit)
        out.append(
            f'<h3 id="least-complete">'
            f"{escape(t(lang, 'coverage.heading.least_complete', limit=len(least)))}</h3>"
        )
        sep = LIST_SEPARATOR[lang]
        rows = [
            [
                _a(here, org_path(r.id), r.display_name(lang), lang=lang),
                escape(registry_label(r.registry, lang)),
                _a(here, area_path(r.division), result.division_name(r.division, lang), lang=lang),
                _ratio(r.ratio),
                escape(sep.join(field_label(f, lang) for f in r.missing)),
            ]
            for r in least
        ]
        out.append(
            _table(
                [
                    t(lang, "coverage.col.record"),
                    t(lang, "coverage.col.registry"),
                    t(lang, "coverage.col.division"),
                    t(lang, "coverage.col.completeness"),
                    t(lang, "coverage.col.fields_missing"),
                ],
                rows,
                (3,),
            )
        )
    else:
        out.append(f"<p>{escape(t(lang, 'coverage.no_records'))}</p>")
    return "\n".join(out) + "\n"


def _summary(result: Result, lang: str) -> list[str]:
    from generator.coverage.render import summary_lines

    return summary_lines(result, lang)


def _note(slot: Slot, lang: str) -> str:
    return t(lang, "coverage.inactive", ids=", ".join(slot.inactive))


def _matrix(result: Result, divisions: Sequence[DivisionCoverage], level: str, lang: str, here: str) -> str:
    requirements = result.spec.requirements(level)
    headers = [
        t(lang, "coverage.col.division"),
        *[requirement_label(result, r, lang) for r in requirements],
        t(lang, "coverage.col.percent"),
    ]
    rows = []
    for d in divisions:
        slots = {s.requirement: s for s in d.slots}
        rows.append(
            [
                _a(here, area_path(d.code), d.display_name(lang), lang=lang),
                *[slot_badge(slots.get(r), lang) for r in requirements],
                _ratio(d.ratio),
            ]
        )
    return _table(headers, rows, (len(headers) - 1,))


# --------------------------------------------------------------------------- an area's own gaps
def render_area_gaps(result: Result, code: str, lang: str, here: str | None = None) -> str:
    """The block for a district, town or village page: what it has, what it lacks, and how complete."""
    division = result.coverage.get(code)
    above_towns = division is not None and geography.higher(division.level, "town")
    if division is None or not (division.slots or above_towns):
        return ""
    here = here if here is not None else area_path(code)
    out = [
        f'<section class="hubdir-cov-area" aria-labelledby="cov-{escape(code)}">',
        f'<h2 id="cov-{escape(code)}">{escape(t(lang, "coverage.area.heading"))}</h2>',
    ]
    if division.slots:  # a level with nothing required (a city, by default) shows only what lies below
        out.append(
            _p(
                t(
                    lang,
                    "coverage.area.summary",
                    present=division.ratio.present,
                    total=division.ratio.total,
                    percent=division.ratio.text(),
                )
            )
        )
    out.append('<ul class="hubdir-cov-list">' if division.slots else "")
    for slot in division.slots:
        label = requirement_label(result, slot.requirement, lang)
        item = slot_badge(slot, lang, label)
        if slot.filled:
            names = [result.registry.by_id.get(rid) for rid in slot.present]
            item += " " + "、".join(_a(here, org_path(r.id), r.name, lang=lang) for r in names if r is not None)
        elif slot.inactive:
            item += f' <span class="hubdir-small">{escape(_note(slot, lang))}</span>'
        out.append(f"<li>{item}</li>")
    out.append("</ul>" if division.slots else "")
    if division.level == "town":
        tw = result.coverage.town(code)
        if tw is not None and tw.villages:
            vr = tw.village_ratio
            text = t(
                lang,
                "coverage.area.villages",
                present=vr.present,
                total=vr.total,
                percent=vr.text(),
                gaps=sum(1 for v in tw.villages if v.missing),
                count=len(tw.villages),
            )
            out.append(f"<p>{escape(text)}</p>")
            out.append(_matrix(result, tw.villages, "village", lang, here))
        records = result.completeness.in_town(code)
        anchor = f"town-{code}" if villages_in_detail(result) else "towns"
    elif above_towns:  # a province, city or district: everything below it, rolled up, and its children
        below = result.coverage.subtree_ratio(code)
        whole = result.coverage.root is division and division.level == "district"
        key = "coverage.area.overall" if whole else "geography.coverage.below"
        text = t(lang, key, present=below.present, total=below.total, percent=below.text())
        out.append(f"<p>{escape(text)}</p>")
        headers, rows = _children_rows(result, code, lang, here)
        if rows:
            out.append(_table(headers, rows, (1, 2)))
        done, count = result.completeness_below(code)
        if count:
            out.append(
                _p(
                    t(
                        lang,
                        "geography.coverage.completeness_below",
                        count=count,
                        present=done.present,
                        total=done.total,
                        percent=done.text(),
                    )
                )
            )
        records = []
        anchor = "towns"
    else:
        records = result.completeness.in_division(code)
        anchor = f"town-{division.town}" if villages_in_detail(result) else "villages"
    if records:
        done = Ratio(sum(len(r.present) for r in records), sum(r.ratio.total for r in records))
        out.append(
            _p(
                t(
                    lang,
                    "coverage.area.completeness",
                    count=len(records),
                    present=done.present,
                    total=done.total,
                    percent=done.text(),
                )
            )
        )
    out.append(f"<p>{_a(here, PAGE_PATH, t(lang, 'coverage.area.more'), anchor)}</p>")
    out.append("</section>")
    return "\n".join(out) + "\n"


def render_village_link(result: Result, code: str, lang: str) -> str:
    """A village page's only word on coverage: where staff find its blank spots (the scores stay there)."""
    division = result.coverage.get(code)
    if division is None or not division.slots:
        return ""
    anchor = f"town-{division.town}" if villages_in_detail(result) else "villages"
    link = _a(area_path(code), PAGE_PATH, t(lang, "resident.village.coverage"), anchor)
    return f'<p class="hubdir-small">{link}</p>\n'
