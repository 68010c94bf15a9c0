"""Turning an exception raised inside a strategy into one line that names the file and line."""

from __future__ import annotations

import contextlib
import inspect
import traceback
from pathlib import Path

from r2k.data.errors import R2KError


class StrategyError(R2KError):
    """A strategy's own code raised; the message names its file and line (exit 1)."""


def _strategy_file(cls) -> str | None:
    try:
        return str(Path(inspect.getfile(cls)).resolve())
    except (TypeError, OSError):
        return None


@contextlib.contextmanager
def user_code_errors(cls):
    """Re-raise anything but our own errors as StrategyError pointing at the strategy's frame.

    ``sys.exit()`` in a strategy is such an error too: left alone, SystemExit would end ``r2k run``
    with the strategy's exit code (0 for a bare ``sys.exit()``) and nothing written, and a sweep
    worker would send it back to end the whole sweep. Built-in strategies are our code: their bugs
    are not dressed up as user errors.
    """
    try:
        yield
    except R2KError:
        raise
    except (Exception, SystemExit) as exc:
        path = _strategy_file(cls)
        if path is None or cls.__module__.startswith("r2k."):
            raise
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if str(Path(f.filename).resolve()) == path]
        where = f"{path}:{frames[-1].lineno}" if frames else path
        what = (f"the strategy called sys.exit({exc.code!r}); raise an exception to stop a run"
                if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}")
        raise StrategyError(f"{where}: {what} (in strategy {getattr(cls, 'name', cls.__name__)})") from exc
