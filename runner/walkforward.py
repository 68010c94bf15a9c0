"""Walk-forward testing: choose parameters on a training window, judge them on the next one.

Windows roll (fixed-length training) or expand (training from the first day) by the test length.
In each window every grid combination runs on the training period only; the best by the metric
then runs on the test period. The test periods' daily returns, stitched, are one out-of-sample
series; the single best combination over the whole span (chosen with hindsight) is reported
beside it for contrast.

Each test run starts at the last training day's close (it decides there, from data known then)
so its first return is the first test day's: no day is lost between windows and no test-day
data reaches the training choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from r2k.data.errors import UsageError
from r2k.runner.spec import RunSpec

_DUR = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.I)


def parse_duration(text: str, what: str) -> pd.DateOffset:
    """``5y``, ``18m``, ``26w`` or ``90d`` as a calendar offset."""
    m = _DUR.match(text or "")
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"bad {what} length {text!r}: use e.g. 5y, 18m, 26w or 90d")
    n, unit = int(m.group(1)), m.group(2).lower()
    return {"y": pd.DateOffset(years=n), "m": pd.DateOffset(months=n), "w": pd.DateOffset(weeks=n),
            "d": pd.DateOffset(days=n)}[unit]


@dataclass(frozen=True)
class Window:
    train_start: pd.Timestamp
    train_end: pd.Timestamp  # last training day
    test_end: pd.Timestamp  # last test day; the test period is (train_end, test_end]


def make_windows(calendar: pd.DatetimeIndex, train: pd.DateOffset, test: pd.DateOffset,
                 expanding: bool = False) -> list[Window]:
    """Windows on trading days; the last test period may be shorter (never past the data)."""
    first, last = calendar[0], calendar[-1]
    out: list[Window] = []
    boundary = first + train
    while True:
        tr_end_pos = calendar.searchsorted(boundary, side="left") - 1  # last day before the boundary
        if tr_end_pos < 1 or tr_end_pos >= len(calendar) - 1:
            break
        train_end = calendar[tr_end_pos]
        test_end = calendar[min(calendar.searchsorted(boundary + test, side="left") - 1, len(calendar) - 1)]
        if test_end <= train_end:
            break
        train_start = first if expanding else calendar[calendar.searchsorted(boundary - train, side="left")]
        out.append(Window(train_start, train_end, test_end))
        if test_end >= last:
            break
        boundary = boundary + test
    if not out:
        raise UsageError(f"the data ({first:%Y-%m-%d}..{last:%Y-%m-%d}) is too short for one training and one test period")
    return out


@dataclass
class WalkForward:
    windows: list[Window]
    chosen: list[dict[str, Any]]  # per window: params, train metric, test return, train and test Sharpe
    oos_returns: pd.Series
    insample_params: dict[str, Any]
    insample_returns: pd.Series
    #: the hindsight run's benchmark returns when ``run_one`` ran it as a full Result (None when it
    #: was measured in the test periods' batch, ``run_tests``: no report reads it)
    benchmark: pd.Series | None

    @property
    def decay(self) -> dict:
        """In-sample (training) vs out-of-sample (test) Sharpe of the chosen combinations, per fold
        and on average (reports.overfitting.walkforward_decay: decay = mean IS - mean OOS)."""
        from r2k.reports.overfitting import walkforward_decay

        return walkforward_decay([c["train_sharpe"] for c in self.chosen], [c["test_sharpe"] for c in self.chosen])


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def walk_forward(base: RunSpec, grid: dict[str, list[Any]], train: str, test: str, *, metric: str = "cagr",
                 expanding: bool = False, run_grid: Callable[[RunSpec, dict], list[dict]] | None = None,
                 run_one: Callable[[RunSpec], Any] | None = None, calendar: pd.DatetimeIndex,
                 on_step: Callable[[int, int], None] | None = None,
                 run_test: Callable[[RunSpec], Any] | None = None,
                 run_grids: Callable[[list[RunSpec], dict, Callable[[int], None]], list[list[dict]]] | None = None,
                 run_tests: Callable[[list[RunSpec]], list] | None = None) -> WalkForward:
    """Run the walk-forward. ``run_grid(spec, grid)`` ranks combinations (best first) on a window;
    ``run_one(spec)`` returns a Result. Both are injected so the CLI can use any executor.
    ``on_step(done, total)`` is called after each window and after the hindsight run (total = windows + 1).
    ``run_test(spec)`` runs each window's test period when given: anything with ``returns`` and
    ``metrics`` will do (the CLI's reads one batched sweep row, no full Result); default ``run_one``.

    ``run_grids(specs, grid, ranked)`` / ``run_tests(specs)``, when given, do the same for every
    window at once (the CLI's: one batch stream and one worker pool for all windows, instead of one
    per window); ``ranked(i)`` is called as window ``i``'s grid is done; ``run_tests`` measures the
    hindsight run too. The choices and numbers are the ones the window-by-window calls give
    (tests/test_sweep.py)."""
    windows = make_windows(calendar, parse_duration(train, "--train"), parse_duration(test, "--test"), expanding)
    steps = len(windows) + 1
    span = replace(base, start=f"{windows[0].train_end:%Y-%m-%d}", end=f"{windows[-1].test_end:%Y-%m-%d}")
    train_specs = [replace(base, start=f"{w.train_start:%Y-%m-%d}", end=f"{w.train_end:%Y-%m-%d}") for w in windows]

    def test_spec(w: Window, params: dict) -> RunSpec:
        return replace(base, params={**base.params, **params}, start=f"{w.train_end:%Y-%m-%d}",
                       end=f"{w.test_end:%Y-%m-%d}")

    if run_grids is not None:
        done = [0]

        def ranked(i: int) -> None:
            if i < len(windows) and on_step is not None:
                done[0] += 1
                on_step(done[0], steps)

        rankings = run_grids([*train_specs, span], grid, ranked)
        ranked_all = rankings.pop()
        tests = [test_spec(w, r[0]["p"]) for w, r in zip(windows, rankings, strict=True)]
        hindsight = replace(span, params={**base.params, **ranked_all[0]["p"]})
        if run_tests is not None:  # the hindsight run measured in the same batch (its data loaded once with theirs)
            *results, ins = run_tests([*tests, hindsight])
        else:
            results, ins = [(run_test or run_one)(t) for t in tests], run_one(hindsight)
    else:
        if run_grid is None:
            raise TypeError("walk_forward needs run_grid or run_grids")
        rankings, results = [], []
        for i, (w, spec) in enumerate(zip(windows, train_specs, strict=True)):
            rankings.append(run_grid(spec, grid))
            results.append((run_test or run_one)(test_spec(w, rankings[-1][0]["p"])))
            if on_step is not None:
                on_step(i + 1, steps)
        ranked_all = run_grid(span, grid)
        ins = run_one(replace(span, params={**base.params, **ranked_all[0]["p"]}))
    chosen, pieces = [], []
    for w, ranked_w, res in zip(windows, rankings, results, strict=True):
        best = ranked_w[0]
        pieces.append(res.returns)
        chosen.append({"train_start": f"{w.train_start:%Y-%m-%d}", "train_end": f"{w.train_end:%Y-%m-%d}",
                       "test_end": f"{w.test_end:%Y-%m-%d}", "params": best["p"], "train_metric": best[metric],
                       "test_return": float((1 + res.returns).prod() - 1),
                       "train_sharpe": _float(best.get("sharpe")), "test_sharpe": _float(res.metrics.get("sharpe"))})
    oos = pd.concat(pieces)
    if on_step is not None:
        on_step(steps, steps)
    return WalkForward(windows, chosen, oos.rename("return"), ranked_all[0]["p"], ins.returns,
                       getattr(ins, "benchmark", None))
