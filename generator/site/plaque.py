"""The printable A4 plaque (挂牌信息, issue 14 item 11) of a venue: a women's home, a youth center or
a hub's office — drawn by the browser from the record page itself.

Why not a page per venue (as before): at province scale that was ~50,000 extra pages (7.5 KB each,
~0.35 GB) and ~1.7 ms of CPU each on every build for a QR code drawn at build time, for a sheet a
member of staff prints a few times a year.  Now a venue's record page marks one line (``data-plaque``)
where ``assets/hubdir/plaque.js`` puts its button (``打印挂牌``) and builds the plaque from what the
page already shows (the name, the rows marked ``data-p``: phone, hours, address, services), loads the
QR library (qrcode-generator, MIT, vendored under ``assets/vendor/qrcode-generator/``) only when the
button is pressed, draws the page's address as an SVG QR code and opens the print dialog.  Without
JavaScript the record page itself still prints cleanly (``resident.css``'s print styles).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.registry import Record

#: Registries whose records are places a resident walks into.
VENUES = ("womens_homes", "youth_centers", "hubs")
QR_VERSION = "1.4.4"
QR_DIR = Path(__file__).resolve().parent / "third_party" / "qrcode-generator"
#: Where the library is served (relative to the site root; both languages share it).
QR_URL = "assets/vendor/qrcode-generator/qrcode.js"


def has_plaque(record: Record) -> bool:
    return record.registry in VENUES and record.active


def copy_library(site: Path) -> None:
    """The QR library and its licence, beside Leaflet (the site root's ``assets/vendor``)."""
    dest = site / QR_URL
    dest.parent.mkdir(parents=True, exist_ok=True)
    for name in ("qrcode.js", "LICENSE"):
        target = dest.parent / name
        target.unlink(missing_ok=True)  # never write through a link into the previous site
        shutil.copyfile(QR_DIR / name, target)
