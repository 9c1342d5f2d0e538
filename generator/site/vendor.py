"""Third-party browser files, taken from the npm registry, never from a CDN at page view.

Leaflet's dist (≈150 KB) is committed under ``generator/site/third_party/leaflet``
so a build needs no network and is byte-for-byte repeatable; ``npm_package``
fetches any other package (axe-core for the accessibility tests) once with
``npm pack`` into a user cache folder and reuses it afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from generator.i18n import t

HERE = Path(__file__).resolve().parent
LEAFLET_VERSION = "1.9.4"
LEAFLET_FILES = (
    "leaflet.js",
    "leaflet.css",
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
)


class VendorError(Exception):
    """A vendored package is missing and cannot be fetched; the message is translated."""


def cache_dir() -> Path:
    base = os.environ.get("HUBDIR_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hubdir" / "npm"


def npm_package(name: str, version: str, lang: str = "zh") -> Path:
    """The unpacked ``package/`` folder of ``name@version`` (downloaded once with ``npm pack``)."""
    target = cache_dir() / f"{name}-{version}"
    if (target / "package.json").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(t(lang, "site.vendor.no_npm", package=f"{name}@{version}"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        proc = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise VendorError(
                t(
                    lang,
                    "site.vendor.failed",
                    package=f"{name}@{version}",
                    detail=(proc.stderr or proc.stdout).strip()[-500:],
                )
            )
        unpacked = Path(tmp) / "out"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(unpacked, filter="data")
        shutil.rmtree(target, ignore_errors=True)
        (unpacked / "package").rename(target)
    return target


def leaflet_dir(lang: str = "zh") -> Path:
    """Leaflet's dist folder: the committed copy, else one fetched from npm."""
    committed = HERE / "third_party" / "leaflet"
    if all((committed / f).is_file() for f in LEAFLET_FILES):
        return committed
    return npm_package("leaflet", LEAFLET_VERSION, lang) / "dist"


def copy_leaflet(dest: Path, lang: str = "zh") -> None:
    source = leaflet_dir(lang)
    for rel in (*LEAFLET_FILES, "LICENSE"):
        src = source / rel if (source / rel).is_file() else source.parent / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
