"""What a result holds, in a few words: its label and its folder name.

A label is the strategy's name, its main symbol, and whatever differs from the strategy's own
defaults (``buy-and-hold IWM``, ``dca VTWO $500/month``, ``trend-filter IWM window=150``). It heads
the summary column, the tear sheet's title and legend, compare rows and chart legends, so a table
never shows three rows called ``buy-and-hold`` that hold different things (or one thing).
"""

from __future__ import annotations

import re
from typing import Any

from r2k.runner.spec import RunSpec


def main_symbol(spec: RunSpec, cls: type | None = None) -> str:
    """The symbol a run is mostly about: its ``symbol`` parameter, else the first asset it may hold."""
    from r2k.strategies import discovery

    cls = cls or spec.strategy_class()
    values = {**discovery.param_defaults(cls), **spec.params}
    if "symbol" in values:
        return str(values["symbol"])
    if discovery.kind(cls) == "rule":
        assets = [a for a in cls(**spec.params).assets() if a != "CASH"]
        return assets[0] if assets else "CASH"
    syms = discovery.symbols(cls)
    return syms[0] if syms else ""


def _value(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v))
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def label_of(spec: RunSpec, cls: type | None = None) -> str:
    """``strategy SYMBOL [$N/every] [withdraw ...] [key=value ...]``: what the run holds and how it was set."""
    from r2k.strategies import discovery

    cls = cls or spec.strategy_class()
    defaults = discovery.param_defaults(cls)
    values = {**defaults, **spec.params}
    if "weights" in values:  # a portfolio: its weights say what it holds
        symbol, skip = str(values["weights"]), "weights"
    else:
        symbol, skip = main_symbol(spec, cls), "symbol"
    words = [spec.strategy, symbol] if symbol else [spec.strategy]
    if spec.cash != 10_000:
        words.append(f"cash=${spec.cash:,.0f}")
    if spec.contribute:
        words.append(f"${spec.contribute:,.0f}/{spec.every}")
    words += _withdrawal_words(spec)
    for key, value in spec.params.items():
        if key in ("symbol", skip) or _value(value) == _value(defaults.get(key)):
            continue
        words.append(f"{key}={_value(value)}")
    return " ".join(words)


def _withdrawal_words(spec: RunSpec) -> list[str]:
    """``withdraw $400/year``, ``withdraw 4%/year``, then ``from DATE`` and ``CPI-indexed``: a
    withdrawal plan changes what an account ends with as much as a deposit does, so two runs that
    differ only in it must not share a label (compare would tell them apart by ``every=`` alone)."""
    if spec.withdraw:
        words = [f"withdraw ${spec.withdraw:,.0f}/{spec.every}"]
    elif spec.withdraw_pct:
        words = [f"withdraw {_value(float(spec.withdraw_pct))}%/{spec.every}"]
    else:
        return ["CPI-indexed"] if spec.inflation_adjust and spec.contribute else []
    if spec.withdraw_from:
        words.append(f"from {spec.withdraw_from}")
    if spec.inflation_adjust and (spec.withdraw or spec.contribute):
        words.append("CPI-indexed")
    return words


def folder_name(spec: RunSpec, cls: type | None = None) -> str:
    """``<strategy>-<main symbol>-<hash>``: the folder of a run (the hash names the whole spec)."""
    symbol = re.sub(r"[^A-Za-z0-9]+", "", main_symbol(spec, cls)) or "x"
    return f"{spec.strategy}-{symbol}-{spec.key()}"
