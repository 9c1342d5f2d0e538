"""Metadata that travels with the files and that portals harvest.

- ``README.md`` (Chinese, then English): what each file is, which one to
  open in a spreadsheet, how to read the CSV without losing leading zeros
  (pandas ``dtype=str``, R ``colClasses``, DuckDB ``all_varchar``), what the
  effective status and the derived columns are, how to search the SQLite.
- ``CITATION.cff``: the edition's version, date, licence and publisher.
- ``dcat.jsonld``: a DCAT-AP description (JSON-LD) with every distribution's
  absolute download URL, media type, byte size, SHA-256 and licence, the
  spatial coverage (the configured area and its bounding box), the temporal
  coverage (the span of the records' ``last_verified`` dates), contact point,
  languages and update frequency.
- ``dataset.jsonld``: the same as a schema.org ``Dataset``; the site's data
  page embeds it.

They describe the other files, so they are written last (before
``SHA256SUMS``, which covers them too).  Every text comes from the package
description (``datasets/package.yml``), the configuration and the
catalogues; output is deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.config import Config
from generator.i18n import t

README = "README.md"
CITATION = "CITATION.cff"
DCAT = "dcat.jsonld"
SCHEMA_ORG = "dataset.jsonld"

#: IANA media types of the formats the exporter writes.
MEDIA_TYPES = {
    "datapackage": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
    "sqlite": "application/vnd.sqlite3",
    "datasette-metadata": "application/json",
    "hsds": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}
#: The EU vocabularies DCAT-AP uses for languages and update frequencies.
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGES = {"zh": "ZHO", "en": "ENG"}


def download_url(config: Config, rel: str, base: str = "data/") -> str:
    """The absolute URL of a downloadable file (``site.url`` + ``data/`` + its path)."""
    return f"{config.site['url']}{base}{rel}"


def temporal(records: Iterable[Any], fallback: str) -> tuple[str, str]:
    """(start, end): the span of the records' ``last_verified`` dates, else the export date twice."""
    dates = sorted(str(r.get("last_verified")) for r in records if r.get("last_verified"))
    return (dates[0], dates[-1]) if dates else (fallback, fallback)


def area(config: Config) -> dict[str, Any]:
    """The configured area: code, level, names and bounding box (``config.root_area`` owns it)."""
    return config.root_area.as_dict()


def _bbox_wkt(bounds: dict[str, float]) -> str:
    w, s, e, n = bounds["west"], bounds["south"], bounds["east"], bounds["north"]
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def _lang_values(pair: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": pair[lang], "@language": lang} for lang in ("zh", "en") if pair.get(lang)]


def dcat(config: Config, raw: dict[str, Any], edition: Any, created: str, files: list[Any],
         span: tuple[str, str]) -> dict[str, Any]:
    licence = config.licence["url"]
    place = area(config)
    landing = download_url(config, "")
    spatial: dict[str, Any] = {"@type": "dct:Location"}
    if place.get("name"):
        spatial["skos:prefLabel"] = _lang_values(place["name"])
    if place.get("code"):
        spatial["dct:identifier"] = str(place["code"])
    if place.get("bounds"):
        spatial["dcat:bbox"] = {"@value": _bbox_wkt(place["bounds"]), "@type": "gsp:wktLiteral"}
    contact = raw["contact"]
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/", "vcard": "http://www.w3.org/2006/vcard/ns#",
            "spdx": "http://spdx.org/rdf/terms#", "xsd": "http://www.w3.org/2001/XMLSchema#",
            "skos": "http://www.w3.org/2004/02/skos/core#", "gsp": "http://www.opengis.net/ont/geosparql#",
            "adms": "http://www.w3.org/ns/adms#", "owl": "http://www.w3.org/2002/07/owl#",
        },
        "@id": f"{landing}#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": raw["name"],
        "dct:title": _lang_values(raw["title"]),
        "dct:description": _lang_values(raw["description"]),
        "owl:versionInfo": edition.version,
        "adms:versionNotes": t("en", "opendata.docs.released" if edition.released else "opendata.docs.unreleased"),
        "dct:issued": {"@value": edition.date, "@type": "xsd:date"},
        "dct:modified": {"@value": created, "@type": "xsd:dateTime"},
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _lang_values(raw["publisher"]),
                          **({"foaf:homepage": {"@id": raw["publisher"]["url"]}}
                             if raw["publisher"].get("url") else {})},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": _lang_values(contact),
                              **({"vcard:hasURL": {"@id": contact["url"]}} if contact.get("url") else {})},
        "dct:language": [{"@id": f"{EU}language/{code}"} for code in LANGUAGES.values()],
        "dct:accrualPeriodicity": {"@id": f"{EU}frequency/UPDATE_CONT"},
        "dct:spatial": spatial,
        "dct:temporal": {"@type": "dct:PeriodOfTime",
                         "dcat:startDate": {"@value": span[0], "@type": "xsd:date"},
                         "dcat:endDate": {"@value": span[1], "@type": "xsd:date"}},
        "dcat:keyword": list(raw.get("keywords", [])),
        "dcat:landingPage": {"@id": landing},
        "dct:license": {"@id": licence},
        "dcat:distribution": [
            {
                "@id": download_url(config, f.path),
                "@type": "dcat:Distribution",
                "dct:title": f.path,
                "dcat:downloadURL": {"@id": download_url(config, f.path)},
                "dcat:accessURL": {"@id": landing},
                "dcat:mediaType": {"@id": f"http://www.iana.org/assignments/media-types/{_media(f)}"},
                "dct:format": f.format,
                **_packed(f),
                "dcat:byteSize": {"@value": str(f.bytes), "@type": "xsd:nonNegativeInteger"},
                "spdx:checksum": {"@type": "spdx:Checksum",
                                  "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                                  "spdx:checksumValue": f.sha256},
                "dct:license": {"@id": licence},
            }
            for f in files
        ],
    }


