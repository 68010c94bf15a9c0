"""The run spec: everything that defines a backtest, validated once and then frozen.

Its hash (over the resolved fields) names the run folder, so the same spec always lands in the
same place and a changed spec never overwrites another run's results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, fields, replace
from typing import Any

from r2k.data.errors import UsageError

FILLS = ("next-open", "close")
EVERY = ("week", "month", "quarter", "year")
ENGINES = ("backtrader", "vector")
STATS = ("daily", "monthly")


def parse_date(text: str | None, what: str) -> str | None:
    """A start or end date in the one grammar (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``; see r2k.data.dates)
    as an ISO day, or None. ``what`` is "start" or "end": a coarse end stands for the period's last day."""
    from r2k.data.dates import parse_day

    return parse_day(text, what, end=(what == "end"))


@dataclass(frozen=True)
class RunSpec:
    """One backtest. Money in dollars, costs in basis points of traded value."""

    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    start: str | None = None
    end: str | None = None
    cash: float = 10_000.0
    contribute: float | None = None  # None: the strategy's default (dca: 500), else 0
    every: str | None = None  # None: the strategy's default, else month
    benchmark: str | None = "SPY"
    fill: str = "next-open"
    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    whole_shares: bool = False
    engine: str = "backtrader"
    rf: str = "0"  # risk-free rate for Sharpe/Sortino: an annual fraction ("0.02") or "DFF" (daily fed funds)
    stats: str = "daily"  # the returns metrics are computed from: daily | monthly (month-end balances)
    ref: str = ""  # importable reference of the strategy class (module:Class or /abs/file.py:Class); "" = by name
    #: the resolved class itself (a class defined in a notebook has no reference); never hashed or saved
    cls: type | None = field(default=None, compare=False, repr=False)

    def validated(self) -> RunSpec:
        """Return a normalised copy, or raise UsageError naming the bad field."""
        start = parse_date(self.start, "start")
        end = parse_date(self.end, "end")
        if start and end and start >= end:
            raise UsageError(f"start {start} is not before end {end}")
        if end and end > dt.date.today().isoformat():
            raise UsageError(f"end {end} is in the future")
        if self.fill not in FILLS:
            raise UsageError(f"--fill must be one of {', '.join(FILLS)}, not {self.fill!r}")
        if self.every is not None and self.every not in EVERY:
            raise UsageError(f"--every must be one of {', '.join(EVERY)}, not {self.every!r}")
        if self.stats not in STATS:
            raise UsageError(f"--stats must be one of {', '.join(STATS)}, not {self.stats!r}")
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        for name in ("cash", "contribute", "commission_bps", "slippage_bps"):
            v = getattr(self, name)
            if v is None and name == "contribute":
                continue
            if not isinstance(v, (int, float)) or v != v or v < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be a number >= 0, not {v!r}")
        if self.commission_bps + self.slippage_bps >= 10_000:
            raise UsageError("costs of 100% or more per trade make no sense")
        if self.cash <= 0 and self.contribute is not None and self.contribute <= 0:
            raise UsageError("nothing to invest: set --cash or --contribute above 0")
        bench = self.benchmark
        if bench is not None:
            from r2k.data.symbols import canonical_symbol

            bench = None if bench.strip().lower() in ("", "none") else canonical_symbol(bench)
        rf = str(self.rf).strip()
        if rf.upper() == "DFF":
            rf = "DFF"
        else:
            try:
                value = float(rf)
            except ValueError:
                raise UsageError(f"--rf must be a number (annual, e.g. 0.02) or DFF, not {self.rf!r}") from None
            if not -0.5 < value < 1.0:
                raise UsageError(f"--rf {value} is not a plausible annual rate (write 2% as 0.02)")
            rf = repr(value)
        contribute = None if self.contribute is None else float(self.contribute)
        return replace(self, start=start, end=end, benchmark=bench, cash=float(self.cash), contribute=contribute, rf=rf,
                       commission_bps=float(self.commission_bps), slippage_bps=float(self.slippage_bps))

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what manifest.json stores and the hash covers; the class object is not)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cls"}
        out["params"] = dict(self.params)
        return out

    def strategy_class(self) -> type:
        """The strategy class: the one carried, else loaded from the reference, else the built-in name."""
        if self.cls is not None:
            return self.cls
        from r2k.strategies import registry

        return registry.load(self.ref) if self.ref else registry.resolve(self.strategy)

    def key(self) -> str:
        """Short stable hash of the spec, used to name its run folder."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:10]
