"""The generated parts of CONTRIBUTING.md: the field reference and the common validation errors.

Why generated: the schemas are the one description of the fields and the
message catalogue the one wording of the errors; a hand-copied reference
would drift.  The blocks sit between ``<!-- hubdir:NAME:start -->`` and
``<!-- hubdir:NAME:end -->`` markers; everything else in CONTRIBUTING.md is
written by hand.  A test fails when the committed file is out of date.

    python -m generator.contributing           # rewrite the blocks in CONTRIBUTING.md
    python -m generator.contributing --check   # exit 1 if they are out of date
"""

from __future__ import annotations

import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import schema as schemas
from generator.i18n import catalogue, has, t
from generator.registry import REGISTRIES

REPO = Path(__file__).resolve().parent.parent
BUNDLED_SCHEMAS = REPO / "schemas"
CONTRIBUTING = REPO / "CONTRIBUTING.md"

WORDS = {
    "zh": {
        "field": "字段",
        "required": "必填",
        "type": "类型",
        "about": "说明",
        "yes": "是",
        "string": "文字",
        "integer": "整数",
        "number": "数字",
        "boolean": "true / false",
        "array": "列表",
        "object": "对象",
        "code": "代码",
        "options": "可选值",
        "items": "每一项的字段",
        "folder": "目录",
        "list_of": "{inner}的列表",
        "nested": "列表和对象里的字段",
        "wrong": "错误写法",
        "right": "正确写法",
        "message": "消息",
        "hint": "提示",
    },
    "en": {
        "field": "Field",
        "required": "Required",
        "type": "Type",
        "about": "Meaning",
        "yes": "yes",
        "string": "text",
        "integer": "integer",
        "number": "number",
        "boolean": "true / false",
        "array": "list",
        "object": "object",
        "code": "code",
        "options": "Values",
        "items": "fields of each item",
        "folder": "folder",
        "list_of": "list of {inner}",
        "nested": "Fields inside lists and objects",
        "wrong": "Wrong",
        "right": "Right",
        "message": "Message",
        "hint": "Hint",
    },
}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _type(doc: dict[str, Any], node: dict[str, Any], lang: str) -> str:
    w = WORDS[lang]
    if "enum" in node:
        return w["code"]
    kind = node.get("type", "")
    if kind == "array":
        inner = schemas.resolve(doc, node.get("items", {}))
        return w["list_of"].format(inner=_type(doc, inner, lang)) if inner else w["array"]
    return w.get(str(kind), str(kind))


def _options(node: dict[str, Any], lang: str) -> str:
    labels = node.get("x-enum", {})
    parts = []
    for code in node.get("enum", []):
        label = labels.get(code, {}).get(lang, "")
        parts.append(f"`{code}` {label}".strip())
    return ("、" if lang == "zh" else ", ").join(parts)


def _about(doc: dict[str, Any], node: dict[str, Any], lang: str) -> str:
    w = WORDS[lang]
    text = (
        f"**{schemas.label(node, lang)}**：{schemas.label(node, lang, 'description')}"
        if lang == "zh"
        else f"**{schemas.label(node, lang)}**: {schemas.label(node, lang, 'description')}"
    )
    target = node
    if node.get("type") == "array":
        target = schemas.resolve(doc, node.get("items", {}))
    if "enum" in target:
        text += f"{w['options']}：" if lang == "zh" else f" {w['options']}: "
        text += _options(target, lang)
    return _cell(text)


def _table(doc: dict[str, Any], node: dict[str, Any], lang: str) -> list[str]:
    w = WORDS[lang]
    required = set(node.get("required", []))
    lines = [f"| {w['field']} | {w['required']} | {w['type']} | {w['about']} |", "|---|---|---|---|"]
    for key, raw in node.get("properties", {}).items():
        sub = schemas.resolve(doc, raw)
        lines.append(
            f"| `{key}` | {w['yes'] if key in required else ''} | {_type(doc, sub, lang)} | "
            f"{_about(doc, sub, lang)} |"
        )
    return lines


def field_reference(schemas_dir: Path, lang: str) -> str:
    """Markdown: one table per registry, then one table per list-of-objects or object field."""
    out: list[str] = []
    nested: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for name in REGISTRIES:
        doc = schemas.bundle(schemas_dir, name)
        out += [
            f"### {schemas.label(doc, lang)}（`content/{name}/`）"
            if lang == "zh"
            else f"### {schemas.label(doc, lang)} (`content/{name}/`)",
            "",
            _cell(schemas.label(doc, lang, "description")),
            "",
        ]
        out += _table(doc, doc, lang)
        out.append("")
        for key, raw in doc.get("properties", {}).items():
            sub = schemas.resolve(doc, raw)
            target = schemas.resolve(doc, sub.get("items", {})) if sub.get("type") == "array" else sub
            if target.get("type") == "object" and key not in nested:
                nested[key] = (doc, target)
    out += [f"### {WORDS[lang]['nested']}", ""]
    for key in sorted(nested):
        doc, target = nested[key]
        out += [
            f"#### `{key}`（{WORDS[lang]['items']}）"
            if lang == "zh"
            else f"#### `{key}` ({WORDS[lang]['items']})",
            "",
        ]
        out += _table(doc, target, lang)
        out.append("")
    return "\n".join(out).rstrip("\n")


@dataclass(frozen=True)
class Example:
    """The place the examples of the common errors are written for (a project's root and one of its towns)."""

    root: str
    town: str
    town_code: str
    town_name: str = ""

    @property
    def full_town(self) -> str:
        return self.town_name or f"{self.town}街道"


