"""Links that open a place in 高德地图, 百度地图 and 腾讯地图 (their public web URI APIs).

Coordinates are stored in WGS-84; each app is given the system it reads:
高德 ``uri.amap.com/navigation`` and 腾讯 ``apis.map.qq.com/uri/v1/routeplan`` take GCJ-02
(``coordinate=gaode``; Tencent always), 百度 ``api.map.baidu.com/marker`` takes BD-09, its default
``coord_type`` (its web ``direction`` needs an origin, which a static page does not know;
the marker page offers 到这去); 高德 is given no ``mode``, so the app offers walking as well as
driving.  The links only leave the site when a resident taps them.

Record pages carry the three links as plain ``<a href>`` written at build time (``links(...,
compact=True)``), so they work without JavaScript (WeChat's browser with scripts blocked, an old
phone); the conversions are ``generator.site.geo``'s.  ``directionLinks`` in
``nearby_assets/nearby.js`` is the browser twin for what only exists in the browser (near-me
results, map popups); the tests hold both to the same URLs.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from generator.site import geo

#: Who asks, as each API wants it named (Baidu: ``webapp.<company>.<app>``).
SOURCE = "hubdir"
APPS = ("amap", "baidu", "tencent")
#: The hosts these links go to (only when tapped; nothing loads from them at page view).
HOSTS = ("uri.amap.com", "api.map.baidu.com", "apis.map.qq.com")


def _q(text: str) -> str:
    """Percent-encoding exactly as JavaScript's ``encodeURIComponent`` (so both sides agree)."""
    return quote(text, safe="!~*'()")


def _f(value: float) -> str:
    return f"{value:.6f}"


def _iri(text: str) -> str:
    """``_q`` for ASCII, other characters as they are: an IRI, which a browser percent-encodes (UTF-8)
    when the link is followed, to the very URL of ``_q``; a Chinese name is a third of the bytes."""
    if _TO_ENCODE.search(text) is None:  # most names: nothing ``_q`` would change (one scan, no calls)
        return text
    return _ASCII_RUN.sub(lambda run: _q(run.group()), text)


#: Runs of ASCII characters, percent-encoded a run at a time (per character, 10% of a 20k build).
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")
#: An ASCII character ``_q`` percent-encodes (all but letters, digits, ``_.-~`` and its ``safe``).
_TO_ENCODE = re.compile(r"[^\x80-\U0010ffffA-Za-z0-9_.\-~!*'()]")


def links(lat: float, lon: float, name: str, address: str = "", compact: bool = False) -> dict[str, str]:
    """``{"amap": url, "baidu": url, "tencent": url}`` for a WGS-84 point (``compact``: as IRIs, for HTML)."""
    g_lat, g_lon = geo.wgs84_to_gcj02(lat, lon)
    # ``geo.wgs84_to_bd09`` from the GCJ-02 point just made (it would convert to GCJ-02 again)
    b_lat, b_lon = (lat, lon) if geo.out_of_china(lat, lon) else geo.gcj02_to_bd09(g_lat, g_lon)
    enc = _iri if compact else _q
    return {
        "amap": f"https://uri.amap.com/navigation?to={_f(g_lon)},{_f(g_lat)},{enc(name)}"
        f"&coordinate=gaode&callnative=1&src={SOURCE}",
        "baidu": f"https://api.map.baidu.com/marker?location={_f(b_lat)},{_f(b_lon)}&title={enc(name)}"
        f"&content={enc(address or name)}&output=html&src=webapp.{SOURCE}.directory",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type=drive&to={enc(name)}"
        f"&tocoord={_f(g_lat)},{_f(g_lon)}&referer={SOURCE}",
    }
