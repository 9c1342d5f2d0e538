"""Search: pinyin keywords for each page, and the Pagefind index over the built site.

Pagefind (a chunked static index; a query fetches a few small files instead of
the whole index) replaces Material's lunr search, which cannot hold a
province-sized directory on a phone.  Chinese words are segmented by Pagefind's
CJK build; pinyin goes into ``data-pagefind-meta`` (searchable, never shown).

Pinyin is made per character with a two/three-character phrase lookup, not by
segmenting every name: segmenting costs ~0.3 ms a name (30 s at 100k records)
and place names are rarely in the segmenter's dictionary anyway.  Tokens are
every pair of neighbouring syllables (``ronggui``, ``guizhou``), their initials
(``rg``, ``gz``) and the whole name from its start (``rongguijiedao…``,
``rgjd…``); Pagefind matches the start of a token, so a one- or two-syllable
query finds any part of a name and a longer one finds its beginning.  Pairs
keep the vocabulary small (longer runs made every token unique: at 20k
records the index grew to 90 MB and Pagefind to 2.5 GB of memory).
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

#: Only the Chinese record and area pages are indexed.  English pages search the same index (Pagefind
#: falls back to its largest language; names are Chinese anyway) and links are mapped to /en/ in the
#: browser: one index instead of two halves the indexing time and the bytes a phone downloads.
GLOB = "{org,area}/*/index.html"


@cache
def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(text, style=Style.NORMAL))


def _syllables(name: str) -> list[list[str]]:
    """Runs of pinyin syllables, one run per stretch of Chinese characters."""
    runs: list[list[str]] = []
    current: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if not ("\u3400" <= ch <= "\u9fff"):
            if current:
                runs.append(current)
                current = []
            i += 1
            continue
        for size in (3, 2):
            chunk = name[i : i + size]
            if len(chunk) == size and chunk in PHRASES_DICT:
                current.extend(_phrase(chunk))
                i += size
                break
        else:
            current.extend(_phrase(ch))
            i += 1
    if current:
        runs.append(current)
    return runs


def pinyin_tokens(*names: str) -> str:
    """Space-separated pinyin search tokens for the given names (deterministic order)."""
    seen: dict[str, None] = {}
    for name in names:
        for run in _syllables(name):
            for start in range(max(1, len(run) - 1)):
                part = run[start : start + 2]
                seen.setdefault("".join(part))
                seen.setdefault("".join(s[0] for s in part))
            seen.setdefault("".join(run))
            seen.setdefault("".join(s[0] for s in run))
    return " ".join(t for t in seen if t)


class SearchError(Exception):
    """Pagefind failed; carries its output."""


def index(site_dir: Path, *, quiet: bool = True, docs_dir: Path | None = None) -> None:
    """Run Pagefind (its bundle goes to ``site_dir/pagefind``) over ``docs_dir``, the bare search
    documents written beside the pages (``pages.write_bulk(search_dir=...)``), or the site itself."""
    cmd = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(docs_dir or site_dir),
        "--output-path",
        str(site_dir / "pagefind"),
        "--glob",
        GLOB,
        "--quiet" if quiet else "--verbose",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SearchError((proc.stdout + proc.stderr).strip()[-2000:])
