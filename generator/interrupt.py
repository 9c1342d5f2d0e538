"""Ctrl-C: one translated line from the main process, silence from the workers.

A terminal sends SIGINT to the whole process group, so every forked worker
receives it too; Python would print a ``KeyboardInterrupt`` traceback from
each.  Workers end at once and quietly (``quiet_interrupt``); the main process
stops the rest, cleans up and says so once (``cli.HubdirGroup``).  A step that
must not be cut in half (swapping the new site in) holds the signal back.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def quiet_interrupt() -> None:
    """In a worker process: end at once on Ctrl-C, without a traceback (the main process reports it)."""
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held SIGINT back: take it now
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def die_with_parent() -> None:
    """In a forked worker: end when the process that forked it dies, SIGKILL included (Linux).

    A killed build cannot stop its workers, and a worker blocked on a pipe that a sibling also
    holds open would wait for ever; ``PR_SET_PDEATHSIG`` has the kernel send it SIGTERM instead.
    Elsewhere nothing is done (the worker ends when its pipe breaks).
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


@contextmanager
def held_back() -> Iterator[None]:
    """Hold back SIGINT while the block runs; it is delivered right after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def handled() -> None:
    """Tell CPython the Ctrl-C was handled, so the chosen exit code (130) is kept.

    CPython (3.11) remembers a ``KeyboardInterrupt`` that escaped code run from
    a *string* (``exec``/``eval`` of source: every ``dataclass`` and
    ``namedtuple`` definition) and, at exit, kills the process with SIGINT
    (status -2) even when the exception was caught later.  The flag is reset
    by the next such evaluation that ends normally: this one.
    """
    exec("None")  # a constant string, evaluated only to reset that flag


def _pool_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides; it terminates the pool
    die_with_parent()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if initializer is not None:
        initializer(*initargs)


def pool_map(
    fn: Callable[[Any], Any],
    jobs: Sequence[Any],
    workers: int,
    *,
    chunksize: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> list[Any]:
    """``[fn(job) for job in jobs]`` in ``workers`` processes, in order; Ctrl-C stops them at once.

    ``concurrent.futures`` hangs when its workers die under a Ctrl-C (its feeder thread
    blocks on a full pipe and the exit waits for it); a ``multiprocessing`` pool whose
    workers ignore SIGINT is terminated by the main process instead, without a traceback.
    """
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with held_back():  # workers start with SIGINT held until they ignore it
        pool = ctx.Pool(workers, initializer=_pool_worker, initargs=(initializer, initargs))
    try:
        results = pool.map(fn, jobs, chunksize=chunksize)
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()
    return results
