"""Finding strategies by name: built-ins, strategy folders, ``module:Class`` and entry points.

Built-ins are imported only when asked for, so listing names is cheap. User strategies come from
(in this order) the folders given to :func:`set_search_paths` (the CLI's ``--strategy-path``), the
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
    "rate-cut-rotation": "r2k.strategies.rotation:RateCutRotation",
    "relative-momentum": "r2k.strategies.momentum:RelativeMomentum",
    "trend-filter": "r2k.strategies.trend:TrendFilter",
}

_search_paths: list[Path] = []
#: strategies resolved from a ``module:Class`` / ``file.py:Class`` reference in this process, by name
_pinned: dict[str, Found] = {}


def _import(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def names() -> list[str]:
    """The built-in strategies' names."""
    return sorted(BUILTINS)


def set_search_paths(paths) -> None:
    """Folders whose ``.py`` files are searched for strategies (before ``$R2K_STRATEGY_PATH``).

    This starts a new lookup context: references pinned by earlier resolves are forgotten, so a
    process that runs several commands (tests, notebooks) never sees a stale strategy clash.
    """
    _search_paths[:] = [Path(p).expanduser() for p in paths]
    _pinned.clear()


def add_search_path(path) -> None:
    p = Path(path).expanduser()
    if p not in _search_paths:
        _search_paths.append(p)


def search_paths() -> list[Path]:
    """Explicit folders first, then those of ``$R2K_STRATEGY_PATH``; duplicates dropped."""
    env = [Path(p).expanduser() for p in os.environ.get(discovery.ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    seen: set[Path] = set()
    for p in _search_paths + env:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


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
        key = name.strip().lower()
        found = self.entries.get(key)
        if not found:
            msg = f"unknown strategy {name!r}; available: {', '.join(sorted(self.entries))}"
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


def catalog() -> Catalog:
    """Built-ins, folder strategies, pinned references and entry points, with broken sources."""
    cat = Catalog()
    for name, ref in BUILTINS.items():
        cat.add(Entry(name, "built-in", ref=ref))
    found: list[Found] = []
    for folder in search_paths():
        f, b = discovery.scan_dir(folder)
        found += f
        cat.broken += b
    found += list(_pinned.values())
    f, b = discovery.entry_point_strategies()
    found += f
    cat.broken += b
    for item in found:
        cat.add(Entry(item.name, item.source, cls=item.cls))
    return cat


def resolve(name: str, base: Path | None = None):
    """The strategy class for a name, ``module:Class`` or ``file.py:Class``; a clear usage error otherwise.

    A reference is remembered under the strategy's own name for the rest of the process, so the
    engine can resolve a RunSpec that names it.
    """
    text = name.strip()
    if discovery.is_reference(text):
        item = discovery.load_reference(text, base)
        _pinned.pop(item.name, None)  # a newer reference to the same name replaces the old one
        mine = Entry(item.name, item.source, cls=item.cls)
        others = [e for e in catalog().entries.get(item.name, []) if e.identity() != mine.identity()]
        if others:
            raise UsageError(duplicate_message(item.name, [others[0], mine]))
        _pinned[item.name] = item
        return item.cls
    key = text.lower()
    if key in BUILTINS and not search_paths() and not _pinned and not _has_entry_points():
        return _import(BUILTINS[key])  # fast path: nothing could clash with a built-in
    return catalog().get(key).load()


def _has_entry_points() -> bool:
    return bool(discovery._declared_entry_points())
