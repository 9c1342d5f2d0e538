"""Open datasets: the data package and every format, checked with real readers.

The fixture project is exported once per session; each guarantee of the
issue is one test: Frictionless (CLI and API) and the Data Package v2 profile
accept the package, nothing a YAML record holds is lost, flat fields come back
unchanged from CSV, XLSX and SQLite, keys hold, exports are byte-identical and
a failed export leaves the previous output untouched.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from jsonschema import Draft7Validator

from generator.config import load_config
from generator.export import ExportError, data_dictionary, write_datasets
from generator.export.package import PROFILE_PATH, PROFILE_URL
from generator.export.tables import table_specs
from generator.registry import REGISTRIES
from generator.validate import load

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "project"


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture project exported once: its loaded model, the output folder and the result."""
    config = load_config(FIXTURE)
    loaded = load(config)
    assert loaded.report.errors == 0
    out = tmp_path_factory.mktemp("export") / "data"
    result = write_datasets(loaded, out)
    return {"config": config, "loaded": loaded, "out": out, "result": result, "unzipped": unzip_downloads(out),
            "descriptor": json.loads((out / "datapackage.json").read_text("utf-8"))}


def unzip_downloads(out: Path) -> Path:
    """The zipped downloads unpacked as a reader does (``unzip``), beside the export: the folder."""
    import zipfile

    target = out.parent / f"{out.name}-unzipped"
    for name in ("hubdir.sqlite.zip", "hubdir.geojson.zip", "json/all.json.zip"):
        with zipfile.ZipFile(out / name) as archive:
            assert len(archive.namelist()) == 1, name
            archive.extractall(target)
    return target