#: This repository's own examples (Shunde); ``hubdir init`` passes the new place's.
REPO_EXAMPLE = Example(root="440606", town="容桂", town_code="440606006", town_name="容桂街道")


def common_error_examples(ex: Example) -> list[tuple[str, dict[str, Any], str, str]]:
    """The ten most common problems staff meet, with example values and a before/after."""
    street = f"{ex.full_town}文塔路 8 号"
    union = f"hub-{ex.town_code}-union"
    typo = f"hub-{ex.town_code}-unoin"
    return [
        (
            "S009",
            {"name": "postal_code", "value": "528300", "actual": "integer"},
            "postal_code: 528300",
            'postal_code: "528300"',
        ),
        ("S008", {"name": "address"}, "address:", f"address: {street}"),
        (
            "S001",
            {"name": "sources", "title": "信息来源"},
            f"name: {ex.full_town}妇女联合会\n# (no sources)",
            f'sources:\n  - title: {ex.full_town}办事处官网“机构职能”页面\n    url: "https://www.example.gov.cn/"',
        ),
        (
            "S002",
            {"name": "adress", "suggestion": "address"},
            f"adress: {street}",
            f"address: {street}",
        ),
        (
            "S004",
            {
                "name": "level",
                "value": "township",
                "suggestion": "town",
                "options": "district, town, village, sector",
            },
            "level: township",
            "level: town",
        ),
        (
            "M027",
            {"value": "22223333"},
            'contacts:\n  - type: office_phone\n    value: "22223333"',
            'contacts:\n  - type: office_phone\n    value: "0757-22223333"',
        ),
        (
            "M004",
            {"value": f"hub-{ex.root}-woman", "target": "hubs"},
            f"parent: hub-{ex.root}-woman",
            f"parent: hub-{ex.root}-women",
        ),
        (
            "M001",
            {"id": union, "stem": typo},
            f"# content/hubs/{typo}.yml\nid: {union}",
            f"# content/hubs/{union}.yml\nid: {union}",
        ),
        (
            "Y006",
            {"key": "name", "first": 3},
            f"name: {ex.full_town}总工会\nname: {ex.town}总工会",
            f"name: {ex.full_town}总工会\naliases:\n  - {ex.town}总工会",
        ),
        ("Y004", {}, "sources:\n\t- title: 报道", "sources:\n  - title: 报道"),
    ]


#: The examples of this repository (kept as a name other modules may read).
COMMON_ERRORS = common_error_examples(REPO_EXAMPLE)


def _fill(lang: str, key: str, args: dict[str, Any]) -> str:
    """The catalogue text with the example values; composed placeholders are filled as the checks do."""
    values = dict(args)
    if "suggestion" in values and has(lang, "label.did_you_mean"):
        values.setdefault("did_you_mean", t(lang, "label.did_you_mean", suggestion=values["suggestion"]))
    names = {name for _, name, _, _ in string.Formatter().parse(catalogue(lang)[key]) if name}
    return t(lang, key, **{name: values.get(name, "") for name in names}) if names else t(lang, key)


def common_errors(lang: str, example: Example = REPO_EXAMPLE) -> str:
    w = WORDS[lang]
    out: list[str] = []
    for number, (code, args, wrong, right) in enumerate(common_error_examples(example), 1):
        message = _fill(lang, f"problem.{code}.message", args)
        hint = _fill(lang, f"problem.{code}.hint", args)
        out += [
            f"{number}. **`{code}`** {message}",
            "",
            f"   {w['hint']}{'：' if lang == 'zh' else ': '}{hint}",
            "",
            f"   {w['wrong']}{'：' if lang == 'zh' else ':'}",
            "",
            "   ```yaml",
        ]
        out += [f"   {line}".rstrip().replace("\t", "→   ") for line in wrong.split("\n")]
        out += ["   ```", "", f"   {w['right']}{'：' if lang == 'zh' else ':'}", "", "   ```yaml"]
        out += [f"   {line}".rstrip() for line in right.split("\n")]
        out += ["   ```", ""]
    return "\n".join(out).rstrip("\n")


def blocks(schemas_dir: Path = BUNDLED_SCHEMAS, example: Example = REPO_EXAMPLE) -> dict[str, str]:
    return {
        f"{kind}:{lang}": (
            field_reference(schemas_dir, lang) if kind == "fields" else common_errors(lang, example)
        )
        for kind in ("fields", "errors")
        for lang in ("zh", "en")
    }


def render(text: str, generated: dict[str, str]) -> str:
    """``text`` with every marked block replaced by its generated content."""
    for name, body in generated.items():
        start, end = f"<!-- hubdir:{name}:start -->\n", f"<!-- hubdir:{name}:end -->"
        pattern = re.compile(rf"({re.escape(start)})(?:.*?\n)?({re.escape(end)})", re.S)
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"CONTRIBUTING.md has no block {name}")
        text = text[: match.start()] + match.group(1) + body + "\n" + match.group(2) + text[match.end() :]
    return text


def main(argv: list[str]) -> int:
    current = CONTRIBUTING.read_text("utf-8")
    wanted = render(current, blocks())
    if "--check" in argv:
        if wanted != current:
            print("CONTRIBUTING.md is out of date: run python -m generator.contributing", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        CONTRIBUTING.write_text(wanted, "utf-8", newline="\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
