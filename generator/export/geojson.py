"""GeoJSON (RFC 7946): every record that has coordinates, as one FeatureCollection.

Coordinates are WGS-84 as stored (RFC 7946 allows no other datum) and in
the RFC's order, longitude first.  Each feature carries the record's id,
registry, name, kind (with zh/en labels), division and the absolute URL of
its page on the site, so a map or GIS user can link back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import schema
from generator.config import Config
from generator.export.jsonout import dumps
from generator.i18n import t
from generator.registry import Record, Registry


def page_url(config: Config, record: Record, lang: str = "zh") -> str:
    """The record's page on the site: ``site.url`` + the path ``site.model.record_path`` owns
    (``org/<id>/``, ``area/<code>/``); English pages sit under ``en/``."""
    from generator.site.model import record_path

    return f"{config.site['url']}{'en/' if lang == 'en' else ''}{record_path(record)}"


Labels = dict[str, dict[str, dict[str, str]]]


def _kind(config: Config, record: Record, labels: Labels) -> tuple[str, str, str]:
    registry = record.registry
    if registry == "hubs":
        code = str(record.get("kind", ""))
        kind = config.hub_kind(code)
        names = kind.name if kind else {}
        return code, names.get("zh", code), names.get("en", code)
    field = {"social_orgs": "org_type", "divisions": "level"}.get(registry)
    if field:
        code = str(record.get(field, ""))
        label = labels.get(registry, {}).get(code, {})
        return code, label.get("zh", code), label.get("en", code)
    key = f"export.geojson.registry.{registry}"
    return registry, t("zh", key), t("en", key)


def _enum_labels(schemas_dir: Path) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {}
    for registry, field in (("social_orgs", "org_type"), ("divisions", "level")):
        doc = schema.bundle(schemas_dir, registry)
        node = schema.resolve(doc, doc["properties"][field])
        out[registry] = node.get("x-enum", {})
    return out


def features(registry: Registry) -> list[dict[str, Any]]:
    labels = _enum_labels(registry.config.schemas_dir)
    return [f for record in registry.all() if (f := feature(registry, record, labels)) is not None]


def feature(registry: Registry, record: Record, labels: Labels) -> dict[str, Any] | None:
    """The record's feature, or ``None`` without coordinates.  It shows the record and the name of
    its division (``_key``), besides the configuration."""
    config = registry.config
    location = record.get("location")
    if not isinstance(location, dict) or "lat" not in location or "lon" not in location:
        return None
    code, kind_zh, kind_en = _kind(config, record, labels)
    division = registry.division(record.division)
    properties = {
        "id": record.id,
        "registry": record.registry,
        "name": record.name,
        "name_en": record.get("name_en", ""),
        "kind": code,
        "kind_zh": kind_zh,
        "kind_en": kind_en,
        "division": record.division,
        "division_name": division.name if division else "",
        "status": record.status,
        "address": record.get("address", ""),
        "url": page_url(config, record),
        "url_en": page_url(config, record, "en"),
    }
    return {
        "type": "Feature",
        "id": f"{record.registry}/{record.id}",
        "geometry": {"type": "Point", "coordinates": [location["lon"], location["lat"]]},
        "properties": properties,
    }


def _line(registry: Registry, record: Record, labels: Labels) -> str:
    """The feature as one line of JSON ("" without coordinates)."""
    found = feature(registry, record, labels)
    return "" if found is None else dumps(found)


def write_geojson(path: Path, registry: Registry, created: Any = None, memo: Any = None) -> int:
    """Write ``path`` (``hubdir.geojson.zip``, one member ``hubdir.geojson``); return the features.

    Zipped (issue 16): 10 MB → 0.6 MB at 20,000 records.  Unzipped it opens in QGIS or any GIS; GDAL's
    ``/vsizip/`` should read the zip as it is, but that is not tested here.  The features are deflated
    in runs of records (``zipped.groups``); with a ``memo`` a run is keyed by its records' content
    hashes and their divisions' names, all a feature shows besides the configuration.
    """
    from generator.export import memo as memos
    from generator.export import zipped

    labels = _enum_labels(registry.config.schemas_dir)
    pieces = [zipped.piece(b'{"type":"FeatureCollection","features":[\n')]
    count = 0
    for run in zipped.groups(registry.all(), lambda record: record.id):
        key = None
        if memo is not None:
            parts: list[str] = []
            for record in run:
                content = memo.record_key(record.id)
                if content is None:
                    break
                division = registry.division(record.division)
                parts += [content, division.name if division else ""]
            else:
                key = ("geojson", memos.digest_texts("features", parts))
        found = memo.get(key) if key is not None else None
        if found is None:
            lines = [line for record in run if (line := _line(registry, record, labels))]
            found = (zipped.piece(",\n".join(lines).encode("utf-8")), len(lines))
            if key is not None:
                memo.put(key, found)
        made, n = found
        if n:
            if count:
                pieces.append(zipped.piece(b",\n"))
            pieces.append(made)
            count += n
    pieces.append(zipped.piece(b"\n]}\n" if count else b"]}\n"))
    zipped.write_zip(path, [(path.name.removesuffix(".zip"), pieces)], created)
    return count
