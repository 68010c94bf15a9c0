"""Parameter sweeps: every combination of a grid, run on one machine or a Dask cluster.

Nothing is lost: each finished combination is appended (and flushed) to ``results.csv`` as it
completes, keyed by a hash of the run spec, the parameters and the strategy's source, so a rerun
of the same command computes only what is missing. Data is read once per worker process (a
memoizing store); the parent loads (and, online, refreshes) everything first, so workers never
touch the network.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r2k.data.errors import R2KError, UsageError
from r2k.runner.progress import Progress
from r2k.runner.spec import RunSpec
from r2k.runner.synced_file import SyncedAppends

if TYPE_CHECKING:
    from r2k.runner.sweep_window import SweepWindow

#: What a results.csv row is: a combination over the sweep's window (ranked), a reference row
#: (runner/baselines.py: never ranked), or a combination run on its own shorter window
#: (--allow-shorter: reported apart, never ranked).
ROLES = ("trial", "baseline", "shorter")
#: Metrics where smaller is better; every other metric ranks descending.
ASCENDING = {"volatility", "turnover", "trades"}
METRICS = ("cagr", "total_return", "sharpe", "sortino", "max_drawdown", "volatility", "xirr", "final_value",
           "best_year", "worst_year", "turnover", "trades")


@dataclass(frozen=True)
class Task:
    """One combination to evaluate: picklable, so it travels to processes and Dask workers."""

    key: str
    spec: dict
    home: str
    basis: str = "daily"
    role: str = "trial"  # trial | baseline | shorter (see ROLES)
    label: str = ""  # a baseline's name; trials are named by their parameters
    #: False: the row carries no daily returns (a walk-forward's training grids rank by metrics only)
    returns: bool = True


def strategy_source_sha(base: RunSpec) -> str:
    """SHA-256 of the strategy's source file (a changed strategy must not reuse old rows)."""
    import inspect

    try:
        return hashlib.sha256(Path(inspect.getfile(base.strategy_class())).read_bytes()).hexdigest()
    except (OSError, TypeError):
        return "unknown"


