"""Where r2k keeps its files. Imports nothing heavy: the CLI's fast paths use it."""

from __future__ import annotations

import os
from pathlib import Path


def default_root() -> Path:
    """``$R2K_HOME`` if set, else the platform's user cache dir (``~/.cache/r2k`` on Linux)."""
    env = os.environ.get("R2K_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("r2k", appauthor=False))
