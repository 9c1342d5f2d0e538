"""Deterministic synthetic registries at any size, for the scale benchmark (issue 7).

Why: the real directory has ~300 records; the kit must stay fast at a
province's ~100,000.  This writes a complete project folder (the repo's
``site_config.yml``, the 217 real divisions copied byte for byte, and N clearly
fictional records: every name starts with 示例) that passes ``hubdir validate``
with no problems, so validate/export/build can be measured at 2k, 20k, 100k.

Shape of the data, scaled with N (N counts non-division records):
district hubs of every kind; town hubs of every kind in every town (fewer towns
below N=600); then, round-robin over the 206 real villages/communities, a
women's federation hub, a union hub, a youth center and a women's home for each
(more than one each once N is large), sector unions (enterprises) under the
village unions, and social organizations (about half of all records)
cultivated by the hubs.  About a third of the records fill every optional field;
each registry's first record always does, so every field is represented even at
a tiny N.  A few percent are dissolved or merged into an active successor.

Determinism: one ``random.Random(seed)``, records built in a fixed order and
written in the canonical YAML style (modeline, keys in schema order, 2-space
indent, codes/phones/dates quoted): the same N and seed give byte-identical files.

Usage: ``python -m bench.synth --records 2000 --out /tmp/synth-2k`` (or
``python bench/synth.py ...``); ``--force`` replaces an existing folder.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stdnum.cn import uscc as uscc_mod

REPO = Path(__file__).resolve().parent.parent
SCHEMAS = REPO / "schemas"
REGISTRIES = ("hubs", "youth_centers", "womens_homes", "social_orgs")

KINDS = (
    "trade_union",
    "youth_league",
    "womens_federation",
    "disabled_persons_federation",
    "federation_of_commerce",
)
KIND_SLUG = {
    "trade_union": "union",
    "youth_league": "youth",
    "womens_federation": "women",
    "disabled_persons_federation": "disabled",
    "federation_of_commerce": "commerce",
}
KIND_ZH = {
    "trade_union": "总工会",
    "youth_league": "团委",
    "womens_federation": "妇女联合会",
    "disabled_persons_federation": "残疾人联合会",
    "federation_of_commerce": "工商业联合会（总商会）",
}
KIND_EN = {
    "trade_union": "Federation of Trade Unions",
    "youth_league": "Youth League Committee",
    "womens_federation": "Women's Federation",
    "disabled_persons_federation": "Disabled Persons' Federation",
    "federation_of_commerce": "Federation of Industry and Commerce",
}
KIND_HOTLINE = {"trade_union": "12351", "youth_league": "12355", "womens_federation": "12338"}
#: USCC registration authority + type (first two characters) per kind of organization.
KIND_USCC = {
    "trade_union": "81",
    "youth_league": "13",
    "womens_federation": "13",
    "disabled_persons_federation": "13",
    "federation_of_commerce": "13",
}
ORG_TYPE_USCC = {"social_group": "51", "private_non_enterprise": "52", "foundation": "53"}

#: Approximate WGS-84 centres of the ten towns (by statistical code).
TOWN_CENTRES = {
    "440606003": (22.845, 113.215),
    "440606004": (22.830, 113.145),
    "440606005": (22.840, 113.255),
    "440606006": (22.775, 113.280),
    "440606101": (22.940, 113.235),
    "440606102": (22.920, 113.200),
    "440606103": (22.960, 113.100),
    "440606104": (22.880, 113.070),
    "440606105": (22.780, 113.150),
    "440606106": (22.670, 113.130),
}
DISTRICT_CENTRE = (22.8406, 113.2494)

KIND_SERVICES = {
    "trade_union": (
        [
            "rights_protection",
            "legal_aid",
            "job_services",
            "care_visits",
            "skills_training",
            "dispute_mediation",
            "petitions",
        ],
        ["workers", "migrant_workers", "families"],
    ),
    "youth_league": (
        [
            "youth_activities",
            "volunteer_services",
            "social_org_incubation",
            "job_services",
            "after_school",
            "psychological_counselling",
        ],
        ["youth", "students", "volunteers"],
    ),
    "womens_federation": (
        [
            "rights_protection",
            "care_visits",
            "marriage_mediation",
            "domestic_violence_support",
            "family_education",
            "home_visits",
        ],
        ["women", "families", "children", "single_mothers", "mothers_in_hardship"],
    ),
    "disabled_persons_federation": (
        ["disability_rehabilitation", "disability_employment", "accessibility", "relief_assistance"],
        ["disabled_people", "families"],
    ),
    "federation_of_commerce": (
        ["business_services", "enterprise_rights", "dispute_mediation", "skills_training"],
        ["enterprises", "entrepreneurs"],
    ),
}
WOMENS_HOME_SERVICES = (
    [
        "care_visits",
        "rights_protection",
        "marriage_mediation",
        "domestic_violence_support",
        "family_education",
        "home_visits",
        "psychological_counselling",
        "legal_aid",
        "parent_child",
    ],
    ["women", "single_mothers", "mothers_in_hardship", "families", "children"],
)
YOUTH_CENTER_SERVICES = (
    [
        "youth_activities",
        "volunteer_services",
        "after_school",
        "culture_arts",
        "psychological_counselling",
        "parent_child",
        "skills_training",
        "fitness_sports",
    ],
    ["youth", "students", "children", "volunteers"],
)

#: Social organization themes by the kind of hub that cultivates them:
#: (name suffix, org_type, services, groups).
THEMES: dict[str, list[tuple[str, str, list[str], list[str]]]] = {
    "trade_union": [
        ("职工互助会", "social_group", ["care_visits", "relief_assistance"], ["workers"]),
        (
            "外来务工人员服务中心",
            "private_non_enterprise",
            ["job_services", "rights_protection", "petitions"],
            ["migrant_workers"],
        ),
        ("职工法律服务工作室", "community_filed", ["legal_aid", "dispute_mediation"], ["workers"]),
        ("职工文体协会", "social_group", ["culture_arts", "fitness_sports"], ["workers", "migrant_workers"]),
    ],
    "youth_league": [
        (
            "青年义工协会",
            "social_group",
            ["volunteer_services", "community_governance"],
            ["youth", "volunteers"],
        ),
        (
            "青少年成长促进会",
            "social_group",
            ["youth_activities", "after_school", "family_education"],
            ["youth", "children", "students"],
        ),
        (
            "青少年社会工作服务中心",
            "private_non_enterprise",
            ["psychological_counselling", "after_school"],
            ["students", "youth"],
        ),
        ("青年读书会", "community_filed", ["culture_arts", "youth_activities"], ["youth"]),
        (
            "青年志愿服务队",
            "community_filed",
            ["volunteer_services", "elderly_care"],
            ["volunteers", "elderly"],
        ),
    ],
    "womens_federation": [
        (
            "巾帼健身队",
            "community_filed",
            ["fitness_sports", "home_visits", "marriage_mediation"],
            ["women", "families"],
        ),
        (
            "家庭教育指导中心",
            "private_non_enterprise",
            ["family_education", "parent_child"],
            ["families", "children"],
        ),
        (
            "妇女儿童维权服务站",
            "community_filed",
            ["rights_protection", "domestic_violence_support", "legal_aid"],
            ["women", "children"],
        ),
        (
            "母亲互助会",
            "social_group",
            ["care_visits", "relief_assistance"],
            ["single_mothers", "mothers_in_hardship"],
        ),
        ("巾帼志愿服务队", "community_filed", ["volunteer_services", "home_visits"], ["women", "elderly"]),
    ],
    "disabled_persons_federation": [
        (
            "残疾人康复服务中心",
            "private_non_enterprise",
            ["disability_rehabilitation", "psychological_counselling"],
            ["disabled_people"],
        ),
        (
            "助残志愿者协会",
            "social_group",
            ["volunteer_services", "accessibility"],
            ["disabled_people", "volunteers"],
        ),
        (
            "残疾人就业辅导站",
            "community_filed",
            ["disability_employment", "skills_training"],
            ["disabled_people"],
        ),
    ],
    "federation_of_commerce": [
        ("家电行业商会", "social_group", ["business_services", "enterprise_rights"], ["enterprises"]),
        (
            "青年企业家协会",
            "social_group",
            ["business_services", "skills_training"],
            ["entrepreneurs", "youth"],
        ),
        (
            "慈善基金会",
            "foundation",
            ["relief_assistance", "care_visits"],
            ["families", "elderly", "children"],
        ),
        (
            "企业调解服务中心",
            "private_non_enterprise",
            ["dispute_mediation", "enterprise_rights"],
            ["enterprises"],
        ),
    ],
}
SECTOR_UNITS = (
    "电器有限公司",
    "家具制造有限公司",
    "模具厂",
    "物流有限公司",
    "食品有限公司",
    "五金制品厂",
    "纺织有限公司",
    "产业园",
    "科技有限公司",
    "花卉市场",
)
STREETS = ("示例大道", "示例路", "示例街", "示例二路", "示例东路", "示例西街", "示例北路")
OPENING_HOURS = (
    "Mo-Fr 08:30-12:00,14:30-17:30",
    "Tu-Su 09:00-21:00; PH off",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00",
    "Mo-Su 08:00-22:00",
    "Mo-Fr 14:00-20:00; Sa-Su 09:00-17:00",
)
HOURS_NOTES = ("法定节假日休息", "节假日预约开放", "寒暑假期间延长开放时间", "活动期间以通知为准")
POSTS = (
    "part_time_vice_chair",
    "part_time_deputy_secretary",
    "part_time_committee_member",
    "vice_chair",
    "deputy_secretary",
)
SECTORS = (
    "non_public_enterprise",
    "youth_group",
    "volunteer_group",
    "social_work_agency",
    "social_organization",
    "public_institution",
    "community",
)
FUNDERS = ("示例区民政局", "示例街道办事处", "示例区总工会", "示例区妇联", "示例镇人民政府", "示例团区委")
LAST_DATE = (2025, 6, 30)  # every date lies on or before this, so no "date in the future" ever fires

#: Fields written with double quotes whatever their value (codes, phones, dates, URLs).
ALWAYS_QUOTED = {
    "division",
    "uscc",
    "postal_code",
    "established_on",
    "dissolved_on",
    "last_verified",
    "opening_hours",
    "date",
    "since",
    "until",
    "url",
}
_PLAIN_OK = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*\Z")
_LOOKS_TYPED = re.compile(r"(?:-?[0-9][0-9_.:+-]*|true|false|yes|no|on|off|null|~|y|n)\Z", re.IGNORECASE)


# -- canonical YAML writer -------------------------------------------------------------------------


_SCALARS: dict[tuple[str, str], str] = {}


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, str):
        cached = _SCALARS.get((key, value))
        if cached is None:
            cached = _SCALARS[(key, value)] = _text(key, value)
            if len(_SCALARS) > 200_000:
                _SCALARS.clear()
        return cached
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return _text(key, str(value))


def _text(key: str, text: str) -> str:
    if (
        key in ALWAYS_QUOTED
        or not _PLAIN_OK.match(text)
        or _LOOKS_TYPED.match(text)
        or ": " in text
        or " #" in text
        or "://" in text
        or text != text.strip()
    ):
        return json.dumps(text, ensure_ascii=False)
    return text


def _emit(lines: list[str], data: dict[str, Any], indent: str, first_prefix: str | None = None) -> None:
    prefix = first_prefix if first_prefix is not None else indent
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{prefix}{key}:")
            _emit(lines, value, indent + "  ")
        elif isinstance(value, list):
            lines.append(f"{prefix}{key}:")
            for item in value:
                if isinstance(item, dict):
                    _emit(lines, item, indent + "    ", first_prefix=indent + "  - ")
                else:
                    lines.append(f"{indent}  - {_scalar(key, item)}")
        else:
            lines.append(f"{prefix}{key}: {_scalar(key, value)}")
        prefix = indent


def dump(registry: str, data: dict[str, Any], order: list[str]) -> str:
    """One record as canonical YAML: modeline, keys in schema order, 2-space indent."""
    rank = {k: i for i, k in enumerate(order)}
    ordered = {k: data[k] for k in sorted(data, key=lambda k: rank.get(k, len(rank)))}
    lines = [f"# yaml-language-server: $schema=../../schemas/{registry}.schema.json"]
    _emit(lines, ordered, "")
    return "\n".join(lines) + "\n"


# -- the generator ---------------------------------------------------------------------------------


@dataclass
class Division:
    code: str
    name: str
    short: str
    level: str
    parent: str
    type: str

    @property
    def place(self) -> str:
        """How a record's name mentions the place: 顺德区, 容桂街道, 细滘社区, 永丰村."""
        if self.level == "village":
            if self.short.endswith("社区"):
                return self.short
            return self.short + ("社区" if self.type == "community" else "村")
        return self.name