def _media(f: Any) -> str:
    return MEDIA_TYPES.get(f.format, "application/octet-stream")


IANA = "http://www.iana.org/assignments/media-types/"


def _packed(f: Any) -> dict[str, Any]:
    """DCAT's word for a zipped download: the media type stays the content's (DCAT 2 §6.8), and
    ``dcat:packageFormat`` (several files, HSDS) or ``dcat:compressFormat`` (one file) says zip."""
    if not f.path.endswith(".zip"):
        return {}
    if f.format == "hsds":
        return {"dcat:packageFormat": {"@id": f"{IANA}application/zip"}}
    return {"dcat:compressFormat": {"@id": f"{IANA}application/zip"}}


def _encoding(f: Any) -> str:
    """schema.org's ``encodingFormat``: what the downloaded file is (a zip, for the zipped ones)."""
    return "application/zip" if f.path.endswith(".zip") else _media(f)


def schema_org(config: Config, raw: dict[str, Any], edition: Any, created: str, files: list[Any],
               span: tuple[str, str], cite: str) -> dict[str, Any]:
    """A schema.org ``Dataset`` with a ``DataDownload`` per file (for search engines' dataset search)."""
    place = area(config)
    spatial: dict[str, Any] = {"@type": "Place", "name": place.get("name", {}).get("zh", "")}
    if place.get("bounds"):
        b = place["bounds"]
        spatial["geo"] = {"@type": "GeoShape", "box": f"{b['south']} {b['west']} {b['north']} {b['east']}"}
    publisher = {"@type": "Organization", "name": f"{raw['publisher']['zh']} / {raw['publisher']['en']}"}
    if raw["publisher"].get("url"):
        publisher["url"] = raw["publisher"]["url"]
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": f"{download_url(config, '')}#dataset",
        "name": f"{raw['title']['zh']} / {raw['title']['en']}",
        "description": f"{raw['description']['zh']}\n\n{raw['description']['en']}",
        "url": download_url(config, ""),
        "version": edition.version,
        "datePublished": edition.date,
        "dateModified": created,
        "license": config.licence["url"],
        "isAccessibleForFree": True,
        "inLanguage": list(LANGUAGES),
        "keywords": list(raw.get("keywords", [])),
        "creator": publisher,
        "publisher": publisher,
        "citation": cite,
        "spatialCoverage": spatial,
        "temporalCoverage": f"{span[0]}/{span[1]}",
        "distribution": [
            {"@type": "DataDownload", "name": f.path, "contentUrl": download_url(config, f.path),
             "encodingFormat": _encoding(f), "contentSize": f"{f.bytes} B", "sha256": f.sha256}
            for f in files
        ],
    }


