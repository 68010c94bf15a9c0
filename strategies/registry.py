"""Finding strategies by name: built-ins, strategy folders, ``module:Class`` and entry points.

Built-ins are imported only when asked for, so listing names is cheap. User strategies come from
(in this order) the folders a :class:`Registry` is made with (the CLI's ``--strategy-path``), the
folders in ``$R2K_STRATEGY_PATH`` (``os.pathsep``-separated), and installed packages declaring
the ``r2k.strategies`` entry-point group; see :mod:`r2k.strategies.discovery`. A name that two
different classes claim is an error naming both sources, never a silent pick.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from r2k.data.errors import UsageError
from r2k.strategies import discovery
from r2k.strategies.discovery import Broken, Found

#: name -> "module:Class" of every built-in strategy.
BUILTINS: dict[str, str] = {
    "buy-and-hold": "r2k.strategies.buy_and_hold:BuyAndHold",
    "dca": "r2k.strategies.buy_and_hold:DollarCostAveraging",
    "portfolio": "r2k.strategies.portfolio:Portfolio",
    "rate-cut-rotation": "r2k.strategies.rotation:RateCutRotation",
    "relative-momentum": "r2k.strategies.momentum:RelativeMomentum",
    "trend-filter": "r2k.strategies.trend:TrendFilter",
}

def canonical_name(name: str) -> str:
    """A strategy name as looked up: trimmed, lower case, ``_`` read as ``-`` (``Buy_And_Hold`` -> ``buy-and-hold``).

    Names are dashed (``buy-and-hold``) but Python identifiers and file names use ``_``; both spellings
    name the same strategy, so a user never has to remember which.
    """
    return name.strip().lower().replace("_", "-")


def unknown_message(name: str, known: list[str]) -> str:
    """``unknown strategy 'x'; did you mean 'y'? available: ...``: the closest known names first (difflib)."""
    import difflib

    key = canonical_name(name)
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    if not close:  # a prefix or a part (``trend`` -> ``trend-filter``) is close too
        close = [k for k in known if key and (k.startswith(key) or key in k)][:3]
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ";"
    return f"unknown strategy {name!r}{hint} available: {', '.join(sorted(known))}"


def _import(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def names() -> list[str]:
    """The built-in strategies' names."""
    return sorted(BUILTINS)


def env_paths() -> list[Path]:
    """The folders of ``$R2K_STRATEGY_PATH`` (``os.pathsep``-separated), read when asked."""
    return [Path(p).expanduser() for p in os.environ.get(discovery.ENV_VAR, "").split(os.pathsep) if p.strip()]


@dataclass
class Entry:
    """One strategy name: built-ins stay unimported (``ref``) until their class is needed."""

    name: str
    source: str
    cls: type | None = None
    ref: str | None = None

    def load(self) -> type:
        if self.cls is None:
            self.cls = _import(self.ref)
        return self.cls

    def identity(self) -> tuple:
        if self.cls is None:
            return ("ref", self.ref)
        path = discovery.source_file(self.cls)
        return (str(path), self.cls.__qualname__) if path else ("id", id(self.cls))


@dataclass
class Catalog:
    """Every strategy found, by name (more than one entry under a name is a conflict), and the broken sources."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)
    broken: list[Broken] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        same = self.entries.setdefault(entry.name, [])
        if all(e.identity() != entry.identity() for e in same):
            same.append(entry)

    def get(self, name: str) -> Entry:
        """The one entry for ``name``; UsageError if unknown or claimed twice."""
        key = canonical_name(name)
        found = self.entries.get(key) or [e for n, es in self.entries.items() if canonical_name(n) == key for e in es]
        if not found:
            msg = unknown_message(name, sorted(self.entries))
            if self.broken:
                msg += f" (could not load: {'; '.join(str(b) for b in self.broken)})"
            raise UsageError(msg)
        if len(found) > 1:
            raise UsageError(duplicate_message(key, found))
        return found[0]

    def conflicts(self) -> list[str]:
        return [duplicate_message(n, e) for n, e in sorted(self.entries.items()) if len(e) > 1]


def duplicate_message(name: str, entries: list[Entry]) -> str:
    return f"two strategies are named {name!r}: {' and '.join(e.source for e in entries)}; rename one"


@dataclass(frozen=True)
class Registry:
    """Where strategies are looked up: the built-ins, ``paths`` (the CLI's ``--strategy-path``,
    then ``$R2K_STRATEGY_PATH``'s folders) and installed entry points.

    A value, not module state: each command builds one from its flags and passes it on, so two
    lookups in one process (tests, notebooks) never see each other's folders.
    """

    paths: tuple[Path, ...] = ()

    @classmethod
    def with_paths(cls, paths=(), *, env: bool = True) -> Registry:
        """Explicit folders first, then ``$R2K_STRATEGY_PATH``'s (when ``env``); duplicates dropped."""
        out: list[Path] = []
        seen: set[Path] = set()
        for p in [Path(p).expanduser() for p in paths] + (env_paths() if env else []):
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                out.append(p)
        return cls(tuple(out))

    def catalog(self) -> Catalog:
        """Built-ins, folder strategies and entry points, with broken sources."""
        cat = Catalog()
        for name, ref in BUILTINS.items():
            cat.add(Entry(name, "built-in", ref=ref))
        found: list[Found] = []
        for folder in self.paths:
            f, b = discovery.scan_dir(folder)
            found += f
            cat.broken += b
        f, b = discovery.entry_point_strategies()
        found += f
        cat.broken += b
        for item in found:
            cat.add(Entry(item.name, item.source, cls=item.cls))
        return cat

    def resolve(self, name: str, base: Path | None = None) -> type:
        """The strategy class for a name, ``module:Class`` or ``file.py:Class``; a usage error otherwise.

        A reference whose strategy name another source also claims is an error naming both.
        """
        text = name.strip()
        if discovery.is_reference(text):
            item = discovery.load_reference(text, base)
            if item.name in BUILTINS or self.paths or _has_entry_points():
                others = [e for e in self.catalog().entries.get(item.name, []) if e.load() is not item.cls]
                if others:
                    raise UsageError(duplicate_message(item.name, [others[0], Entry(item.name, item.source)]))
            return item.cls
        key = canonical_name(text)
        if key in BUILTINS and not self.paths and not _has_entry_points():
            return _import(BUILTINS[key])  # fast path: nothing could clash with a built-in
        return self.catalog().get(text).load()


def resolve(name: str, paths=()) -> type:
    """Shorthand for ``Registry.with_paths(paths).resolve(name)``."""
    return Registry.with_paths(paths).resolve(name)


def load(ref: str) -> type:
    """The class of an importable reference (``module:Class`` or ``/abs/file.py:Class``) or a built-in name.

    What a RunSpec carries to the engine and to pool and Dask workers: no lookup context needed.
    """
    if ref in BUILTINS:
        return _import(BUILTINS[ref])
    return discovery.load_reference(ref).cls


def _has_entry_points() -> bool:
    return bool(discovery._declared_entry_points())
