"""Issue 18: every target side by side in one run, as ratios (the machine is shared: only ratios
measured in the same run mean anything).

1. 101-combination trend-filter sweep (``-g window=20:220:2 --start 2000-06-01 --end 2024-12-31``):
   compute per combination in process (CPU time) of r2k batched (``sweeps.evaluate_batch``), r2k
   one combination at a time (``sweeps.evaluate``), vectorbt warm ``MA.run`` + ``from_signals``
   over the same 101 windows (its own venv, bench/peers.sh), and a one-pass numpy floor.
2. Combinations per second of the whole sweep call for 1 and 2 processes and Dask LocalCluster(2);
   the whole ``r2k sweep`` process against a whole vectorbt process.
3. 10,000-combination four-parameter sweep (rate-cut-rotation): time, peak memory of the process
   tree, and a resume that computes nothing.
4. ``r2k run buy-and-hold --symbol IWM --start 2005-01-01 --end 2024-12-31 --no-tearsheet`` against a
   pandas script that reads the same store file and computes the same CAGR; with the tear sheet
   (whole command, and when its summary line is printed); ``compare`` of three with tear sheets;
   walk-forward of the trend filter (5-year train, 1-year test).

    R2K_TEST_DATA=../shared/data python bench/speed18.py [--before /path/to/old/venv/bin/python]
    (R2K_BENCH_VENV: the vectorbt venv, default /tmp/r2k-bench-venv; --quick skips the 10,000 sweep)

``--before`` runs the whole-process commands a second time with another r2k install (e.g. main
before issue 18) so "today" and "after" are measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from common import real_store

SWEEP = ["sweep", "trend-filter", "-g", "window=20:220:2", "--start", "2000-06-01", "--end", "2024-12-31"]
RUN = ["run", "buy-and-hold", "--symbol", "IWM", "--start", "2005-01-01", "--end", "2024-12-31"]
COMPARE = ["compare", "buy-and-hold", "dca", "trend-filter", "--start", "2005-01-01", "--end", "2024-12-31"]
WALK = ["walkforward", "trend-filter", "-g", "window=20:220:10", "--train", "5y", "--test", "1y", "--start",
        "2000-06-01", "--end", "2024-12-31", "--no-tearsheet", "--workers", "1"]

PANDAS_SCRIPT = textwrap.dedent("""
    import os, sys
    import pandas as pd
    df = pd.read_parquet(os.path.join(os.environ["R2K_HOME"], "prices", "IWM.parquet"))
    df.index = pd.to_datetime(df.index) if "date" not in df.columns else pd.to_datetime(df.pop("date"))
    px = df["adj_close"].loc["2005-01-01":"2024-12-31"]
    years = (px.index[-1] - px.index[0]).days / 365.25
    print(f"CAGR {(px.iloc[-1] / px.iloc[0]) ** (1 / years) - 1:.4%}")
""")

VBT_SCRIPT = textwrap.dedent("""
    import sys, time, statistics
    import numpy as np, pandas as pd
    import vectorbt as vbt
    data = np.load(sys.argv[1])
    close = pd.Series(data["close"], index=pd.to_datetime(data["dates"]))
    first = int(data["first"])
    windows = list(range(20, 221, 2))
    def go():
        ma = vbt.MA.run(close, window=windows)
        above = ma.close_above(ma.ma)
        entries, exits = above.iloc[first:], (~above).iloc[first:]
        pf = vbt.Portfolio.from_signals(close.iloc[first:], entries, exits, init_cash=10_000.0, freq="1D")
        return pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown()
    go()
    times = []
    for _ in range(5):
        t = time.process_time(); go(); times.append(time.process_time() - t)
    print(statistics.median(times) / len(windows))
""")


def cpu_per_call(fn, n: int, repeat: int = 5) -> float:
    """Median CPU seconds of ``fn()`` divided by ``n`` (process time: robust on a shared machine)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times) / n


