"""Stopping cleanly on Ctrl-C and SIGTERM: cleanup runs, and worker processes do not outlive us.

SIGTERM's default action ends the process on the spot: no ``finally`` runs, so a half-built run
folder stays behind as ``.NAME.*.tmp`` and pool workers keep rendering for nobody. Turned into
KeyboardInterrupt, it takes the same path as Ctrl-C.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module at start-up; concurrent.futures is not needed for that
    from concurrent.futures import Future, ProcessPoolExecutor


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises KeyboardInterrupt in the main thread (elsewhere: no change)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def stop_pool(pool: ProcessPoolExecutor, futures: Iterable[Future] = ()) -> None:
    """Cancel what has not started and end the running workers now.

    ``shutdown(cancel_futures=True)`` alone waits for running tasks to finish; there is no public
    API that stops them, so the workers are terminated.
    """
    for fut in futures:
        fut.cancel()
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
