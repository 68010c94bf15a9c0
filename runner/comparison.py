"""Comparing strategies (or existing run folders) over one explicit common window.

    from r2k.runner.comparison import Entry, compare
    from r2k.runner.interrupt import sigterm_as_interrupt, stop_pool
from r2k.runner.spec import RunSpec
    out = compare([Entry("buy-and-hold", RunSpec("buy-and-hold", start="2005-01-01")),
                   Entry("dca", RunSpec("dca", start="2005-01-01"))], benchmark="SPY")

The window is the intersection of every member's dates (and the benchmark's): strategies are
first run as asked; any whose own range differs from that intersection is run again over exactly
the window, so its balances, contributions and XIRR are those of a run over the window (never a
slice of a longer run). A loaded run folder cannot be re-run: if it is longer than the window it
is restricted to it explicitly (its value on the first day becomes its initial balance) and a
warning says so. Tear sheets are rendered in parallel worker processes, forked from a fork server
that has imported the renderer (pandas, r2k.reports.tearsheet) once (:func:`start_pool`). As with any start method but plain fork,
a script that calls :func:`compare` with tear sheets needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import pandas as pd

from r2k.data.errors import DataError, R2KError, UsageError
from r2k.runner.interrupt import sigterm_as_interrupt, stop_pool
from r2k.runner.result import Result
from r2k.runner.spec import RunSpec

Warn = Callable[[str], None]

#: Files a run folder must hold to be compared without re-running it.
RUN_FILES = ("manifest.json", "metrics.json", "returns.csv", "equity.csv", "cashflows.csv")
LABEL_RE = re.compile(r"^[A-Za-z0-9_+-]+$")
MAX_PASSES = 5


@dataclass(frozen=True)
class Entry:
    """One member to compare: a run spec to execute, or an existing run folder to load."""

    label: str
    spec: RunSpec | None = None
    folder: Path | None = None


@dataclass
class Comparison:
    """Every member's finished Result over one common window, with the window and the warnings.

    ``summary`` has one row per member (exactly its metrics.json) and one per benchmark account
    (the benchmark bought like the members whose money plan it shares); ``save(folder)`` writes
    the comparison folder.
    """

    entries: list[Entry]
    results: dict[str, Result]
    start: pd.Timestamp
    end: pd.Timestamp
    warnings: list[str]
    benchmark: str | None = None
    basis: str = "daily"
    folder: Path | None = None
    #: optional sections (runner.compare_studies.Study): every start date, simulated paths
    studies: list = field(default_factory=list)

    def benchmark_groups(self) -> list[tuple[str, list[str]]]:
        """(row name, member labels) per distinct benchmark account: members with the same cash flows,
        fill timing and costs share one."""
        if not self.benchmark:
            return []
        groups: dict[tuple, list[str]] = {}
        for e in self.entries:
            r = self.results[e.label]
            s = r.spec
            deposits = r.cashflows[r.cashflows["amount"] > 0]  # withdrawals paid depend on the account: key the plan
            key = (tuple(deposits["date"]), tuple(deposits["amount"].round(6)), s.fill, s.commission_bps,
                   s.slippage_bps, s.whole_shares, getattr(s, "withdraw", 0.0), getattr(s, "withdraw_pct", 0.0),
                   getattr(s, "withdraw_from", None), getattr(s, "inflation_adjust", False),
                   s.every if (getattr(s, "withdraw", 0.0) or getattr(s, "withdraw_pct", 0.0)) else None)
            groups.setdefault(key, []).append(e.label)
        out = []
        for labels in groups.values():
            name = f"{self.benchmark} (benchmark)"
            if len(groups) > 1:
                name = f"{self.benchmark} (like {labels[0]})"
            out.append((name, labels))
        return out

    def members(self, linked: bool = False):
        """The report's members: each result, then each benchmark account."""
        from r2k.reports import compare as report

        out: list[report.Member] = []
        for e in self.entries:
            r = self.results[e.label]
            name = slug(e.label)
            out.append(report.Member(
                name=e.label, returns=r.returns, equity=r.equity[["value"]], cashflows=r.cashflows, benchmark=r.benchmark,
                trades=r.trades, link=f"{name}/tearsheet.html" if linked else None, folder=f"{name}/",
                description=r.strategy_doc, params=r.params, assumptions=r.assumptions, rf=getattr(r, "rf", 0.0),
                metrics=r.metrics if r.metrics.get("stats_basis", "daily") == self.basis else None,
            ))
        for row, labels in self.benchmark_groups():
            r = self.results[labels[0]]
            out.append(report.Member(
                name=row, returns=r.benchmark, equity=r.benchmark_value.to_frame("value"), cashflows=r.cashflows,
                benchmark=r.benchmark, is_benchmark=True, rf=getattr(r, "rf", 0.0), metrics=r.benchmark_metrics,
            ))
        return out

    @property
    def summary(self) -> pd.DataFrame:
        from r2k.reports import compare as report

        return report.summary_frame(self.members(), self.basis)

    @property
    def real_summary(self) -> pd.DataFrame | None:
        """With --real: one row per member (and benchmark account) of its real metrics (reports.real),
        in dollars of the window's end month; None when no member has them."""
        rows = [{"name": m.name, **m.metrics["real"]} for m in self.members()
                if m.metrics is not None and m.metrics.get("real")]
        return pd.DataFrame(rows) if rows else None

    def real_note(self) -> str | None:
        """How the real numbers were made (the first member's line; all share the window and CPI)."""
        for e in self.entries:
            text = self.results[e.label].assumptions.get("real")
            if text:
                return text
        return None

    def bench_note(self) -> str | None:
        if not self.benchmark:
            return None
        from r2k.runner.basis import is_price_index

        prices = ("a price index, no dividends" if is_price_index(self.benchmark)
                  else "total-return adjusted prices, dividends reinvested")
        return (f"{self.benchmark} is bought like the strategies: the same initial cash, the same deposits on the same "
                f"days, the same fill timing and costs ({prices}); "
                "members with different money plans get a benchmark row each.")

    def save(self, folder: str | Path | None = None, *, tearsheets: bool = False,
             pool: ProcessPoolExecutor | None = None, on_summary: Callable[[Comparison], None] | None = None,
             progress_stream=None) -> Path:
        """Write the comparison folder (members' run folders, index.html, summary.csv/json); return it.

        Only an absent or empty folder, or one r2k wrote, is replaced. ``on_summary(self)`` is called
        as soon as the members' folders and the page are written, before the tear sheets are waited
        for (the CLI prints the summary there); the tear sheets then count up on a terminal.
        """
        from r2k.reports.runfolder import atomic_folder

        target = Path(folder) if folder is not None else default_folder(self.entries, benchmark=self.benchmark,
                                                                         start=None, end=None, basis=self.basis)
        own_pool = pool is None and tearsheets
        if own_pool:
            pool = start_pool(len(self.entries))
        try:
            atomic_folder(target, lambda tmp: _write(tmp, self, pool if tearsheets else None, on_summary,
                                                     progress_stream), kind="compare")
        finally:
            if own_pool and pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self.folder = target
        return target


