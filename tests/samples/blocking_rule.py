'''A user strategy for fault scripts: combinations past ``free`` wait until the test says so.

Copied into a strategy folder of its own by tests (tests/test_processes.py, tests/test_sweep.py). A waiting
combination writes ``GATE/started-N-PID`` and then waits for ``GATE/go``: asleep (``spin=0``) or
in a busy loop (``spin=1``); with ``stubborn=1`` it swallows KeyboardInterrupt, as careless code
does. Every wait gives up after 60 s, so a failing test leaves nothing running for long.
'''

import os
import time
from pathlib import Path

from r2k.strategies.base import AllocationRule, Target


def _wait(gate: str, n: int, spin: int, stubborn: int) -> None:
    Path(gate, f"started-{n}-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Path(gate, "go").exists():
        try:
            if spin:
                for _ in range(100_000):
                    pass
            else:
                time.sleep(0.02)
        except KeyboardInterrupt:
            if not stubborn:
                raise


class Blocker(AllocationRule):
    """Hold IWM; combinations with n > free wait for the test's go."""

    name = "blocker"
    params = {"n": 1, "free": 0, "gate": "", "spin": 0, "stubborn": 0}

    def assets(self):
        return ["IWM"]

    def target(self, view):
        if self.n > self.free and self.gate:
            _wait(self.gate, self.n, self.spin, self.stubborn)
        return Target({"IWM": 1.0}, "iwm")
