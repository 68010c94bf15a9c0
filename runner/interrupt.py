"""Stopping cleanly on Ctrl-C and SIGTERM: cleanup runs, and worker processes do not outlive us.

SIGTERM's default action ends the process on the spot: no ``finally`` runs, so a half-built run
folder stays behind as ``.NAME.*.tmp`` and pool workers keep rendering for nobody. Turned into
KeyboardInterrupt, it takes the same path as Ctrl-C.

A second Ctrl-C (or SIGTERM) while the first is being handled stops at once: if cleanup hangs, or
a strategy swallows KeyboardInterrupt, pressing it again must not do nothing. Every child process
started through multiprocessing is killed and the command exits 130 without further cleanup
(finished sweep rows are already on disk; a temporary folder may stay as ``.NAME.*.tmp``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module at start-up; concurrent.futures is not needed for that
    from concurrent.futures import ProcessPoolExecutor

#: What a stop at once prints (stderr), for the README's Troubleshooting table.
STOPPED_AT_ONCE = "error: interrupted again: stopped at once (worker processes killed)"


class _OnInterrupt:
    """The handler: the first signal raises KeyboardInterrupt, any later one stops at once."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, signum, frame):
        self.count += 1
        if self.count > 1:
            stop_at_once()
        raise KeyboardInterrupt


def stop_at_once(code: int = 130) -> None:
    """Kill every multiprocessing child (pool workers too), say so in one line and exit ``code`` now."""
    import multiprocessing

    for child in multiprocessing.active_children():
        with suppress(OSError, ValueError, AttributeError):
            child.kill()
    try:
        os.write(2, (STOPPED_AT_ONCE + "\n").encode())
    finally:
        os._exit(code)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises KeyboardInterrupt in the main thread, and a second SIGTERM or
    Ctrl-C stops at once (elsewhere, or inside an enclosing one: no change)."""
    if threading.current_thread() is not threading.main_thread() or isinstance(
            signal.getsignal(signal.SIGTERM), _OnInterrupt):
        yield
        return
    handler = _OnInterrupt()
    previous = signal.signal(signal.SIGTERM, handler)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:  # started with Ctrl-C ignored (nohup, `&`): leave it so
        signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End the running workers now; every task not finished fails with BrokenProcessPool.

    ``shutdown(cancel_futures=True)`` alone waits for running tasks to finish; there is no public
    API that stops them, so the workers are terminated (their SIGTERM is the default action, see
    runner/workers.py). Nothing is cancelled first: the pool's manager thread marks every pending
    future broken when it sees the workers gone, and on Python 3.11 it dies with a traceback on
    stderr if one was already cancelled.
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        proc.terminate()
    for proc in procs:  # a worker stuck where SIGTERM cannot reach it is killed after a moment
        proc.join(timeout=2.0)
        if proc.is_alive():
            proc.kill()
    pool.shutdown(wait=True)