# --------------------------------------------------------------------------------------------
# run folders


def is_run_folder(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / "manifest.json").is_file()


def load_run_folder(path: Path) -> Result:
    """A Result from a run folder's CSVs and manifest (nothing is re-run)."""
    path = Path(path)
    missing = [f for f in RUN_FILES if not (path / f).is_file()]
    if missing:
        raise UsageError(f"{path} is not a complete run folder (missing {', '.join(missing)})")
    try:
        man = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        saved = json.loads((path / "metrics.json").read_text(encoding="utf-8"))
        names = {f.name for f in fields(RunSpec)}
        spec = RunSpec(**{k: v for k, v in man["spec"].items() if k in names})
        returns = pd.read_csv(path / "returns.csv", index_col="date", parse_dates=True)["return"].astype(float)
        equity = pd.read_csv(path / "equity.csv", index_col="date", parse_dates=True).astype(float)
        equity["value"]  # noqa: B018  (a KeyError here means a broken file)
        cashflows = pd.read_csv(path / "cashflows.csv", dtype={"date": str})[["date", "amount"]]
        trades = _optional_csv(path / "trades.csv")
        decisions = _optional_csv(path / "decisions.csv")
        pos_file = path / "positions.csv"
        positions = (pd.read_csv(pos_file, index_col="date", parse_dates=True) if pos_file.is_file()
                     else pd.DataFrame(index=equity.index))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise R2KError(f"cannot read run folder {path}: {type(exc).__name__}: {exc}") from None
    returns.index.name = equity.index.name = "date"
    if len(equity) < 2 or not returns.index.equals(equity.index[1:]):
        raise R2KError(f"run folder {path}: returns.csv and equity.csv do not cover the same days")
    if saved.get("start") != f"{equity.index[0]:%Y-%m-%d}" or saved.get("end") != f"{equity.index[-1]:%Y-%m-%d}":
        raise R2KError(f"run folder {path}: metrics.json does not match equity.csv (was a file edited?)")
    strategy = man.get("strategy", {})
    return Result(
        spec=spec, strategy_doc=strategy.get("description", ""), params=strategy.get("params", {}),
        returns=returns.rename("return"), equity=equity, positions=positions, trades=trades, cashflows=cashflows,
        decisions=decisions, benchmark=None, inputs=man.get("inputs", {}), assumptions=man.get("assumptions", {}),
        notes=list(man.get("notes", [])) + [f"loaded from run folder {path}"], source=man.get("source"),
        metrics=saved, label=man.get("label") or spec.strategy,
    )


