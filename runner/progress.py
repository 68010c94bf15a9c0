"""Progress on a terminal, silence on a pipe: the one way every long command shows it is working.

Two shapes: :class:`Progress` counts steps of a known total (sweep combinations, walk-forward
windows, a comparison's backtests and tear sheets) with rate and ETA; :class:`Ticker` shows the
elapsed time of one long step whose length is unknown (a run's tear sheet). Both write to stderr
(stdout stays clean for tables and paths) and only when that stream is a terminal, so a pipe, a
log file or a notebook gets nothing; the line is rewritten in place with ``\\r``.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

#: what a line written while a progress line is showing starts with on a terminal: back to column 0, erase
CLEAR_LINE = "\r\x1b[K"


def on_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal (progress is shown only there)."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """``label done/total  rate/s  ETA`` on a terminal; silent when the stream is not a terminal."""

    def __init__(self, total: int, done: int = 0, stream: TextIO | None = None, label: str = ""):
        self.total, self.done, self.start_done = total, done, done
        self.stream = stream or sys.stderr
        self.label = f"{label} " if label else ""
        self.active = total > 0 and on_terminal(self.stream)
        self.t0 = time.monotonic()
        if self.active and label:
            self._write(f"\r{self.label}{self.done}/{self.total}")

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.active:
            return
        elapsed = time.monotonic() - self.t0
        rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta_txt = f"{eta:5.0f}s" if eta != float("inf") else "    ?"
        self._write(f"\r{self.label}{self.done}/{self.total}  {rate:6.2f}/s  ETA {eta_txt}")

    def close(self) -> None:
        if self.active:
            self._write("\n")
            self.active = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Ticker:
    """``label ... 3s`` rewritten every ``every`` seconds from a background thread while a step runs.

    Use as a context manager around the step; on a terminal it ends with ``label: done in 4.2s``
    (or nothing more if the step raised), elsewhere it writes nothing and starts no thread.
    """

    def __init__(self, label: str, stream: TextIO | None = None, every: float = 0.5):
        self.label, self.every = label, every
        self.stream = stream or sys.stderr
        self.active = on_terminal(self.stream)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0 = time.monotonic()

    def __enter__(self) -> Ticker:
        self.t0 = time.monotonic()
        if self.active:
            self._write(f"\r{self.label} ...")
            self._thread = threading.Thread(target=self._run, name="r2k-ticker", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._write(f"\r{self.label} ... {time.monotonic() - self.t0:.0f}s")

    def __exit__(self, exc_type, *rest) -> None:
        if not self.active:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        done = f": done in {time.monotonic() - self.t0:.1f}s" if exc_type is None else ": stopped"
        self._write(f"\r{self.label}{done}\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is never worth an error
            pass
