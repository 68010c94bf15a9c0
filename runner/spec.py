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


#: Settings added after run folders were first named (dropped from the hash while at their default).
_LATER_DEFAULTS = {"withdraw": 0.0, "withdraw_pct": 0.0, "withdraw_from": None, "inflation_adjust": False,
                   "real": False}


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
    withdraw: float = 0.0  # fixed dollars withdrawn at each period start (--every), from withdraw_from on
    withdraw_pct: float = 0.0  # or: percent of the account value withdrawn at each period start
    withdraw_from: str | None = None  # first day withdrawals may fall on (contributions stop there)
    inflation_adjust: bool = False  # grow contributions and fixed withdrawals with CPI (as published)
    real: bool = False  # also report in dollars of the run's end month (CPIAUCSL)
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
        for name in ("cash", "contribute", "commission_bps", "slippage_bps", "withdraw", "withdraw_pct"):
            v = getattr(self, name)
            if v is None and name == "contribute":
                continue
            if not isinstance(v, (int, float)) or v != v or v < 0:
                raise UsageError(f"--{name.replace('_', '-')} must be a number >= 0, not {v!r}")
        if self.commission_bps + self.slippage_bps >= 10_000:
            raise UsageError("costs of 100% or more per trade make no sense")
        withdraw_from = self._check_withdrawals(end)
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
                       commission_bps=float(self.commission_bps), slippage_bps=float(self.slippage_bps),
                       withdraw=float(self.withdraw), withdraw_pct=float(self.withdraw_pct), withdraw_from=withdraw_from,
                       inflation_adjust=bool(self.inflation_adjust), real=bool(self.real))

    def _check_withdrawals(self, end: str | None) -> str | None:
        """Validate the withdrawal settings; return ``withdraw_from`` normalised."""
        wd, pct = self.withdraw, self.withdraw_pct
        withdraw_from = parse_date(self.withdraw_from, "--withdraw-from")
        if wd > 0 and pct > 0:
            raise UsageError("give --withdraw (dollars) or --withdraw-pct (percent of the balance), not both")
        if pct > 100:
            raise UsageError(f"--withdraw-pct {pct:g} is more than 100 % of the balance")
        wants = wd > 0 or pct > 0
        if withdraw_from and not wants:
            raise UsageError("--withdraw-from without --withdraw or --withdraw-pct: nothing to withdraw")
        if withdraw_from and end and withdraw_from > end:
            raise UsageError(f"--withdraw-from {withdraw_from} is after --end {end}: nothing would be withdrawn")
        contributes = self.contribute is not None and self.contribute > 0
        if wants and contributes and not withdraw_from:
            raise UsageError("--contribute with a withdrawal needs --withdraw-from (the day contributions stop and "
                             "withdrawals start)")
        if wants and self.cash <= 0 and not (contributes and withdraw_from):
            raise UsageError("a withdrawal with nothing to withdraw from: set --cash above 0 (or --contribute with "
                             "--withdraw-from)")
        if self.inflation_adjust and self.contribute is not None and not (contributes or wd > 0):
            raise UsageError("--inflation-adjust needs --contribute or --withdraw (a --withdraw-pct already follows "
                             "the balance)")
        return withdraw_from

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what manifest.json stores and the hash covers; the class object is not).

        The withdrawal and inflation settings appear only when set, so a spec without them keeps
        the hash (and run folder) it had before they existed.
        """
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cls"}
        for name, default in _LATER_DEFAULTS.items():
            if out.get(name) == default:
                out.pop(name)
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
