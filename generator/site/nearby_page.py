"""What near me, open now, directions and the hotline strip add to pages, and their shared assets.

Per-page additions stay a few hundred bytes (a compact week in ``data-hubdir-open``, three
direction links, a copy button); the logic and every string live in one cached asset,
``assets/hubdir/nearby.js``, written here with the zh/en strings of ``locale/*/nearby.json``
in front of its source, and ``assets/hubdir/nearby.css``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from generator import hours
from generator.i18n import LANGS, catalogue, t
from generator.registry import Record
from generator.site import directions
from generator.site.nearby import NEAR_DIR, located

HERE = Path(__file__).resolve().parent / "nearby_assets"
ASSET_DIR = "assets/hubdir"
#: Years whose public holidays (法定节假日) the browser is told, from the ``holidays`` package: the
#: State Council announces each year's plan in the preceding autumn; later years follow its rules.
HOLIDAY_YEARS = range(2024, 2031)
_JS_PREFIXES = ("hours.", "directions.", "nearby.", "resident2.near.")
_JS_RENAME = {"directions.": "dir_", "resident2.near.": "n2_"}


def js_strings(lang: str) -> dict[str, str]:
    """The browser's strings, flat: ``hours.open`` → ``open``, ``directions.amap`` → ``dir_amap``,
    ``resident2.near.up`` → ``n2_up``."""
    out = {}
    for key, text in catalogue(lang).items():
        if key.startswith("hours.error."):
            continue
        for prefix in _JS_PREFIXES:
            if key.startswith(prefix):
                name = key[len(prefix) :]
                out[_JS_RENAME.get(prefix, "") + name] = text
    return dict(sorted(out.items()))


def holiday_dates() -> list[str]:
    """China's statutory public holidays (and their days off in lieu) as ``YYYY-MM-DD``, sorted.

    The ``holidays`` package lists the days off that are not weekends; a Saturday or Sunday
    between two of them belongs to the same break (国庆 1–7 October 2026 includes Sunday the 4th),
    so such gaps of at most two weekend days are filled.
    """
    import datetime as dt

    import holidays

    days = set(holidays.China(years=HOLIDAY_YEARS))
    for day in sorted(days):
        for gap in (2, 3):
            if day + dt.timedelta(days=gap) in days:
                between = [day + dt.timedelta(days=i) for i in range(1, gap)]
                if all(d.weekday() >= 5 for d in between):
                    days.update(between)
    return sorted(str(day) for day in days)


def makeup_workdays() -> dict[str, int]:
    """The 调休 working days: a weekend day → the weekday (0 = Monday) whose hours it keeps.

    Why: the State Council moves a weekday off next to a holiday and makes a weekend day a
    working day in exchange (Sunday 4 January 2026 works for Friday 2 January).  A place that
    follows the holiday plan (its hours mention ``PH``) opens that Sunday as on the Friday it
    swapped with.  The pairs are the ``holidays`` package's own table of substituted days
    (``(month, day, from_month, from_day[, from_year])`` per year); a shape it does not know is
    skipped rather than guessed.
    """
    import datetime as dt

    from holidays.countries.china import ChinaStaticHolidays

    table: dict[int, Any] = getattr(ChinaStaticHolidays, "special_public_holidays", {})
    work: dict[str, int] = {}
    for year in HOLIDAY_YEARS:
        entries = table.get(year, ())
        if entries and not isinstance(entries[0], tuple):
            entries = (entries,)
        for entry in entries:
            if len(entry) not in (4, 5) or not all(isinstance(n, int) for n in entry):
                continue  # a one-off holiday with no day worked in exchange
            off = dt.date(year, entry[0], entry[1])
            worked = dt.date(entry[4] if len(entry) == 5 else year, entry[2], entry[3])
            if worked.weekday() >= 5 and off.weekday() < 5:
                work[str(worked)] = off.weekday()
    return dict(sorted(work.items()))


def holidays_json() -> str:
    """``near/holidays.json``: ``{"off": [days off], "work": {调休 working day: weekday}}``."""
    return json.dumps({"off": holiday_dates(), "work": makeup_workdays()}, separators=(",", ":"))


def write_assets(site: Path) -> None:
    """``assets/hubdir/nearby.{js,css}`` under each language root (each has its own ``assets/``, as
    mkdocs writes them) and ``near/holidays.json`` under the site root."""
    for root in (site, site / "en"):
        _write_assets(root)
    (site / NEAR_DIR).mkdir(exist_ok=True)
    (site / NEAR_DIR / "holidays.json").write_text(holidays_json(), "utf-8")


def _write_assets(root: Path) -> None:
    target = root / ASSET_DIR
    target.mkdir(parents=True, exist_ok=True)
    strings = json.dumps({lang: js_strings(lang) for lang in LANGS}, ensure_ascii=False, sort_keys=True)
    strings = strings.replace("<", "\\u003c")
    source = (HERE / "nearby.js").read_text("utf-8")
    (target / "nearby.js").write_text(f"window.HUBDIR_NEARBY_T={strings};\n{source}", "utf-8")
    (target / "nearby.css").write_text((HERE / "nearby.css").read_text("utf-8"), "utf-8")


def record_view(record: Record, lang: str) -> dict[str, Any]:
    """The record page's additions: open-now data, the holiday rule in words, directions, address."""
    out: dict[str, Any] = {"open": "", "holidays": "", "dirs": []}
    value = record.get("opening_hours")
    if isinstance(value, str):
        out["open"], out["holidays"] = _open_data(value, lang)
    point = located(record)
    if point is not None and record.active:
        # plain links, written here: they work without JavaScript (issue 14); as IRIs (Chinese
        # characters unencoded) they add ~0.4 KB to a page, ~0.2 KB gzipped
        address = str(record.get("address") or "")
        found = directions.links(point[0], point[1], record.name, address, compact=True)
        out["dirs"] = [
            {"app": app, "href": found[app], "label": label} for app, label in _direction_labels(lang)
        ]
    return out


@functools.lru_cache(maxsize=4096)
def _open_data(value: str, lang: str) -> tuple[str, str]:
    """``(compact week, the holiday rule in words)`` of an opening-hours value (``("", "")`` if it
    does not parse): most venues share a few values, so each is put into words once per build."""
    try:
        week = hours.parse(value)
    except hours.HoursError:
        return "", ""
    if week.holidays == ():
        return hours.compact(week), t(lang, "hours.holidays_off")
    if week.holidays:
        return hours.compact(week), t(lang, "hours.holidays_open", times=hours.spans_text(week.holidays, lang))
    return hours.compact(week), ""


@functools.cache
def _direction_labels(lang: str) -> tuple[tuple[str, str], ...]:
    """Each map app with its name in ``lang``, the same on every page."""
    return tuple((app, t(lang, f"directions.{app}")) for app in directions.APPS)
