"""The directory as Open Referral HSDS 3.0, in its tabular form (``data/hsds.zip``).

HSDS (Human Services Data Specification) is the international standard for
directories of human services; its tabular form is a Frictionless package
whose schemas are vendored here, unchanged (``datapackage-3.0.json``, see
``SOURCE.md``).  Every one of its 21 tables is written (most are empty: a
validator needs them for the foreign keys), under the official file names,
and the official descriptor is written beside them, so ``frictionless
validate hsds.zip`` checks the export against the standard.

Mapping (ids are UUID 5 of ``<package name>:<table>:<hubdir id>``, so they
are stable across exports and never reused; text keeps the Chinese):

- hubs and social organizations → ``organizations`` (+ one ``services`` row
  each, the organization's own service point); youth centers and women's
  homes → ``services`` of the organization of their hub (``host``/``hub``),
  or of an organization of their own when they have none;
- a record with an address or coordinates → ``locations`` +
  ``service_at_location``; ``addresses`` where HSDS's required address
  fields can be filled (see ``GAPS``);
- office phones, hotlines and faxes → ``phones``; opening hours
  (OpenStreetMap syntax) → ``schedules`` (one weekly row per day group and
  time range; the original text in each row's ``description``);
- ``wheelchair_accessible`` → ``accessibility``; credit codes →
  ``organization_identifiers`` with the org-id.guide scheme ``CN-USCI``;
- the code lists of services, kinds and target groups → ``taxonomies`` and
  ``taxonomy_terms``, and each record's codes → ``attributes``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

from generator import schema
from generator.config import Config
from generator.export import memo as memos
from generator.export import zipped
from generator.i18n import t
from generator.registry import REGISTRIES, Record, Registry

HERE = Path(__file__).resolve().parent
OFFICIAL = HERE / "datapackage-3.0.json"
ZIP_NAME = "hsds.zip"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hubdir:hsds")
#: HSDS status of a service, from hubdir's status.
STATUS = {"active": "active", "dissolved": "defunct", "merged": "defunct"}
PHONE_TYPES = {"office_phone": "voice", "hotline": "voice", "fax": "fax"}
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ORG_REGISTRIES = ("hubs", "social_orgs")
CARRIER_HUB = {"youth_centers": "host", "womens_homes": "hub"}

#: Where hubdir has no HSDS field, and which HSDS required fields hubdir fills (documented in the README).
GAPS = {
    "organization.description": "required by HSDS; hubdir's description is optional: a sentence made of "
                                "the kind and the division is written when it is empty",
    "taxonomy_term.description": "required by HSDS: the term's zh / en labels",
    "address.postal_code, address.state_province, address.city": "required by HSDS: an address row is "
                                "written only when the record has an address and a postcode and the "
                                "province and city are known (a province/city division in the registry, "
                                "or hsds.state_province / hsds.city in datasets/package.yml); the address "
                                "text is always in locations.description",
    "service.status": "required by HSDS: active → active, dissolved/merged → defunct",
}


_NAMESPACE_BYTES = NAMESPACE.bytes


#: The variant's hex digit (``10xx`` bits) of each hex digit of a SHA-1 at that place (``uid``).
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}


def uid(package: str, table: str, key: str) -> str:
    """``uuid.uuid5(NAMESPACE, "<package>:<table>:<key>")``, computed without uuid5's overhead
    (a quarter of a million ids at 20,000 records): the first 32 hex digits of the SHA-1 with the
    version digit (13th) set to 5 and the variant bits in the 17th (RFC 4122, 4.3)."""
    h = hashlib.sha1(_NAMESPACE_BYTES + f"{package}:{table}:{key}".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def official() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(OFFICIAL.read_text("utf-8"))
    return doc


def weekly(opening: str) -> list[tuple[str, str, str]]:
    """``Mo-Fr 08:30-12:00,14:30-17:30; Sa off; PH off`` → (BYDAY, opens, closes) per range.

    ``PH`` (public holidays) has no RRULE day and ``off`` rules open nothing; both stay in the
    original text that every schedule row carries.
    """
    out: list[tuple[str, str, str]] = []
    for rule in opening.split(";"):
        days_text, _, times = rule.strip().partition(" ")
        if not days_text or times == "off":
            continue
        days: list[str] = []
        for group in days_text.split(","):
            first, _, last = group.partition("-")
            if first not in DAYS:
                continue
            end = DAYS.index(last) if last in DAYS else DAYS.index(first)
            start = DAYS.index(first)
            span = range(start, end + 1) if end >= start else [*range(start, 7), *range(0, end + 1)]
            days += [DAYS[i].upper() for i in span if DAYS[i].upper() not in days]
        if not days:
            continue
        for piece in times.split(","):
            opens, _, closes = piece.partition("-")
            if opens and closes:
                out.append((",".join(days), f"{opens}:00", f"{closes}:00"))
    return out


class _Writer:
    def __init__(self, config: Config, registry: Registry, package: str, meta_hsds: dict[str, str]) -> None:
        self.config = config
        self.registry = registry
        self.package = package
        self.meta = meta_hsds
        self.doc = official()
        self.rows: dict[str, list[dict[str, Any]]] = {r["name"]: [] for r in self.doc["resources"]}
        self.terms: dict[tuple[str, str], str] = {}
        self.kind_labels: dict[str, str] = {}
        self.names = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in self.doc["resources"]}
        self.chains: dict[str, str] = {}
        self._page_of: Record | None = None
        self._page = ""
        self._described: Record | None = None
        self._description = ""

    def id(self, table: str, key: str) -> str:
        return uid(self.package, table, key)

    # -- taxonomies -------------------------------------------------------------------------
    def taxonomies(self) -> None:
        lists: list[tuple[str, list[tuple[str, str, str]]]] = []
        common = schema.bundle(self.config.schemas_dir, "hubs")
        for name in ("service", "target_group"):
            node = common["$defs"][name]
            labels = node.get("x-enum", {})
            lists.append((name, [(c, labels.get(c, {}).get("zh", c), labels.get(c, {}).get("en", c))
                                 for c in node.get("enum", [])]))
        kinds = [(k.code, k.name.get("zh", k.code), k.name.get("en", k.code)) for k in self.config.hub_kinds]
        for reg in ("youth_centers", "womens_homes", "social_orgs"):
            doc = schema.bundle(self.config.schemas_dir, reg)
            kinds.append((reg, schema.label(doc, "zh"), schema.label(doc, "en")))
        lists.append(("kind", kinds))
        for name, codes in lists:
            tax = self.id("taxonomy", name)
            self.rows["taxonomy"].append({
                "id": tax, "name": f"hubdir-{name}",
                "description": " / ".join(t(lang, f"opendata.hsds.taxonomy.{name}") for lang in ("zh", "en")),
                "version": "1",
            })
            for code, zh, en in codes:
                term = self.id("taxonomy_term", f"{name}:{code}")
                self.terms[name, code] = term
                self.rows["taxonomy_term"].append({
                    "id": term, "code": code, "name": zh, "description": f"{zh} / {en}",
                    "taxonomy": f"hubdir-{name}", "language": "zh", "taxonomy_id": tax,
                })

    def attribute(self, name: str, code: str, link_id: str, key: str) -> None:
        term = self.terms.get((name, code))
        if term:
            self.rows["attribute"].append({
                "id": self.id("attribute", f"{key}:{name}:{code}"), "link_id": link_id,
                "taxonomy_term_id": term, "link_type": name, "link_entity": "service", "value": code,
            })

    # -- records ----------------------------------------------------------------------------
    def organization(self, record: Record) -> str:
        oid = self.id("organization", record.id)
        contacts = record.get("contacts") or []
        email = next((c["value"] for c in contacts if c.get("type") == "email"), None)
        website = next((c["value"] for c in contacts if c.get("type") == "website"), None)
        parent = record.get("parent") if record.registry == "hubs" else record.get("hub")
        established = str(record.get("established_on") or "")
        self.rows["organization"].append({
            "id": oid, "name": record.name, "alternate_name": (record.get("aliases") or [None])[0],
            "description": self.description(record),
            "email": email, "website": website,
            "year_incorporated": int(established[:4]) if established[:4].isdigit() else None,
            "legal_status": t("zh", f"opendata.hsds.legal.{record.registry}"),
            "uri": self.page(record),
            "parent_organization_id": self.id("organization", parent)
            if parent and self.registry.get("hubs", parent) else None,
        })
        if record.get("uscc"):
            self.rows["organization_identifier"].append({
                "id": self.id("organization_identifier", record.id), "organization_id": oid,
                "identifier_scheme": "CN-USCI", "identifier_type": t("zh", "opendata.hsds.uscc"),
                "identifier": record.get("uscc"),
            })
        return oid

    def fallback_description(self, record: Record) -> str:
        division = self.registry.division(record.division)
        kind = self.kind_label(record)
        return t("zh", "opendata.hsds.description", kind=kind, division=division.name if division else "")

    def kind_label(self, record: Record) -> str:
        code = str(record.get("kind", "")) if record.registry == "hubs" else record.registry
        label = self.kind_labels.get(code)
        if label is None:
            if record.registry == "hubs":
                kind = self.config.hub_kind(code)
                label = kind.name.get("zh", kind.code) if kind else code
            else:
                label = schema.label(schema.bundle(self.config.schemas_dir, record.registry), "zh")
            self.kind_labels[code] = label
        return label

    def page(self, record: Record) -> str:
        """The record's page (its organization, service and location rows each show it: made once)."""
        if record is not self._page_of:
            from generator.export.geojson import page_url

            self._page_of, self._page = record, page_url(self.config, record)
        return self._page

    def description(self, record: Record) -> str:
        """The record's description or ``fallback_description`` (its organization's and its service's)."""
        if record is not self._described:
            self._described = record
            self._description = record.get("description") or self.fallback_description(record)
        return self._description

    def service(self, record: Record, organization: str) -> None:
        sid = self.id("service", record.id)
        contacts = record.get("contacts") or []
        email = next((c["value"] for c in contacts if c.get("type") == "email"), None)
        self.rows["service"].append({
            "id": sid, "organization_id": organization, "name": record.name,
            "alternate_name": (record.get("aliases") or [None])[0],
            "description": self.description(record),
            "url": self.page(record), "email": email, "status": STATUS.get(record.status, "active"),
            "assured_date": record.get("last_verified"),
        })
        kind = str(record.get("kind", "")) if record.registry == "hubs" else record.registry
        self.attribute("kind", kind, sid, record.id)
        for code in record.get("services") or []:
            self.attribute("service", code, sid, record.id)
        for code in record.get("target_groups") or []:
            self.attribute("target_group", code, sid, record.id)
        location = self.location(record, organization)
        sal = None
        if location:
            sal = self.id("service_at_location", record.id)
            self.rows["service_at_location"].append({"id": sal, "service_id": sid, "location_id": location})
        for index, contact in enumerate(contacts, start=1):
            kind_of = PHONE_TYPES.get(str(contact.get("type")))
            if kind_of:
                label = t("zh", f"opendata.hsds.phone.{contact['type']}")
                note = f"{label}：{contact['note']}" if contact.get("note") else label
                self.rows["phone"].append({
                    "id": self.id("phone", f"{record.id}:{index}"), "service_id": sid,
                    "organization_id": organization if record.registry in ORG_REGISTRIES else None,
                    "location_id": location, "number": contact["value"], "type": kind_of, "description": note,
                })
        opening = record.get("opening_hours")
        if opening:
            note = record.get("opening_hours_note")
            text = str(opening) + (f"（{note}）" if note else "")
            for index, (byday, opens, closes) in enumerate(weekly(str(opening)), start=1):
                self.rows["schedule"].append({
                    "id": self.id("schedule", f"{record.id}:{index}"), "service_id": sid,
                    "location_id": location, "service_at_location_id": sal, "freq": "WEEKLY", "interval": 1,
                    "wkst": "MO", "byday": byday, "opens_at": opens, "closes_at": closes,
                    "description": text, "attending_type": "in_person",
                })

    def location(self, record: Record, organization: str) -> str | None:
        place = record.get("location") if isinstance(record.get("location"), dict) else {}
        address = record.get("address")
        if not place and not address:
            return None
        lid = self.id("location", record.id)
        self.rows["location"].append({
            "id": lid, "location_type": "physical", "url": self.page(record), "organization_id": organization,
            "name": record.name, "description": address, "latitude": place.get("lat"),
            "longitude": place.get("lon"), "external_identifier": record.division,
            "external_identifier_type": t("en", "opendata.hsds.division_code"),
        })
        if isinstance(record.get("wheelchair_accessible"), bool):
            self.rows["accessibility"].append({
                "id": self.id("accessibility", record.id), "location_id": lid,
                "description": t("zh", f"opendata.hsds.wheelchair.{str(record.get('wheelchair_accessible')).lower()}"),
                "details": f"wheelchair_accessible={str(record.get('wheelchair_accessible')).lower()}",
            })
        chain = self.registry.geo.chain(record.division)
        by_level = {d.get("level"): d.name for d in chain}
        province = by_level.get("province") or self.meta.get("state_province")
        city = by_level.get("city") or self.meta.get("city")
        if address and record.get("postal_code") and province and city:
            region = " ".join(d.name for d in reversed(chain) if d.get("level") in ("district", "town"))
            self.rows["address"].append({
                "id": self.id("address", record.id), "location_id": lid, "address_1": address,
                "city": city, "region": region or None, "state_province": province,
                "postal_code": record.get("postal_code"), "country": "CN", "address_type": "physical",
            })
        return lid

    def run(self, memo: Any = None) -> dict[str, list[tuple[zipped.Piece, int]]]:
        """Every table's rows as deflated CSV pieces with their row counts, in the order written.

        The records are taken in runs (``zipped.groups``), each run deflated on its own per table.
        A record's rows show the record, whether the hub it names is an organization here, and the
        names and levels of its division chain (``_key``): with a ``memo`` a run's pieces are keyed
        by those of its records, so an unchanged run is neither written nor deflated again.
        """
        self.taxonomies()
        out: dict[str, list[tuple[zipped.Piece, int]]] = {
            name: [(zipped.piece(_csv(self.names[name], rows).encode("utf-8")), len(rows))] if rows else []
            for name, rows in self.rows.items()
        }
        # A carrier's owner: the id of its hub when that is an organization here (its UUID is made
        # only for the runs written: ``_run``; a run's key names the hub, whose UUID is a pure
        # function of it and of the package's name, in the build cache's key).
        orgs = {record.id for name in ORG_REGISTRIES for record in self.registry.records(name)}
        todo: list[tuple[Record, str | None]] = []
        for name in (*ORG_REGISTRIES, *(n for n in REGISTRIES if n in CARRIER_HUB)):
            for record in self.registry.records(name):
                owner = None
                if name in CARRIER_HUB:
                    hub = record.get(CARRIER_HUB[name])
                    owner = hub if isinstance(hub, str) and hub in orgs else None
                todo.append((record, owner))
        for run in zipped.groups(todo, lambda item: item[0].id):
            found = None
            key = self._run_key(run, memo)
            if key is not None:
                found = memo.get(key)
            if found is None:
                found = self._run(run)
                if key is not None:
                    memo.put(key, found)
            for table, made in found:
                out[table].append(made)
        return out

    def _run_key(self, run: list[tuple[Record, str | None]], memo: Any) -> tuple[str, bytes] | None:
        if memo is None:
            return None
        parts: list[str] = []
        for record, owner in run:
            content = memo.record_key(record.id)
            if content is None:
                return None
            parts += [content, owner or "", self._key(record)]
        return ("hsds", memos.digest_texts("hsds rows", parts))

    def _run(self, run: list[tuple[Record, str | None]]) -> tuple[tuple[str, tuple[zipped.Piece, int]], ...]:
        """The rows of a run of records, per table: organizations and their services, or services
        of their owner (the id of the organization record that holds them, if any)."""
        self.rows = {name: [] for name in self.names}
        for record, owner in run:
            if record.registry in ORG_REGISTRIES:
                self.service(record, self.organization(record))
            else:
                self.service(record, self.id("organization", owner) if owner else self.organization(record))
        return tuple((name, (zipped.piece(_csv(self.names[name], rows).encode("utf-8")), len(rows)))
                     for name, rows in self.rows.items() if rows)

    def _key(self, record: Record) -> str:
        """What a record's rows show of other records: its hub parent's presence, its division chain."""
        parent = record.get("parent") if record.registry == "hubs" else record.get("hub")
        known = bool(parent and isinstance(parent, str) and self.registry.get("hubs", parent))
        code = record.division
        chain = self.chains.get(code)
        if chain is None:
            division = self.registry.division(code)
            chain = self.chains[code] = json.dumps(
                [division.name if division else None,
                 [(d.id, d.get("level"), d.name) for d in self.registry.geo.chain(code)]],
                ensure_ascii=False, default=str)
        return f"{int(known)}{chain}"

