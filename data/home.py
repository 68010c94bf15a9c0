"""Where r2k keeps its files. Imports nothing heavy: the CLI's fast paths use it."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def default_root() -> Path:
    """``$R2K_HOME`` if set, else the platform's user cache dir (``~/.cache/r2k`` on Linux)."""
    env = os.environ.get("R2K_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("linux"):  # what platformdirs says on Linux, without importing it (CLI start-up)
        return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "r2k"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("r2k", appauthor=False))
