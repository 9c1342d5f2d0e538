"""The compiled templates of the section pages' mkdocs runs, shared between them in memory.

Why: every ``hubdir build`` runs mkdocs-material twice (Chinese, then English), each with a new
Jinja environment that parsed and compiled the same ~44 templates of Material and hubdir's overrides
again: ~0.5 CPU-s of the main process at any size.  Jinja's bytecode cache hands the second run (and
``hubdir serve``'s later builds) the first one's code.  A bucket is keyed by the template's name and
file and checked against the checksum of its source, so a changed template is compiled anew; both
runs' environments are mkdocs' own, made with the same settings, as a bytecode cache requires.
"""

from __future__ import annotations

from jinja2.bccache import Bucket, BytecodeCache

#: Entries beyond which the cache starts again (``hubdir serve``: each build's overrides lie in a
#: new temporary folder, so their keys differ from build to build).
LIMIT = 1000


class MemoryBytecodeCache(BytecodeCache):
    """A ``BytecodeCache`` in this process's memory."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.code.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        if len(self.code) >= LIMIT:
            self.code.clear()
        self.code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self.code.clear()


#: The one cache of this process (``mkdocs_hooks.on_env`` gives it to each mkdocs run's environment).
SHARED = MemoryBytecodeCache()
