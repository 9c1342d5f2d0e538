"""The ``hubdir init`` command's messages: the click command in :mod:`generator.cli` stays one call."""

from __future__ import annotations

import time
from pathlib import Path

from generator.i18n import t
from generator.init.project import InitError, init


def run(directory: Path, code: str, lang: str) -> tuple[str, int]:
    """``(message, exit code)`` for ``hubdir init DIRECTORY --division CODE``."""
    start = time.perf_counter()
    try:
        written = init(directory, code.strip())
    except InitError as exc:
        return t(lang, exc.key, **exc.args_dict), 2
    except OSError as exc:
        return t(lang, "init.os_error", path=str(directory), detail=exc.strerror or str(exc)), 2
    seconds = time.perf_counter() - start
    root = written.place.root
    from generator.init.table import extras

    extra = extras(root.code)
    todo = ""
    if "bounds" not in extra:
        todo += t(lang, "init.todo_bounds")
    if root.code not in extra.get("name_en", {}):
        todo += t(lang, "init.todo_name_en")
    done = t(lang, "init.done", path=str(directory), name=root.name, code=root.code,
             divisions=len(written.place.divisions), files=written.files, seconds=seconds)
    return done + "\n" + t(lang, "init.next", path=str(directory), todo=todo), 0
