"""Failures of the machine, not of r2k: one line that says what happened and what to do.

A read-only store, a full disk or a path the file system cannot hold used to surface as
``internal error: OSError: [Errno 28] ...``, which reads like a bug. Every layer that writes
(the store, run folders, sweeps) and the CLI's last-resort handler ask this one module for the
words, so one errno reads the same everywhere. It lives in ``data/`` so that the store can use it
too (the arrows allow data <- reports <- runner, never the other way).
"""

from __future__ import annotations

import errno

#: errno -> (what happened, what to do)
ADVICE: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full", "free some space and run it again{kept}"),
    errno.EDQUOT: ("the disk quota is used up", "free some space and run it again{kept}"),
    errno.EROFS: ("the file system is read-only", "{hint}"),
    errno.EACCES: ("permission denied", "{hint}"),
    errno.EPERM: ("operation not permitted", "{hint}"),
    errno.ENAMETOOLONG: ("the name is too long for the file system", "use a shorter path or name"),
    errno.EMFILE: ("too many open files", "raise the limit (`ulimit -n 4096`) or use fewer --workers"),
    errno.ENFILE: ("too many open files on this machine", "close other programs or use fewer --workers"),
    errno.ENOMEM: ("out of memory", "use fewer --workers or a shorter window"),
    errno.EIO: ("an input/output error (a failing disk or network share)", "check the disk and run it again"),
}

#: Said when the caller names no better way out of a permission problem.
DEFAULT_HINT = "choose a folder you can write (--out, or --home / R2K_HOME for the store)"

#: The last day pandas' nanosecond timestamps reach.
LAST_DATE = "2262-04-11"


def os_error_message(exc: OSError, what: str | None = None, hint: str = DEFAULT_HINT, *,
                     atomic: bool = False) -> str | None:
    """One line for an environment OSError, or None when its errno is not one of these.

    ``what`` says what was being done (``cannot write the store at ~/.cache/r2k``); without it the
    file the error names is used. ``atomic``: the writer removed its temp file, so the line can
    say that nothing half-written was kept.
    """
    advice = ADVICE.get(exc.errno or -1)
    if advice is None:
        return None
    reason, todo = advice
    name = errno.errorcode.get(exc.errno, str(exc.errno))
    path = exc.filename if exc.filename is not None else None
    if what is None:
        what = f"cannot use {path}" if path is not None else "a file operation failed"
    elif path is not None and str(path) not in what and len(str(path)) <= 200:
        what = f"{what} ({path})"
    kept = " (nothing half-written was kept)" if atomic else ""
    return f"{what}: {reason} ({name}); {todo.format(hint=hint, kept=kept)}"


def describe(exc: BaseException) -> str | None:
    """The CLI's last resort before ``internal error``: a message for a known environment failure."""
    if isinstance(exc, OSError):
        msg = os_error_message(exc)
        if msg is not None and exc.filename is not None and len(str(exc.filename)) > 200:
            msg = msg.replace(f"cannot use {exc.filename}", f"cannot use {str(exc.filename)[:60]}...")
        return msg
    if type(exc).__name__ in ("OutOfBoundsDatetime", "OutOfBoundsTimedelta"):
        return (f"a date outside 1677-09-22..{LAST_DATE} cannot be used ({exc}); r2k's dates stop at {LAST_DATE}: "
                "fix or remove that date")
    return None