@dataclass
class Plan:
    """How many records of each category a given N gets."""

    towns_with_hubs: int
    village_women: int
    village_union: int
    youth_centers: int
    womens_homes: int
    sector_unions: int
    social_orgs: int

    @property
    def total(self) -> int:
        return (
            5
            + 5 * self.towns_with_hubs
            + self.village_women
            + self.village_union
            + self.youth_centers
            + self.womens_homes
            + self.sector_unions
            + self.social_orgs
        )


MIN_RECORDS = 20


def plan(n: int) -> Plan:
    """Split N records into categories (shares chosen so that at 2,000 every village gets one of each)."""
    if n < MIN_RECORDS:
        raise ValueError(f"--records must be at least {MIN_RECORDS}")
    towns = 10 if n >= 600 else max(1, n // 60)
    rest = n - 5 - 5 * towns
    per_village = round(rest * 0.106)
    sector = max(2, round(rest * 0.076))
    social = rest - 4 * per_village - sector
    return Plan(towns, per_village, per_village, per_village, per_village, sector, social)


@dataclass
class Generator:
    n: int
    seed: int = 20251123
    rng: random.Random = field(init=False)
    divisions: dict[str, Division] = field(init=False)
    towns: list[Division] = field(init=False)
    villages: list[Division] = field(init=False)
    labels: dict[str, dict[str, str]] = field(init=False)
    records: dict[str, list[dict[str, Any]]] = field(init=False)
    counter: int = field(init=False, default=0)
    retired: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"hubdir-synth-{self.seed}-{self.n}")
        self.divisions = load_divisions(REPO / "content" / "divisions")
        self.towns = sorted((d for d in self.divisions.values() if d.level == "town"), key=lambda d: d.code)
        by_town: dict[str, list[Division]] = {t.code: [] for t in self.towns}
        for d in sorted(self.divisions.values(), key=lambda d: d.code):
            if d.level == "village":
                by_town[d.parent].append(d)
        # Round-robin over towns, so a small N still spreads over the whole district.
        self.villages = []
        for i in range(max(len(v) for v in by_town.values())):
            for t in self.towns:
                if i < len(by_town[t.code]):
                    self.villages.append(by_town[t.code][i])
        common = json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))["$defs"]
        self.labels = {
            "service": {k: v["zh"] for k, v in common["service"]["x-enum"].items()},
            "target_group": {k: v["zh"] for k, v in common["target_group"]["x-enum"].items()},
        }
        self.records = {name: [] for name in REGISTRIES}

    # -- small helpers -------------------------------------------------------
    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def date(self, start_year: int = 1990, end_year: int = LAST_DATE[0]) -> str:
        year = self.rng.randint(start_year, end_year)
        month = self.rng.randint(1, LAST_DATE[1] if year == LAST_DATE[0] else 12)
        return f"{year:04d}-{month:02d}-{self.rng.randint(1, 28):02d}"

    def point(self, code: str, spread: float) -> dict[str, float]:
        base = DISTRICT_CENTRE if len(code) == 6 else TOWN_CENTRES.get(code[:9], DISTRICT_CENTRE)
        # villages sit at a stable offset from their town centre
        if len(code) == 12:
            local = random.Random(code)
            base = (base[0] + local.uniform(-0.03, 0.03), base[1] + local.uniform(-0.03, 0.03))
        lat = min(23.04, max(22.61, base[0] + self.rng.uniform(-spread, spread)))
        lon = min(113.41, max(112.96, base[1] + self.rng.uniform(-spread, spread)))
        return {"lat": round(lat, 6), "lon": round(lon, 6)}

    def phone(self) -> str:
        return f"0757-2{self.rng.randint(0, 9999999):07d}"

    def uscc(self, head: str, serial: int, letters: bool) -> str:
        org = (f"MJ{serial:07d}" if letters else f"{serial:09d}")[:9]
        body = f"{head}440606{org}"
        return body + uscc_mod.calc_check_digit(body)

    def pick(self, pool: list[str], low: int, high: int) -> list[str]:
        k = min(len(pool), self.rng.randint(low, high))
        chosen = set(self.rng.sample(pool, k))
        return [p for p in pool if p in chosen]  # code-list order, stable and readable

    def describe(self, name: str, services: list[str], groups: list[str]) -> str:
        svc = "、".join(self.labels["service"][s] for s in services) or "综合服务"
        grp = "、".join(self.labels["target_group"][g] for g in groups) or "社区居民"
        return (
            f"{name}是为 hubdir 规模测试生成的虚构记录，并非真实组织。主要提供{svc}等服务，"
            f"服务对象包括{grp}。欢迎居民就近咨询、预约和参与活动。"
        )

    def common_fields(
        self,
        rec: dict[str, Any],
        *,
        full: bool,
        code: str,
        services: list[str],
        groups: list[str],
        kind: str | None,
        uscc_head: str | None,
        venue: bool,
    ) -> None:
        """The optional fields every registry shares; ``full`` fills each one."""
        rng = self.rng

        def want(p: float) -> bool:
            return full or rng.random() < p

        serial = self._next()
        if want(0.3):
            rec["name_en"] = f"Example organization No. {serial} ({rec['registry_en']})"
        place = self.divisions[code]
        if want(0.2) and place.place in rec["name"]:
            rec["aliases"] = [rec["name"].replace(place.place, place.short, 1)]
        if venue and want(0.6):
            rec["area_sqm"] = rng.randint(40, 800)
        if venue and want(0.5):
            rec["wheelchair_accessible"] = rng.random() < 0.7
        born = self.date(1985, 2022)
        if want(0.6):
            rec["established_on"] = born if rng.random() < 0.8 else born[:7] if rng.random() < 0.5 else born[:4]
        if uscc_head and want(0.7):
            rec["uscc"] = self.uscc(uscc_head, serial, letters=uscc_head[0] == "5")
        if want(0.8):
            rec["address"] = f"示例{self.divisions[code].short}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        if want(0.2):
            rec["address_en"] = f"No. {rng.randint(1, 300)} Example Road, Shunde"
        if want(0.3):
            rec["postal_code"] = f"5283{rng.randint(0, 99):02d}"
        if want(0.7):
            rec["location"] = self.point(code, 0.006)
        if want(0.8):
            contacts: list[dict[str, Any]] = [{"type": "office_phone", "value": self.phone()}]
            if kind in KIND_HOTLINE and want(0.5):
                contacts.append(
                    {
                        "type": "hotline",
                        "value": KIND_HOTLINE[kind],
                        "label": "服务热线",
                        "label_en": "Service hotline",
                    }
                )
            if want(0.3):
                contacts.append({"type": "email", "value": f"{rec['id']}@example.org"})
            if want(0.2):
                contacts.append({"type": "website", "value": f"https://{rec['id']}.example.org/"})
            if want(0.3):
                contacts.append({"type": "wechat", "value": f"示例{self.divisions[code].short}服务号{serial}"})
            if want(0.1):
                contacts.append({"type": "fax", "value": self.phone(), "label": "传真"})
            rec["contacts"] = contacts
        if want(0.6):
            rec["opening_hours"] = rng.choice(OPENING_HOURS)
        if want(0.2):
            rec["opening_hours_note"] = rng.choice(HOURS_NOTES)
        if services:
            rec["services"] = services
        if groups:
            rec["target_groups"] = groups
        if want(0.15):
            post: dict[str, Any] = {"post": rng.choice(POSTS), "sector": rng.choice(SECTORS)}
            if want(0.5):
                post["count"] = rng.randint(1, 3)
            if want(0.5):
                post["since"] = str(rng.randint(2012, 2024))
            if want(0.3):
                post["note"] = "从非公企业、社工机构等领域选任（虚构）"
            rec["posts"] = [post]
        if want(0.5):
            rec["description"] = self.describe(rec["name"], services, groups)
        if want(0.15):
            rec["description_en"] = "A fictional record generated for the hubdir scale benchmark."
        source: dict[str, Any] = {"title": "虚构示例来源（hubdir 规模测试合成数据）"}
        if want(0.3):
            source.update(
                url=f"https://example.org/synthetic/{rec['id']}",
                publisher="hubdir 基准测试",
                date=self.date(2020, 2025),
                note="合成数据，仅供性能测试",
            )
        rec["sources"] = [source]
        if want(0.6):
            rec["last_verified"] = self.date(2023, 2025)

    def retire(self, registry: str, rec: dict[str, Any], active_ids: list[str]) -> None:
        """Mark a few records dissolved/merged, pointing at an earlier active record of the same registry."""
        first = registry not in self.retired  # one of each, so every field shows up even at a tiny N
        if not active_ids or (not first and self.rng.random() >= 0.03):
            rec["status"] = "active"
            return
        self.retired.add(registry)
        rec["status"] = self.rng.choice(("dissolved", "merged"))
        rec["successor"] = self.rng.choice(active_ids[-50:])
        born = rec.get("established_on", "2000")
        rec["dissolved_on"] = self.date(max(int(born[:4]) + 1, 2010), LAST_DATE[0])

    # -- records -------------------------------------------------------------
    def hub(
        self,
        rid: str,
        name: str,
        kind: str,
        level: str,
        code: str,
        parent: str | None,
        *,
        full: bool,
        unit: str | None = None,
    ) -> dict[str, Any]:
        pool, groups = KIND_SERVICES[kind]
        rec: dict[str, Any] = {
            "id": rid,
            "name": name,
            "kind": kind,
            "level": level,
            "division": code,
            "registry_en": KIND_EN[kind],
        }
        if parent:
            rec["parent"] = parent
        if unit:
            rec["unit"] = unit
        self.common_fields(
            rec,
            full=full,
            code=code,
            services=self.pick(pool, 1, 4),
            groups=self.pick(groups, 1, 2),
            kind=kind,
            uscc_head=KIND_USCC[kind],
            venue=False,
        )
        rec["status"] = "active"
        self.records["hubs"].append(rec)
        return rec

    def generate(self) -> dict[str, list[dict[str, Any]]]:
        p = plan(self.n)
        rng = self.rng
        hubs_by: dict[tuple[str, str], str] = {}  # (division, kind) → first hub id there
        for kind in KINDS:
            rid = f"hub-440606-{KIND_SLUG[kind]}"
            self.hub(rid, f"示例顺德区{KIND_ZH[kind]}", kind, "district", "440606", None, full=True)
            hubs_by[("440606", kind)] = rid
        for town in self.towns[: p.towns_with_hubs]:
            for kind in KINDS:
                rid = f"hub-{town.code}-{KIND_SLUG[kind]}"
                self.hub(
                    rid,
                    f"示例{town.name}{KIND_ZH[kind]}",
                    kind,
                    "town",
                    town.code,
                    hubs_by[("440606", kind)],
                    full=rng.random() < 0.5,
                )
                hubs_by[(town.code, kind)] = rid

        def upper(code: str, kind: str) -> str:
            """The nearest hub of this kind at or above a division."""
            for prefix in (code, code[:9], code[:6]):
                if (prefix, kind) in hubs_by:
                    return hubs_by[(prefix, kind)]
            raise AssertionError(code)

        villages = self.villages
        nv = len(villages)
        village_kind = (
            ("womens_federation", p.village_women, "妇女联合会", "妇联第{j}执委小组"),
            ("trade_union", p.village_union, "工会联合会", "第{j}工会联合会"),
        )
        for kind, count, first, more in village_kind:
            for i in range(count):
                v, j = villages[i % nv], i // nv
                suffix = "" if j == 0 else f"-{j + 1}"
                rid = f"hub-{v.code}-{KIND_SLUG[kind]}{suffix}"
                label = first if j == 0 else more.format(j=j + 1)
                self.hub(
                    rid,
                    f"示例{v.place}{label}",
                    kind,
                    "village",
                    v.code,
                    upper(v.code[:9], kind),
                    full=rng.random() < 0.3,
                )
                if j == 0:
                    hubs_by[(v.code, kind)] = rid
        sector_ids: list[str] = []
        for i in range(p.sector_unions):
            v = villages[(i * 7) % nv]
            unit = f"示例{v.short}{SECTOR_UNITS[i % len(SECTOR_UNITS)]}{i // len(SECTOR_UNITS) + 1}号"
            rec = self.hub(
                f"hub-{v.code}-sector-union-{i + 1}",
                f"{unit}工会",
                "trade_union",
                "sector",
                v.code,
                upper(v.code, "trade_union"),
                full=rng.random() < 0.3,
                unit=unit,
            )
            rec.pop("status")
            self.retire("hubs", rec, sector_ids)
            if rec["status"] == "active":
                sector_ids.append(rec["id"])

        # Social organizations, cultivated by active hubs (sector unions included).
        active_hubs = [h for h in self.records["hubs"] if h["status"] == "active"]
        so_by_hub: dict[str, list[str]] = {}
        so_active: list[str] = []
        villages_in: dict[str, list[Division]] = {"440606": villages}
        for v in villages:
            villages_in.setdefault(v.code[:9], []).append(v)
        for i in range(p.social_orgs):
            hub = active_hubs[rng.randrange(len(active_hubs))]
            kind = hub["kind"]
            suffix, org_type, services, groups = THEMES[kind][rng.randrange(len(THEMES[kind]))]
            code = hub["division"]
            if len(code) < 12:
                inside = villages_in.get(code, [])
                if inside and rng.random() < 0.6:
                    code = inside[rng.randrange(len(inside))].code
            div = self.divisions[code]
            rid = f"so-{code}-{i + 1:06d}"
            rec = {
                "id": rid,
                "name": f"示例{div.place}{suffix}第{i + 1}号",
                "org_type": org_type,
                "hub": hub["id"],
                "division": code,
                "registry_en": "social organization",
            }
            full = i == 0 or rng.random() < 0.3
            if full or rng.random() < 0.25:
                rec["undertakes"] = [self.undertaking(s, full) for s in services[: rng.randint(1, len(services))]]
            self.common_fields(
                rec,
                full=full,
                code=code,
                services=list(services),
                groups=list(groups),
                kind=None,
                uscc_head=ORG_TYPE_USCC.get(org_type),
                venue=False,
            )
            self.retire("social_orgs", rec, so_active)
            if rec["status"] == "active":
                so_active.append(rid)
                so_by_hub.setdefault(hub["id"], []).append(rid)
            self.records["social_orgs"].append(rec)

        self.carriers(
            "youth_centers",
            p.youth_centers,
            "社区青年坊",
            "youth_league",
            "host",
            so_by_hub,
            so_active,
            YOUTH_CENTER_SERVICES,
            upper,
        )
        self.carriers(
            "womens_homes",
            p.womens_homes,
            "妇女之家",
            "womens_federation",
            "hub",
            so_by_hub,
            so_active,
            WOMENS_HOME_SERVICES,
            upper,
        )
        for recs in self.records.values():
            for rec in recs:
                rec.pop("registry_en", None)
        return self.records

    def undertaking(self, service: str, full: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"service": service}
        if full or self.rng.random() < 0.6:
            item["programme"] = f"示例{self.labels['service'][service]}购买服务项目"
        if full or self.rng.random() < 0.5:
            item["funder"] = self.rng.choice(FUNDERS)
        start = self.rng.randint(2012, 2022)
        if full or self.rng.random() < 0.7:
            item["since"] = str(start) if self.rng.random() < 0.5 else f"{start}-{self.rng.randint(1, 12):02d}"
        if full or self.rng.random() < 0.3:
            item["until"] = str(self.rng.randint(start + 1, 2025))
        return item

    def carriers(
        self,
        registry: str,
        count: int,
        label: str,
        kind: str,
        field_name: str,
        so_by_hub: dict[str, list[str]],
        so_active: list[str],
        services: tuple[list[str], list[str]],
        upper: Any,
    ) -> None:
        villages, nv = self.villages, len(self.villages)
        prefix = {"youth_centers": "yc", "womens_homes": "wh"}[registry]
        active: list[str] = []
        for i in range(count):
            v, j = villages[i % nv], i // nv
            rid = f"{prefix}-{v.code}" + ("" if j == 0 else f"-{j + 1}")
            name = f"示例{v.place}{label}" + ("" if j == 0 else f"第{j + 1}分站")
            hub = upper(v.code, kind)
            rec: dict[str, Any] = {
                "id": rid,
                "name": name,
                "division": v.code,
                field_name: hub,
                "registry_en": registry.replace("_", " "),
            }
            full = i == 0 or self.rng.random() < 0.3
            if registry == "youth_centers" and (full or self.rng.random() < 0.4):
                pool = so_by_hub.get(hub) or so_active[:3]
                if pool:
                    rec["groups"] = sorted(self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3))))
            self.common_fields(
                rec,
                full=full,
                code=v.code,
                services=self.pick(services[0], 2, 4),
                groups=self.pick(services[1], 1, 3),
                kind=kind,
                uscc_head="52" if full or self.rng.random() < 0.1 else None,
                venue=True,
            )
            self.retire(registry, rec, active)
            if rec["status"] == "active":
                active.append(rid)
            self.records[registry].append(rec)