def _optional_csv(file: Path) -> pd.DataFrame:
    return pd.read_csv(file) if file.is_file() and file.stat().st_size else pd.DataFrame()


def _between(frame: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, *, include_lo: bool) -> pd.DataFrame:
    if frame.empty or "date" not in frame:
        return frame
    d = pd.to_datetime(frame["date"])
    keep = ((d >= lo) if include_lo else (d > lo)) & (d <= hi)
    return frame[keep.to_numpy()].reset_index(drop=True)


def restrict(result: Result, start: pd.Timestamp, end: pd.Timestamp) -> Result:
    """The part of a finished run inside [start, end], rebased on its value at the first day.

    The value on the first day (after that day's flow) becomes the initial balance; later
    contributions inside the window stay; the time-weighted returns are those inside the window.
    """
    eq = result.equity.loc[start:end]
    if len(eq) < 2:
        raise DataError(f"fewer than two days of {result.spec.strategy} inside {start:%Y-%m-%d}..{end:%Y-%m-%d}")
    first, last = eq.index[0], eq.index[-1]
    idx = result.returns.index
    rets = result.returns[(idx > first) & (idx <= last)]
    flows = pd.concat([
        pd.DataFrame({"date": [f"{first:%Y-%m-%d}"], "amount": [float(eq["value"].iloc[0])]}),
        _between(result.cashflows, first, last, include_lo=False),
    ], ignore_index=True)
    bench = None
    if result.benchmark is not None:
        bi = result.benchmark.index
        bench = result.benchmark[(bi > first) & (bi <= last)]
    note = (f"restricted to {first:%Y-%m-%d}..{last:%Y-%m-%d} from {result.start:%Y-%m-%d}..{result.end:%Y-%m-%d}; "
            f"its value on {first:%Y-%m-%d} is the initial balance")
    from r2k.reports.runfolder import compute_metrics

    spec = replace(result.spec, start=f"{first:%Y-%m-%d}", end=f"{last:%Y-%m-%d}")
    out = replace(result, spec=spec, returns=rets, equity=eq, positions=result.positions.loc[first:last],
                  trades=_between(result.trades, first, last, include_lo=False), cashflows=flows,
                  decisions=_between(result.decisions, first, last, include_lo=True), benchmark=bench,
                  benchmark_value=None, benchmark_metrics=None, notes=[*result.notes, note], metrics={})
    return replace(out, metrics=compute_metrics(out, spec.stats))  # finished: its metrics are those of the window


# --------------------------------------------------------------------------------------------
# parallel tear sheets


#: What the tear-sheet fork server imports once (see :func:`start_pool`); every worker is a fork of it.
PRELOAD = ("r2k.runner.comparison", "r2k.reports.tearsheet", "r2k.reports.chart_svg", "r2k.reports.metrics_more")
#: How tear-sheet workers start: "forkserver" where the platform has it, else multiprocessing's default.
START_METHOD: str | None = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
#: In a worker: whether the renderer was already imported when the worker started (inherited from the fork server).
renderer_inherited: bool | None = None


