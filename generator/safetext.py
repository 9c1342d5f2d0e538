"""Text from the data made safe to show: control characters become visible escapes.

A value or a file name may hold a line break, a carriage return or a
terminal escape sequence (``"\\e[2J"`` in a double-quoted YAML string, a
file named ``a\\nb.yml``).  Printed as they are, they would split a problem
line and forge a fake one (``content/x.yml:1:1: error …`` on a line of its
own), move the cursor or recolour the terminal, or reorder the text shown
(bidirectional overrides).  Every place that shows a value or a path from
the data passes it through ``printable`` first, in text, GitHub annotations
and JSON alike.
"""

from __future__ import annotations

import re

#: C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidirectional controls, BOM.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as a visible escape (``\\n``, ``\\e``, ``\\u202e``)."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None
