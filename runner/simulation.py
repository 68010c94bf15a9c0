"""``simulate``: what could have happened, by a stationary block bootstrap of whole days.

One run gives one path of history. This view draws many alternative paths from the same days:
a stationary block bootstrap (Politis and Romano, 1994; r2k.runner.bootstrap) picks blocks of
consecutive days of the joint history (the strategy's realised daily return, its benchmark's, and
CPI inflation of that day) so that what moved together on a day, and within a few months, still
moves together. On each path the run's own cash-flow ledger is replayed: the same deposits (and
withdrawals, negative flows) on the same day numbers after the start.

``--resample returns`` (the default) reuses the strategy's realised returns: its decisions are
the ones history made, so a rule's reaction to a *different* path is not modelled (a trend
filter's exits are those of history's crashes). ``--resample assets`` (r2k.runner.resample_assets)
re-runs a price-only rule on every synthetic price history instead. What a reader may conclude: the spread of
outcomes that the history's own days allow, dependence shorter than a block kept. What not: the
odds of the future (the history is one sample; regimes longer than a block, and days that never
happened, are absent).

Paths are drawn in fixed batches of ``BATCH`` paths, each with its own seed stream, so a serial
run, a process pool and a Dask cluster give bit-identical numbers for the same ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from r2k.data.errors import UsageError
from r2k.runner.bootstrap import BATCH, batch_rng, drawdown_stats, replay, stationary_indices

PERCENTILES = (5, 25, 50, 75, 95)
RESAMPLE_WORDS = {
    "returns": "returns: the strategy's and the benchmark's realised daily returns (and CPI inflation) of the same "
               "days, the run's cash flows replayed on each path",
    "assets": "assets: every symbol's daily close return and open gap of the same days; the rule decides and trades "
              "on each synthetic price history with the run's fills, costs and cash flows",
}
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Setup:
    """Everything a batch needs: plain arrays, picklable, identical in every worker."""

    strategy: np.ndarray  # realised daily returns of history, days 1..N-1
    benchmark: np.ndarray | None
    inflation: np.ndarray | None  # daily CPI inflation on the same days
    flows: np.ndarray  # the ledger on path steps 0..horizon
    t_years: np.ndarray  # calendar time of steps 0..horizon, for XIRR
    horizon: int
    mean_block: float  # in days
    seed: int
    days_per_year: float
    sample: np.ndarray  # steps at which balances are kept for the fan chart
    assets: Any = None  # an AssetSetup: run the rule on synthetic prices (--resample assets)


def daily_inflation(cpi: pd.Series, calendar: pd.DatetimeIndex) -> np.ndarray:
    """CPI inflation of each return day (days 1..N-1 of ``calendar``).

    A month's CPI change ``CPI[m] / CPI[m-1] - 1`` is spread geometrically over the business days
    of that month, so a block of days carries its months' inflation; months the series does not
    reach yet repeat the last known change. Used only to deflate balances (no decision reads it).
    """
    monthly = cpi.astype(float).copy()
    monthly.index = pd.DatetimeIndex(monthly.index).to_period("M")
    monthly = monthly.groupby(level=0).last()
    change = (monthly / monthly.shift(1) - 1.0).dropna()
    days = calendar[1:]
    months = days.to_period("M")
    wanted = pd.period_range(min(change.index.min(), months.min()), max(change.index.max(), months.max()), freq="M")
    change = change.reindex(wanted).ffill().bfill()
    per = change.reindex(months).to_numpy()
    n_bdays = np.array([len(pd.bdate_range(p.start_time, p.end_time)) for p in months.unique()])
    count = pd.Series(n_bdays, index=months.unique()).reindex(months).to_numpy()
    return (1.0 + per) ** (1.0 / count) - 1.0


def run_batch(setup: Setup, batch: int, paths: int) -> dict[str, np.ndarray]:
    """One batch of paths: per-path outcomes and the sampled balances. Runs in workers."""
    rng = batch_rng(setup.seed, batch)
    n = len(setup.strategy)
    idx = stationary_indices(rng, n, paths, setup.horizon, setup.mean_block)
    out: dict[str, np.ndarray] = {}
    years = setup.horizon / setup.days_per_year
    sides = {"strategy": None if setup.strategy is None else setup.strategy[idx],
             "benchmark": None if setup.benchmark is None else setup.benchmark[idx]}
    if setup.assets is not None:
        from r2k.runner.resample_assets import path_returns

        both = [path_returns(setup.assets, row) for row in idx]
        sides["strategy"] = np.array([b[0] for b in both])
        sides["benchmark"] = None if setup.benchmark is None else np.array([b[1] for b in both])
    for side, r in sides.items():
        if r is None:
            continue
        balances, depleted = replay(r, setup.flows)
        growth = np.prod(1.0 + r, axis=1)
        out[f"{side}_final"] = balances[:, -1]
        out[f"{side}_cagr"] = np.where(growth > 0, growth ** (1.0 / years) - 1.0, -1.0)
        out[f"{side}_fan"] = balances[:, setup.sample]
        if side == "strategy":
            out["depleted"] = depleted
            dd, under = drawdown_stats(r)
            out["max_drawdown"] = dd
            out["under_water_years"] = under / setup.days_per_year
    if setup.inflation is not None:
        out["deflator"] = np.prod(1.0 + setup.inflation[idx], axis=1)
    return out


@dataclass
class SimulationResult:
    """Per-path outcomes, their percentiles, the probabilities, the fan chart data and the method."""

    paths: pd.DataFrame  # one row per path
    percentiles: pd.DataFrame  # metric -> p5..p95, history, history_percentile
    probabilities: dict[str, Any]
    fan: pd.DataFrame  # years -> balance percentiles, money in, history
    method: dict[str, Any]
    label: str
    benchmark: str | None
    notes: list[str] = field(default_factory=list)

    def save(self, folder: str | Path) -> Path:
        """Write simulation.json, percentiles.csv, paths.csv, fan.csv, fan.png and index.html (atomically)."""
        from r2k.reports.runfolder import atomic_folder
        from r2k.reports.simulate_report import write_simulation

        return atomic_folder(Path(folder), lambda tmp: write_simulation(self, tmp), kind="simulation")

    def text(self) -> str:
        from r2k.reports.simulate_report import format_text

        return format_text(self)


def _flows_array(result) -> np.ndarray:
    from r2k.runner.windows_study import flows_on_calendar

    return flows_on_calendar(result.cashflows, result.equity.index)


def prepare(result, *, paths: int, years: float | None, block_months: float, seed: int,
            cpi: pd.Series | None = None, samples: int = 240) -> tuple[Setup, int]:
    """Check the request against the history and build the batch setup (UsageError on bad input)."""
    calendar = result.equity.index
    n_ret = len(calendar) - 1
    span_days = (calendar[-1] - calendar[0]).days
    hist_years = span_days / 365.25
    where = f"{calendar[0]:%Y-%m-%d}..{calendar[-1]:%Y-%m-%d}"
    if not isinstance(paths, (int, np.integer)) or isinstance(paths, bool) or paths <= 0:
        raise UsageError(f"--paths must be a whole number above 0, not {paths!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, not {seed!r}")
    if years is None:
        years = hist_years
    if not years > 0:
        raise UsageError(f"--years must be above 0, not {years!r}")
    if years > hist_years + 0.05:  # a '20-year' history that starts on Jan 3 still holds 20 years
        raise UsageError(f"--years {years:g} is more than the {hist_years:.1f} years of history ({where})")
    if not block_months > 0:
        raise UsageError(f"--block-months must be above 0, not {block_months!r}")
    hist_months = span_days / DAYS_PER_MONTH
    if block_months > hist_months + 0.5:
        raise UsageError(f"--block-months {block_months:g} is longer than the {hist_months:.0f} months of history ({where})")
    days_per_year = n_ret / hist_years
    horizon = min(n_ret, max(1, int(round(years * days_per_year))))
    mean_block = n_ret if block_months >= hist_months - 0.5 else max(1.0, block_months * days_per_year / 12.0)
    flows = _flows_array(result)[: horizon + 1]
    t_years = (calendar[: horizon + 1] - calendar[0]).days.to_numpy(dtype=float) / 365.0
    sample = np.unique(np.linspace(0, horizon, min(samples, horizon) + 1).round().astype(int))
    bench = None if result.benchmark is None else result.benchmark.to_numpy(dtype=float)
    infl = None if cpi is None else daily_inflation(cpi, calendar)
    setup = Setup(result.returns.to_numpy(dtype=float), bench, infl, flows, t_years, horizon, float(mean_block),
                  int(seed), float(days_per_year), sample)
    return setup, int(paths)


def batches(paths: int) -> list[tuple[int, int]]:
    """(batch index, paths in it): fixed sizes, so the draw never depends on the executor."""
    return [(b, min(BATCH, paths - b * BATCH)) for b in range((paths + BATCH - 1) // BATCH)]


def simulate(result, *, paths: int = 10_000, years: float | None = 20, block_months: float = 12, seed: int = 1,
             resample: str = "returns", cpi: pd.Series | None = None, workers: int = 1,
             scheduler: str | None = None, dask_local: int | None = None, store=None,
             offline: bool = False, **settings: Any) -> SimulationResult:
    """Bootstrap ``paths`` alternative histories of ``years`` from ``result`` (a finished run, or
    a strategy run first with ``settings``: ``r2k.runner.run``'s keywords; then CPIAUCSL is read
    from the store for real balances when ``cpi`` is not given).

        simulate(r2k.runner.run("dca", symbol="IWM", offline=True), paths=2000, years=10)
        simulate("dca", symbol="IWM", offline=True, paths=2000, years=10, seed=7)

    ``years=None`` is the whole history. ``cpi`` (CPIAUCSL) adds real (inflation-adjusted)
    balances. ``resample="assets"`` runs the rule on each synthetic price history (rules that read
    only prices; its inputs are loaded again from ``store``). ``workers > 1`` uses a process pool,
    ``scheduler``/``dask_local`` a Dask cluster;
    every executor gives the same numbers as a serial run with the same ``seed``.
    """
    if resample not in ("returns", "assets"):
        raise UsageError(f"--resample must be returns or assets, not {resample!r}")
    if not (hasattr(result, "returns") and hasattr(result, "equity")):
        from r2k.data.store import Store
        from r2k.runner.windows_study import as_result

        store = store or Store(settings.get("home"))
        result = as_result(result, {**settings, "store": store, "offline": offline})
        if cpi is None:
            cpi = stored_cpi(store, offline)
    elif settings:
        raise UsageError(f"run settings ({', '.join(sorted(settings))}) apply to a strategy, not to a finished result")
    setup, paths = prepare(result, paths=paths, years=years, block_months=block_months, seed=seed, cpi=cpi)
    if resample == "assets":
        from dataclasses import replace

        from r2k.runner.resample_assets import build

        setup = replace(setup, assets=build(result, setup.horizon, store=store, offline=offline))
    parts = map_batches(setup, batches(paths), workers=workers, scheduler=scheduler, dask_local=dask_local)
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    history = run_history(setup)
    return assemble(result, setup, merged, history, paths, block_months, resample)


def stored_cpi(store, offline: bool) -> pd.Series | None:
    """CPIAUCSL from the store (fetched when online), or None when it cannot be had."""
    from r2k.data import loader
    from r2k.data.errors import R2KError

    try:
        return loader.get("CPIAUCSL", series=True, store=store, offline=offline, warn=lambda m: None).data
    except R2KError:
        return None


def run_history(setup: Setup) -> dict[str, np.ndarray]:
    """What history itself did over the same horizon: days 0..horizon-1 in order."""
    whole = Setup(**{**setup.__dict__, "mean_block": float(len(setup.strategy)), "assets": None})
    return run_batch(whole, 0, 1)


def map_batches(setup: Setup, todo: list[tuple[int, int]], *, workers: int = 1, scheduler: str | None = None,
                dask_local: int | None = None) -> list[dict[str, np.ndarray]]:
    """Run every batch with the chosen executor; results in batch order whatever finished first."""
    if scheduler or dask_local:
        return _dask(setup, todo, scheduler, dask_local)
    if workers <= 1 or len(todo) == 1:
        return [run_batch(setup, b, n) for b, n in todo]
    from r2k.runner.interrupt import sigterm_as_interrupt, stop_pool
    from r2k.runner.workers import process_pool

    with sigterm_as_interrupt():
        pool = process_pool(min(workers, len(todo)))
        futures: list = []
        try:
            futures = [pool.submit(run_batch, setup, b, n) for b, n in todo]
            out = [f.result() for f in futures]
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()
    return out


def _dask(setup: Setup, todo, scheduler: str | None, dask_local: int | None) -> list[dict[str, np.ndarray]]:
    from r2k.data.errors import R2KError

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError('Dask is not installed: pip install -e ".[dask]"') from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="10s")
        else:
            from r2k.runner.safe_child import no_cwd_on_child_path

            with no_cwd_on_child_path():  # Dask starts its workers with `python -c`
                cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
            client = Client(cluster)
    except OSError as exc:
        raise R2KError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        shared = client.scatter(setup, broadcast=True)
        futures = [client.submit(run_batch, shared, b, n, pure=False) for b, n in todo]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _percentile_of(value: float, sample: np.ndarray) -> float:
    """Where ``value`` falls among ``sample``: the share below it plus half the ties, in percent."""
    s = sample[np.isfinite(sample)]
    if not len(s) or not np.isfinite(value):
        return float("nan")
    return float(100.0 * ((s < value).mean() + 0.5 * (s == value).mean()))


def assemble(result, setup: Setup, m: dict[str, np.ndarray], hist: dict[str, np.ndarray], paths: int,
             block_months: float, resample: str = "returns") -> SimulationResult:
    """Per-path table, percentiles (with history's place among them), probabilities, fan data."""
    from r2k.reports.xirr import xirr_many

    flows = setup.flows
    deposits = flows[flows > 0].sum()
    withdraws = bool((flows[1:] < 0).any())
    contributes = bool(np.count_nonzero(flows[1:]))
    table: dict[str, np.ndarray] = {"final_balance": m["strategy_final"]}
    hist_row: dict[str, float] = {"final_balance": float(hist["strategy_final"][0])}
    if "deflator" in m:
        table["final_balance_real"] = m["strategy_final"] / m["deflator"]
        hist_row["final_balance_real"] = float(hist["strategy_final"][0] / hist["deflator"][0])
    table["cagr"] = m["strategy_cagr"]
    hist_row["cagr"] = float(hist["strategy_cagr"][0])
    if contributes:
        table["xirr"] = path_xirr(setup, m["strategy_final"], m["depleted"], xirr_many)
        hist_row["xirr"] = float(path_xirr(setup, hist["strategy_final"], hist["depleted"], xirr_many)[0])
    table["max_drawdown"] = m["max_drawdown"]
    hist_row["max_drawdown"] = float(hist["max_drawdown"][0])
    table["longest_under_water_years"] = m["under_water_years"]
    hist_row["longest_under_water_years"] = float(hist["under_water_years"][0])
    if "benchmark_final" in m:
        table["benchmark_final_balance"] = m["benchmark_final"]
        table["benchmark_cagr"] = m["benchmark_cagr"]
        hist_row["benchmark_final_balance"] = float(hist["benchmark_final"][0])
        hist_row["benchmark_cagr"] = float(hist["benchmark_cagr"][0])
    frame = pd.DataFrame(table)
    pct = pd.DataFrame({f"p{q}": frame.quantile(q / 100.0) for q in PERCENTILES})
    pct["history"] = pd.Series(hist_row)
    pct["history_percentile"] = [_percentile_of(hist_row[k], frame[k].to_numpy()) for k in pct.index]
    pct.index.name = "metric"
    money_in = np.cumsum(flows)
    net_in = money_in[-1]
    probs: dict[str, Any] = {"loss": float((m["strategy_final"] < net_in).mean()) if net_in > 0 else None}
    if "benchmark_final" in m:
        probs["beat_benchmark"] = float((m["strategy_final"] > m["benchmark_final"]).mean())
    if withdraws:
        dep = m["depleted"] <= setup.horizon
        probs["depletion"] = float(dep.mean())
        probs["median_depletion_year"] = (float(np.median(m["depleted"][dep]) / setup.days_per_year)
                                          if dep.any() else None)
    steps = setup.sample
    fan = pd.DataFrame({f"p{q}": np.percentile(m["strategy_fan"], q, axis=0) for q in PERCENTILES},
                       index=pd.Index(steps / setup.days_per_year, name="years"))
    if "benchmark_fan" in m:
        fan["benchmark_p50"] = np.percentile(m["benchmark_fan"], 50, axis=0)
    fan["money_in"] = money_in[steps]
    fan["history"] = hist["strategy_fan"][0]
    calendar = result.equity.index
    method = {
        "method": "stationary block bootstrap (Politis and Romano 1994) of whole days of the joint history",
        "resample": (RESAMPLE_WORDS["assets"] if resample == "assets" else RESAMPLE_WORDS["returns"]),
        "block_months": block_months, "mean_block_days": setup.mean_block, "paths": paths, "seed": setup.seed,
        "years": setup.horizon / setup.days_per_year, "horizon_days": setup.horizon,
        "history": f"{calendar[0]:%Y-%m-%d}..{calendar[-1]:%Y-%m-%d}", "history_days": len(setup.strategy),
        "deposited": float(deposits), "net_money_in": float(net_in),
        "real": "CPIAUCSL, in start-date dollars" if setup.inflation is not None else None,
    }
    notes = []
    if setup.inflation is None:
        notes.append("no CPI (CPIAUCSL) in the store: real balances are not shown")
    if "xirr" in table and np.isnan(table["xirr"]).any():
        notes.append("XIRR percentiles are over the paths that were never depleted")
    if setup.mean_block >= len(setup.strategy):
        notes.append("block as long as the history: every path is history itself")
    label = getattr(result, "label", "") or result.spec.strategy
    frame.index.name = "path"
    return SimulationResult(frame, pct, probs, fan, method, label, result.spec.benchmark, notes)


def path_xirr(setup: Setup, finals: np.ndarray, depleted: np.ndarray, solver) -> np.ndarray:
    """Each path's XIRR: the ledger's flows (investor's signs) and the final balance; NaN once depleted."""
    flows = setup.flows
    steps = np.flatnonzero(flows)
    cols = np.union1d(steps, [setup.horizon])
    t = setup.t_years[cols]
    amounts = np.broadcast_to(-flows[cols], (len(finals), len(cols))).copy()
    amounts[:, -1] += finals
    out = np.full(len(finals), np.nan)
    live = (depleted > setup.horizon) & (finals > 0)
    if live.any():
        out[live] = solver(t, amounts[live])
    return out