def load_divisions(folder: Path) -> dict[str, Division]:
    """The real divisions (only the few fields the generator needs), read with the strict loader."""
    from generator import yamlio

    found: dict[str, Division] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yamlio.load_file(path)
        found[data["id"]] = Division(
            data["id"],
            data["name"],
            data.get("short_name", data["name"]),
            data["level"],
            data["parent"],
            data.get("type", ""),
        )
    return found


def schema_order(registry: str) -> list[str]:
    schema = json.loads((SCHEMAS / f"{registry}.schema.json").read_text(encoding="utf-8"))
    return list(schema["properties"])


def write_project(n: int, out: Path, *, seed: int = 20251123, force: bool = False) -> dict[str, int]:
    """Write the project folder atomically; returns the record count per registry."""
    out = out.resolve()
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists (use --force to replace it)")
    records = Generator(n, seed).generate()
    tmp = out.with_name(out.name + ".synth-tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "content").mkdir(parents=True)
    shutil.copyfile(REPO / "site_config.yml", tmp / "site_config.yml")
    shutil.copytree(REPO / "content" / "divisions", tmp / "content" / "divisions")
    counts = {}
    for registry in REGISTRIES:
        folder = tmp / "content" / registry
        folder.mkdir()
        order = schema_order(registry)
        for rec in records[registry]:
            (folder / f"{rec['id']}.yml").write_text(dump(registry, rec, order), encoding="utf-8")
        counts[registry] = len(records[registry])
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic hubdir project (fictional records).")
    parser.add_argument("--records", "-n", type=int, required=True, help="number of non-division records")
    parser.add_argument("--out", "-o", type=Path, required=True, help="project folder to write")
    parser.add_argument("--seed", type=int, default=20251123)
    parser.add_argument("--force", action="store_true", help="replace the folder if it exists")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        counts = write_project(args.records, args.out, seed=args.seed, force=args.force)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - start
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"wrote {sum(counts.values())} records ({summary}) + 217 divisions to {args.out} in {took:.1f} s")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(REPO))
    sys.exit(main())
