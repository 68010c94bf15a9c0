"""One command's network budget: how much time it may spend asking, and what it learned.

``--timeout`` used to bound each request, so a command that needed five symbols on a dead network
waited five times (a ``run`` took 37 s at ``--timeout 10``, a three-member ``compare`` about 3.5
minutes at the default). A :class:`NetBudget` belongs to one command (the CLI makes one and
hands it to the :class:`~r2k.data.store.Store` as ``network``; nothing is kept in the
environment):

- **Time.** Every fetch (all its tries and waits) is charged to it; a fetch may use at most what
  is left, and once it is used up the remaining symbols are not asked.
- **Down latch.** When a provider could not be reached (no connection, no answer in time) or
  refused for rate limiting, the budget remembers it, and every later name of that provider in
  the same command fails at once with "not asked" instead of hammering it (the loader then
  falls back to the stored data, as for any failed refresh).

Charging by time spent rather than a wall-clock deadline from the start keeps backtests that run
between two fetches (compare runs one member after another) from eating the network's time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from r2k.data.errors import DataUnavailable, UsageError

#: Seconds of network time a command may spend when ``--timeout`` does not say.
DEFAULT_BUDGET = 60.0


class NetBudget:
    """Network time left for one command, and which providers are known to be down."""

    def __init__(self, seconds: float | None = None, *, clock: Callable[[], float] = time.monotonic):
        seconds = DEFAULT_BUDGET if seconds is None else float(seconds)
        if not seconds > 0 or seconds == float("inf"):
            raise UsageError(f"--timeout must be a positive number of seconds, not {seconds!r}")
        self.seconds = seconds
        self._clock = clock
        self._spent = 0.0
        self._down: dict[str, str] = {}
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds of network time left (never negative)."""
        with self._lock:
            return max(0.0, self.seconds - self._spent)

    def charge(self, seconds: float) -> None:
        """Count ``seconds`` spent on the network (by a fetch, its retries and waits)."""
        with self._lock:
            self._spent += max(0.0, seconds)

    def down(self, provider: str) -> str | None:
        """Why ``provider`` is not to be asked again in this command (None: it may be)."""
        with self._lock:
            return self._down.get(provider)

    def mark_down(self, provider: str, why: str) -> None:
        """Remember that asking ``provider`` again is pointless for now (the first reason stays)."""
        with self._lock:
            self._down.setdefault(provider, why)

    def check(self, provider: str, what: str, min_seconds: float = 0.05) -> float:
        """The seconds a fetch of ``what`` may use, or DataUnavailable saying why it is not asked."""
        why = self.down(provider)
        if why is not None:
            raise DataUnavailable(f"{what}: not asked, {provider} is not answering this command ({why})")
        left = self.remaining()
        if left < min_seconds:
            raise DataUnavailable(f"{what}: not asked, the command's network time is used up "
                                  f"(--timeout {self.seconds:g} s)")
        return left

    def spending(self) -> _Spending:
        """``with budget.spending(): ...`` charges the time spent inside."""
        return _Spending(self)


class _Spending:
    def __init__(self, budget: NetBudget):
        self.budget = budget

    def __enter__(self) -> None:
        self.t0 = self.budget._clock()

    def __exit__(self, *exc) -> None:
        self.budget.charge(self.budget._clock() - self.t0)
