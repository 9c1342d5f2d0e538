"""``hubdir fmt``: rewrite record files in one canonical YAML layout, keeping comments.

Why canonical YAML: pull-request diffs then show only real changes, and the
strings that YAML 1.1 tools would mistype (phone numbers, codes, dates,
``no``/``on``…) are always quoted, so the open data never depends on which
YAML library a reader uses.

The layout: keys in the order of the registry's JSON Schema (unknown keys
after the known ones, in their original order), 2-space indentation, lists
indented under their key, block style, one newline at the end, and plain
strings unless quoting is needed or the author quoted them (as the field
descriptions ask for phone numbers and opening hours); quotes are always
double quotes.

ruamel.yaml's round-trip mode keeps comments, but its own YAML 1.2 typing
would read ``0757223344`` as a number; here it is given the strict loader's
typing instead, and every rewrite is checked by reading the old and the new
text with the strict loader: if the data differ, nothing is written (the
formatter can move comments, never values).  A comment on its own line
belongs to the key above it in ruamel.yaml, so when keys are reordered such a
comment moves with that key.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import Emitter
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tag import Tag

from generator import interrupt, yamlio
from generator import schema as schemas
from generator.config import Config
from generator.registry import REGISTRIES

STR_TAG = "tag:yaml.org,2002:str"


def strict_tag(value: str) -> str:
    """The tag the strict loader (``generator.yamlio``) gives a plain scalar."""
    if value in ("", "~", "null"):
        return "tag:yaml.org,2002:null"
    if value in ("true", "false"):
        return "tag:yaml.org,2002:bool"
    if value[:1] == "-" or "0" <= value[:1] <= "9":
        return yamlio.number_tag(value) or STR_TAG
    return STR_TAG


class StrictResolver(VersionedResolver):
    """ruamel.yaml resolver with the strict loader's narrow implicit typing."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            return Tag(suffix=strict_tag(value))
        return super().resolve(kind, value, implicit)


_PYYAML_RESOLVER = pyyaml.resolver.Resolver()
#: Booleans in the YAML 1.1 spec that PyYAML does not implement but other readers do.
_YAML11_LETTERS = frozenset({"y", "Y", "n", "N"})
_RUAMEL_RESOLVER = VersionedResolver()


def _ruamel_analyzer() -> Emitter:
    """The emitter of a configured ``YAML`` instance, used only to analyse scalars.

    ``analyze_scalar`` asks the emitter's serializer which YAML version is
    written (``?`` is an indicator in YAML 1.1); an ``Emitter`` built on its
    own has no serializer and crashed on every ``?`` (every WeChat article
    link).  A real instance's emitter has one, so it analyses exactly what
    ``fmt`` will write.
    """
    analyzer: Emitter = _yaml().emitter
    return analyzer


def _pyyaml_plain(text: str) -> bool:
    """Whether PyYAML (YAML 1.1) would also write ``text`` as a plain scalar on one line."""
    analysis = pyyaml.emitter.Emitter(io.StringIO(), allow_unicode=True).analyze_scalar(text)
    return bool(analysis.allow_block_plain and not analysis.multiline)


def needs_quotes(text: str) -> bool:
    """Whether a one-line string must be quoted so that no YAML reader mistypes it.

    Quoted: anything the strict loader, PyYAML (YAML 1.1) or ruamel.yaml
    (YAML 1.2) would not read back as this same string (``no``, ``on``,
    ``0757223344``, ``17:30``, ``2019-05-04``, ``~``…); anything starting with a
    digit or ``+`` (phone numbers, codes, postcodes, dates, by convention); and
    anything that cannot be a plain scalar at all.
    """
    if text == "" or text[0].isdigit() or text[0] == "+" or text in _YAML11_LETTERS:
        return True
    if strict_tag(text) != STR_TAG:
        return True
    if _PYYAML_RESOLVER.resolve(pyyaml.ScalarNode, text, (True, False)) != STR_TAG:
        return True
    if str(_RUAMEL_RESOLVER.resolve(ScalarNode, text, (True, False))) != STR_TAG:
        return True
    analysis = _ANALYZER.analyze_scalar(text)
    return not analysis.allow_block_plain or analysis.multiline or not _pyyaml_plain(text)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Resolver = StrictResolver
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.allow_unicode = True
    y.preserve_quotes = True
    return y


_ANALYZER = _ruamel_analyzer()


def _normalise(value: Any, doc: dict[str, Any] | None, node: dict[str, Any] | None) -> Any:
    """Canonical key order, block style and quoting for one value (recursively)."""
    if isinstance(value, CommentedMap):
        props = (node or {}).get("properties", {}) if node else {}
        order = [k for k in props if k in value] + [k for k in value if k not in props]
        if order != list(value.keys()):
            fresh = CommentedMap()
            for key in order:
                fresh[key] = value[key]
            fresh.ca.comment = value.ca.comment
            fresh.ca.end = value.ca.end
            for key, comment in value.ca.items.items():
                fresh.ca.items[key] = comment
            value = fresh
        value.fa.set_block_style()
        for key in list(value.keys()):
            child_node = schemas.resolve(doc, props[key]) if doc and key in props else None
            value[key] = _normalise(value[key], doc, child_node)
        return value
    if isinstance(value, CommentedSeq):
        if len(value):
            value.fa.set_block_style()
        item_node = None
        if doc and node and node.get("type") == "array" and isinstance(node.get("items"), dict):
            item_node = schemas.resolve(doc, node["items"])
        for index in range(len(value)):
            value[index] = _normalise(value[index], doc, item_node if doc else None)
        return value
    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return value
    if isinstance(value, str):
        if "\n" in value:
            return value  # ruamel.yaml chooses a safe style for multi-line text
        quoted = isinstance(value, (SingleQuotedScalarString, DoubleQuotedScalarString))
        return DoubleQuotedScalarString(value) if quoted or needs_quotes(value) else str(value)
    return value


