"""Links that open a place in 高德地图, 百度地图 and 腾讯地图 (their public web URI APIs).

Coordinates are stored in WGS-84; each app is given the system it reads:
高德 ``uri.amap.com/navigation`` and 腾讯 ``apis.map.qq.com/uri/v1/routeplan`` take GCJ-02
(``coordinate=gaode``; Tencent always), 百度 ``api.map.baidu.com/marker`` takes BD-09 with
``coord_type=bd09ll`` (its web ``direction`` needs an origin, which a static page does not know;
the marker page offers 到这去).  The links only leave the site when a resident taps them.

Pages carry only the point (``data-hubdir-dirs``); ``directionLinks`` in ``nearby_assets/nearby.js``
draws the links on record pages, near-me results and map popups.  This module is its Python twin,
for anything built server-side, and the oracle a browser test holds the script to.
"""

from __future__ import annotations

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


def links(lat: float, lon: float, name: str, address: str = "") -> dict[str, str]:
    """``{"amap": url, "baidu": url, "tencent": url}`` for a WGS-84 point."""
    g_lat, g_lon = geo.wgs84_to_gcj02(lat, lon)
    b_lat, b_lon = geo.wgs84_to_bd09(lat, lon)
    return {
        "amap": f"https://uri.amap.com/navigation?to={_f(g_lon)},{_f(g_lat)},{_q(name)}"
        f"&mode=car&coordinate=gaode&callnative=1&src={SOURCE}",
        "baidu": f"https://api.map.baidu.com/marker?location={_f(b_lat)},{_f(b_lon)}&title={_q(name)}"
        f"&content={_q(address or name)}&output=html&coord_type=bd09ll&src=webapp.{SOURCE}.directory",
        "tencent": f"https://apis.map.qq.com/uri/v1/routeplan?type=drive&to={_q(name)}"
        f"&tocoord={_f(g_lat)},{_f(g_lon)}&referer={SOURCE}",
    }