def _warm_worker() -> None:
    """Make sure the renderer is imported in this worker (a no-op when it came preloaded from the fork server)."""
    global renderer_inherited
    renderer_inherited = "r2k.reports.tearsheet" in sys.modules
    import r2k.reports.tearsheet  # noqa: F401


def _render_tearsheet(returns: pd.Series, path: str, title: str, benchmark: pd.Series | None,
                      assumptions: dict[str, str] | None = None, strategy_title: str | None = None,
                      benchmark_title: str | None = None, numbers: dict | None = None) -> str:
    from r2k.reports import tearsheet

    tearsheet.render(returns, Path(path), title, benchmark, assumptions, strategy_title, benchmark_title,
                     **(numbers or {}))
    return path


def start_pool(n: int) -> ProcessPoolExecutor:
    """Worker processes for ``n`` tear sheets, started now so their imports overlap the backtests.

    Workers are forked from a fork server that imports the renderer (pandas and r2k's reports, about
    0.5 s of CPU) once, instead of every worker importing it on a machine whose cores are already busy
    with the backtests. There is
    one worker per tear sheet (up to twice the cores): with 3 sheets on 2 cores, all three share the
    cores and finish together, instead of the third starting alone once the first two are done
    while the other core idles.
    """
    ctx = multiprocessing.get_context(START_METHOD)
    workers = max(1, min(n, 2 * (os.cpu_count() or 1)))
    from r2k.runner.workers import process_pool

    pool = process_pool(workers, mp_context=ctx, initializer=_warm_worker)  # workers also die with us
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        from r2k.runner.safe_child import no_cwd_on_child_path

        ctx.set_forkserver_preload(list(PRELOAD))
        # Start the server now without waiting for it: its imports overlap the backtests. (Submitting
        # a task here would block until the server has finished importing, to learn the worker's pid.)
        # Workers are forked from it when the tear sheets are submitted, in a few milliseconds each.
        # It is started by `python -c`, so without the guard it would import pandas.py or r2k.py
        # from the current folder.
        with no_cwd_on_child_path():
            forkserver.ensure_running()
    else:
        pool.submit(os.getpid)  # fork: launches every worker (and its initializer) right away
    return pool


# --------------------------------------------------------------------------------------------
# the comparison


def slug(label: str) -> str:
    """A folder name for a label (labels are already restricted; run-folder names may not be)."""
    s = re.sub(r"[^A-Za-z0-9_+-]+", "-", label).strip("-")
    return s or "run"


def default_folder(entries: list[Entry], **options) -> Path:
    """runs/compare-HASH: the hash names the members and options, so reruns land in the same place."""
    parts = [(e.label, e.spec.key() if e.spec else str(Path(e.folder).resolve())) for e in entries]
    blob = json.dumps({"members": parts, **options}, sort_keys=True, default=str).encode()
    return Path("runs") / f"compare-{hashlib.sha256(blob).hexdigest()[:10]}"


def benchmark_returns(prices: pd.Series, calendar: pd.DatetimeIndex) -> pd.Series:
    """Daily returns of ``prices`` on ``calendar`` (a day without a price carries the previous one)."""
    p = prices.reindex(prices.index.union(calendar)).ffill().reindex(calendar)
    return p.pct_change().iloc[1:].rename(prices.name)


def _limit_reason(result: Result, entry: Entry, day: pd.Timestamp, which: str) -> str | None:
    """Why ``result`` starts (or ends) on ``day``: the input symbols whose data start (end) there, if any."""
    if entry.folder is not None:
        return f"run folder {entry.folder} (member {entry.label}) {which}s"
    syms = [n for n, i in result.inputs.items()
            if i.get("kind") == "prices" and i.get("start" if which == "start" else "end") == f"{day:%Y-%m-%d}"]
    return f"{' and '.join(syms)} data {which}s (member {entry.label})" if syms else None


