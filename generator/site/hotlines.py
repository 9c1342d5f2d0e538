"""The hotline strip on every page: one owner of which numbers a resident is offered.

Numbers come from ``site_config.yml`` only: each hub kind's ``hotline`` (with ``hotline_name``,
what the line is for, e.g. 12338 妇女维权) and the ``hotlines`` list for lines that belong to no
kind (110 for emergencies).  The same number is offered once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.config import Config


@dataclass(frozen=True)
class Hotline:
    number: str
    name: dict[str, str]
    emergency: bool = False

    def label(self, lang: str) -> str:
        return self.name.get(lang) or self.name["zh"]


def configured(config: Config) -> list[Hotline]:
    """The strip in display order: hub kinds' lines first (config order), then the ``hotlines`` list."""
    out: list[Hotline] = []
    seen: set[str] = set()
    for kind in config.raw.get("hub_kinds") or []:
        number = kind.get("hotline")
        if number and number not in seen:
            seen.add(number)
            out.append(Hotline(number, dict(kind.get("hotline_name") or kind["name"])))
    for item in config.raw.get("hotlines") or []:
        if item["number"] not in seen:
            seen.add(item["number"])
            out.append(Hotline(item["number"], dict(item["name"]), bool(item.get("emergency", False))))
    return out


def strip_view(config: Config, lang: str) -> list[dict[str, Any]]:
    """Plain data for the strip template: number, label, the ``tel:`` target."""
    return [
        {"number": h.number, "name": h.label(lang), "href": "tel:" + h.number, "emergency": h.emergency}
        for h in configured(config)
    ]
