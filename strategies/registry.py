"""Finding strategies by name. Built-ins are imported only when asked for, so listing is cheap."""

from __future__ import annotations

import importlib

from r2k.data.errors import UsageError

#: name -> "module:Class" of every built-in strategy.
BUILTINS: dict[str, str] = {
    "buy-and-hold": "r2k.strategies.buy_and_hold:BuyAndHold",
    "dca": "r2k.strategies.buy_and_hold:DollarCostAveraging",
    "rate-cut-rotation": "r2k.strategies.rotation:RateCutRotation",
    "relative-momentum": "r2k.strategies.momentum:RelativeMomentum",
    "trend-filter": "r2k.strategies.trend:TrendFilter",
}


def _import(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def names() -> list[str]:
    return sorted(BUILTINS)


def resolve(name: str):
    """The strategy class for ``name``; a clear usage error listing the choices otherwise."""
    key = name.strip().lower()
    if key in BUILTINS:
        return _import(BUILTINS[key])
    raise UsageError(f"unknown strategy {name!r}; available: {', '.join(names())}")