def _tree(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def _expected_rows(exported: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The schema columns of every table, as the YAML holds them; a missing status reads "active"."""
    from generator.coverage.export import pairs as coverage_pairs  # issue 6: coverage, completeness

    loaded = exported["loaded"]
    out = {table.name: list(table.rows(loaded.registry.records(table.registry)))
           for table in table_specs(exported["config"].schemas_dir)} | {
        table.name: list(table.rows(rows)) for table, rows in coverage_pairs(loaded.registry)}
    for table in table_specs(exported["config"].schemas_dir):
        if not table.is_link and "status" in table.column_names():
            at = table.column_names().index("status")
            for row in out[table.name]:
                row[at] = "active" if row[at] is None else row[at]
    return out


def _head(rows: list[Any], width: int) -> list[list[Any]]:
    """The first ``width`` cells of each row (the schema columns; derived columns follow them)."""
    return [list(row)[:width] for row in rows]


def _scalars(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [item for key, sub in value.items() for item in _scalars(sub, (*path, key))]
    if isinstance(value, list):
        return [item for index, sub in enumerate(value) for item in _scalars(sub, (*path, index))]
    return [(path, value)]


# -- the package -----------------------------------------------------------------------------------

def test_frictionless_cli_validates_the_package(exported: dict[str, Any]) -> None:
    done = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", "datapackage.json"],
                          cwd=exported["out"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["valid"] is True
    assert len(report["tasks"]) == len(exported["descriptor"]["resources"])


def test_descriptor_follows_the_data_package_v2_profile(exported: dict[str, Any]) -> None:
    descriptor = exported["descriptor"]
    assert descriptor["$schema"] == PROFILE_URL == "https://datapackage.org/profiles/2.0/datapackage.json"
    profile = json.loads(PROFILE_PATH.read_text("utf-8"))
    assert profile["title"] == "Data Package"
    errors = sorted(Draft7Validator(profile).iter_errors(descriptor), key=str)
    assert errors == []


def test_descriptor_metadata(exported: dict[str, Any]) -> None:
    descriptor = exported["descriptor"]
    meta_text = (REPO / "datasets" / "package.yml").read_text("utf-8")
    # no release holds these data: the package version, marked unreleased (issue 15 D10)
    assert descriptor["version"].endswith("+unreleased")
    assert f'version: "{descriptor["version"].removesuffix("+unreleased")}"' in meta_text
    assert descriptor["name"] == "shunde-hubdir"
    assert "顺德区群团组织服务名录开放数据" in descriptor["title"] and "open data" in descriptor["title"]
    assert descriptor["licenses"] == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                                       "title": "Creative Commons Attribution 4.0"}]
    assert any("ADCODE by Vonng, CC BY 4.0" in s["title"] for s in descriptor["sources"])
    assert any("国家统计局" in s["title"] for s in descriptor["sources"])
    assert descriptor["contributors"] and all(c["title"] for c in descriptor["contributors"])
    assert descriptor["created"].endswith("Z") and len(descriptor["created"]) == 20
    assert "引用格式：" in descriptor["description"] and "Cite as: " in descriptor["description"]
    assert descriptor["homepage"] == "https://example.org/hubdir/"


def test_one_resource_per_registry_and_per_list_field(exported: dict[str, Any]) -> None:
    names = [r["name"] for r in exported["descriptor"]["resources"]]
    assert names[:5] == list(REGISTRIES)
    for expected in ("hubs_aliases", "hubs_contacts", "hubs_services", "hubs_target_groups", "hubs_posts",
                     "hubs_sources", "social_orgs_undertakes", "youth_centers_groups", "divisions_sources"):
        assert expected in names
    # every list-valued property of every registry schema has its table
    from generator import schema

    for registry in REGISTRIES:
        doc = schema.bundle(exported["config"].schemas_dir, registry)
        for key, node in schema.properties(doc):
            if node.get("type") == "array":
                assert f"{registry}_{key}" in names


def test_resources_are_typed_keyed_and_hashed(exported: dict[str, Any]) -> None:
    out = exported["out"]
    by_name = {r["name"]: r for r in exported["descriptor"]["resources"]}
    for res in by_name.values():
        data = (out / res["path"]).read_bytes()
        assert res["encoding"] == "utf-8" and res["mediatype"] == "text/csv" and res["format"] == "csv"
        assert res["bytes"] == len(data)
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert res["schema"]["primaryKey"]
        for field in res["schema"]["fields"]:
            assert field["type"] in ("string", "integer", "number", "boolean", "date")
            assert " / " in field["title"], field
    fields = {f["name"]: f for f in by_name["hubs"]["schema"]["fields"]}
    # codes and numbers-that-are-not-numbers are declared as text, never guessed
    for name in ("id", "division", "uscc", "postal_code", "parent"):
        assert fields[name]["type"] == "string"
    assert by_name["hubs_contacts"]["schema"]["fields"][3]["name"] == "value"
    assert by_name["hubs_contacts"]["schema"]["fields"][3]["type"] == "string"
    assert fields["location_lat"]["type"] == "number"
    assert fields["last_verified"]["type"] == "date"
    assert fields["status"]["constraints"]["enum"] == ["active", "dissolved", "merged"]
    # titles and descriptions come from the JSON Schemas, in Chinese and English
    assert fields["name"]["title"] == "名称 / Name"
    description = fields["name"]["description"]
    assert "中文全称" in description and "Full name in Chinese" in description
    assert fields["parent"]["title"] == "上级组织 / Parent hub"

    def fks(name: str) -> set[tuple[str, str]]:
        declared = by_name[name]["schema"].get("foreignKeys", [])
        return {(fk["fields"][0], fk["reference"]["resource"]) for fk in declared}

    assert fks("hubs") == {("division", "divisions"), ("parent", "hubs"), ("successor", "hubs")}
    assert fks("youth_centers") == {("division", "divisions"), ("host", "hubs"),
                                    ("successor", "youth_centers")}
    assert fks("womens_homes") >= {("hub", "hubs")}
    assert fks("social_orgs") >= {("hub", "hubs"), ("division", "divisions")}
    assert fks("hubs_contacts") == {("record_id", "hubs")}
    assert fks("youth_centers_groups") == {("record_id", "youth_centers"), ("value", "social_orgs")}
    assert by_name["hubs_contacts"]["schema"]["primaryKey"] == ["record_id", "position"]


# -- nothing lost -------------------------------------------------------------------------------------

def test_json_holds_every_value_of_every_record(exported: dict[str, Any]) -> None:
    loaded = exported["loaded"]
    everything = json.loads((exported["unzipped"] / "all.json").read_text("utf-8"))
    for name in REGISTRIES:
        records = loaded.registry.records(name)
        in_file = everything[name]
        assert [r["id"] for r in in_file] == [r.id for r in records]
        for record, doc in zip(records, in_file, strict=True):
            # the JSON adds nothing but the effective status where the YAML leaves it out
            added = {k: v for k, v in doc.items() if k not in record.data}
            assert added == ({} if name == "divisions" or "status" in record.data else {"status": "active"})
            assert {k: v for k, v in doc.items() if k in record.data} == record.data
            found = dict(_scalars(doc))
            for path, value in _scalars(record.data):
                assert path in found and found[path] == value and type(found[path]) is type(value)


def test_every_scalar_reaches_a_flat_table(exported: dict[str, Any]) -> None:
    """Each scalar of each record has a cell: scalar → column, object → prefixed columns, list → link rows."""
    expected = _expected_rows(exported)
    tables = {t.name: t for t in table_specs(exported["config"].schemas_dir)}
    for record in exported["loaded"].records:
        main = tables[record.registry]
        row = next(r for r in expected[main.name] if r[0] == record.id)
        columns = main.column_names()
        for key, value in record.data.items():
            if isinstance(value, dict):
                for sub, sub_value in value.items():
                    assert row[columns.index(f"{key}_{sub}")] == sub_value
            elif isinstance(value, list):
                link = tables[f"{record.registry}_{key}"]
                rows = [r for r in expected[link.name] if r[0] == record.id]
                assert [r[1] for r in rows] == list(range(1, len(value) + 1))
                names = link.column_names()
                for item, link_row in zip(value, rows, strict=True):
                    if isinstance(item, dict):
                        for sub, sub_value in item.items():
                            assert link_row[names.index(sub)] == sub_value
                    else:
                        assert link_row[names.index("value")] == item
            else:
                assert row[columns.index(key)] == value, (record.id, key)


def _parse(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    return text


def test_csv_round_trip(exported: dict[str, Any]) -> None:
    out = exported["out"]
    expected = _expected_rows(exported)
    for res in exported["descriptor"]["resources"]:
        raw = (out / res["path"]).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without BOM
        assert raw.endswith(b"\r\n")  # RFC 4180 line ends
        with (out / res["path"]).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        kinds = [f["type"] for f in res["schema"]["fields"]]
        assert rows[0] == [f["name"] for f in res["schema"]["fields"]]
        parsed = [[_parse(cell, kind) for cell, kind in zip(row, kinds, strict=True)] for row in rows[1:]]
        if res["name"] not in expected:  # summary, codes: tested on their own
            continue
        wanted = [[None if v == "" else v for v in row] for row in expected[res["name"]]]
        assert _head(parsed, len(wanted[0]) if wanted else 0) == wanted, res["name"]
        names = [f["name"] for f in res["schema"]["fields"]]
        keys = [tuple(r[names.index(k)] for k in res["schema"]["primaryKey"]) for r in parsed]
        assert keys == sorted(keys), res["name"]  # rows sorted by key
    hubs = (out / "csv" / "hubs.csv").read_text("utf-8")
    assert ",440606006," in hubs  # a code stays text with its leading digits
    assert "0757-22220001" in (out / "csv" / "hubs_contacts.csv").read_text("utf-8")


def test_xlsx_round_trip_with_chinese_headers_and_dictionary(exported: dict[str, Any]) -> None:
    out = exported["out"]
    from generator.coverage.export import specs as coverage_specs  # issue 6: coverage, completeness

    expected = _expected_rows(exported)
    tables = (*table_specs(exported["config"].schemas_dir), *coverage_specs())
    published = {r["name"]: r for r in exported["descriptor"]["resources"]}
    wb = openpyxl.load_workbook(out / "hubdir.xlsx", read_only=True)
    assert wb.sheetnames[:3] == ["说明", "数据字典", "代码表"]
    assert wb.sheetnames[3:] == [t.name for t in tables] + ["summary"]
    for table in tables:
        rows = list(wb[table.name].iter_rows(values_only=True))
        fields = published[table.name]["schema"]["fields"]
        assert list(rows[0]) == [f["title"].split(" / ")[0] for f in fields]
        width = len(fields)
        got = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
        wanted = [[None if v == "" else v for v in row] for row in expected[table.name]]
        assert _head(got, len(table.columns)) == wanted, table.name
    dictionary = list(wb["数据字典"].iter_rows(values_only=True))
    assert dictionary[0][:4] == ("数据表", "字段", "中文名称", "英文名称")
    name_row = dictionary[[r[:2] for r in dictionary].index(("hubs", "name"))]
    assert name_row[:5] == ("hubs", "name", "名称", "Name", "string")
    codes = list(wb["代码表"].iter_rows(values_only=True))
    assert ("hubs", "status", "active", "正常运作", "Active") in codes
    about = dict(r[:2] for r in wb["说明"].iter_rows(values_only=True))
    assert "CC-BY-4.0" in about["许可协议 / Licence"]


def test_xlsx_keeps_codes_as_text(exported: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(exported["out"] / "hubdir.xlsx")
    ws = wb["hubs"]
    header = [c.value for c in ws[1]]
    division = ws.cell(row=2, column=header.index("行政区划代码") + 1)
    assert division.data_type == "s" and division.value == "440606"


def test_sqlite_round_trip_keys_indexes_and_search(exported: dict[str, Any]) -> None:
    out = exported["out"]
    expected = _expected_rows(exported)
    db = sqlite3.connect(exported["unzipped"] / "hubdir.sqlite")
    db.execute("PRAGMA foreign_keys=ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for table in table_specs(exported["config"].schemas_dir):
        names = table.column_names()
        rows = db.execute(f'SELECT * FROM "{table.name}"').fetchall()  # WITHOUT ROWID: in key order
        wanted = [[int(v) if isinstance(v, bool) else v for v in row] for row in expected[table.name]]
        assert _head(rows, len(names)) == wanted, table.name
        info = {r[1]: r for r in db.execute(f'PRAGMA table_info("{table.name}")')}
        assert [info[n][5] for n in table.primary_key] == list(range(1, len(table.primary_key) + 1))
        declared = {(r[3], r[2]) for r in db.execute(f'PRAGMA foreign_key_list("{table.name}")')}
        assert declared == {(fk.column, fk.resource) for fk in table.foreign_keys}
        indexed = {db.execute(f'PRAGMA index_info("{r[1]}")').fetchone()[2]
                   for r in db.execute(f'PRAGMA index_list("{table.name}")')}
        for fk in table.foreign_keys:
            assert fk.column in indexed
        assert names  # every table has columns
    assert db.execute("SELECT typeof(division) FROM hubs LIMIT 1").fetchone() == ("text",)
    query = "SELECT registry, id FROM search_trigram WHERE search_trigram MATCH ? ORDER BY id"
    hits = db.execute(query, ("桂洲社区",)).fetchall()
    assert ("youth_centers", "yc-gz") in hits and ("divisions", "440606006001") in hits
    words = db.execute("SELECT registry, id FROM search WHERE search MATCH ? ORDER BY id", ('"桂洲" "社区"',))
    assert sorted(words.fetchall()) == sorted(hits)
    hits = db.execute("SELECT id FROM search WHERE search MATCH ?", ("青年坊",)).fetchall()
    assert ("yc-gz",) in hits
    db.close()
    meta = json.loads((out / "metadata.json").read_text("utf-8"))
    assert meta["license"] == "CC-BY-4.0"
    tables = meta["databases"]["hubdir"]["tables"]
    assert "名称" in tables["hubs"]["columns"]["name"] and "Name" in tables["hubs"]["columns"]["name"]
    assert "search" in tables


def test_pandas_reads_codes_as_text_when_told(exported: dict[str, Any]) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(exported["out"] / "csv" / "hubs.csv", dtype=str, keep_default_na=False)
    assert frame["division"].iloc[0] == "440606"


def test_row_counts_equal_record_counts(exported: dict[str, Any]) -> None:
    result, loaded = exported["result"], exported["loaded"]
    by_path = {f.path: f for f in result.files}
    for name in REGISTRIES:
        count = len(loaded.registry.records(name))
        assert result.records[name] == count
        assert by_path[f"csv/{name}.csv"].rows == count
        with (exported["out"] / "csv" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            assert sum(1 for _ in csv.reader(handle)) - 1 == count
    assert by_path["json/all.json.zip"].rows == len(loaded.records)
    # one JSON of everything: no per-registry copies, no file per record (issue 16)
    assert not (exported["out"] / "records").exists()
    assert sorted(p.name for p in (exported["out"] / "json").iterdir()) == ["all.json.zip"]
    assert result.total_records == len(loaded.records)


def test_geojson_features(exported: dict[str, Any]) -> None:
    doc = json.loads((exported["unzipped"] / "hubdir.geojson").read_text("utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    located = [r for r in exported["loaded"].records if isinstance(r.data.get("location"), dict)]
    assert len(doc["features"]) == len(located) > 0
    located.sort(key=lambda r: (REGISTRIES.index(r.registry), r.id))
    for feature, record in zip(doc["features"], located, strict=True):
        lon, lat = feature["geometry"]["coordinates"]
        assert (lon, lat) == (record.data["location"]["lon"], record.data["location"]["lat"])
        props = feature["properties"]
        assert props["id"] == record.id and props["registry"] == record.registry
        page = "area" if record.registry == "divisions" else "org"
        assert props["url"] == f"https://example.org/hubdir/{page}/{record.id}/"
        assert props["url_en"] == f"https://example.org/hubdir/en/{page}/{record.id}/"
        assert props["name"] == record.name and props["division"] == record.division
        assert props["kind_zh"] and props["kind_en"]


def test_checksums_cover_every_file(exported: dict[str, Any]) -> None:
    out = exported["out"]
    done = subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"], cwd=out,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text("utf-8").splitlines()}
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert listed == files


def test_result_lists_downloads(exported: dict[str, Any]) -> None:
    result = exported["result"]
    formats = {f.format for f in result.files}
    assert formats >= {"datapackage", "csv", "xlsx", "json", "geojson", "sqlite", "datasette-metadata",
                       "sha256sums"}
    for item in result.files:
        data = (exported["out"] / item.path).read_bytes()
        assert item.bytes == len(data) and item.sha256 == hashlib.sha256(data).hexdigest()
    assert result.version == exported["descriptor"]["version"]
    assert result.licence["name"] == "CC-BY-4.0"


def test_data_dictionary_rows(exported: dict[str, Any]) -> None:
    rows = data_dictionary(exported["config"])
    by_key = {(r.resource, r.field): r for r in rows}
    name = by_key[("hubs", "name")]
    assert (name.title_zh, name.title_en, name.type) == ("名称", "Name", "string")
    assert name.description_zh and name.description_en and name.required
    assert ("active", "正常运作", "Active") in by_key[("hubs", "status")].codes
    assert by_key[("hubs_contacts", "position")].type == "integer"
    resources = exported["descriptor"]["resources"]
    described = {(r["name"], f["name"]) for r in resources for f in r["schema"]["fields"]}
    assert set(by_key) == described


# -- determinism and failure ------------------------------------------------------------------------

def test_two_exports_are_byte_identical(exported: dict[str, Any], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when the workbook is written by a forked process (as for large packages)."""
    import generator.export as export_module

    monkeypatch.setattr(export_module, "BACKGROUND_ROWS", 0)
    again = write_datasets(exported["loaded"], tmp_path / "again")
    assert _tree(tmp_path / "again") == _tree(exported["out"])
    assert again.created == exported["result"].created


def test_failure_in_the_workbook_process_fails_the_export(project: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.export as export_module
    from generator.export import xlsx as xlsx_module

    loaded = load(load_config(project))
    out = tmp_path / "site" / "data"
    write_datasets(loaded, out, validate=False)
    before = _snapshot(out)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "BACKGROUND_ROWS", 0)
    monkeypatch.setattr(xlsx_module, "write_xlsx", broken)
    # an OSError comes back as itself, so the user reads the located "disk full" message
    with pytest.raises(OSError, match="No space left on device") as info:
        write_datasets(loaded, out, validate=False)
    assert info.value.errno == 28
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["data"]

    def wrong(*args: Any, **kwargs: Any) -> None:
        raise ValueError("a bug in the workbook writer")

    monkeypatch.setattr(xlsx_module, "write_xlsx", wrong)
    with pytest.raises(RuntimeError, match="ValueError: a bug in the workbook writer"):
        write_datasets(loaded, out, validate=False)
    assert _snapshot(out) == before


def test_source_date_epoch_sets_every_timestamp(project: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    loaded = load(load_config(project))
    result = write_datasets(loaded, tmp_path / "a")
    assert result.created == "2023-11-14T22:13:20Z"
    descriptor = json.loads((tmp_path / "a" / "datapackage.json").read_text("utf-8"))
    assert descriptor["created"] == "2023-11-14T22:13:20Z"
    import zipfile

    with zipfile.ZipFile(tmp_path / "a" / "hubdir.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
        assert b"2023-11-14T22:13:20Z" in archive.read("docProps/core.xml")


def test_awkward_strings_survive_every_format(project: Path, tmp_path: Path) -> None:
    path = project / "content" / "hubs" / "hub-rg-union.yml"
    text = path.read_text("utf-8")
    awkward = {
        "description": "=1+1",
        "address": "  前后有空格 ",
        "opening_hours_note": "#N/A",
        "unit": "字面量 & <b>&amp;",
        "description_en": "line one\nline two, with \"quotes\"",
    }
    extra = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in awkward.items())
    path.write_text(text + extra, "utf-8")
    loaded = load(load_config(project))
    assert loaded.report.errors == 0, [p.code for p in loaded.report.problems]
    out = tmp_path / "data"
    write_datasets(loaded, out, validate=False)  # validation is tested elsewhere; this is about the formats
    with (out / "csv" / "hubs.csv").open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "hub-rg-union")
    wb = openpyxl.load_workbook(out / "hubdir.xlsx")
    ws = wb["hubs"]
    xrow = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "hub-rg-union")
    db = sqlite3.connect(unzip_downloads(out) / "hubdir.sqlite")
    srow = db.execute("SELECT * FROM hubs WHERE id = 'hub-rg-union'").fetchone()
    columns = [c[1] for c in db.execute("PRAGMA table_info(hubs)")]
    tables = {t.name: t for t in table_specs(load_config(project).schemas_dir)}
    for key, value in awkward.items():
        assert row[key] == value
        cell = xrow[[c.name for c in tables["hubs"].columns].index(key)]
        assert cell.value == value and cell.data_type == "s", key
        assert srow[columns.index(key)] == value


def _snapshot(folder: Path) -> dict[str, bytes]:
    return _tree(folder)


def test_invalid_content_leaves_previous_output_untouched(project: Path, run: Any) -> None:
    out = project / "build" / "site" / "data"
    first = run(project, "export")  # default output folder: build/site/data
    assert first.exit_code == 0, first.output
    assert "已导出" in first.output and "30 条记录" in first.output
    assert (out / "datapackage.json").is_file()
    before = _snapshot(out)
    bad = project / "content" / "hubs" / "hub-rg-union.yml"
    text = bad.read_text("utf-8")
    bad.write_text(text.replace('division: "440606006"', 'division: "440606999"'), "utf-8")
    result = run(project, "export")
    assert result.exit_code == 1
    assert "content/hubs/hub-rg-union.yml" in result.output
    assert "内容有错误，没有导出数据集（原有输出保持不变）。" in result.output
    english = run(project, "--lang", "en", "export")
    message = "The content has errors; no datasets were exported (the previous output is untouched)."
    assert message in english.output
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["data"]


def test_exception_midway_leaves_previous_output_untouched(project: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load(load_config(project))
    out = tmp_path / "site" / "data"
    write_datasets(loaded, out, validate=False)
    before = _snapshot(out)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    from generator.export import sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "write_sqlite", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_datasets(loaded, out, validate=False)
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["data"]  # no temporary folder left behind


def test_package_validation_failure_is_reported(project: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A package Frictionless rejects (here: a CSV changed after its hash was taken) is never swapped in."""
    loaded = load(load_config(project))
    out = tmp_path / "data"
    write_datasets(loaded, out, validate=False)
    before = _snapshot(out)
    from generator.export import package as package_module

    original = package_module.write_descriptor

    def tamper(path: Path, doc: dict[str, Any]) -> None:
        original(path, doc)
        with (path.parent / "csv" / "hubs.csv").open("a", encoding="utf-8", newline="") as handle:
            handle.write("hub-extra,示例,,trade_union,town,440606999,hub-nowhere,,,,,,,,,,,,,,,,\r\n")

    monkeypatch.setattr(package_module, "write_descriptor", tamper)
    with pytest.raises(ExportError) as info:
        write_datasets(loaded, out)
    assert info.value.kind == "package"
    text = "\n".join(info.value.messages)
    assert "hubs:" in text and ("hash" in text.lower() or "foreign key" in text.lower())
    assert _snapshot(out) == before


def test_invalid_dataset_description_is_located(project: Path, run: Any) -> None:
    (project / "datasets").mkdir(exist_ok=True)
    meta = (REPO / "datasets" / "package.yml").read_text("utf-8")
    (project / "datasets" / "package.yml").write_text(meta.replace("version: ", "versoin: ", 1), "utf-8")
    result = run(project, "export", "--out", str(project / "out"))
    assert result.exit_code == 1
    assert "数据集说明文件" in result.output and "datasets/package.yml" in result.output
    assert "versoin" in result.output
    assert not (project / "out").exists()


def test_shipped_dataset_description_is_valid() -> None:
    from generator.export.package import META_SCHEMAS, load_meta

    meta = load_meta(load_config(REPO))
    assert meta.raw["name"] == "shunde-hubdir"
    package_schema = json.loads((META_SCHEMAS / "package.schema.json").read_text("utf-8"))
    common = json.loads((META_SCHEMAS / "common.schema.json").read_text("utf-8"))
    assert package_schema["$defs"] == common["$defs"]


def test_export_help_is_bilingual(run: Any) -> None:
    result = run(FIXTURE, "export", "--help")
    assert result.exit_code == 0
    assert "导出开放数据集" in result.output and "Export the open datasets" in result.output


def test_locale_keys_match() -> None:
    def keys(node: Any, prefix: str = "") -> set[str]:
        if isinstance(node, dict):
            return {k for key, sub in node.items() for k in keys(sub, f"{prefix}.{key}")}
        return {prefix}

    zh = json.loads((REPO / "generator" / "locale" / "zh" / "export.json").read_text("utf-8"))
    en = json.loads((REPO / "generator" / "locale" / "en" / "export.json").read_text("utf-8"))
    assert keys(zh) == keys(en)


def test_timestamp_falls_back_to_the_newest_content_file(project: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside git and without SOURCE_DATE_EPOCH the time is the newest content file's, never the clock."""
    import os

    from generator.export.package import iso, source_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config = load_config(project)
    inside_git = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=project, capture_output=True,
                                check=False).returncode == 0
    if inside_git:
        pytest.skip("the temporary folder is inside a git work tree")
    files = sorted((project / "content").rglob("*.yml"))
    for index, path in enumerate(files):
        os.utime(path, (1_600_000_000 + index, 1_600_000_000 + index))
    assert iso(source_date(config, files)) == iso(source_date(config, list(reversed(files))))
    assert iso(source_date(config, files)) == "2020-09-13T12:27:09Z"