def compare(entries: list[Entry], *, benchmark: str | None = "SPY", start: str | None = None, end: str | None = None,
            out: Path | None = None, store=None, offline: bool = False, basis: str = "daily", tearsheets: bool = True,
            warn: Warn | None = None, providers: dict | None = None, write: bool = True,
            studies=None, on_summary: Callable[[Comparison], None] | None = None,
            progress_stream=None) -> Comparison:
    """Run (or load) every entry over one common window; with ``write``, also write the comparison folder.

    Every member's benchmark is bought like that member (its own cash, deposits, fills and costs:
    the engine's one benchmark definition); members with the same money plan share one benchmark row.
    ``studies`` (a runner.compare_studies.StudyRequest) adds the every-start-date and simulation
    sections, computed from each member's result over the common window. ``on_summary(comparison)``
    is called once every number is known, before the tear sheets are waited for; backtests and tear
    sheets count up on ``progress_stream`` (default stderr) when it is a terminal.
    """
    from r2k.data.store import Store
    from r2k.runner.spec import parse_date

    if not entries:
        raise UsageError("nothing to compare: give at least one strategy or run folder")
    labels = [e.label for e in entries]
    if len(set(labels)) != len(labels):
        raise UsageError(f"labels must be unique: {', '.join(labels)}")
    if basis not in ("daily", "monthly"):
        raise UsageError(f"--stats must be daily or monthly, not {basis!r}")
    store = store or Store()
    seen: set[str] = set()
    shown: list[str] = []

    def say(msg: str) -> None:
        if msg not in seen:
            seen.add(msg)
            shown.append(msg)
            if warn:
                warn(msg)

    folder = None
    if write:
        folder = Path(out) if out is not None else default_folder(entries, benchmark=benchmark, start=start, end=end,
                                                                  basis=basis)
        from r2k.reports.runfolder import check_replaceable

        check_replaceable(folder)
    user_start = pd.Timestamp(parse_date(start, "start")) if start else None
    user_end = pd.Timestamp(parse_date(end, "end")) if end else None
    with sigterm_as_interrupt():
        pool = start_pool(len(entries)) if (tearsheets and write) else None
        try:
            from r2k.runner.progress import Progress

            with Progress(len(entries), stream=progress_stream, label="backtests") as bar:
                results, ws, we = _common_window(entries, benchmark=benchmark, store=store, offline=offline,
                                                 providers=providers, say=say, user_start=user_start,
                                                 user_end=user_end, bar=bar)
            comparison = Comparison(entries=entries, results=results, start=ws, end=we, warnings=shown,
                                    benchmark=benchmark, basis=basis)
            if studies is not None and studies.any:
                from r2k.runner.compare_studies import run_studies
                from r2k.runner.simulation import stored_cpi

                cpi = stored_cpi(store, offline) if studies.paths else None
                comparison.studies = run_studies(studies, {e.label: results[e.label] for e in entries}, cpi=cpi,
                                                 say=say)
            if write:
                comparison.save(folder, tearsheets=tearsheets, pool=pool, on_summary=on_summary,
                                progress_stream=progress_stream)
            elif on_summary is not None:
                on_summary(comparison)
        except BaseException:
            if pool is not None:
                stop_pool(pool)
            raise
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return comparison


def _common_window(entries: list[Entry], *, benchmark, store, offline, providers, say: Warn, user_start, user_end,
                   bar=None):
    """Run the members on one common window: (results by label, start, end); ``bar`` counts the backtests."""
    from r2k.data import loader
    from r2k.runner.engine import run as run_spec

    bench_prices = None
    if benchmark:
        bench_prices = loader.get(benchmark, series=False, store=store, offline=offline, warn=say).data["adj_close"]
        bench_prices = bench_prices.rename(benchmark)

    def execute(spec: RunSpec) -> Result:
        return run_spec(spec, store=store, offline=offline, warn=say, providers=providers)

    def member(e: Entry) -> Result:
        out = execute(e.spec) if e.spec is not None else load_run_folder(e.folder)
        if bar is not None:
            bar.step()
        return out

    first = {e.label: member(e) for e in entries}
    results = dict(first)
    for _ in range(MAX_PASSES):
        lows = {k: r.start for k, r in results.items()}
        highs = {k: r.end for k, r in results.items()}
        bounds_lo = [*lows.values(), *([user_start] if user_start else [])]
        bounds_hi = [*highs.values(), *([user_end] if user_end else [])]
        if bench_prices is not None:
            bounds_lo.append(bench_prices.index[0])
            bounds_hi.append(bench_prices.index[-1])
        ws, we = max(bounds_lo), min(bounds_hi)
        if ws >= we:
            have = ", ".join(f"{k} {r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}" for k, r in results.items())
            raise DataError(f"the members have no common window ({have})")
        todo = [e for e in entries if (results[e.label].start, results[e.label].end) != (ws, we)]
        if not todo:
            break
        if bar is not None:
            bar.total += len(todo)  # re-runs over the common window count too
        for e in todo:
            if e.spec is not None:
                results[e.label] = execute(replace(e.spec, start=f"{ws:%Y-%m-%d}", end=f"{we:%Y-%m-%d}"))
            else:
                results[e.label] = restrict(first[e.label], ws, we)
            if bar is not None:
                bar.step()
    else:
        raise DataError("could not put the members on one common window (their calendars keep disagreeing)")
    _explain_window(entries, first, results, ws, we, user_start, user_end, bench_prices, say)
    if benchmark:
        for e in entries:
            if results[e.label].benchmark_value is None:  # a loaded run folder: buy the benchmark like it
                results[e.label] = with_benchmark(results[e.label], benchmark, execute)
    return results, ws, we


