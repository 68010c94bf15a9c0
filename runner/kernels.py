"""The executor's day-by-day kernels: plain Python to read and for one run, numba for batches.

The executor's loops (runner.vector_executor, runner.sizing, runner.drift, runner.plan) are plain
Python functions marked with :func:`kernel`. A single run executes its plan once: 25 years of
days cost ~20 ms in plain Python, while loading numba and its cached machine code costs ~0.7 s
(numba's import pulls in scipy.linalg). A sweep executes the same loop thousands of times, where
compiled code is ~100x faster per call. So callers ask :func:`pick` for a kernel, plainly or
compiled; both are the same source, and tests/test_kernels.py holds them to identical accounts.

Compiling a kernel compiles every kernel it calls (numba resolves a function's globals when it
compiles it, so the compiled copy gets a globals mapping whose kernels are compiled too) and
caches the machine code on disk. numba keys that cache by the function's own file only, so a
changed callee in another file would leave a stale compiled caller: :func:`_flush_if_stale`
drops the cache when any source the kernel is built from changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import types
from collections.abc import Callable
from pathlib import Path

_MARK = "__r2k_kernel__"


def kernel(fn: Callable) -> Callable:
    """Mark ``fn`` as a kernel: plain Python that numba can compile (scalars, numpy arrays, loops)."""
    setattr(fn, _MARK, True)
    return fn


def pick(fn: Callable, compiled: bool) -> Callable:
    """``fn`` itself, or its numba-compiled copy (callees compiled too) when ``compiled``."""
    return _compiled(fn) if compiled else fn


def _callees(fn: Callable) -> list[Callable]:
    """The kernels ``fn`` calls by global name."""
    out = []
    for name in fn.__code__.co_names:
        g = fn.__globals__.get(name)
        if callable(g) and getattr(g, _MARK, False) and g is not fn:
            out.append(g)
    return out


def sources(fn: Callable) -> list[Path]:
    """Every source file ``fn``'s compiled code is built from (its own and its callees', sorted)."""
    seen: set[Path] = set()

    def walk(f: Callable) -> None:
        seen.add(Path(f.__code__.co_filename).resolve())
        for g in _callees(f):
            walk(g)

    walk(fn)
    return sorted(seen)


@functools.cache
def _compiled(fn: Callable) -> Callable:
    from numba import njit

    scope = dict(fn.__globals__)
    for g in _callees(fn):
        scope[g.__name__] = _compiled(g)
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__qualname__, clone.__module__, clone.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    jitted = njit(cache=True)(clone)
    _flush_if_stale(jitted, fn)
    return jitted


def _flush_if_stale(jitted, fn: Callable) -> bool:
    """Drop ``jitted``'s cached machine code when a source it is built from changed; True if it did."""
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources(fn))).hexdigest()
    marker = Path(jitted._cache.cache_path) / f"{fn.__module__}.{fn.__qualname__}.deps"
    try:
        if marker.read_text(encoding="ascii") == digest:
            return False
    except OSError:
        pass
    jitted._cache.flush()
    with contextlib.suppress(OSError):  # a read-only install: nothing was cached there either
        marker.write_text(digest, encoding="ascii")
    return True
