"""File modes that follow the user's umask, like any other tool's files.

``tempfile.mkstemp`` creates 0600 files and ``mkdtemp`` 0700 folders whatever the umask says, so
a store or a run folder written through them could not be shared with a group (umask 002) or
read by others (022), while everything else the user writes could. Atomic writes keep their
temp-and-rename, then give the result the mode an ordinary ``open``/``mkdir`` would have had:
a stricter umask (077) still gives 0600 files and 0700 folders.
"""

from __future__ import annotations

import os
import threading

_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _LOCK:  # os.umask can only be read by setting it: set it straight back
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from ``open()``: 0666 less the umask."""
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    """The mode a new folder gets from ``mkdir()``: 0777 less the umask."""
    return 0o777 & ~current_umask()
