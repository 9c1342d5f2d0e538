"""Issue 15: the open datasets in the tools journalists open (pandas, DuckDB, sqlite3, Datasette, openpyxl,
Frictionless with the official HSDS 3.0 schemas), each defect tested with the client that showed it.

One tricky project is exported once: the fixture project plus a hub whose 18-character credit code is all
digits, whose postcode starts with 0, and whose texts start with = + - @ (formula injection).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from generator.config import load_config
from generator.export import write_datasets
from generator.export.hsds import OFFICIAL, uid, write_hsds
from generator.validate import load
from tests.conftest import FIXTURE_PROJECT
from tests.test_export import unzip_downloads

NUMERIC_USCC = "914406061000000000"
ZERO_POSTCODE = "052830"
FORMULAS = ('=HYPERLINK("https://evil.example/","点我")', "+1+1", "-2+3", "@SUM(A1:A2)")


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("tools") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    hub = root / "content" / "hubs" / "hub-rg-union.yml"
    hub.write_text(hub.read_text("utf-8") + "\n".join([
        f'uscc: "{NUMERIC_USCC}"',
        f'postal_code: "{ZERO_POSTCODE}"',
        f"description: {json.dumps(FORMULAS[0], ensure_ascii=False)}",
        "aliases:",
        *(f"  - {json.dumps(v, ensure_ascii=False)}" for v in FORMULAS[1:]),
        "contacts:",
        "  - type: email",
        "    value: rg-union@example.org",
        "  - type: hotline",
        '    value: "12351"',
        "",
    ]), "utf-8")
    config = load_config(root)
    loaded = load(config)
    assert loaded.report.errors == 0, [p.code for p in loaded.report.problems]
    out = root / "build" / "data"
    write_datasets(loaded, out)
    return {"root": root, "out": out, "loaded": loaded, "config": config, "unzipped": unzip_downloads(out),
            "descriptor": json.loads((out / "datapackage.json").read_text("utf-8"))}


# -- D1 GeoJSON links ----------------------------------------------------------------------------

def test_every_geojson_link_is_a_page_the_build_wrote(built_site: tuple[Path, Path, object]) -> None:
    _root, site, _result = built_site
    doc = json.loads(zipfile.ZipFile(site / "data" / "hubdir.geojson.zip").read("hubdir.geojson"))
    assert doc["features"]
    base = "https://example.org/hubdir/"
    for feature in doc["features"]:
        for key in ("url", "url_en"):
            url = feature["properties"][key]
            assert url.startswith(base), url
            page = site / url[len(base):] / "index.html"
            assert page.is_file(), url
            assert feature["properties"]["name"].split(" <")[0] in page.read_text("utf-8")


# -- D2 effective status -------------------------------------------------------------------------

def test_status_filter_finds_every_active_record_in_every_format(tricky: dict[str, Any]) -> None:
    import pandas as pd

    out, loaded = tricky["out"], tricky["loaded"]
    hubs = loaded.registry.records("hubs")
    silent = [r.id for r in hubs if "status" not in r.data]
    assert silent  # the fixture leaves status out of most records
    active = sorted(r.id for r in hubs if r.data.get("status", "active") == "active")
    csv_df = pd.read_csv(out / "csv" / "hubs.csv", dtype=str, keep_default_na=False)
    assert sorted(csv_df[csv_df.status == "active"].id) == active
    assert set(csv_df[csv_df.id.isin(silent)].status) == {"active"}
    assert set(csv_df[csv_df.id.isin(silent)].status_zh) == {"正常运作"}
    db = sqlite3.connect(tricky["unzipped"] / "hubdir.sqlite")
    assert sorted(r[0] for r in db.execute("SELECT id FROM hubs WHERE status = 'active'")) == active
    records = json.loads((tricky["unzipped"] / "all.json").read_text("utf-8"))["hubs"]
    assert sorted(r["id"] for r in records if r["status"] == "active") == active
    wb = openpyxl.load_workbook(out / "hubdir.xlsx", read_only=True)
    rows = list(wb["hubs"].iter_rows(values_only=True))
    at, key = rows[0].index("状态"), rows[0].index("编号")
    assert sorted(r[key] for r in rows[1:] if r[at] == "active") == active
    # documented: the dictionary says what an empty status means
    field = next(f for r in tricky["descriptor"]["resources"] if r["name"] == "hubs"
                 for f in r["schema"]["fields"] if f["name"] == "status")
    assert "YAML 未填写时为“active”" in field["description"]
    assert "leaves it out the value is “active”" in field["description"]
    assert field["constraints"]["required"] is True


# -- D3/D4/D11 spreadsheets and readers ----------------------------------------------------------

def _code_block(readme: str, lang: str) -> str:
    match = re.search(rf"```{lang}\n(.*?)```", readme, re.S)
    assert match, lang
    return match.group(1)


def test_readme_recipes_keep_leading_zeros_with_pandas_and_duckdb(tricky: dict[str, Any],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb
    import pandas as pd

    out = tricky["out"]
    readme = (out / "README.md").read_text("utf-8")
    assert "dtype=str" in readme and 'colClasses = "character"' in readme and "all_varchar = true" in readme
    monkeypatch.chdir(out)
    # the defect: a default read loses the zeros and the credit code
    default = pd.read_csv("csv/hubs.csv")
    row = default[default.id == "hub-rg-union"].iloc[0]
    assert str(row.postal_code) != ZERO_POSTCODE  # 52830.0
    # the recipe, executed as the README prints it
    scope: dict[str, Any] = {}
    exec(_code_block(readme, "python"), scope)  # the README's own recipe
    df = scope["df"]
    row = df[df.id == "hub-rg-union"].iloc[0]
    assert (row.postal_code, row.uscc, row.division) == (ZERO_POSTCODE, NUMERIC_USCC, "440606006")
    sql = _code_block(readme, "sql").strip().rstrip(";")
    got = duckdb.sql(f"SELECT postal_code, uscc, division FROM ({sql}) WHERE id = 'hub-rg-union'").fetchall()
    assert got == [(ZERO_POSTCODE, NUMERIC_USCC, "440606006")]
    # the README's Parquet recipe: codes stay strings
    recipe = re.search(r'duckdb -c "(COPY .*?)"', readme)
    assert recipe
    duckdb.sql(recipe.group(1))
    got = duckdb.sql("SELECT postal_code, uscc FROM 'hubs.parquet' WHERE id = 'hub-rg-union'").fetchall()
    assert got == [(ZERO_POSTCODE, NUMERIC_USCC)]
    contacts = duckdb.sql("SELECT value FROM read_csv('csv/hubs_contacts.csv', all_varchar = true) "
                          "WHERE record_id = 'hub-d-union'").fetchall()
    assert ("0757-22220001",) in contacts


def test_workbook_keeps_codes_as_text_and_holds_no_formula(tricky: dict[str, Any]) -> None:
    path = tricky["out"] / "hubdir.xlsx"
    wb = openpyxl.load_workbook(path)  # not read-only: data types and formulas are exposed
    ws = wb["hubs"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "hub-rg-union")
    for title, value in (("统一社会信用代码", NUMERIC_USCC), ("邮政编码", ZERO_POSTCODE)):
        cell = row[header.index(title)]
        assert (cell.data_type, cell.value) == ("s", value)
    seen = set()
    for sheet in wb.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value in FORMULAS:
                    seen.add(cell.value)
    assert seen == set(FORMULAS)  # the values are there, as text
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_canonical_csv_keeps_raw_values_and_the_readme_says_so(tricky: dict[str, Any]) -> None:
    text = (tricky["out"] / "csv" / "hubs_aliases.csv").read_text("utf-8")
    assert "+1+1" in text and "@SUM(A1:A2)" in text
    readme = (tricky["out"] / "README.md").read_text("utf-8")
    assert "hubdir.xlsx" in readme.split("## 文件")[0]  # the spreadsheet advice comes first
    assert "以 = + - @ 开头的值" in readme and "Values starting with = + - @" in readme


# -- D6 full-text search --------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["容桂", "工会", "桂", "总工会", "容桂 工会"])
def test_sqlite_search_finds_short_chinese_words(tricky: dict[str, Any], word: str) -> None:
    db = sqlite3.connect(tricky["unzipped"] / "hubdir.sqlite")
    assert sqlite3.sqlite_version_info >= (3, 40)
    query = " ".join(f'"{part}"' for part in word.split())  # how Datasette escapes a search
    ids = {r[0] for r in db.execute("SELECT id FROM search WHERE search MATCH ?", (query,))}
    assert "hub-rg-union" in ids, word
    texts = [" ".join(r) for r in db.execute(
        "SELECT name, aliases, address FROM search WHERE search MATCH ?", (query,))]
    assert all(all(p in text for p in word.split()) for text in texts), texts
    # the segmented column never matches a word the text does not hold
    assert not db.execute("SELECT id FROM search WHERE search MATCH ?", ('"容工"',)).fetchall()


def test_trigram_table_still_finds_long_substrings(tricky: dict[str, Any]) -> None:
    db = sqlite3.connect(tricky["unzipped"] / "hubdir.sqlite")
    ids = {r[0] for r in db.execute("SELECT id FROM search_trigram WHERE search_trigram MATCH ?", ("容桂总工会",))}
    assert ids == {"hub-rg-union"}


def test_datasette_search_finds_one_and_two_character_words(tricky: dict[str, Any]) -> None:
    from datasette.app import Datasette

    out = tricky["out"]
    metadata = json.loads((out / "metadata.json").read_text("utf-8"))
    ds = Datasette([str(tricky["unzipped"] / "hubdir.sqlite")], metadata=metadata)

    async def search(word: str, table: str = "search") -> list[dict[str, Any]]:
        response = await ds.client.get(f"/hubdir/{table}.json", params={"_search": word, "_shape": "array"})
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    for word in ("容桂", "工会", "妇", "容桂 妇联"):
        rows = asyncio.run(search(word))
        assert rows, word
        assert all(all(p in r["name"] + r["aliases"] + r["address"] for p in word.split()) for r in rows), word
        # the shared content table is searchable too, with the same hits (external-content FTS5)
        assert sorted(r["id"] for r in asyncio.run(search(word, "search_rows"))) == sorted(r["id"] for r in rows)
    assert "hub-rg-union" in {r["id"] for r in asyncio.run(search("容桂"))}


# -- D7 code lists -----------------------------------------------------------------------------------

def test_every_enumerated_field_has_its_code_list(tricky: dict[str, Any]) -> None:
    out, config = tricky["out"], tricky["config"]
    resources = {r["name"]: r for r in tricky["descriptor"]["resources"]}
    kind = next(f for f in resources["hubs"]["schema"]["fields"] if f["name"] == "kind")
    assert kind["constraints"]["enum"] == [k.code for k in config.hub_kinds]
    codes = {(r[0], r[1], r[2]): (r[3], r[4]) for r in sqlite3.connect(tricky["unzipped"] / "hubdir.sqlite").execute(
        "SELECT resource, field, code, label_zh, label_en FROM codes")}
    for k in config.hub_kinds:
        assert codes[("hubs", "kind", k.code)] == (k.name["zh"], k.name["en"])
    # every enum constraint of the package has its rows, with labels
    for res in resources.values():
        for field in res["schema"]["fields"]:
            for code in field.get("constraints", {}).get("enum", []):
                if res["name"] in ("coverage", "completeness"):
                    continue
                assert (res["name"], field["name"], code) in codes, (res["name"], field["name"], code)
                assert all(codes[(res["name"], field["name"], code)]), (res["name"], field["name"], code)
    wb = openpyxl.load_workbook(out / "hubdir.xlsx", read_only=True)
    sheet = {tuple(r[:5]) for r in wb["代码表"].iter_rows(values_only=True)}
    assert ("hubs", "kind", "trade_union", "工会", "Trade unions") in sheet
    assert ("social_orgs", "org_type", "volunteer", "志愿服务组织", "Volunteer organization") in sheet or any(
        r[:2] == ("social_orgs", "org_type") for r in sheet)


# -- add 1, 2: label and place columns, summary ------------------------------------------------------

def test_place_and_label_columns_count_by_town_without_joins(tricky: dict[str, Any]) -> None:
    import pandas as pd

    out, registry = tricky["out"], tricky["loaded"].registry
    df = pd.read_csv(out / "csv" / "womens_homes.csv", dtype=str, keep_default_na=False)
    for record in registry.records("womens_homes"):
        row = df[df.id == record.id].iloc[0]
        village = registry.division(record.division)
        town = registry.division(village.get("parent")) if village.get("level") == "village" else village
        assert (row.division_name, row.town_code, row.town_name) == (village.name, town.id, town.name)
    hubs = pd.read_csv(out / "csv" / "hubs.csv", dtype=str, keep_default_na=False)
    union = hubs[hubs.id == "hub-rg-union"].iloc[0]
    assert (union.town_code, union.town_name, union.kind_zh, union.level_zh) == (
        "440606006", "容桂街道", "工会", "镇（街道）级")
    district = hubs[hubs.id == "hub-d-union"].iloc[0]
    assert (district.town_code, district.division_name) == ("", "顺德区")
    orgs = pd.read_csv(out / "csv" / "social_orgs.csv", dtype=str, keep_default_na=False)
    assert (orgs.org_type_zh != "").all()


def test_summary_counts_active_records_per_town_and_district(tricky: dict[str, Any]) -> None:
    import duckdb

    out, registry = tricky["out"], tricky["loaded"].registry
    rows = duckdb.sql("SELECT division, kind, active FROM read_csv('" + str(out / "csv" / "summary.csv")
                      + "', all_varchar = true)").fetchall()
    got = {(d, k): int(n) for d, k, n in rows}
    # independently: walk each active record up its parents
    expected: dict[tuple[str, str], int] = {}
    for record in registry.all():
        if record.registry == "divisions" or record.data.get("status", "active") != "active":
            continue
        kind = record.data["kind"] if record.registry == "hubs" else record.registry
        code: str | None = record.division
        while code:
            division = registry.division(code)
            if division is None:
                break
            if division.get("level") != "village":
                expected[code, kind] = expected.get((code, kind), 0) + 1
            code = division.get("parent")
    assert {k: v for k, v in got.items() if v} == expected
    towns = {d.id for d in registry.records("divisions") if d.get("level") == "town"}
    assert {d for d, _ in got} == towns | {"440606"}  # zeros are rows too
    assert got["440606006", "trade_union"] >= 1
    wb = openpyxl.load_workbook(out / "hubdir.xlsx", read_only=True)
    assert "summary" in wb.sheetnames


# -- add 3: metadata that travels ------------------------------------------------------------------

def test_citation_dcat_and_schema_org_describe_every_file(tricky: dict[str, Any]) -> None:
    out = tricky["out"]
    cff = yaml.safe_load((out / "CITATION.cff").read_text("utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == tricky["descriptor"]["version"] and cff["license"] == "CC-BY-4.0"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cff["date-released"])
    dcat = json.loads((out / "dcat.jsonld").read_text("utf-8"))
    assert dcat["@type"] == "dcat:Dataset"
    assert {lang["@id"].rsplit("/", 1)[1] for lang in dcat["dct:language"]} == {"ZHO", "ENG"}
    assert dcat["dct:accrualPeriodicity"]["@id"].endswith("/frequency/UPDATE_CONT")
    assert dcat["dct:spatial"]["dct:identifier"] == "440606" and "POLYGON" in dcat["dct:spatial"]["dcat:bbox"]["@value"]
    assert dcat["dct:temporal"]["dcat:startDate"]["@value"] <= dcat["dct:temporal"]["dcat:endDate"]["@value"]
    assert dcat["dcat:contactPoint"]["vcard:hasURL"]["@id"].startswith("https://")
    import hashlib

    paths = set()
    for dist in dcat["dcat:distribution"]:
        url = dist["dcat:downloadURL"]["@id"]
        assert url.startswith("https://example.org/hubdir/data/")
        rel = url[len("https://example.org/hubdir/data/"):]
        data = (out / rel).read_bytes()
        assert int(dist["dcat:byteSize"]["@value"]) == len(data)
        assert dist["spdx:checksum"]["spdx:checksumValue"] == hashlib.sha256(data).hexdigest()
        assert dist["dcat:mediaType"]["@id"].startswith("http://www.iana.org/assignments/media-types/")
        assert dist["dct:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
        # a zipped download says so: one file compressed, or a package of files (HSDS)
        zipped = data[:4] == b"PK\x03\x04" and not rel.endswith(".xlsx")
        packed = dist.get("dcat:compressFormat") or dist.get("dcat:packageFormat")
        assert (packed == {"@id": "http://www.iana.org/assignments/media-types/application/zip"}) is zipped, rel
        paths.add(rel)
    assert {"hubdir.xlsx", "csv/hubs.csv", "hubdir.sqlite.zip", "hubdir.geojson.zip", "hsds.zip"} <= paths
    dataset = json.loads((out / "dataset.jsonld").read_text("utf-8"))
    assert dataset["@type"] == "Dataset" and dataset["license"].startswith("https://")
    assert {d["contentUrl"] for d in dataset["distribution"]} == {
        d["dcat:downloadURL"]["@id"] for d in dcat["dcat:distribution"]}
    assert {d["encodingFormat"] for d in dataset["distribution"] if d["contentUrl"].endswith(".zip")} == {
        "application/zip"}


# -- add 5: HSDS 3.0 -------------------------------------------------------------------------------

def test_hsds_export_is_valid_against_the_official_schemas(tricky: dict[str, Any], tmp_path: Path) -> None:
    import frictionless

    archive = tricky["out"] / "hsds.zip"
    with zipfile.ZipFile(archive) as bundle:
        # the official descriptor, unchanged, beside the 21 tables under their official names
        assert bundle.read("datapackage.json") == OFFICIAL.read_bytes()
        official = json.loads(OFFICIAL.read_text("utf-8"))
        assert official["version"] == "3.0.0" and len(official["resources"]) == 21
        assert sorted(bundle.namelist()) == sorted([r["path"] for r in official["resources"]] + ["datapackage.json"])
    # Frictionless reads the zip as it is published (``frictionless validate hsds.zip``)
    report = frictionless.validate(str(archive))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "message"])[:20]
    # and the same archive again is byte-identical (fixed entry times and metadata)
    moment = dt.datetime(2026, 2, 1, 8, 30, tzinfo=dt.UTC)
    first, again = tmp_path / "first.zip", tmp_path / "again.zip"
    for path in (first, again):
        write_hsds(path, tricky["loaded"].registry, "shunde-hubdir", None, moment)
    assert again.read_bytes() == first.read_bytes()
    assert zipfile.ZipFile(first).getinfo("organizations.csv").date_time == (2026, 2, 1, 8, 30, 0)


def test_hsds_content(tricky: dict[str, Any]) -> None:
    import pandas as pd

    bundle, registry = zipfile.ZipFile(tricky["out"] / "hsds.zip"), tricky["loaded"].registry

    def table(name: str) -> Any:
        return pd.read_csv(bundle.open(name), dtype=str, keep_default_na=False)

    orgs = table("organizations.csv")
    expected = len(registry.records("hubs")) + len(registry.records("social_orgs"))
    assert len(orgs) >= expected
    union = orgs[orgs.name == "示例容桂总工会"].iloc[0]
    assert union.id == uid("shunde-hubdir", "organization", "hub-rg-union")
    assert uuid.UUID(union.id).version == 5
    ids = table("organization_identifiers.csv")
    mine = ids[ids.organization_id == union.id].iloc[0]
    assert (mine.identifier_scheme, mine.identifier) == ("CN-USCI", NUMERIC_USCC)
    services = table("services.csv")
    assert set(services.status) <= {"active", "defunct"}
    dissolved = [r.id for r in registry.all() if r.data.get("status") in ("dissolved", "merged")]
    for rid in dissolved:
        assert services[services.id == uid("shunde-hubdir", "service", rid)].iloc[0].status == "defunct"
    schedules = table("schedules.csv")
    d_union = uid("shunde-hubdir", "service", "hub-d-union")
    mine = schedules[schedules.service_id == d_union]
    assert sorted(zip(mine.byday, mine.opens_at, mine.closes_at, strict=True)) == [
        ("MO,TU,WE,TH,FR", "08:30:00", "12:00:00"), ("MO,TU,WE,TH,FR", "14:30:00", "17:30:00")]
    assert set(mine.freq) == {"WEEKLY"}
    terms = table("taxonomy_terms.csv")
    assert {"trade_union", "legal_aid", "youth"} <= set(terms.code)
    attributes = table("attributes.csv")
    assert (attributes.link_entity == "service").all()
    phones = table("phones.csv")
    assert "12351" in set(phones.number)