def with_benchmark(result: Result, benchmark: str, execute: Callable[[RunSpec], Result]) -> Result:
    """A loaded (or restricted) run with its benchmark bought the same way: the benchmark's
    buy-and-hold with the run's initial balance, deposits, fill timing and costs over its window."""
    s = result.spec
    cash0 = float(result.cashflows["amount"].iloc[0])
    spec = RunSpec("buy-and-hold", {"symbol": benchmark}, start=f"{result.start:%Y-%m-%d}", end=f"{result.end:%Y-%m-%d}",
                   cash=cash0, contribute=float(s.contribute or 0.0), every=s.every or "month", benchmark=None,
                   fill=s.fill, commission_bps=s.commission_bps, slippage_bps=s.slippage_bps,
                   whole_shares=s.whole_shares, engine="vector", rf=s.rf, stats=s.stats).validated()
    b = execute(spec)
    if not b.equity.index.equals(result.equity.index):
        raise DataError(f"{benchmark} does not trade on the same days as run {result.label or s.strategy}; "
                        "compare it with --benchmark none")
    return replace(result, benchmark=b.returns.rename(benchmark), benchmark_value=b.equity["value"].rename(benchmark),
                   benchmark_metrics=b.metrics)


def _explain_window(entries, first, results, ws, we, user_start, user_end, bench_prices, say: Warn) -> None:
    """One line saying what limited the window, and one per member that was re-run or restricted."""
    for which, day, user, own in (("start", ws, user_start, {k: r.start for k, r in first.items()}),
                                  ("end", we, user_end, {k: r.end for k, r in first.items()})):
        later = user is not None and (day > user if which == "start" else day < user)
        if len(set(own.values())) == 1 and not later:
            continue
        reasons = [_limit_reason(first[e.label], e, day, which) for e in entries if own[e.label] == day]
        bench_day = None if bench_prices is None else bench_prices.index[0 if which == "start" else -1]
        if bench_day is not None and bench_day == day:
            reasons.append(f"{bench_prices.name} (benchmark) data {which}s")
        reasons = list(dict.fromkeys(r for r in reasons if r))
        if reasons:
            say(f"common window {ws:%Y-%m-%d}..{we:%Y-%m-%d}: its {which} {day:%Y-%m-%d} is where " + "; ".join(reasons))
    for e in entries:
        a, b = first[e.label], results[e.label]
        if (a.start, a.end) == (b.start, b.end):
            continue
        if e.spec is not None:
            say(f"{e.label}: re-run over the common window {b.start:%Y-%m-%d}..{b.end:%Y-%m-%d} "
                f"(alone it covers {a.start:%Y-%m-%d}..{a.end:%Y-%m-%d})")
        else:
            say(f"{e.label} (run folder): {b.notes[-1]}")


