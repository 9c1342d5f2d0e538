"""What a resident needs around a page's content (issue 14, items 6–10): share-card texts, the
official footer, correction channels without GitHub, the page's brand images, and marking
Chinese names on English pages.

Everything here is plain data in, escaped text or ``Markup`` out; the templates only place it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from generator.config import Config
from generator.i18n import t
from generator.site.labels import LIST_SEPARATOR

#: Han characters (BMP blocks and the supplementary ideograph planes).
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
ICP_URL = "https://beian.miit.gov.cn/"
POLICE_URL = "https://beian.mps.gov.cn/#/query/webSearch?code="
#: Where brand images (logo, favicon, share image, WeChat QR) are served, relative to a language root.
BRAND_DIR = "assets/hubdir/brand"
#: Share cards show two or three lines and search engines ~80 Chinese characters or ~150 Latin ones;
#: the text is in every page (one ``<meta>`` is both description and og:description).
DESCRIPTION_LIMIT = {"zh": 80, "en": 110}
ASSETS = Path(__file__).resolve().parent / "assets"
DEFAULT_LOGO = "logo.svg"
DEFAULT_FAVICON = "favicon.png"
DEFAULT_SHARE = "share.png"


def has_cjk(text: Any) -> bool:
    return bool(_CJK.search(str(text or "")))


def zh_marker(lang: str) -> Callable[[Any], Any]:
    """``zh(text)`` for templates: on English pages, Chinese text is wrapped in ``lang="zh-CN"``
    so screen readers switch voice and browsers pick Chinese fonts; elsewhere the text is unchanged."""

    def mark(text: Any) -> Any:
        if lang != "zh" and has_cjk(text):
            return Markup('<span lang="zh-CN">{}</span>').format(text)
        return text

    return mark


def _clip(text: str, lang: str) -> str:
    text = " ".join(text.split())
    limit = DESCRIPTION_LIMIT.get(lang, DESCRIPTION_LIMIT["en"])
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip("，,、；; ") + "…"


def record_description(view: dict[str, Any], lang: str) -> str:
    """The page's description for search engines and share cards: what, where, how to reach it."""
    sep = "。" if lang == "zh" else ". "
    parts = [view["kind"] + ("：" if lang == "zh" else ": ") + view["name"]]
    if view.get("address"):
        parts.append(t(lang, "resident.desc.address", address=view["address"]))
    elif place := [d["name"] for d in reversed(view.get("divisions") or []) if d.get("name")][:2]:
        parts.append(t(lang, "resident.desc.place", place="".join(place) if lang == "zh" else ", ".join(place)))
    phones = [c["value"] for c in view.get("contacts") or [] if c.get("kind") in ("office_phone", "hotline")]
    if phones:
        parts.append(t(lang, "resident.desc.phone", phone=phones[0]))
    if view.get("services"):
        parts.append(t(lang, "resident.desc.services", services=LIST_SEPARATOR[lang].join(view["services"][:4])))
    if view.get("description"):
        parts.append(str(view["description"]))
    return _clip(sep.join(p.rstrip("。. ") for p in parts) + ("。" if lang == "zh" else "."), lang)


def area_description(view: dict[str, Any], count: int, lang: str, site_title: str) -> str:
    place = " · ".join([*[d["name"] for d in view.get("chain") or []], view["title"]])
    return _clip(t(lang, "resident.desc.area", place=place, count=count, site=site_title), lang)


# ------------------------------------------------------------------ footer
def footer_html(config: Config, lang: str) -> Markup:
    """The configured official footer (主办单位, 承办单位, 联系方式, ICP备案号, 公安备案号, 网站标识码)."""
    footer = config.raw.get("footer") or {}
    items: list[Markup] = []

    def text(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get(lang) or value.get("zh") or "")
        return str(value or "")

    for key in ("sponsor", "organizer", "contact"):
        if footer.get(key):
            items.append(Markup("{}{}").format(t(lang, f"resident.footer.{key}"), text(footer[key])))
    if footer.get("icp"):
        items.append(Markup('<a href="{}" rel="noopener">{}</a>').format(ICP_URL, footer["icp"]))
    police = footer.get("police")
    if police:
        code = "".join(ch for ch in str(police) if ch.isdigit())
        items.append(Markup('<a href="{}" rel="noopener">{}</a>').format(POLICE_URL + code, police))
    if footer.get("site_code"):
        items.append(Markup("{}{}").format(t(lang, "resident.footer.site_code"), footer["site_code"]))
    if not items:
        return Markup("")
    return Markup('<ul class="hubdir-official">{}</ul>').format(
        Markup("").join(Markup("<li>{}</li>").format(i) for i in items)
    )


