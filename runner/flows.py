"""The cash-flow schedule of a run: deposits, withdrawals and what the account actually paid.

A run's money plan is laid out once, on the trading calendar, before anything trades:

- the initial cash on day 0, then ``--contribute`` dollars at each period start (``--every``);
- withdrawals at each period start on or after ``--withdraw-from`` (default: from the start),
  either fixed dollars (``--withdraw``) or a fraction of the account value that day
  (``--withdraw-pct``); contributions stop when withdrawals start, so one run can accumulate and
  then spend;
- ``--inflation-adjust`` multiplies contributions and fixed withdrawals by
  ``CPI_known(t) / CPI_known(day 0)``, where ``CPI_known(t)`` is the latest CPIAUCSL value
  *published* by day t (r2k.data.align's publication lag: month M is known on the 15th of M+1).

Fixed amounts are known in advance; a percentage and "the account cannot pay" depend on the
account, so the executors compute what is actually paid (``Execution.flows``) and the depletion
day. A withdrawal is paid at the close of its day: the money leaves at that close and the shares
that fund it are sold at that close, from what is over its target first (runner.sizing.raise_into:
pro rata when the holdings are at their targets, as a single asset always is), whatever ``--fill``
says: it is a cash need, not a trading decision. When the withdrawal is at least what the account could raise by selling
everything (after costs), the account pays what is left, is *depleted* that day and stays at 0.

:func:`withdrawal_rates` gives the safe and perpetual withdrawal rates of the realised return
path, in closed form (see there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from r2k.data.errors import DataError, UsageError
from r2k.runner.schedule import period_starts

#: Withdrawal periods per year, to state a per-period rate as an annual one.
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}


@dataclass(frozen=True)
class Schedule:
    """Requested flows on the calendar (what the executors are asked to do)."""

    deposits: np.ndarray  # (days,) dollars arriving at each close; deposits[0] = initial cash
    withdraw: np.ndarray  # (days,) fixed dollars requested at each close (inflation-adjusted if asked)
    withdraw_rate: np.ndarray  # (days,) fraction of the account value requested at each close
    phase_start: int  # the day whose balance the spending phase starts from (0, or the last day before withdraw-from)
    cpi_factor: np.ndarray | None  # (days,) CPI known that day / CPI known on day 0 (None: no CPI)

    @property
    def withdraws(self) -> bool:
        return bool((self.withdraw > 0).any() or (self.withdraw_rate > 0).any())

    def withdrawal_days(self) -> np.ndarray:
        return np.flatnonzero((self.withdraw > 0) | (self.withdraw_rate > 0))


def cpi_known(cpi: pd.Series, calendar: pd.DatetimeIndex) -> np.ndarray:
    """The latest CPI value published by each calendar day (NaN before the first publication)."""
    from r2k.data.align import known_asof

    return known_asof(cpi.dropna(), calendar, "CPIAUCSL").to_numpy(dtype=float)


def cpi_factor(cpi: pd.Series, calendar: pd.DatetimeIndex) -> np.ndarray:
    """``CPI_known(t) / CPI_known(day 0)`` on every calendar day."""
    known = cpi_known(cpi, calendar)
    if not np.isfinite(known[0]):
        raise DataError(f"no CPI (CPIAUCSL) was published by {calendar[0]:%Y-%m-%d}: cannot inflation-adjust")
    return known / known[0]


def build_schedule(calendar: pd.DatetimeIndex, spec, cpi: pd.Series | None = None) -> Schedule:
    """Lay out the spec's money plan on ``calendar`` (``spec`` resolved: contribute and every set)."""
    n = len(calendar)
    deposits = np.zeros(n)
    deposits[0] = spec.cash
    withdraw = np.zeros(n)
    rate = np.zeros(n)
    starts = period_starts(calendar, spec.every)
    starts = starts[starts > calendar[0]]
    wants = spec.withdraw > 0 or spec.withdraw_pct > 0
    split = pd.Timestamp(spec.withdraw_from) if (wants and spec.withdraw_from) else None
    factor = cpi_factor(cpi, calendar) if cpi is not None else None
    if spec.inflation_adjust and factor is None:
        raise DataError("--inflation-adjust needs CPI (CPIAUCSL) in the store")
    grow = factor if (spec.inflation_adjust and factor is not None) else np.ones(n)
    if spec.contribute > 0:
        days = calendar.get_indexer(starts[starts < split] if split is not None else starts)
        deposits[days] += spec.contribute * grow[days]
        if spec.cash <= 0:
            deposits[0] = spec.contribute
    if deposits[0] <= 0:
        raise UsageError("nothing to invest on the first day: set --cash above 0")
    phase_start = 0
    if wants:
        out = starts[starts >= split] if split is not None else starts
        if len(out) == 0:
            raise UsageError(f"no withdrawal day in the window {calendar[0]:%Y-%m-%d}..{calendar[-1]:%Y-%m-%d}"
                             + (f" on or after --withdraw-from {split:%Y-%m-%d}" if split is not None else ""))
        days = calendar.get_indexer(out)
        if spec.withdraw > 0:
            withdraw[days] = spec.withdraw * grow[days]
        else:
            rate[days] = spec.withdraw_pct / 100.0
        if split is not None:  # the spending phase starts from the last close before --withdraw-from
            phase_start = max(int(calendar.searchsorted(split)) - 1, 0)
    return Schedule(deposits, withdraw, rate, phase_start, factor)


