"""Writers forked onto the other core (the workbook, HSDS, the SQLite database, the package check).

The registry and the rows are shared copy-on-write, nothing is pickled in; a child's result comes
back through a pipe, with what it added to the export's memo (``memo.Memo``).
"""

from __future__ import annotations

import gc
from typing import Any

from generator import interrupt
from generator.export import memo as memos


class Background:
    """Run ``fn(*args)`` in a forked child (the model is shared copy-on-write, nothing is pickled in).

    Inline when ``fork`` is false or the platform cannot fork.  ``wait``
    returns the function's result (pickled back through a pipe); a failure in
    the child is raised again there as a RuntimeError with its message.  What
    the child added to ``memo`` comes back with the result and is merged.
    """

    def __init__(self, fn: Any, *args: Any, fork: bool, memo: memos.Memo | None = None) -> None:
        import multiprocessing

        self.process: Any = None
        self.result: Any = None
        self.memo = memo
        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            self.result = fn(*args)
            return
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(send, fn, args, memo), daemon=True)
        self.process.start()
        send.close()

    def wait(self) -> Any:
        if self.process is None:
            return self.result
        try:
            error, result = self.receive.recv()
        except EOFError:
            error, result = f"worker process ended with code {self.process.exitcode}", None
        self.process.join()
        self.process = None
        if isinstance(error, OSError):
            raise error
        if error:
            raise RuntimeError(error)
        result, delta = result
        if self.memo is not None and delta is not None:
            self.memo.merge(delta)
        return result

    def close(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.process = None


def _child(send: Any, fn: Any, args: tuple[Any, ...], memo: memos.Memo | None) -> None:
    # The parent's objects are never freed here: kept out of the collector, whose passes over them
    # would otherwise copy every page of the shared heap (copy-on-write) in each child.
    gc.freeze()
    interrupt.die_with_parent()
    if memo is not None:  # send back only what this child uses and makes
        memo.new, memo.hits, memo.made = {}, {}, {}
    try:
        result = fn(*args)
    except OSError as exc:  # as itself: a full disk in a writer is the same located message
        send.send((exc, None))
    except BaseException as exc:  # reported to the parent, which fails the export
        send.send((f"{type(exc).__name__}: {exc}", None))
    else:
        send.send((None, (result, memo.delta() if memo is not None else None)))
    finally:
        send.close()