def _csv(names: list[str], rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text (CRLF): the csv module writes None as an empty cell and any other value as
    str() (a float's shortest round-tripping form), which is what every cell needs."""
    handle = io.StringIO(newline="")
    csv.writer(handle, lineterminator="\r\n").writerows(map(row.get, names) for row in rows)
    return handle.getvalue()


def write_hsds(path: Path, registry: Registry, package_name: str, meta_hsds: dict[str, str] | None = None,
               created: dt.datetime | None = None, memo: Any = None) -> int:
    """Write ``hsds.zip`` (21 CSV tables + the official descriptor); return the number of data rows.

    One zip rather than a folder: the zipped form of a Frictionless data package (what
    ``Package.to_zip`` writes; ``frictionless validate hsds.zip`` reads it as it is), one download
    for the whole standard package; the tables are dominated by UUIDs (51 MB of CSV at 20,000
    records, 12 MB zipped).  Entries carry the package's timestamp and
    fixed metadata, so two exports of the same data are byte-identical.
    """
    writer = _Writer(registry.config, registry, package_name, meta_hsds or {})
    tables = writer.run(memo)
    members: list[tuple[str, Any]] = []
    total = 0
    for resource in writer.doc["resources"]:
        handle = io.StringIO(newline="")
        csv.writer(handle, lineterminator="\r\n").writerow(writer.names[resource["name"]])
        pieces = [zipped.piece(handle.getvalue().encode("utf-8"))]
        for made, count in tables[resource["name"]]:
            pieces.append(made)
            total += count
        members.append((resource["path"], pieces))
    members.append(("datapackage.json", [zipped.piece(OFFICIAL.read_bytes())]))
    zipped.write_zip(path, members, created)
    return total