@dataclass(frozen=True)
class Outcome:
    """What the plan became: withdrawn dollars, the depletion day, the withdrawal rates."""

    withdrawn: float
    depleted_on: pd.Timestamp | None
    safe_rate: float | None  # annual fraction of the phase's starting balance (fixed-dollar plans)
    perpetual_rate: float | None


def withdrawal_rates(returns: np.ndarray, schedule: Schedule, balance0: float, every: str) -> tuple[float, float]:
    """Safe and perpetual withdrawal rates of the realised path (annual fractions of ``balance0``).

    As Portfolio Visualizer and Portfolio Charts define them: the highest constant,
    inflation-adjusted withdrawal (a fixed share ``x`` of the starting balance per period, grown
    with CPI) that never depletes the account over the window (*safe*), and the highest that ends
    the window with at least the inflation-adjusted starting balance (*perpetual*). Here the
    withdrawals fall on the plan's own withdrawal days and the growth is the run's realised daily
    time-weighted return ``r`` (so the cost of the extra sales a different withdrawal would need is
    not modelled, nor, for a several-asset portfolio, how a different withdrawal would have moved
    its drifted weights back toward the targets), starting from the balance ``B0`` of the spending phase's first day ``s``.

    Closed form instead of a search: with ``G_k`` the growth from ``s`` to withdrawal ``k`` and
    ``I_k`` its CPI factor, the balance after withdrawal ``k`` is ``B0 G_k (1 - x S_k)`` with
    ``S_k = sum_{j<=k} I_j / G_j``. ``S_k`` only grows, so the account survives iff ``x <= 1/S_K``
    (the last withdrawal binds), and it ends at least at ``B0 I_end`` iff
    ``x <= (1 - I_end / G_end) / S_K``. Rates are per period times the periods per year; the
    perpetual rate is negative when even no withdrawal keeps up with inflation.
    """
    days = schedule.withdrawal_days()
    s = schedule.phase_start
    factor = schedule.cpi_factor
    if factor is None or len(days) == 0 or balance0 <= 0:
        return float("nan"), float("nan")
    growth = np.ones(len(returns) + 1)
    growth[1:] = np.cumprod(1.0 + returns)  # growth[t] = wealth at day t (day 0 = 1)
    g = growth / growth[s]
    infl = factor / factor[s]
    total = float(np.sum(infl[days] / g[days]))
    per_year = PERIODS_PER_YEAR[every]
    safe = per_year / total
    perpetual = per_year * (1.0 - infl[-1] / g[-1]) / total
    return float(safe), float(perpetual)
