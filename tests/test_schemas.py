"""The JSON Schemas: valid draft-07, fully documented in Chinese and English, and the fast path agrees.

Later issues generate the field reference and the data dictionary from the
titles and descriptions, so a property without them is a bug here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from generator import schema, yamlio
from tests.conftest import FIXTURE_PROJECT, REPO

SCHEMAS = REPO / "schemas"
ALL = sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
REGISTRY_SCHEMAS = [
    "common.schema.json",
    "divisions.schema.json",
    "hubs.schema.json",
    "social_orgs.schema.json",
    "womens_homes.schema.json",
    "youth_centers.schema.json",
]
REGISTRIES = ["divisions", "hubs", "youth_centers", "womens_homes", "social_orgs"]


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMAS / name).read_text("utf-8"))
    return doc


def test_every_registry_has_a_schema() -> None:
    assert set(REGISTRY_SCHEMAS) <= set(ALL)


@pytest.mark.parametrize("name", ALL)
def test_schema_is_valid_draft7(name: str) -> None:
    doc = load(name)
    assert doc["$schema"] == "http://json-schema.org/draft-07/schema#"
    Draft7Validator.check_schema(doc)


@pytest.mark.parametrize("name", REGISTRIES)
def test_bundled_schema_is_valid_draft7_and_self_contained(name: str) -> None:
    doc = schema.bundle(SCHEMAS, name)
    Draft7Validator.check_schema(doc)
    assert "common.schema.json" not in json.dumps(doc)


def properties(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property and $defs entry, recursively (through items and nested objects)."""
    if not isinstance(node, dict):
        return
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            path = f"{where}.{name}"
            if isinstance(sub, dict) and "$ref" not in sub:
                yield path, sub
            yield from properties(sub, path)
    if isinstance(node.get("items"), dict):
        yield from properties(node["items"], f"{where}[]")


def documented(name: str) -> list[tuple[str, dict[str, Any]]]:
    return [("(root)", load(name)), *properties(load(name), name)]


@pytest.mark.parametrize("name", REGISTRY_SCHEMAS)
def test_every_property_has_zh_and_en_title_and_description(name: str) -> None:
    missing = []
    for path, node in documented(name):
        en = node.get("x-en", {})
        for ok, what in (
            (node.get("title"), "title"),
            (node.get("description"), "description"),
            (en.get("title"), "x-en.title"),
            (en.get("description"), "x-en.description"),
        ):
            if not (isinstance(ok, str) and ok.strip()):
                missing.append(f"{path}: {what}")
    assert not missing


@pytest.mark.parametrize("name", REGISTRY_SCHEMAS)
def test_every_enum_value_has_zh_and_en_labels(name: str) -> None:
    problems = []
    for path, node in documented(name):
        for enum_node, where in ((node, path), (node.get("items", {}), f"{path}[]")):
            if not isinstance(enum_node, dict) or "enum" not in enum_node:
                continue
            labels = enum_node.get("x-enum", {})
            for value in enum_node["enum"]:
                label = labels.get(value, {})
                if not (label.get("zh") and label.get("en")):
                    problems.append(f"{where}: {value}")
            extra = set(labels) - set(enum_node["enum"])
            problems.extend(f"{where}: label for unknown value {value}" for value in sorted(extra))
    assert not problems


@pytest.mark.parametrize("name", REGISTRIES)
def test_registry_schemas_forbid_unknown_fields(name: str) -> None:
    doc = schema.bundle(SCHEMAS, name)
    assert doc["additionalProperties"] is False
    for path, node in properties(doc, name):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path


def test_enum_label_reads_the_schema() -> None:
    assert schema.enum_label(SCHEMAS, "hubs", "level", "town") == ("镇（街道）级", "Town / subdistrict")
    assert schema.enum_label(SCHEMAS, "hubs", "level", "nope") == ("nope", "nope")


# -- the compiled fast path never accepts what jsonschema rejects --------------------------


def fixture_records() -> list[tuple[str, dict[str, Any]]]:
    return [
        (p.parent.name, yamlio.load_file(p)) for p in sorted((FIXTURE_PROJECT / "content").glob("*/*.yml"))
    ]


RECORDS = fixture_records()
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-200, 200)
    | st.sampled_from(
        [
            "",
            "x",
            "town",
            "active",
            "0757-22220001",
            "2019-05-04",
            "440606006",
            "hub-x",
            "甲",
            "Mo-Fr 09:00-17:00",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["zh", "en", "type", "value", "title", "lat", "lon", "url", "x"]),
            children,
            max_size=3,
        )
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    registry, record = draw(st.sampled_from(RECORDS))
    record = json.loads(json.dumps(record))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "drop", "nested"]))
        keys = sorted(record)
        if action == "drop" and keys:
            record.pop(draw(st.sampled_from(keys)))
        elif action == "nested" and keys:
            key = draw(st.sampled_from(keys))
            value = record[key]
            if isinstance(value, list) and value:
                index = draw(st.integers(0, len(value) - 1))
                item = value[index]
                if isinstance(item, dict) and item:
                    item[draw(st.sampled_from(sorted(item)))] = draw(JSON)
                else:
                    value[index] = draw(JSON)
            elif isinstance(value, dict) and value:
                value[draw(st.sampled_from(sorted(value)))] = draw(JSON)
        else:
            record[draw(st.sampled_from([*keys, "extra"]))] = draw(JSON)
    return registry, record


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_path_agrees_with_jsonschema(case: tuple[str, dict[str, Any]]) -> None:
    registry, record = case
    fast = schema._compile_fast(str(SCHEMAS), registry)
    assert fast is not None
    valid = schema._compile(str(SCHEMAS), registry).is_valid(record)
    if fast(record):
        assert valid
    if valid and all(type(v) is not float or not v.is_integer() for v in _leaves(record)):
        assert fast(record)


def _leaves(data: Any) -> Iterator[Any]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def test_every_fixture_record_takes_the_fast_path() -> None:
    for registry, record in RECORDS:
        assert schema._compile_fast(str(SCHEMAS), registry)(record)  # type: ignore[misc]


def test_unsupported_keyword_means_no_fast_path(tmp_path: Path) -> None:
    with pytest.raises(schema._Unsupported):
        schema.compile_fast({"type": "object", "oneOf": [{"required": ["a"]}]})
