"""Worker processes that stop when told and never outlive the command that started them.

Every process pool of r2k (sweep combinations, simulation batches, compare's tear sheets) starts
through :func:`process_pool`, whose workers run :func:`worker_start` first:

- **Signals.** A forked worker inherits the parent's Python signal handlers: the command's
  SIGTERM handler (which raises KeyboardInterrupt so the parent can clean up) would turn
  ``stop_pool``'s terminate into an exception inside the task, and the worker would take the next
  combination instead of ending. Workers get SIGTERM's default action back (end now) and ignore
  SIGINT: Ctrl-C reaches the whole process group and is the parent's to handle.
- **Parent death.** After ``kill -9`` of the parent nothing would tell a worker to stop: it keeps
  computing, then waits for work forever (compare's tear-sheet workers also keep their fork server
  alive). Each worker watches its parent: on Linux the kernel sends SIGKILL when the thread that
  forked it ends (``PR_SET_PDEATHSIG``, set only when that thread was the main thread, so a pool
  started from a short-lived thread is not killed with it), and a thread waits on
  multiprocessing's parent sentinel, which also covers workers forked by a fork server (whose
  direct parent is the server, not the command). Without a sentinel it polls ``getppid()``.
- **Time limits.** :func:`time_limit` bounds one task (``r2k sweep --task-timeout``) by SIGALRM
  in the worker's main thread, so a combination that loops is stopped and recorded, not waited for.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
#: How often the fallback watcher asks whether the parent is still there (seconds).
POLL_SECONDS = 0.5


class TaskTimeout(BaseException):
    """A task ran past its time limit. A BaseException, so a strategy's ``except Exception`` cannot swallow it."""

    def __init__(self, seconds: float):
        super().__init__(f"timed out after {seconds:g} s")
        self.seconds = seconds


def process_pool(workers: int, *, initializer: Callable[[], None] | None = None, mp_context=None) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor whose workers start with :func:`worker_start` (then ``initializer``).

    Making the pool's queues starts multiprocessing's resource tracker (``python -c ...``) on first
    use: it starts without the current folder on its path (runner/safe_child.py).
    """
    from concurrent.futures import ProcessPoolExecutor

    from r2k.runner.safe_child import no_cwd_on_child_path

    with no_cwd_on_child_path():
        return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                                   initializer=functools.partial(worker_start, initializer))


def worker_start(then: Callable[[], None] | None = None) -> None:
    """First thing in every worker: default SIGTERM, ignored SIGINT, die with the parent; then ``then()``."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if then is not None:
        then()


def die_with_parent() -> None:
    """End this process as soon as the process that started it is gone (see the module docstring)."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if threading.current_thread().name == "MainThread":  # forked by the parent's main thread (see above)
        _set_pdeathsig()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is not None:
        watch = functools.partial(_wait_for_sentinel, sentinel)
    else:
        watch = functools.partial(_poll_parent, os.getppid())
    threading.Thread(target=watch, name="r2k-parent-watch", daemon=True).start()


def _set_pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent thread ends; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _wait_for_sentinel(sentinel: int) -> None:
    from multiprocessing.connection import wait

    with contextlib.suppress(OSError, ValueError):
        wait([sentinel])  # readable (EOF) once the parent has ended, however it ended
    os._exit(1)


def _poll_parent(ppid: int) -> None:
    import time

    while os.getppid() == ppid:
        time.sleep(POLL_SECONDS)
    os._exit(1)


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TaskTimeout` in this (main) thread once ``seconds`` have passed inside."""
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        from r2k.data.errors import UsageError

        raise UsageError("a task time limit needs local worker processes or --workers 1 (not Dask or a thread)")

    def on_alarm(signum, frame):
        raise TaskTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