# ------------------------------------------------------------------ corrections
def _fill(template: str, values: dict[str, str]) -> str:
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", quote(value, safe=""))
    return out


def corrections(config: Config, view: dict[str, Any], page_url: str, lang: str, root: str) -> list[dict[str, Any]]:
    """The configured correction channels of one record page, each with the record filled in.

    ``root`` is the relative link to the language root (for the WeChat QR image). Only
    tel:, mailto: and http(s) links come out (the schema checks the configured values).
    """
    cfg = config.raw.get("corrections") or {}
    name, rid = str(view["name"]), str(view["id"])
    out: list[dict[str, Any]] = []
    if cfg.get("phone"):
        phone = str(cfg["phone"])
        out.append(
            {
                "kind": "phone",
                "label": t(lang, "resident.fix.phone"),
                "href": "tel:" + phone.replace(" ", "").replace("-", ""),
                "text": phone,
                "note": t(lang, "resident.fix.say_id", id=rid),
            }
        )
    if cfg.get("email"):
        subject = t(lang, "resident.fix.mail_subject", name=name, id=rid)
        body = t(lang, "resident.fix.mail_body", name=name, id=rid, url=page_url)
        href = f"mailto:{cfg['email']}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"
        out.append(
            {
                "kind": "email",
                "label": t(lang, "resident.fix.email"),
                "href": href,
                "text": str(cfg["email"]),
                "note": "",
            }
        )
    if cfg.get("form_url"):
        href = _fill(str(cfg["form_url"]), {"id": rid, "name": name, "url": page_url})
        out.append(
            {
                "kind": "form",
                "label": t(lang, "resident.fix.form"),
                "href": href,
                "text": t(lang, "resident.fix.form_open"),
                "note": "",
            }
        )
    wechat = cfg.get("wechat") or {}
    if wechat.get("account") or wechat.get("qr_image"):
        image = f"{root}{BRAND_DIR}/{Path(str(wechat['qr_image'])).name}" if wechat.get("qr_image") else ""
        out.append(
            {
                "kind": "wechat",
                "label": t(lang, "resident.fix.wechat"),
                "href": "",
                "text": str(wechat.get("account") or ""),
                "note": t(lang, "resident.fix.say_id", id=rid),
                "image": image,
                "image_alt": t(lang, "resident.fix.wechat_qr"),
            }
        )
    return out


# ------------------------------------------------------------------ brand images
def brand_files(config: Config) -> dict[str, Path]:
    """Source files of the logo, favicon, share image and WeChat QR (configured or shipped)."""
    brand = config.raw.get("brand") or {}
    files = {
        "logo": config.root / brand["logo"] if brand.get("logo") else ASSETS / DEFAULT_LOGO,
        "favicon": config.root / brand["favicon"] if brand.get("favicon") else ASSETS / DEFAULT_FAVICON,
        "share_image": config.root / brand["share_image"] if brand.get("share_image") else ASSETS / DEFAULT_SHARE,
    }
    qr = ((config.raw.get("corrections") or {}).get("wechat") or {}).get("qr_image")
    if qr:
        files["wechat_qr"] = config.root / str(qr)
    return files


def copy_brand(config: Config, docs_dir: Path) -> dict[str, str]:
    """Copy the brand images beside the pages; returns their paths relative to a language root."""
    target = docs_dir / BRAND_DIR
    target.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, source in brand_files(config).items():
        shutil.copyfile(source, target / source.name)
        out[key] = f"{BRAND_DIR}/{source.name}"
    return out


def share_image_url(config: Config) -> str:
    """``og:image`` must be absolute; the Chinese root holds the copy both languages point to."""
    return str(config.site["url"]) + f"{BRAND_DIR}/{brand_files(config)['share_image'].name}"