def _write(tmp: Path, comparison: Comparison, pool: ProcessPoolExecutor | None,
           on_summary: Callable[[Comparison], None] | None = None, progress_stream=None) -> None:
    """Fill the comparison folder: one run folder per member, tear sheets in parallel, the report.

    ``on_summary`` runs once the folders and the page are written, before the tear sheets are waited for.
    """
    staging = tmp / ".tearsheets"
    staging.mkdir()
    sheets: dict[str, tuple] = {}
    for e in comparison.entries:
        r = comparison.results[e.label]
        name = slug(e.label)
        title = f"r2k {e.label} {r.start:%Y-%m-%d}..{r.end:%Y-%m-%d}"
        numbers = None
        if r.metrics:
            from r2k.reports.tearsheet import own_numbers

            numbers = own_numbers(r)
            own = r.label or r.spec.strategy
            for key in ("own", "exposure"):
                numbers[key] = {e.label if k == own else k: v for k, v in numbers[key].items()}
        sheets[name] = (r.returns, str(staging / f"{name}.html"), title, r.benchmark, r.assumptions,
                        e.label, r.benchmark_label(), numbers)
    # Hand the tear sheets to the workers from a thread: a submit that starts a worker waits until the
    # fork server has finished importing the renderer, and the run folders and the page need not wait.
    jobs: dict[str, Future] = {}
    if pool is None:
        _write_folders(tmp, comparison, False)
        if on_summary is not None:
            on_summary(comparison)
    else:
        feeder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="r2k-tearsheets")
        try:
            submitted = feeder.submit(_submit_all, pool, sheets)
            _write_folders(tmp, comparison, True)
            if on_summary is not None:
                on_summary(comparison)
            jobs = submitted.result()
        finally:
            feeder.shutdown(wait=True)
    from concurrent.futures import as_completed

    from r2k.runner.progress import Progress

    names = {job: name for name, job in jobs.items()}
    with Progress(len(jobs), stream=progress_stream, label="tear sheets") as bar:
        for job in as_completed(names):
            name = names[job]
            try:
                job.result()
            except Exception as exc:
                raise R2KError(f"tear sheet of {name} failed: {type(exc).__name__}: {exc}") from None
            os.replace(staging / f"{name}.html", tmp / name / "tearsheet.html")
            bar.step()
    shutil.rmtree(staging)


def _submit_all(pool: ProcessPoolExecutor, sheets: dict[str, tuple]) -> dict[str, Future]:
    return {name: pool.submit(_render_tearsheet, *args) for name, args in sheets.items()}


def _write_folders(tmp: Path, comparison: Comparison, linked: bool) -> None:
    """The members' run folders and the comparison page (``linked``: it links each member's tear sheet)."""
    from r2k.reports import compare as report
    from r2k.reports.runfolder import write_run_folder

    for e in comparison.entries:
        write_run_folder(comparison.results[e.label], tmp / slug(e.label), tearsheet=False, basis=comparison.basis)
    from r2k.reports.real import section_html, withdrawals_html

    real = comparison.real_summary
    extra_sections = [withdrawals_html(comparison.summary)]
    if real is not None:
        real.to_csv(tmp / "summary_real.csv", index=False, float_format="%.10g")
        extra_sections.append(section_html(real, comparison.real_note()))
    members = comparison.members(linked)
    ws, we = comparison.start, comparison.end
    title = "r2k compare: " + " vs ".join(e.label for e in comparison.entries)
    report.write(tmp, members, title=title, basis=comparison.basis, window=(ws, we), warnings=comparison.warnings,
                 bench_note=comparison.bench_note(), sections=[*extra_sections, *_study_sections(tmp, comparison.studies)],
                 extra={"benchmark": comparison.benchmark, "members": {slug(e.label): e.label for e in comparison.entries},
                        "sections": [{"kind": s.kind, "member": s.label, "folder": f"{slug(s.label)}/{s.kind}/"}
                                     for s in comparison.studies]})


def _study_sections(tmp: Path, studies: list) -> list[str]:
    """Each study's own folder inside its member's run folder (``windows/``, ``simulation/``, the
    files ``r2k windows``/``r2k simulate`` write) and its HTML section for the comparison page."""
    from r2k.reports import simulate_report, windows_report

    sections = []
    for s in studies:
        where = tmp / slug(s.label) / s.kind
        where.mkdir(parents=True, exist_ok=True)
        if s.kind == "windows":
            windows_report.write_windows(s.result, where)
            sections.append(windows_report.section_html(s.result, (where / "heatmap.png").read_bytes()))
        else:
            simulate_report.write_simulation(s.result, where)
            sections.append(simulate_report.section_html(s.result, (where / "fan.png").read_bytes()))
    return sections
