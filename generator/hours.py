"""Opening hours: the one owner of the ``opening_hours`` grammar.

The schema (``common.schema.json``) admits the OpenStreetMap subset
``Mo-Fr 08:30-12:00,14:30-17:30; Sa 09:00-12:00; PH off``: rules separated by
``"; "``, each a list of days or day ranges (``PH`` = statutory public
holidays, 法定节假日) and either ``off`` or time spans.  Its pattern cannot say
that ``25:00`` is no time or that ``09:00-09:00`` is empty: ``parse`` does, and
``validate`` turns that into a located problem.

As in OpenStreetMap, a later rule replaces what an earlier one said about the
same day (``Mo-Fr 08:00-17:00; We 08:00-12:00`` closes Wednesday at noon), a
day range may wrap (``Fr-Mo``), a span may run past midnight (``22:00-02:00``)
and, when ``PH`` is not mentioned, holidays keep the weekday's hours.

The site shows the week in words (``describe``, server-side, readable without
JavaScript) and hands the browser ``compact``: the only thing the script needs
to decide "open now" by China time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from itertools import pairwise

from generator.i18n import t

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HOLIDAY = "PH"
DAY_MINUTES = 24 * 60
_RULE = re.compile(r"(?P<days>[A-Za-z,\-]+) (?P<times>off|[0-9:,\-]+)\Z")
_DAY = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?\Z")
_SPAN = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})\Z")

Span = tuple[int, int]


class HoursError(ValueError):
    """Why a value cannot be read: ``key`` under ``hours.error`` plus its arguments.

    ``syntax`` errors are the ones the schema's pattern already reports; the others are
    the meaning the pattern cannot check.
    """

    def __init__(self, key: str, **args: str) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args

    @property
    def syntax(self) -> bool:
        return self.key == "syntax"

    def message(self, lang: str) -> str:
        return t(lang, f"hours.error.{self.key}", **self.args_dict)


@dataclass(frozen=True)
class Rule:
    """One rule as written: its day groups (``("Mo", "Fr")`` for ``Mo-Fr``) and spans (empty: ``off``)."""

    groups: tuple[tuple[str, str], ...]
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Hours:
    """The week: for Monday…Sunday the spans in minutes from midnight (an end past 1440 runs into the
    next day); ``holidays`` the spans on public holidays, ``None`` when the value does not mention them."""

    rules: tuple[Rule, ...]
    week: tuple[tuple[Span, ...], ...]
    holidays: tuple[Span, ...] | None


def _minutes(hh: str, mm: str, text: str, end: bool) -> int:
    value = int(hh) * 60 + int(mm)
    if int(mm) > 59 or value > DAY_MINUTES or (value == DAY_MINUTES and not end):
        raise HoursError("bad_time", time=text)
    return value


def _span(text: str) -> Span:
    m = _SPAN.match(text)
    if not m:
        raise HoursError("syntax", part=text)
    start = _minutes(m[1], m[2], text.split("-")[0], end=False)
    end = _minutes(m[3], m[4], text.split("-")[1], end=True)
    if start == end:
        raise HoursError("empty_span", span=text)
    return (start, end if end > start else end + DAY_MINUTES)


def _days(first: str, last: str) -> list[int]:
    a, b = DAYS.index(first), DAYS.index(last)
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


@functools.lru_cache(maxsize=8192)
def parse(value: str) -> Hours:
    """Read an ``opening_hours`` value; raise ``HoursError`` when it cannot be read or means nothing.

    Cached (``Hours`` is immutable): a build reads the same few values for thousands of venues."""
    rules: list[Rule] = []
    week: list[tuple[Span, ...]] = [() for _ in DAYS]
    holidays: tuple[Span, ...] | None = None
    for part in value.split(";"):
        part = part.strip()
        m = _RULE.match(part)
        if not m:
            raise HoursError("syntax", part=part or value)
        groups: list[tuple[str, str]] = []
        for group in m["days"].split(","):
            dm = _DAY.match(group)
            if not dm:
                raise HoursError("syntax", part=group)
            groups.append((dm[1], dm[2] or ""))
        spans: tuple[Span, ...] = ()
        if m["times"] != "off":
            spans = tuple(sorted(_span(s) for s in m["times"].split(",")))
            for (_, end), (start, _) in pairwise(spans):
                if start < end:
                    raise HoursError("overlap", part=m["times"])
        rules.append(Rule(tuple(groups), spans))
        for first, last in groups:
            if first == HOLIDAY:
                holidays = spans
            else:
                for day in _days(first, last or first):
                    week[day] = spans
    return Hours(tuple(rules), tuple(week), holidays)


def problem(value: str) -> HoursError | None:
    """The meaning error of a value the schema's pattern accepted (``None`` if it is fine or if only
    the pattern is broken: the shape layer reports that once)."""
    try:
        parse(value)
    except HoursError as exc:
        return None if exc.syntax else exc
    return None


def clock(minutes: int) -> str:
    """Minutes (past 1440: the next day) as ``HH:MM``; 1440 itself is ``24:00``."""
    minutes %= DAY_MINUTES * 2
    if minutes > DAY_MINUTES:
        minutes -= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def spans_text(spans: tuple[Span, ...], lang: str) -> str:
    """``08:30-12:00，14:30-17:30``."""
    return t(lang, "site.days.and").join(f"{clock(a)}-{clock(b)}" for a, b in spans)


def describe(value: str, lang: str) -> list[str]:
    """The rules in words, one line each, as written: ``周一至周五：08:30-12:00，14:30-17:30``.

    A value that cannot be read is shown as it is (validation has reported it already).
    """
    try:
        hours = parse(value)
    except HoursError:
        return [value]
    lines = []
    for rule in hours.rules:
        parts = []
        for first, last in rule.groups:
            name = t(lang, f"site.days.{first}")
            parts.append(t(lang, "site.days.range", first=name, last=t(lang, f"site.days.{last}")) if last else name)
        when = spans_text(rule.spans, lang) if rule.spans else t(lang, "site.days.closed")
        lines.append(t(lang, "site.days.rule", days=t(lang, "site.days.sep").join(parts), times=when))
    return lines


def compact(hours: Hours) -> str:
    """What the browser needs, small: eight ``|``-separated fields (Monday…Sunday, then holidays),
    each a comma list of ``start-end`` minutes; empty = closed; ``=`` = a weekday opens as the day
    before it (most weeks repeat one day: ~60 bytes less in every page and near-me tile);
    ``~`` = holidays keep the weekday's hours.

    ``Mo-Fr 08:30-17:30; PH off`` → ``510-1050|=|=|=|=|||``.
    """

    def field(spans: tuple[Span, ...]) -> str:
        return ",".join(f"{a}-{b}" for a, b in spans)

    days: list[str] = []
    for index, spans in enumerate(hours.week):
        text = field(spans)
        days.append("=" if index and text and spans == hours.week[index - 1] else text)
    days.append("~" if hours.holidays is None else field(hours.holidays))
    return "|".join(days)
