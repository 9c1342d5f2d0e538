"""Search synonyms: the words residents type for kinds, services, target groups and places.

Why data and not code: 妇联/妇女联合会, 家暴/反家庭暴力援助 or an old village name are the
knowledge of the staff who answer the phones, so they live in YAML that staff extend by pull
request.  Three sources, merged in this order (an earlier one wins a word):

1. the labels the project already has: hub kind names (``site_config.yml``), carrier
   names, service and target group labels (schemas), zh and en;
2. the built-in list ``generator/site/search_synonyms.yml`` (national, not Shunde's);
3. the project's own ``search_synonyms.yml`` beside ``site_config.yml`` (optional), shaped by
   ``schemas/search_synonyms.schema.json`` and checked here for meaning (known codes, searchable
   words, one kind of concept per word); ``hubdir validate`` and ``build`` report its problems.

A term names one or more concepts of one type: ``k:<kind>``, ``s:<service>``, ``g:<group>``,
``p:<division>`` or ``x:`` (a filler word the search drops).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import schema, yamlio
from generator.config import BUNDLED_SCHEMAS, Config
from generator.problems import Problem, Text

FILE = "search_synonyms.yml"
SCHEMA = "search_synonyms"
BUILTIN = Path(__file__).resolve().parent / "site" / "search_synonyms.yml"
#: Section of the file → concept prefix, in precedence order.
SECTIONS = {"kinds": "k", "services": "s", "target_groups": "g", "places": "p", "stopwords": "x"}
CARRIERS = ("youth_centers", "womens_homes", "social_orgs")
_TYPE_NAME = {
    "k": Text("类别", "a kind"),
    "s": Text("服务项目", "a service"),
    "g": Text("服务对象", "a target group"),
    "p": Text("地名", "a place"),
    "x": Text("口头词", "a filler word"),
}


@dataclass(frozen=True)
class Term:
    """One word and the concept it names, with where it was written (for messages)."""

    text: str
    concept: str
    pointer: tuple[str | int, ...] = ()


def _terms(data: dict[str, Any]) -> list[Term]:
    out: list[Term] = []
    for section, prefix in SECTIONS.items():
        value: Any = data.get(section) or ({} if section != "stopwords" else [])
        if section == "stopwords":
            out.extend(Term(str(w), "x:", (section, i)) for i, w in enumerate(value))
            continue
        for code, words in value.items():
            out.extend(Term(str(w), f"{prefix}:{code}", (section, str(code), i)) for i, w in enumerate(words or []))
    return out


def builtin_terms() -> list[Term]:
    return _terms(yamlio.load_file(BUILTIN))


def project_file(config: Config) -> Path:
    return config.root / FILE


def project_terms(config: Config) -> list[Term]:
    """The project's own terms (none when it has no file; ``check`` reports a broken one)."""
    path = project_file(config)
    if not path.is_file():
        return []
    try:
        data = yamlio.load_file(path)
    except (yamlio.LoadError, OSError):
        return []
    return _terms(data) if isinstance(data, dict) else []


def _schemas_dir(config: Config) -> Path:
    own = config.schemas_dir
    return own if (own / f"{SCHEMA}.schema.json").is_file() else BUNDLED_SCHEMAS


def label_terms(config: Config) -> list[Term]:
    """The labels the project already has, as terms: kind names, service and target group labels."""
    from generator.i18n import t
    from generator.site.labels import labels_for

    out: list[Term] = []
    for kind in config.hub_kinds:
        for lang in ("zh", "en"):
            out.extend(Term(part, f"k:{kind.code}") for part in _parts(kind.name.get(lang, "")))
    for registry in CARRIERS:
        for lang in ("zh", "en"):
            out.extend(Term(part, f"k:{registry}") for part in _parts(t(lang, f"site.registry.{registry}")))
    labels = labels_for(config.schemas_dir)
    for field, prefix in (("services", "s"), ("target_groups", "g")):
        for lang in ("zh", "en"):
            out.extend(Term(label, f"{prefix}:{code}") for code, label in labels.options(field, lang))
    for kind in config.hub_kinds:
        if kind.hotline:
            out.append(Term(kind.hotline, f"k:{kind.code}"))
    return out


def known_codes(config: Config) -> dict[str, set[str]]:
    from generator.site.labels import labels_for

    labels = labels_for(config.schemas_dir)
    return {
        "k": {k.code for k in config.hub_kinds} | set(CARRIERS),
        "s": {code for code, _ in labels.options("services", "zh")},
        "g": {code for code, _ in labels.options("target_groups", "zh")},
    }


def _parts(name: str) -> list[str]:
    """``工商联（商会）`` → 工商联, 商会: a bracket holds a second everyday name."""
    for mark in "（）()":
        name = name.replace(mark, "|")
    return [p.strip() for p in name.split("|") if p.strip()]


def check(config: Config, divisions: set[str]) -> list[Problem]:
    """Problems of the project's ``search_synonyms.yml``: shape (schema), then meaning."""
    from generator.site.search import searchable

    known = known_codes(config)

    path = project_file(config)
    if not path.exists():
        return []
    rel = FILE
    try:
        data = yamlio.load_file(path)
    except yamlio.LoadError as exc:
        return [Problem.make(rel, exc.line, exc.column, exc.code, **exc.args_dict)]
    except OSError as exc:
        return [Problem.make(rel, 0, 0, "Y011", detail=exc.strerror or str(exc))]
    problems = schema.Shapes(_schemas_dir(config)).check(SCHEMA, data, path, rel)
    if problems:
        return problems
    unknown = {"k": "Q001", "s": "Q002", "g": "Q003"}
    for section, prefix in SECTIONS.items():
        if prefix in unknown:
            for code in data.get(section) or {}:
                if code not in known[prefix]:
                    line, column = yamlio.locate(path, (section, code), key=True)
                    problems.append(
                        Problem.make(
                            rel,
                            line,
                            column,
                            unknown[prefix],
                            field=f"{section}.{code}",
                            code=code,
                            known=", ".join(sorted(known[prefix])),
                        )
                    )
    for code in data.get("places") or {}:
        if code not in divisions:
            line, column = yamlio.locate(path, ("places", code), key=True)
            problems.append(Problem.make(rel, line, column, "Q004", field=f"places.{code}", code=code))
    owner: dict[str, str] = {}
    for term in builtin_terms():
        owner.setdefault(searchable(term.text), term.concept)
    for term in label_terms(config):
        owner.setdefault(searchable(term.text), term.concept)
    mine: dict[str, str] = {}
    for term in _terms(data):
        line, column = yamlio.locate(path, term.pointer)
        field = ".".join(str(p) for p in term.pointer)
        key = searchable(term.text)
        if not key:
            problems.append(Problem.make(rel, line, column, "Q005", field=field, term=term.text))
            continue
        other = mine.get(key) or owner.get(key)
        if other and other[0] != term.concept[0]:
            problems.append(
                Problem.make(
                    rel,
                    line,
                    column,
                    "Q006",
                    field=field,
                    term=term.text,
                    other=_TYPE_NAME[other[0]],
                    this=_TYPE_NAME[term.concept[0]],
                )
            )
            continue
        mine.setdefault(key, term.concept)
    return problems


def all_terms(config: Config) -> list[Term]:
    """Every term in precedence order: labels, built-in, the project's own."""
    return [*label_terms(config), *builtin_terms(), *project_terms(config)]
