"""The cyclic garbage collector paused around a block that makes many long-lived, acyclic objects.

Loading a province's records, unpickling the cache and building the search index each allocate
millions of small dicts, lists and tuples that stay alive and hold no cycles; the collections their
allocation triggers would scan them again and again (seconds at 100,000 records) and find nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, freeze: bool = False) -> Iterator[None]:
    """Pause the collector for the block (nested uses are harmless); ``freeze``: afterwards move
    what exists into the permanent generation, so later collections skip it too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()