class FormatError(Exception):
    """A file fmt will not touch; ``code`` is a workflow catalogue key, ``args`` fill it."""

    def __init__(self, code: str, **args: Any) -> None:
        super().__init__(code)
        self.code = code
        self.args_dict = args


def format_text(text: str, registry_schema: dict[str, Any] | None) -> str:
    """The canonical form of one record's text.

    Raises ``yamlio.LoadError`` when the strict loader rejects the input (fmt
    never guesses at broken files) and ``FormatError`` when the canonical text
    would not hold the same data (a safety net; it should never happen).
    """
    before = yamlio.loads(text)
    y = _yaml()
    data = y.load(text)
    data = _normalise(data, registry_schema, registry_schema)
    out = io.StringIO()
    y.dump(data, out)
    result = out.getvalue().rstrip("\n") + "\n"
    if yamlio.loads(result) != before:
        raise FormatError("workflow.fmt.changed_value")
    return result


@dataclass
class FmtResult:
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[Path, str, dict[str, Any]]] = field(default_factory=list)


def record_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every ``.yml``/``.yaml`` file named or inside the folders named, sorted, each once."""
    seen: set[Path] = set()
    for path in paths:
        found = (
            sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
            if path.is_dir()
            else [path]
        )
        for item in found:
            key = item.resolve()
            if key not in seen and not any(part.startswith(".") for part in item.parts[-2:]):
                seen.add(key)
                yield item


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename, keeping its permissions."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Below this many files a process pool costs more than it saves (ruamel.yaml is ~20 ms per file).
PARALLEL_THRESHOLD = 200

_BUNDLES: dict[tuple[str, str], dict[str, Any]] = {}


def _format_one(job: tuple[str, str, str]) -> tuple[str, str | None, str, dict[str, Any]]:
    """Format one file: (state, canonical text or None, message key, args); runs in a worker process."""
    path_text, registry, schemas_dir = job
    key = (schemas_dir, registry)
    if key not in _BUNDLES:
        _BUNDLES[key] = schemas.bundle(Path(schemas_dir), registry)
    try:
        raw = Path(path_text).read_bytes()
        canonical = format_text(yamlio.decode(raw), _BUNDLES[key])
    except yamlio.LoadError as exc:
        return (
            "failed",
            None,
            "workflow.fmt.unreadable",
            {"line": exc.line, "column": exc.column, "code": exc.code},
        )
    except FormatError as exc:
        return "failed", None, exc.code, exc.args_dict
    except OSError as exc:
        return "failed", None, "workflow.fmt.os_error", {"detail": exc.strerror or str(exc)}
    if canonical.encode("utf-8") == raw:
        return "unchanged", None, "", {}
    return "changed", canonical, "", {}


def run(config: Config, paths: Iterable[Path], *, check: bool, workers: int | None = None) -> FmtResult:
    """Format (or with ``check`` only compare) the record files under ``paths``.

    Files are formatted in parallel when there are many (results are used in
    path order, and files are written by this process only).
    """
    result = FmtResult()
    jobs: list[tuple[str, str, str]] = []
    files: list[Path] = []
    real_root = os.path.realpath(config.root)
    for path in record_files(paths):
        registry = path.parent.name
        if registry not in REGISTRIES:
            result.skipped.append((path, "workflow.fmt.not_registry", {"registries": ", ".join(REGISTRIES)}))
            continue
        real = os.path.realpath(path)
        if real != os.path.abspath(path) and not real.startswith(real_root.rstrip(os.sep) + os.sep):
            # A link out of the project: fmt would read that file and write a copy into the project.
            result.failed.append((path, "hardening.fmt_outside", {"target": real}))
            continue
        files.append(path)
        jobs.append((str(path), registry, str(config.schemas_dir)))
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= PARALLEL_THRESHOLD:
        outcomes = interrupt.pool_map(_format_one, jobs, workers, chunksize=max(1, len(jobs) // (workers * 8)))
    else:
        outcomes = [_format_one(job) for job in jobs]
    for path, (state, canonical, key, args) in zip(files, outcomes, strict=True):
        if state == "failed":
            result.failed.append((path, key, args))
        elif state == "unchanged":
            result.unchanged.append(path)
        else:
            if not check and canonical is not None:
                try:
                    write_atomic(path, canonical)
                except OSError as exc:  # a full disk, a read-only file: named; the file is unchanged
                    from generator import oswrite

                    detail = oswrite.describe(exc, path, out_option=False)
                    result.failed.append((path, "hardening.fmt_write_failed", {"detail": detail}))
                    continue
            result.changed.append(path)
    return result
