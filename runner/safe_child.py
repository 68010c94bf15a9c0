"""Child interpreters that never import from the current folder.

``python -c CODE`` puts the current folder first on ``sys.path``. multiprocessing starts its fork
server (and its resource tracker) exactly that way, and the fork server then imports pandas,
and r2k for the tear-sheet workers: a ``pandas.py`` or ``r2k.py`` lying in
the folder the user ran ``r2k compare`` from would run instead (issue 19, point 4). Nothing may run
from the current folder or the store except strategy files the user named.

Python's own switch for this is ``-P`` (Python 3.11+), whose environment form ``PYTHONSAFEPATH`` is
the only one that reaches an interpreter multiprocessing launches. It is set only while such a child
is being started and then restored, so it is not state of ours and no later child of ours depends
on it; children forked from that server inherit the clean ``sys.path`` they were forked with.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()  # re-entrant: a guarded start may call another


@contextmanager
def no_cwd_on_child_path() -> Iterator[None]:
    """While inside, any Python interpreter started from this process leaves the cwd off ``sys.path``."""
    with _LOCK:
        before = os.environ.get("PYTHONSAFEPATH")
        os.environ["PYTHONSAFEPATH"] = "1"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("PYTHONSAFEPATH", None)
            else:
                os.environ["PYTHONSAFEPATH"] = before