def citation_cff(config: Config, raw: dict[str, Any], edition: Any) -> str:
    """CITATION.cff 1.2.0 (YAML written by hand: every value is JSON-quoted, which YAML reads back)."""
    def q(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        "cff-version: 1.2.0",
        f"message: {q(t('zh', 'opendata.docs.cff_message') + ' / ' + t('en', 'opendata.docs.cff_message'))}",
        "type: dataset",
        f"title: {q(raw['title']['zh'] + ' / ' + raw['title']['en'])}",
        f"version: {q(edition.version)}",
        f"date-released: {q(edition.date)}",
        f"license: {q(config.licence['id'])}",
        f"url: {q(download_url(config, ''))}",
        "authors:",
        f"  - name: {q(raw['publisher']['zh'] + ' / ' + raw['publisher']['en'])}",
    ]
    if raw["publisher"].get("url"):
        lines.append(f"    website: {q(raw['publisher']['url'])}")
    if raw.get("keywords"):
        lines.append("keywords:")
        lines += [f"  - {q(str(k))}" for k in raw["keywords"]]
    return "\n".join(lines) + "\n"


def readme(config: Config, raw: dict[str, Any], edition: Any, cite: dict[str, str], files: list[Any]) -> str:
    """README.md of the download: Chinese first, then English."""
    parts: list[str] = []
    tables = sorted(f.path for f in files if f.format == "csv")
    example = next((p for p in tables if p.endswith("/hubs.csv")), tables[0] if tables else "csv/hubs.csv")
    for lang in ("zh", "en"):
        def tr(key: str, lang: str = lang, **args: Any) -> str:
            return t(lang, f"opendata.readme.{key}", **args)

        state = tr("released" if edition.released else "unreleased", version=edition.version, date=edition.date)
        parts += [
            f"# {raw['title'][lang]}", "",
            raw["description"][lang], "",
            f"- {tr('version')}: {edition.version} ({edition.date})", f"- {state}",
            f"- {tr('licence')}: {config.licence['title']} ({config.licence['id']}) {config.licence['url']}",
            f"- {tr('homepage')}: {download_url(config, '')}", "",
            f"## {tr('cite_title')}", "", cite[lang], "",
            f"## {tr('spreadsheet_title')}", "", tr("spreadsheet"), "",
            f"## {tr('files_title')}", "",
            f"| {tr('file')} | {tr('what')} |", "|---|---|",
        ]
        for key, path in (("xlsx", "hubdir.xlsx"), ("csv", "csv/"), ("datapackage", "datapackage.json"),
                          ("json", "json/all.json.zip"), ("geojson", "hubdir.geojson.zip"),
                          ("sqlite", "hubdir.sqlite.zip"), ("hsds", "hsds.zip"),
                          ("meta", "dcat.jsonld, dataset.jsonld"), ("sums", "SHA256SUMS")):
            parts.append(f"| `{path}` | {tr('file_' + key)} |")
        parts += [
            "",
            f"## {tr('columns_title')}", "", tr("columns"), "",
            f"## {tr('recipes_title')}", "", tr("recipes"), "",
            "```python", "import pandas as pd",
            f'df = pd.read_csv("{example}", dtype=str, keep_default_na=False)', "```", "",
            "```r", f'df <- read.csv("{example}", colClasses = "character", encoding = "UTF-8", na.strings = "")',
            "```", "",
            "```sql", f"SELECT * FROM read_csv('{example}', all_varchar = true);", "```", "",
            tr("recipes_more"), "",
            f"## {tr('formulas_title')}", "", tr("formulas"), "",
            f"## {tr('search_title')}", "", tr("search"), "",
            "```sql", "SELECT registry, id, name FROM search WHERE search MATCH '\"容桂\" \"工会\"';",
            "SELECT registry, id, name FROM search_trigram WHERE search_trigram MATCH '容桂街道';", "```", "",
            f"## {tr('check_title')}", "", tr("check"), "",
            "```sh", "sha256sum -c SHA256SUMS", "frictionless validate datapackage.json",
            "frictionless validate hsds.zip", "```", "",
        ]
    return "\n".join(parts).rstrip("\n") + "\n"


def write_all(out: Path, config: Config, raw: dict[str, Any], edition: Any, created: str,
              cite: dict[str, str], files: list[Any], records: Iterable[Any]) -> tuple[list[str], dict[str, Any]]:
    """Write the four files; return their paths relative to ``out`` and the schema.org document
    (the site's data page embeds it)."""
    span = temporal(records, edition.date)
    dataset = schema_org(config, raw, edition, created, files, span, cite["zh"])
    outputs = {
        README: readme(config, raw, edition, cite, files),
        CITATION: citation_cff(config, raw, edition),
        DCAT: json.dumps(dcat(config, raw, edition, created, files, span), ensure_ascii=False, indent=1) + "\n",
        SCHEMA_ORG: json.dumps(dataset, ensure_ascii=False, indent=1) + "\n",
    }
    for name, text in outputs.items():
        (out / name).write_text(text, encoding="utf-8", newline="\n")
    return list(outputs), dataset
