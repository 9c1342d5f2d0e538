"""Run the ``hubdir`` CLI exactly as a user would, and save the build's own phase timings.

Why: the benchmark wants the wall time of ``hubdir build`` *and* the split of
that time (validate, datasets, mkdocs, pages, search…).  ``generator.build``
records the split in ``BuildResult.timings`` but the CLI does not print it;
this wrapper records the result of ``build()`` on its way back to the CLI, so
the measured work is identical to ``hubdir build``.

Usage: ``python -m bench.timed_cli TIMINGS.json -- --root DIR build -q``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> Any:
    out, rest = Path(argv[0]), argv[argv.index("--") + 1 :]
    import generator.build as build_mod
    from generator import cli

    original = build_mod.build

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        out.write_text(
            json.dumps(
                {
                    "seconds": result.seconds,
                    "pages": result.pages,
                    "records": result.records,
                    "timings": result.timings,
                },
                indent=2,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
        return result

    build_mod.build = recording  # the CLI imports build() from the module when the command runs
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