def wall(cmd: list[str], env: dict, repeat: int = 3) -> float:
    subprocess.run(cmd, capture_output=True, env=env)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def summary_time(cmd: list[str], env: dict, marker: str = "CAGR") -> tuple[float, float]:
    """(seconds until a stdout line containing ``marker``, seconds until the process ends)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
    first = None
    for line in p.stdout:
        if first is None and marker in line:
            first = time.perf_counter() - t
    p.wait()
    return (first if first is not None else float("nan")), time.perf_counter() - t


def numpy_floor(close, first: int, windows: list[int]) -> float:
    """One pass per window: SMA by prefix sums, hold while above, compound, CAGR."""
    import numpy as np

    sums = np.concatenate([[0.0], np.cumsum(close)])
    rets = close[first + 1:] / close[first:-1] - 1.0
    out = 0.0
    for w in windows:
        idx = np.arange(first, len(close))
        sma = (sums[idx + 1] - sums[np.maximum(idx + 1 - w, 0)]) / w
        above = (close[first:] > sma) & (idx + 1 >= w)
        growth = np.prod(1.0 + np.where(above[:-1], rets, 0.0))
        out += growth
    return out


def sweep_inprocess(home: Path, lines: list[str]) -> None:
    import numpy as np

    from r2k.data.store import Store
    from r2k.runner import sweeps
    from r2k.runner.build import build_spec
    from r2k.runner.grid import combinations

    base = build_spec("trend-filter", {"start": "2000-06-01", "end": "2024-12-31"})
    combos = combinations({"window": list(range(20, 221, 2))})
    planned = sweeps.make_tasks(base, combos, store=Store(home), offline=True, warn=None, basis="daily")
    tasks = [t for t in getattr(planned, "trials", planned)]
    batched = cpu_per_call(lambda: sweeps.evaluate_batch(tasks), len(tasks))
    few = tasks[:10]
    single = cpu_per_call(lambda: [sweeps.evaluate(t) for t in few], len(few), repeat=3)

    # the same closes for the peers: IWM adj_close on r2k's calendar, with its history before the start
    from r2k.runner.engine import load_inputs

    inputs = load_inputs(["IWM", "CASH"], [], [], base, store=Store(home), offline=True, note=lambda m: None,
                         providers=None)
    adj = inputs.stored["IWM"].data["adj_close"]
    adj = adj.loc[: inputs.calendar[-1]]
    first = int(adj.index.searchsorted(inputs.calendar[0]))
    windows = list(range(20, 221, 2))
    floor = cpu_per_call(lambda: numpy_floor(adj.to_numpy(), first, windows), len(windows), repeat=7)
    vbt = None
    venv = Path(os.environ.get("R2K_BENCH_VENV", "/tmp/r2k-bench-venv")) / "bin" / "python"
    if venv.exists():
        tmp = Path(tempfile.mkdtemp())
        np.savez(tmp / "iwm.npz", close=adj.to_numpy(), dates=adj.index.values.astype("datetime64[ns]"), first=first)
        (tmp / "vbt.py").write_text(VBT_SCRIPT)
        res = subprocess.run([str(venv), str(tmp / "vbt.py"), str(tmp / "iwm.npz")], capture_output=True, text=True)
        vbt = float(res.stdout.strip().splitlines()[-1]) if res.returncode == 0 else None
        if vbt is None:
            lines.append(f"vectorbt failed: {res.stderr.strip().splitlines()[-1:]}")
        else:
            t = time.perf_counter()
            subprocess.run([str(venv), str(tmp / "vbt.py"), str(tmp / "iwm.npz")], capture_output=True, check=True)
            lines.append(f"vectorbt whole process (import + 6 evaluations of 101): {time.perf_counter() - t:.2f} s")
    lines.append("101-combination trend-filter sweep, compute per combination (CPU ms, median):")
    lines.append(f"  r2k batched            {batched * 1e3:8.3f} ms")
    lines.append(f"  r2k one at a time      {single * 1e3:8.3f} ms   (batched is {single / batched:.1f}x faster)")
    if vbt is not None:
        lines.append(f"  vectorbt from_signals  {vbt * 1e3:8.3f} ms   (r2k batched / vectorbt = {batched / vbt:.2f})")
    lines.append(f"  numpy floor            {floor * 1e3:8.3f} ms   (r2k batched / floor = {batched / floor:.1f})")


def executors(home: Path, lines: list[str]) -> None:
    from r2k.runner import sweeps
    from r2k.runner.build import build_spec

    base = build_spec("trend-filter", {"start": "2000-06-01", "end": "2024-12-31"})
    grid = {"window": list(range(20, 221, 2))}
    tmp = Path(tempfile.mkdtemp())
    rows = {}
    for label, kw in (("1 process", {"workers": 1}), ("2 processes", {"workers": 2}),
                      ("Dask LocalCluster(2)", {"dask_local": 2})):
        t = time.perf_counter()
        out = sweeps.sweep(base, grid, tmp / label.replace(" ", "_"), offline=True, **kw)
        dt = time.perf_counter() - t
        rows[label] = {r["p.window"]: r["cagr"] for r in out.rows}
        lines.append(f"  {label:<22} {len(out.rows)} combinations in {dt:6.2f} s = {len(out.rows) / dt:7.1f}/s")
    first = next(iter(rows.values()))
    lines.append("  rows identical across executors: " + str(all(r == first for r in rows.values())))


def big_sweep(r2k: list[str], env: dict, lines: list[str]) -> None:
    out = Path(tempfile.mkdtemp()) / "big"
    cmd = [*r2k, "sweep", "rate-cut-rotation", "-g", "lookback_months=1:50", "-g", "min_change=0.05:1.0:0.05",
           "-g", "risk_off=SPY,CASH,TLT,SHY,QQQ", "-g", "rate_series=target,DFF", "--start", "2002-08-01",
           "--end", "2024-12-31", "--workers", "2", "--offline", "--out", str(out), "--top", "3"]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    while p.poll() is None:
        try:
            tree = subprocess.run(["ps", "-o", "rss=", "--ppid", str(p.pid)], capture_output=True, text=True).stdout
            own = subprocess.run(["ps", "-o", "rss=", "-p", str(p.pid)], capture_output=True, text=True).stdout
            peak = max(peak, sum(int(x) for x in (tree + own).split()))
        except ValueError:
            pass
        time.sleep(0.2)
    dt = time.perf_counter() - t
    rows = sum(1 for _ in (out / "results.csv").open()) - 1 if (out / "results.csv").exists() else 0
    lines.append(f"  10,000-combination rate-cut-rotation sweep (2002-08-01..2024-12-31), 2 workers: {dt:.1f} s, "
                 f"exit {p.returncode}, "
                 f"{rows} rows, peak RSS of the process tree {peak / 1024:.0f} MiB")
    t = time.perf_counter()
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines.append(f"  rerun of the same command (resume): {time.perf_counter() - t:.1f} s, exit {again.returncode}")


def processes(r2k: list[str], env: dict, lines: list[str], tag: str) -> None:
    tmp = Path(tempfile.mkdtemp())
    run_nt = wall([*r2k, *RUN, "--no-tearsheet", "--offline", "--out", str(tmp / "a")], env)
    pandas_t = wall([sys.executable, "-c", PANDAS_SCRIPT], env)
    first, whole = summary_time([*r2k, *RUN, "--offline", "--out", str(tmp / "b")], env)
    t = time.perf_counter()
    subprocess.run([*r2k, *COMPARE, "--offline", "--out", str(tmp / "c")], capture_output=True, env=env)
    compare_t = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([*r2k, *WALK, "--offline", "--out", str(tmp / "w")], capture_output=True, env=env)
    walk_t = time.perf_counter() - t
    subprocess.run([*r2k, *SWEEP, "--workers", "1", "--offline", "--out", str(tmp / "s0")], capture_output=True, env=env)
    t = time.perf_counter()  # a fresh folder: every combination computed (a rerun would only resume)
    subprocess.run([*r2k, *SWEEP, "--workers", "1", "--offline", "--out", str(tmp / "s1")], capture_output=True,
                   env=env, check=True)
    sweep_t = time.perf_counter() - t
    lines.append(f"[{tag}] run --no-tearsheet {run_nt:.2f} s vs pandas script {pandas_t:.2f} s "
                 f"(ratio {run_nt / pandas_t:.2f})")
    lines.append(f"[{tag}] run with tear sheet: summary after {first:.2f} s, whole command {whole:.2f} s")
    lines.append(f"[{tag}] compare of three with tear sheets {compare_t:.2f} s")
    lines.append(f"[{tag}] walk-forward trend-filter (window=20:220:10, 5y/1y, 1 worker, no tear sheet) {walk_t:.2f} s")
    lines.append(f"[{tag}] whole r2k sweep process (101 combinations, 1 worker, fresh folder) {sweep_t:.2f} s")
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="python of another r2k install to time the same commands with")
    ap.add_argument("--quick", action="store_true", help="skip the 10,000-combination sweep")
    args = ap.parse_args()
    home = real_store()
    env = {**os.environ, "R2K_HOME": str(home)}
    lines: list[str] = []
    sweep_inprocess(home, lines)
    lines.append("combinations per second of the whole sweep call (journal, baselines, statistics included):")
    executors(home, lines)
    if not args.quick:
        big_sweep([sys.executable, "-m", "r2k.runner"], env, lines)
    processes([sys.executable, "-m", "r2k.runner"], env, lines, "after")
    if args.before:
        processes([args.before, "-m", "r2k.runner"], env, lines, "before")
    lines.append(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print("\n".join(lines), flush=True)
    print(json.dumps({"machine_load": os.getloadavg()}))


if __name__ == "__main__":
    main()
