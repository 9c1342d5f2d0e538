"""Problems found in the registries, and the three ways of reporting them.

Validation never stops at the first problem: every stage appends ``Problem``
objects to one list, and the CLI renders that list as text, GitHub workflow
annotations or JSON.  Messages are stored as a catalogue key plus arguments so
that the same problem can be shown in Chinese or English.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from generator.i18n import t
from generator.safetext import printable

Severity = Literal["error", "warning"]


class Text(NamedTuple):
    """A message argument that reads differently per language (e.g. an enum label from a schema)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.zh

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


def _localise(args: tuple[tuple[str, Any], ...], lang: str) -> dict[str, Any]:
    """The arguments in ``lang``, every text made printable (a value may hold a line break or ESC)."""
    out: dict[str, Any] = {}
    for key, value in args:
        if isinstance(value, Text):
            value = value.get(lang)
        out[key] = printable(value) if isinstance(value, str) else value
    return out


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem.  ``line``/``column`` are 1-based; 0 means "whole file"."""

    path: str
    line: int
    column: int
    code: str
    severity: Severity = "error"
    field: str = ""
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def make(
        cls,
        path: str,
        line: int,
        column: int,
        code: str,
        /,
        *,
        severity: Severity = "error",
        field: str = "",
        **args: Any,
    ) -> Problem:
        return cls(path, line, column, code, severity, field, tuple(sorted(args.items())))

    def message(self, lang: str) -> str:
        return t(lang, f"problem.{self.code}.message", **_localise(self.args, lang))

    def hint(self, lang: str) -> str:
        return t(lang, f"problem.{self.code}.hint", **_localise(self.args, lang))


@dataclass
class Report:
    """All problems of one run, plus how many files were read."""

    problems: list[Problem] = field(default_factory=list)
    files_checked: int = 0

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)

    def sorted(self) -> list[Problem]:
        return sorted(set(self.problems), key=lambda p: (p.path, p.line, p.column, p.code, repr(p.args)))


def render_text(report: Report, lang: str) -> str:
    """``path:line:col: error CODE: message`` and an indented hint, then a summary line."""
    lines: list[str] = []
    for p in report.sorted():
        severity = t(lang, f"severity.{p.severity}")
        lines.append(f"{printable(p.path)}:{p.line}:{p.column}: {severity} {p.code}: {p.message(lang)}")
        lines.append(f"  {t(lang, 'label.hint')}{p.hint(lang)}")
    lines.append(summary(report, lang))
    return "\n".join(lines)


def summary(report: Report, lang: str) -> str:
    if not report.problems:
        return t(lang, "summary.clean", files=report.files_checked)
    return t(
        lang, "summary.problems", errors=report.errors, warnings=report.warnings, files=report.files_checked
    )


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report, lang: str) -> str:
    """GitHub Actions workflow commands: one annotation per problem on the changed line."""
    lines = []
    for p in report.sorted():
        command = "error" if p.severity == "error" else "warning"
        props = f"file={_gh_escape(printable(p.path), prop=True)}"
        if p.line:
            props += f",line={p.line},col={p.column}"
        props += f",title={_gh_escape(p.code, prop=True)}"
        body = _gh_escape(f"{p.message(lang)}\n{t(lang, 'label.hint')}{p.hint(lang)}")
        lines.append(f"::{command} {props}::{body}")
    lines.append(summary(report, lang))
    return "\n".join(lines)


def render_json(report: Report, lang: str) -> str:
    """A stable machine-readable report (keys sorted, problems in path/line order)."""
    doc = {
        "version": 1,
        "valid": report.errors == 0,
        "files_checked": report.files_checked,
        "errors": report.errors,
        "warnings": report.warnings,
        "problems": [
            {
                "path": printable(p.path),
                "line": p.line,
                "column": p.column,
                "severity": p.severity,
                "code": p.code,
                "field": printable(p.field),
                "message": p.message(lang),
                "hint": p.hint(lang),
            }
            for p in report.sorted()
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True)


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}