def combo_key(base: RunSpec, params: dict[str, Any], source_sha: str) -> str:
    blob = json.dumps({"spec": {**base.to_dict(), "params": None}, "params": params, "source": source_sha},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


_STORES: dict[str, Any] = {}


def evaluate(task: Task) -> dict[str, Any]:
    """Run one combination and return its row (role, params, summary metrics). Runs in workers.

    The row also carries the run's daily returns under ``RETURNS`` (the parent moves them to the
    folder's returns store before it journals the row; they never reach results.csv).
    """
    from r2k.data.store import Store
    from r2k.reports.runfolder import compute_metrics
    from r2k.runner.engine import run

    store = _STORES.get(task.home)
    if store is None:
        store = _STORES[task.home] = Store(task.home, memo=True)
    spec = RunSpec(**task.spec)
    result = run(spec, store=store, offline=True, compiled=True)
    metrics = result.metrics if spec.stats == task.basis else compute_metrics(result, task.basis)
    return task_row(task, spec, metrics, result.returns)


#: The key of a row's daily returns on their way from a worker to the parent.
RETURNS = "_returns"


def task_row(task: Task, spec: RunSpec, metrics: dict, returns) -> dict[str, Any]:
    """A combination's row (role, params, metrics) and its daily returns under ``RETURNS`` (None
    when the task asked for none; ``returns`` may be a function making them); one-by-one and
    batched alike."""
    params = {} if task.role == "baseline" else {f"p.{k}": _cell(v) for k, v in spec.params.items()}
    kept = (returns() if callable(returns) else returns) if task.returns else None
    return {"key": task.key, "role": task.role, "label": task.label, **params, **metrics, RETURNS: kept}


def _store_for(home: str):
    """This process's memoizing store of ``home`` (data is read once per worker)."""
    from r2k.data.store import Store

    store = _STORES.get(home)
    if store is None:
        store = _STORES[home] = Store(home, memo=True)
    return store


def evaluate_batch(tasks: list[Task], error_rows: bool = False) -> list[dict[str, Any]]:
    """The rows of many tasks in one call: what they share computed once (runner.batch).

    Combinations that cannot be batched (a per-date user rule, a backtrader strategy or engine)
    run one by one; the rows are the same either way (tests/test_batch.py).
    """
    from r2k.runner.batch import batchable, run_batch
    from r2k.runner.usercode import StrategyError

    rows: list[dict | None] = [None] * len(tasks)
    classes: dict[tuple, type] = {}  # resolve each strategy once per batch, not per combination
    specs = []
    for t in tasks:
        spec = RunSpec(**t.spec)
        where = (spec.strategy, spec.ref)
        if where not in classes:
            classes[where] = spec.strategy_class()
        specs.append(replace(spec, cls=classes[where]))
    fast: dict[tuple[str, str], list[int]] = {}
    for i, (t, s) in enumerate(zip(tasks, specs, strict=True)):
        if batchable(s):
            fast.setdefault((t.home, t.basis), []).append(i)
    for (home, basis), idx in fast.items():
        outs = run_batch([specs[i] for i in idx], store=_store_for(home), basis=basis)
        for i, out in zip(idx, outs, strict=True):
            if out is None:
                continue  # not covered by the batch after all: run on its own below
            if isinstance(out, StrategyError):
                if not error_rows:
                    raise out
                rows[i] = error_row(tasks[i], str(out))
            else:
                rows[i] = task_row(tasks[i], specs[i], out.metrics, lambda out=out: out.returns)
    fn = evaluate_or_error if error_rows else evaluate
    return [row if row is not None else fn(t) for row, t in zip(rows, tasks, strict=True)]


@dataclass
class Measured:
    """One spec's daily returns and metrics, without a full Result (see :func:`measure`)."""

    returns: Any
    metrics: dict


def measure(spec: RunSpec, *, store, basis: str) -> Measured:
    """Run one spec the way a sweep runs a combination (batched when it can be): its returns and
    metrics, the same numbers as ``engine.run`` (tests/test_batch.py), without building a Result."""
    return measure_many([spec], store=store, basis=basis)[0]


def measure_many(specs: list[RunSpec], *, store, basis: str) -> list[Measured]:
    """:func:`measure` of several specs in one batch call (a walk-forward's test periods)."""
    rows = evaluate_batch([Task(f"measure/{i}", s.to_dict(), str(store.root), basis) for i, s in enumerate(specs)])
    return [Measured(row.pop(RETURNS), row) for row in rows]


def _evaluate_batch_or_error(tasks: list[Task]) -> list[dict[str, Any]]:
    return evaluate_batch(tasks, error_rows=True)


#: Combinations per batch at most: large enough that shared work and call overhead vanish, small
#: enough that a batch's rows reach the journal every second or so (resuming loses little).
BATCH = 250


def batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    """Tasks cut into batches: with workers, at least four per worker (so they stay busy to the
    end); in-process as few as possible; at most BATCH each. A combination that cannot be batched
    (runner.batch.batchable) travels alone, as before: a batch of slow backtrader runs would hold
    its rows back for a long time."""
    from r2k.runner.batch import batchable

    seen: dict[tuple, bool] = {}

    def fast(t: Task) -> bool:
        where = (t.spec.get("strategy"), t.spec.get("ref"), t.spec.get("engine"))
        if where not in seen:
            seen[where] = batchable(RunSpec(**t.spec))
        return seen[where]

    grouped = [t for t in tasks if fast(t)]
    # in-process there are no workers to keep busy: one batch (up to BATCH) shares all the work
    share = len(grouped) if workers <= 1 else -(-len(grouped) // (4 * workers))
    size = max(1, min(BATCH, share))
    return [grouped[i:i + size] for i in range(0, len(grouped), size)] + [[t] for t in tasks if not fast(t)]


def evaluate_or_error(task: Task, timeout: float | None = None) -> dict[str, Any]:
    """:func:`evaluate`, with a combination whose strategy failed recorded as a row with an ``error``.

    One failing combination (an exception or ``sys.exit()`` in the strategy for some parameters)
    does not throw away the others: its row names the parameters and carries the one-line message.
    A combination still running after ``timeout`` seconds is stopped and recorded the same way.
    """
    from r2k.runner.usercode import StrategyError
    from r2k.runner.workers import TaskTimeout, time_limit

    try:
        with time_limit(timeout):
            return evaluate(task)
    except StrategyError as exc:
        return error_row(task, str(exc))
    except TaskTimeout as exc:
        return error_row(task, str(exc))


def _each_within(tasks: list[Task], timeout: float) -> list[dict[str, Any]]:
    """Rows of ``tasks`` one by one, each within its own time limit (``--task-timeout``)."""
    return [evaluate_or_error(t, timeout) for t in tasks]


def error_row(task: Task, message: str) -> dict[str, Any]:
    """The journal row of a combination that has no result: its key, role, parameters and why."""
    params = {} if task.role == "baseline" else {f"p.{k}": _cell(v) for k, v in task.spec.get("params", {}).items()}
    return {"key": task.key, "role": task.role, "label": task.label, **params, "error": message}


def _cell(v: Any) -> Any:
    return ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v


# -- executors -----------------------------------------------------------------------------
def run_tasks(tasks: list[Task], on_result: Callable[[dict], None], *, workers: int = 1,
              scheduler: str | None = None, dask_local: int | None = None, error_rows: bool = False,
              task_timeout: float | None = None) -> None:
    """Evaluate tasks with the chosen executor, calling ``on_result`` in the parent as each ends.

    With ``error_rows`` a strategy's failure is a row (see :func:`evaluate_or_error`); without, it
    ends the whole evaluation (walk-forward must not pick from a grid with holes).
    Tasks travel in batches (:func:`batches`, evaluated by :func:`evaluate_batch`), except with a
    ``task_timeout`` (error rows only): a limit is per combination, so each one runs on its own.
    """
    if not tasks:
        return
    fn = _evaluate_batch_or_error if error_rows else evaluate_batch
    cut = batches
    if task_timeout is not None and error_rows:
        fn = functools.partial(_each_within, timeout=task_timeout)

        def cut(tasks: list[Task], workers: int) -> list[list[Task]]:
            return [[t] for t in tasks]

    def each(rows: list[dict]) -> None:
        for row in rows:
            on_result(row)

    if scheduler or dask_local:
        _run_dask(cut(tasks, dask_local or 2), each, scheduler, dask_local, fn)
    elif workers <= 1:
        for chunk in cut(tasks, 1):
            each(fn(chunk))
    else:
        _run_pool(cut(tasks, workers), each, workers, fn)


def _run_pool(tasks: list, on_result, workers: int, fn=evaluate) -> None:
    """A local process pool that Ctrl-C or SIGTERM stops at once, leaving no worker behind."""
    from concurrent.futures import as_completed

    from r2k.runner.interrupt import sigterm_as_interrupt, stop_pool
    from r2k.runner.workers import process_pool

    with sigterm_as_interrupt():
        pool = process_pool(min(workers, len(tasks)))
        futures: list = []
        try:
            futures = [pool.submit(fn, t) for t in tasks]
            for fut in as_completed(futures):
                on_result(fut.result())
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()


def _run_dask(tasks: list, on_result, scheduler: str | None, dask_local: int | None, fn=evaluate) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
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
        futures = client.map(fn, tasks, pure=False)
        for fut in as_completed(futures):
            on_result(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- the results journal -------------------------------------------------------------------
def read_rows(path: Path) -> list[dict[str, str]]:
    """The journal's complete rows. A last line without its line end was torn by a crash or a full
    disk and is not a result; nor is a row with fewer fields than the header."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [row for row in reader if row.get("key") and None not in row.values() and None not in row]


def journal_header(path: Path) -> list[str]:
    """The header of an existing journal ([] when there is none)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), None) or []


class Journal:
    """Appends one row per finished combination, flushed to the OS at once (a killed process
    loses nothing) and synced to disk at most every half second and on close (an fsync
    per row cost more than computing it: 10,000 rows would spend most of their time there).

    Opening it drops a torn last line (no line end) so the next row starts on a line of its own,
    and widens the header when a new grid brings new columns (earlier rows keep their values).
    """

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        header = journal_header(path)
        self.columns = header + [c for c in columns if c not in header] if header else list(columns)
        if header and self.columns != header:
            write_table(path, read_rows(path), self.columns)
        elif header:
            _drop_torn_tail(path)
        new = not header
        self.fh = path.open("a" if not new else "w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.fh, fieldnames=self.columns, extrasaction="ignore")
        if new:
            self.writer.writeheader()
            self.fh.flush()
        self._sync = SyncedAppends(self.fh)

    def append(self, row: dict) -> None:
        self.writer.writerow(row)
        self._sync.written()

    def close(self) -> None:
        self._sync.close()


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that has no line end (a row torn mid-write)."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)
            fh.flush()
            os.fsync(fh.fileno())


@dataclass
class SweepOutcome:
    """What a sweep left in its folder: this grid's trials (ranked), baselines and shorter runs."""

    folder: Path
    rows: list[dict]  # this grid's trials over the sweep window, best first
    computed: int  # combinations (trials and shorter ones) computed by this call
    reused: int  # combinations an earlier run had finished
    window: SweepWindow | None = None
    baselines: list[dict] = field(default_factory=list)
    shorter: list[dict] = field(default_factory=list)  # --allow-shorter: each on its own window, apart
    overfitting: dict | None = None  # reports.overfitting.sweep_statistics of the trials


def metric_value(row: dict, metric: str) -> float:
    v = row.get(metric)
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def rank(rows: Iterable[dict], metric: str) -> list[dict]:
    """Best first by ``metric``; rows without a value go last."""
    import math

    rows = list(rows)
    sign = 1.0 if metric in ASCENDING else -1.0
    return sorted(rows, key=lambda r: (math.isnan(metric_value(r, metric)), sign * metric_value(r, metric)
                                       if not math.isnan(metric_value(r, metric)) else 0.0, r["key"]))


def in_role_order(rows: Iterable[dict], metric: str) -> list[dict]:
    """results.csv's order: the trials ranked, then the baselines, then the shorter runs (ranked apart).

    A row without a role (written before roles existed) is a trial.
    """
    by: dict[str, list[dict]] = {r: [] for r in ROLES}
    for row in rows:
        by.get(row.get("role") or "trial", by["trial"]).append(row)
    return rank(by["trial"], metric) + by["baseline"] + rank(by["shorter"], metric)


def result_columns(grid: dict[str, list[Any]], base: RunSpec) -> list[str]:
    """results.csv's columns: key, role, label, the parameters, the summary metrics."""
    from r2k.reports.metrics import SUMMARY_KEYS

    columns = ["key", "role", "label"] + [f"p.{k}" for k in grid] + [f"p.{k}" for k in base.params if k not in grid]
    # error: empty, or why the combination has no result (it is tried again on a rerun)
    return list(dict.fromkeys(columns + list(SUMMARY_KEYS) + ["xirr", "error"]))


def sweep(base: RunSpec, grid: dict[str, list[Any]], folder: Path, *, metric: str = "cagr", workers: int = 1,
          scheduler: str | None = None, dask_local: int | None = None, basis: str = "daily",
          offline: bool = False, warn: Callable[[str], None] | None = None, progress_stream=None,
          store=None, allow_shorter: bool = False, cscv_blocks: int = 16,
          announce: Callable[[SweepTasks], None] | None = None, task_timeout: float | None = None) -> SweepOutcome:
    """Run every combination of ``grid`` on top of ``base`` over one window, with the baselines;
    resume what an earlier run left (a row counts as done only with its returns stored).
    ``announce`` hears the planned work (window, tasks) once everything is checked, before it runs.
    ``task_timeout`` (seconds) bounds each combination; one that runs longer is an error row."""
    from r2k.data.store import Store
    from r2k.runner.grid import combinations
    from r2k.runner.sweep_returns import ReturnsJournal, stored_keys

    if metric not in METRICS:
        raise UsageError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if task_timeout is not None and (scheduler or dask_local):
        raise UsageError("--task-timeout works with local workers (--workers), not with Dask")
    check_sweep_folder(folder, base.to_dict())
    store = store or Store()
    planned = make_tasks(base, combinations(grid), store=store, offline=offline, warn=warn, basis=basis,
                         allow_shorter=allow_shorter)
    tasks = planned.tasks
    if announce:
        announce(planned)
    about = {"spec": base.to_dict(), "grid": {k: [_cell(v) for v in vs] for k, vs in grid.items()},
             "metric": metric, "combinations": len(planned.trials), "window": planned.window.to_dict(),
             "baselines": [t.label for t in planned.baselines]}
    open_sweep_folder(folder, about)
    results = folder / "results.csv"
    table = {r["key"]: r for r in read_rows(results)}
    kept = stored_keys(folder)
    # done: a row with its returns stored and no error (a failed combination is retried)
    todo = [t for t in tasks if not (t.key in table and t.key in kept and not table[t.key].get("error"))]
    journal = Journal(results, result_columns(grid, base))
    store_returns = ReturnsJournal(folder)
    bar = Progress(len(tasks), len(tasks) - len(todo), progress_stream)
    computed = 0

    def on_result(row: dict) -> None:
        nonlocal computed
        returns = row.pop(RETURNS, None)  # an error row has none
        if returns is not None:
            store_returns.append(row["key"], returns)  # returns first: a row on disk has its returns
        journal.append(row)
        table[row["key"]] = row
        computed += row["role"] != "baseline"
        bar.step()

    try:
        run_tasks(todo, on_result, workers=workers, scheduler=scheduler, dask_local=dask_local, error_rows=True,
                  task_timeout=task_timeout)
    finally:
        journal.close()
        store_returns.close()
        bar.close()
    role = {t.key: t.role for t in tasks}
    # this sweep's rows first; earlier grids' (or windows') rows stay, after them, each with its start/end
    write_table(results, in_role_order([r for k, r in table.items() if k in role], metric)
                + in_role_order([r for k, r in table.items() if k not in role], metric), journal.columns)
    mine = [{**table[k], "role": r} for k, r in role.items()]
    trials = rank([r for r in mine if r["role"] == "trial"], metric)
    shorter = rank([r for r in mine if r["role"] == "shorter"], metric)
    baseline_rows = [r for r in mine if r["role"] == "baseline"]
    pending = {t.key for t in todo}  # a set: comparing Task objects pairwise was quadratic (10,000 trials: minutes)
    reused = sum(1 for t in planned.trials if t.key not in pending)
    overfit = trial_statistics(folder, [t.key for t in planned.trials if t.role == "trial"], cscv_blocks)
    if overfit is not None:
        with_baselines(overfit, baseline_rows)
        tmp = folder / ".overfitting.json.tmp"
        tmp.write_text(json.dumps(overfit, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, folder / "overfitting.json")  # never half-written
    return SweepOutcome(folder, trials, computed, reused, planned.window, baseline_rows, shorter, overfit)


def with_baselines(stats: dict, baseline_rows: list[dict]) -> dict:
    """Put the baselines' Sharpe ratios ({what: Sharpe}) beside the statistics and redo the verdict."""
    from r2k.reports.overfitting import verdict

    if "best_sharpe" in stats and baseline_rows:
        stats["baselines"] = {(r.get("label") or r["key"]).split(" (")[0]: metric_value(r, "sharpe")
                              for r in baseline_rows}
        stats["verdict"] = verdict(stats)
    return stats


def trial_statistics(folder: Path, keys: list[str], cscv_blocks: int) -> dict | None:
    """The overfitting statistics of the trials ``keys`` from the folder's returns store (None below 2 trials)."""
    from r2k.runner.sweep_returns import read_returns

    if len(keys) < 2:
        return None
    from r2k.reports.overfitting import sweep_statistics
    from r2k.runner.sweep_returns import returns_matrix

    series = read_returns(folder, keys)
    keys = [k for k in keys if k in series]  # a failed combination has no returns
    if len(keys) < 2:
        return None
    return sweep_statistics(returns_matrix(series, keys), blocks=cscv_blocks)


def check_sweep_folder(folder: Path, spec: dict) -> dict:
    """Refuse a folder that is not this sweep's; return what its sweep.json says ({} if new).

    A folder that r2k did not write (no marker, no sweep.json) is never written into; a sweep
    folder of other base settings is refused (its rows answer another question); the same
    settings with another grid extend it, keeping every earlier row.
    """
    from r2k.reports.runfolder import MARKER

    folder = Path(folder)
    meta = folder / "sweep.json"
    if not folder.exists():
        return {}
    if not folder.is_dir():
        raise UsageError(f"--out {folder} exists and is not a folder")
    if any(folder.iterdir()) and not (meta.is_file() or (folder / MARKER).is_file()):
        raise UsageError(f"--out {folder} is a folder r2k did not write; it is left as it is: choose another --out")
    if not meta.is_file():
        return {}
    try:
        before = json.loads(meta.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    old_spec = {k: v for k, v in before.get("spec", {}).items() if k != "params"}
    new_spec = {k: v for k, v in json.loads(json.dumps(spec, default=str)).items() if k != "params"}
    differs = sorted(k for k in set(old_spec) | set(new_spec) if old_spec.get(k) != new_spec.get(k))
    if old_spec and differs:
        raise UsageError(f"--out {folder} holds a sweep with other settings ({', '.join(differs)} differ); "
                         "choose another --out")
    return before


def open_sweep_folder(folder: Path, about: dict) -> None:
    """Make or reopen a sweep folder (see :func:`check_sweep_folder`), recording earlier grids."""
    from r2k.reports.runfolder import MARKER, write_json

    before = check_sweep_folder(folder, about["spec"])
    grids = before.get("earlier_grids", [])
    if before.get("grid") and before.get("grid") != about["grid"]:
        grids = [*grids, before["grid"]]
    about = {**about, **({"earlier_grids": grids} if grids else {})}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / MARKER, {"written_by": "r2k", "kind": "sweep"})
        write_json(folder / "sweep.json", about)
    except OSError as exc:
        raise R2KError(f"cannot write to {folder}: {exc.strerror or exc}") from None


def rank_grid(base: RunSpec, grid: dict[str, list[Any]], *, metric: str, workers: int = 1,
              scheduler: str | None = None, dask_local: int | None = None, basis: str = "daily",
              store=None) -> list[dict]:
    """Evaluate every combination (no journal) and rank them; each row carries its params as ``p``."""
    return rank_grids([base], grid, metric=metric, workers=workers, scheduler=scheduler, dask_local=dask_local,
                      basis=basis, store=store)[0]


def rank_grids(bases: list[RunSpec], grid: dict[str, list[Any]], *, metric: str, workers: int = 1,
               scheduler: str | None = None, dask_local: int | None = None, basis: str = "daily", store=None,
               on_ranked: Callable[[int], None] | None = None) -> list[list[dict]]:
    """:func:`rank_grid` of the same grid on several base specs (a walk-forward's windows) in one
    evaluation: one stream of batches, one pool of workers, instead of one per base.

    ``on_ranked(i)`` is called once every combination of ``bases[i]`` is in. Rows carry no daily
    returns (ranking reads metrics). Ties rank by key (``base/combination``), so within a base
    exactly as :func:`rank_grid` of that base alone."""
    from r2k.data.store import Store
    from r2k.runner.grid import combinations

    home = str((store or Store()).root)
    combos = combinations(grid)
    tasks = [Task(f"{b}/{i}", replace(base, params={**base.params, **c}).to_dict(), home, basis, returns=False)
             for b, base in enumerate(bases) for i, c in enumerate(combos)]
    rows: list[dict[str, dict]] = [{} for _ in bases]

    def keep(row: dict) -> None:
        row.pop(RETURNS, None)
        b, i = (int(x) for x in row["key"].split("/"))
        row["p"] = combos[i]
        rows[b][row["key"]] = row
        if on_ranked is not None and len(rows[b]) == len(combos):
            on_ranked(b)

    run_tasks(tasks, keep, workers=workers, scheduler=scheduler, dask_local=dask_local)
    return [rank(r.values(), metric) for r in rows]


@dataclass
class SweepResult:
    """A sweep in memory: its trials ranked by ``metric``, the baselines, shorter runs, and every
    combination's daily returns (what ``.overfitting`` is computed from)."""

    base: RunSpec
    grid: dict[str, list[Any]]
    metric: str
    rows: list[dict]  # the trials over the window, best first
    baselines: list[dict] = field(default_factory=list)
    shorter: list[dict] = field(default_factory=list)
    window: SweepWindow | None = None
    returns: dict[str, Any] = field(default_factory=dict)  # key -> daily returns (pd.Series)
    cscv_blocks: int = 16

    @property
    def results(self):
        """Every row as results.csv holds it: trials ranked, then baselines, then shorter runs (``role``)."""
        import pandas as pd

        rows = [{"role": "trial", **r} for r in self.rows] + self.baselines + self.shorter
        return pd.DataFrame([{k: v for k, v in r.items() if k != "p"} for r in rows])

    @cached_property
    def overfitting(self) -> dict | None:
        """The overfitting statistics of the trials (reports/overfitting.py; None below 2 trials)."""
        if len(self.rows) < 2:
            return None
        from r2k.reports.overfitting import sweep_statistics
        from r2k.runner.sweep_returns import returns_matrix

        keys = [r["key"] for r in self.rows if r["key"] in self.returns]
        if len(keys) < 2:
            return None
        return with_baselines(sweep_statistics(returns_matrix(self.returns, keys), blocks=self.cscv_blocks),
                              self.baselines)

    def save(self, folder: str | Path) -> Path:
        """Write results.csv, returns.bin and sweep.json (a folder a later ``r2k sweep`` of the same settings extends)."""
        from r2k.runner.sweep_returns import ReturnsJournal

        folder = Path(folder)
        about = {"spec": self.base.to_dict(), "metric": self.metric, "combinations": len(self.rows) + len(self.shorter),
                 "grid": {k: [_cell(v) for v in vs] for k, vs in self.grid.items()}}
        if self.window is not None:
            about["window"] = self.window.to_dict()
        open_sweep_folder(folder, about)
        rows = [{"role": "trial", **r} for r in self.rows] + self.baselines + self.shorter
        journal = ReturnsJournal(folder)
        try:
            for r in rows:
                if r["key"] in self.returns:
                    journal.append(r["key"], self.returns[r["key"]])
        finally:
            journal.close()
        write_table(folder / "results.csv", rows, result_columns(self.grid, self.base))
        return folder


@dataclass
class SweepTasks:
    """A sweep's work: its window, one task per combination (grid order), and the baselines."""

    window: SweepWindow
    trials: list[Task]  # role trial, or shorter (--allow-shorter)
    baselines: list[Task]

    @property
    def tasks(self) -> list[Task]:
        return self.baselines + self.trials  # the reference rows first: an interrupted sweep has them


def make_tasks(base: RunSpec, combos: list[dict[str, Any]], *, store, offline: bool,
               warn: Callable[[str], None] | None, basis: str, allow_shorter: bool = False) -> SweepTasks:
    """The sweep's tasks, after validating every combination and loading (or, online, refreshing)
    all the data they need, once, here: workers never touch the network. Every combination runs
    over the one window of runner/sweep_window.py; the baselines over it too."""
    from r2k.data import loader
    from r2k.runner.baselines import baselines
    from r2k.runner.engine import required_data
    from r2k.runner.sweep_window import sweep_window

    note = warn or (lambda m: None)
    specs = [replace(base, params={**base.params, **params}) for params in combos]
    needs: list[set[str]] = []
    series: set[str] = set()
    for s in specs:
        p, sr = required_data(s)
        needs.append(p)
        series |= sr
    held = {b.spec.params["symbol"] for b in baselines(base, None, None)}
    loaded = {name: loader.get(name, series=False, store=store, offline=offline, warn=note)
              for name in sorted(set().union(*needs) | held)}
    for name in sorted(series):
        loader.get(name, series=True, store=store, offline=offline, warn=note)
    ranges = {n: (st.data.index[0], st.data.index[-1]) for n, st in loaded.items()}
    window = sweep_window(needs, ranges, {n: st.data.index for n, st in loaded.items()}, start=base.start,
                          end=base.end, allow_shorter=allow_shorter)
    ws, we = f"{window.start:%Y-%m-%d}", f"{window.end:%Y-%m-%d}"
    source, home = strategy_source_sha(base), str(store.root)
    trials = []
    for i, s in enumerate(specs):
        if i in window.shorter:
            lo, hi, _ = window.shorter[i]
            s, role = replace(s, start=f"{lo:%Y-%m-%d}", end=f"{hi:%Y-%m-%d}"), "shorter"
        else:
            s, role = replace(s, start=ws, end=we), "trial"
        trials.append(Task(combo_key(s, s.params, source), s.to_dict(), home, basis, role))
    refs = []
    for b in baselines(base, ws, we):
        sym = b.spec.params["symbol"]
        lo, hi = ranges[sym]
        if lo > window.start or hi < window.end:
            note(f"baseline {b.label} left out: {sym} data {lo:%Y-%m-%d}..{hi:%Y-%m-%d} does not cover the sweep "
                 f"window {window.text()}")
            continue
        refs.append(Task(combo_key(b.spec, b.spec.params, strategy_source_sha(b.spec)), b.spec.to_dict(), home, basis,
                         "baseline", b.label))
    return SweepTasks(window, trials, refs)


def sweep_in_memory(base: RunSpec, grid: dict[str, list[Any]], *, metric: str = "cagr", workers: int = 1,
                    store=None, offline: bool = False, warn: Callable[[str], None] | None = None,
                    allow_shorter: bool = False, cscv_blocks: int = 16) -> SweepResult:
    """Every combination of ``grid`` on ``base``, computed in memory (the Python API's sweep)."""
    from r2k.data.store import Store
    from r2k.runner.grid import combinations

    if metric not in METRICS:
        raise UsageError(f"metric must be one of {', '.join(METRICS)}, not {metric!r}")
    store = store or Store()
    planned = make_tasks(base, combinations(grid), store=store, offline=offline, warn=warn, basis=base.stats,
                         allow_shorter=allow_shorter)
    rows: list[dict] = []
    returns: dict[str, Any] = {}

    def keep(row: dict) -> None:
        returns[row["key"]] = row.pop(RETURNS)
        rows.append(row)

    run_tasks(planned.tasks, keep, workers=workers)
    by_role = {r: [row for row in rows if row["role"] == r] for r in ROLES}
    return SweepResult(base, grid, metric, rank(by_role["trial"], metric), by_role["baseline"],
                       rank(by_role["shorter"], metric), planned.window, returns, cscv_blocks)


def write_table(path: Path, rows: list[dict], columns: list[str]) -> None:
    """Replace the journal with ``rows`` under ``columns``, atomically (a crash keeps the journal)."""
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
