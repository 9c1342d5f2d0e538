"""Failures of the file system, said in words a staff member can act on.

A full disk, a read-only output folder or a missing permission is not a
defect of hubdir: the message names the folder or file and the reason, with
a hint (free space, ``--out``), instead of ``OSError: [Errno 28]`` or an
empty detail (a failed ``write()`` has no file name).
"""

from __future__ import annotations

import errno
from pathlib import Path

from generator.i18n import has, t
from generator.problems import Text
from generator.safetext import printable


def _name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "") if exc.errno else ""


def is_write_failure(exc: BaseException) -> bool:
    """An ``OSError`` about the place written to (space, permissions, a read-only file system…)."""
    return isinstance(exc, OSError) and has("en", f"hardening.reason.{_name(exc)}")


def describe(exc: OSError, path: Path | str | None = None, *, out_option: bool = True) -> Text:
    """``无法写入 PATH：磁盘空间已满`` and a hint line, in both languages.

    ``path`` names the place when the error does not (``write()`` on an open file);
    ``out_option`` says whether the command has ``--out`` for the hint to suggest.
    """
    where = path if path is not None else (exc.filename or "?")
    code = _name(exc)
    reason_key = f"hardening.reason.{code}" if has("en", f"hardening.reason.{code}") else "hardening.reason.other"
    hints = "hardening.hint" if out_option else "hardening.hint_here"
    hint_key = f"{hints}.{code}" if has("en", f"{hints}.{code}") else f"{hints}.other"
    detail = exc.strerror or type(exc).__name__

    def one(lang: str) -> str:
        line = t(lang, "hardening.write_failed", path=printable(str(where)), reason=t(lang, reason_key, detail=detail))
        return f"{line}\n  {t(lang, 'hardening.write_hint', hint=t(lang, hint_key))}"

    return Text(one("zh"), one("en"))
