"""An append-only file whose records reach the OS at once and the disk at most every half second.

The sweep's results journal and its returns journal both need it: a killed process loses no
record the OS already has, while an fsync per record (10,000 combinations) cost more than the
computing did.
"""

from __future__ import annotations

import os
import time
from typing import IO

#: Longest time a record waits for its fsync (it is flushed to the OS at once).
SYNC_SECONDS = 0.5


class SyncedAppends:
    """Wraps an open file: ``written()`` after each record flushes it and fsyncs when
    :data:`SYNC_SECONDS` have passed since the last fsync; ``close()`` fsyncs and closes."""

    def __init__(self, fh: IO):
        self.fh = fh
        self._synced = 0.0

    def written(self) -> None:
        self.fh.flush()
        now = time.monotonic()
        if now - self._synced >= SYNC_SECONDS:
            os.fsync(self.fh.fileno())
            self._synced = now

    def close(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
