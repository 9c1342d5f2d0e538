"""``hubdir deploy``: bring a published copy of the site up to date by the build's manifest.

Why: at province scale the site has ~200,000 files, and one edit changes a dozen of them; uploading
the whole tree to a web server or an object store (OSS, COS, OBS, S3) for every edit costs time and
money.  ``hubdir build`` writes ``hubdir-manifest.json.gz`` (gzipped JSON: path, size, sha256 of every
file) into the site; the destination keeps the manifest of what it last received (a destination last
deployed by an older hubdir has a plain ``hubdir-manifest.json``: read, then deleted after the new
manifest is in place).  Comparing the two gives the plan:

1. upload what is new or changed — everything but HTML first, then the HTML pages, so a page never
   points at a stylesheet, script or data file that is not there yet;
2. delete what is gone, last, so no visitor follows a link into a hole while the upload runs;
3. write the new manifest, very last: an interrupted deploy is simply repeated.

A folder destination (an nginx root, a mounted bucket) is synced here; for an object store
``--plan`` prints the plan as JSON for its own command-line tool (README: "Hosting at province scale").
Files whose size differs from the destination's manifest are always sent, so a destination changed
by hand is repaired; ``--verify`` hashes the destination's files instead of trusting its manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.incremental import LEGACY_MANIFEST_NAME, MANIFEST_NAME, read_manifest_text


class DeployError(Exception):
    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_dict = args


@dataclass
class Plan:
    upload: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_json(self) -> str:
        return json.dumps(
            {"upload": self.upload, "delete": self.delete, "unchanged": self.unchanged, "manifest": MANIFEST_NAME},
            ensure_ascii=False,
            indent=1,
        )


def manifest_path(folder: Path) -> Path:
    """A folder's manifest: ``MANIFEST_NAME``, else the plain one an older hubdir wrote, if there."""
    path = folder / MANIFEST_NAME
    legacy = folder / LEGACY_MANIFEST_NAME
    return legacy if not path.exists() and legacy.exists() else path


def read_manifest(folder: Path, *, required: bool) -> dict[str, dict[str, Any]]:
    """path → {size, sha256} of a site folder's manifest (empty when absent and not required)."""
    path = manifest_path(folder)
    try:
        doc = json.loads(read_manifest_text(path))
        files = {str(f["path"]): f for f in doc["files"]}
    except FileNotFoundError:
        if required:
            raise DeployError("incremental.deploy.no_manifest", site=str(folder)) from None
        return {}
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:  # gzip: BadGzipFile is an OSError
        if required:
            raise DeployError("incremental.deploy.bad_manifest", path=str(path), detail=str(exc)) from None
        return {}  # a damaged destination manifest: treat the destination as empty (send everything)
    for rel in files:
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise DeployError("incremental.deploy.bad_manifest", path=str(path), detail=rel)
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def plan(site: Path, dest: Path | None, *, verify: bool = False, dest_manifest: Path | None = None) -> Plan:
    """What to upload and delete to make ``dest`` equal to ``site``."""
    new = read_manifest(site, required=True)
    if dest_manifest is not None:
        old = read_manifest(dest_manifest, required=False)
    else:
        old = read_manifest(dest, required=False) if dest is not None else {}
    out = Plan()
    for rel in sorted(new, key=lambda r: (r.endswith(".html"), r)):
        entry = new[rel]
        have = old.get(rel)
        if dest is not None and (verify or have is not None):
            target = dest / rel
            try:
                size = target.stat().st_size
            except OSError:
                size = -1
            same = size == entry["size"] and (
                _sha256(target) == entry["sha256"] if verify else have is not None and have["sha256"] == entry["sha256"]
            )
        else:
            same = have is not None and have["sha256"] == entry["sha256"] and have["size"] == entry["size"]
        if same:
            out.unchanged += 1
        else:
            out.upload.append(rel)
    out.delete = sorted(rel for rel in old if rel not in new)
    legacy = dest_manifest if dest_manifest is not None else dest
    if legacy is not None and manifest_path(legacy).name == LEGACY_MANIFEST_NAME:
        out.delete.append(LEGACY_MANIFEST_NAME)  # an older hubdir's manifest: replaced by MANIFEST_NAME
    return out


def sync_folder(site: Path, dest: Path, *, verify: bool = False) -> Plan:
    """Apply the plan to a folder: upload (non-HTML, then HTML), delete, then the manifest."""
    if not (site / MANIFEST_NAME).is_file():
        raise DeployError("incremental.deploy.no_manifest", site=str(site))
    site_r, dest_r = site.resolve(), dest.resolve()
    if dest_r == site_r or dest_r.is_relative_to(site_r) or site_r.is_relative_to(dest_r):
        raise DeployError("incremental.deploy.overlap", site=str(site), dest=str(dest))
    if dest.exists() and not dest.is_dir():
        raise DeployError("incremental.deploy.not_folder", dest=str(dest))
    todo = plan(site, dest, verify=verify)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for rel in todo.upload:
            _put(site / rel, dest / rel)
        for rel in todo.delete:
            if rel == LEGACY_MANIFEST_NAME:
                continue  # deleted once the new manifest is in place (an interrupted deploy still has one)
            target = dest / rel
            target.unlink(missing_ok=True)
            _prune(target.parent, dest)
        _put(site / MANIFEST_NAME, dest / MANIFEST_NAME)
        (dest / LEGACY_MANIFEST_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise DeployError("incremental.deploy.failed", detail=f"{exc.strerror or exc}: {exc.filename or ''}") from None
    return todo


def _put(source: Path, target: Path) -> None:
    """Copy one file atomically: a visitor sees the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.hubdir-upload")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def _prune(folder: Path, root: Path) -> None:
    """Remove folders a deletion left empty, up to (not including) the destination root."""
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
