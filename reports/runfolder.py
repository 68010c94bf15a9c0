"""Writing a run folder atomically.

Everything is written into a hidden temporary folder beside the target and renamed into place
at the end, so a killed run never leaves a half-written folder that looks whole.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from r2k.data.envfail import os_error_message
from r2k.data.errors import R2KError, UsageError
from r2k.data.fsmode import dir_mode

LIBRARIES = ("r2k", "backtrader", "pandas", "numpy", "numba", "yfinance", "click", "pyarrow", "matplotlib")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


#: Written into every folder r2k creates, so r2k replaces only folders it wrote.
MARKER = ".r2k-folder"
#: How to get out of an --out folder that cannot be written.
OUT_HINT = "choose another --out (a folder you can write)"


def written_by_r2k(folder: Path) -> bool:
    """True for a folder r2k wrote: it has our marker, or (run folders of earlier versions) a
    manifest.json with a run key."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    try:
        return "run_key" in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def check_replaceable(target: Path, what: str = "--out") -> None:
    """Refuse to replace anything but nothing, an empty folder, or a folder r2k wrote.

    An ``--out`` that names a user's own folder must never delete it; the check runs before any
    work starts and again just before the rename.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_dir():
        raise UsageError(f"{what} {target} exists and is not a folder r2k wrote; choose another {what}")
    try:
        empty = not any(target.iterdir())
    except OSError as exc:
        raise R2KError(f"cannot read {target}: {exc.strerror or exc}") from None
    if not empty and not written_by_r2k(target):
        raise UsageError(f"{what} {target} is a folder r2k did not write (no {MARKER} in it); it is left as it is: "
                       f"choose another {what} or remove that folder yourself")


def atomic_folder(target: Path, fill: Callable[[Path], None], kind: str = "run") -> Path:
    """Create ``target`` by letting ``fill`` write into a temp folder, then renaming it into place.

    Only a folder r2k wrote (see :func:`check_replaceable`) is replaced; the new folder carries the
    marker that says so.
    """
    target = Path(target)
    check_replaceable(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
        tmp.chmod(dir_mode())  # mkdtemp's 0700 would ignore the umask (r2k.data.fsmode)
    except OSError as exc:
        raise R2KError(os_error_message(exc, f"cannot write to {parent}", OUT_HINT)
                       or f"cannot write to {parent}: {exc.strerror or exc}") from None
    try:
        fill(tmp)
        write_json(tmp / MARKER, {"written_by": "r2k", "kind": kind})
        check_replaceable(target)
        old = None
        if target.exists():
            old = parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        msg = os_error_message(exc, f"cannot write the {kind} folder {target}", OUT_HINT, atomic=True) \
            if isinstance(exc, OSError) else None
        if msg is not None:  # a full disk mid-write: one line, and nothing half-written is left
            raise R2KError(msg) from None
        raise
    return target


def compute_metrics(result, basis: str = "daily") -> dict:
    """The run's metrics.json content (see reports.metrics for every definition)."""
    from r2k.reports.metrics import summarize

    cash0 = float(result.cashflows["amount"].iloc[0])
    m = summarize(
        result.returns, start=result.start, initial_cash=cash0,
        final_value=float(result.equity["value"].iloc[-1]), cashflows=result.cashflows,
        trades=result.trades, equity=result.equity, basis=basis, rf=getattr(result, "rf", 0.0),
    )
    m = with_outcome(started_from_zero(m, result), getattr(result, "outcome", None))
    m = with_exposure(m, getattr(result, "positions", None), result.returns.index)
    return with_real(m, result, result.returns, result.equity["value"], result.cashflows, basis)


def with_exposure(m: dict, positions, dates) -> dict:
    """``m`` plus ``exposure`` (reports.metrics.exposure: days holding anything but cash)."""
    from r2k.reports.metrics import exposure

    value = exposure(positions, dates)
    if value is not None:
        m["exposure"] = value
    return m


def with_real(m: dict, result, returns, value, cashflows, basis: str) -> dict:
    """``m`` plus ``m["real"]``: the real metrics (reports.real) when the run asked for them (--real)."""
    cpi = getattr(result, "cpi", None)
    if not getattr(result.spec, "real", False) or cpi is None:
        return m
    from r2k.reports.real import deflator, real_metrics

    d = deflator(cpi, value.index)
    return {**m, "real": started_from_zero(real_metrics(returns, value, cashflows, d, basis=basis), result)}


def with_outcome(m: dict, outcome: dict | None) -> dict:
    """The withdrawal plan's outcome (runner.flows) in the metrics, in SUMMARY_KEYS order.

    ``depleted_on`` is a date, or None for an account that survived (present only with withdrawals).
    """
    from r2k.reports.metrics import SUMMARY_KEYS, _json

    if not outcome:
        return m
    merged = {**m, **{k: _json(v) for k, v in outcome.items()}}
    return {k: merged[k] for k in SUMMARY_KEYS if k in merged} | {k: v for k, v in merged.items() if k not in SUMMARY_KEYS}


def started_from_zero(m: dict, result) -> dict:
    """With ``--cash 0`` the first contribution opens the account: report 0 initial cash and count
    that first deposit as contributed, as the user asked (gain and returns are unchanged)."""
    if getattr(result.spec, "cash", None) == 0 and m.get("initial_cash"):
        m["contributed"] = (m.get("contributed") or 0.0) + m["initial_cash"]
        m["initial_cash"] = 0.0
    return m


def manifest(result) -> dict:
    """What reproduces the run: the spec, the versions, and every input's source and hash."""
    import datetime as dt

    return {
        "spec": result.spec.to_dict(),
        "run_key": result.spec.key(),
        "label": getattr(result, "label", "") or result.spec.strategy,
        "benchmark_metrics": getattr(result, "benchmark_metrics", None),
        "strategy": {"name": result.spec.strategy, "description": result.strategy_doc, "params": result.params},
        "window": {"start": f"{result.start:%Y-%m-%d}", "end": f"{result.end:%Y-%m-%d}", "days": len(result.equity)},
        "assumptions": result.assumptions,
        "strategy_source": result.source,
        "config": result.config,
        "inputs": result.inputs,
        "notes": result.notes,
        "versions": versions(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def dated_csv(frame, path: Path, float_format: str) -> None:
    """Write ``frame`` (a DatetimeIndex of days) as CSV with a ``date`` column of YYYY-MM-DD.

    numpy formats the dates in one C call; ``to_csv(date_format=...)`` calls strftime per row,
    which was a fifth of a run's time over four 25-year files. Same bytes
    (tests/test_runfolder_csv.py).
    """
    import numpy as np
    import pandas as pd

    out = frame.copy(deep=False)
    out.index = pd.Index(np.datetime_as_string(frame.index.values, unit="D"), name="date")
    out.to_csv(path, float_format=float_format)


def write_run_folder(result, target: Path, *, tearsheet: bool = True, basis: str | None = None) -> Path:
    """Write metrics, CSVs, manifest and (optionally) the tear sheet of ``result`` to ``target``.

    The result comes finished from the engine (its ``metrics`` are what metrics.json holds); a
    result without metrics (one restricted to a window, one loaded from an old folder) gets them
    here, by the same policy.
    """
    if not result.metrics:
        result.metrics = compute_metrics(result, basis or getattr(result.spec, "stats", "daily"))

    def fill(folder: Path) -> None:
        write_json(folder / "metrics.json", result.metrics)
        dated_csv(result.returns.rename("return").to_frame(), folder / "returns.csv", "%.12g")
        dated_csv(result.equity, folder / "equity.csv", "%.10g")
        dated_csv(result.positions, folder / "positions.csv", "%.10g")
        result.trades.to_csv(folder / "trades.csv", index=False, float_format="%.10g")
        result.cashflows.to_csv(folder / "cashflows.csv", index=False, float_format="%.10g")
        result.decisions.to_csv(folder / "decisions.csv", index=False)
        if getattr(result.spec, "real", False) and getattr(result, "cpi", None) is not None:
            from r2k.reports.real import deflator, real_table

            value = result.equity["value"]
            dated_csv(real_table(value, deflator(result.cpi, value.index)), folder / "real.csv", "%.10g")
        write_json(folder / "manifest.json", manifest(result))
        if tearsheet:
            result.tearsheet(folder / "tearsheet.html")

    return atomic_folder(target, fill)


def find_runs(root: Path, depth: int = 3) -> list[dict]:
    """Every run folder r2k wrote under ``root`` (``depth`` levels down), newest first.

    Each row: path, label, strategy, window, CAGR and when it was created, read from the folder's
    manifest.json and metrics.json; folders that cannot be read are skipped.
    """
    root = Path(root)
    rows: list[dict] = []

    def walk(folder: Path, level: int) -> None:
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return
        for child in children:
            man, met = child / "manifest.json", child / "metrics.json"
            if man.is_file() and met.is_file():
                try:
                    m, x = json.loads(man.read_text(encoding="utf-8")), json.loads(met.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                rows.append({"path": str(child), "label": m.get("label") or m.get("spec", {}).get("strategy", "?"),
                             "start": x.get("start"), "end": x.get("end"), "cagr": x.get("cagr"),
                             "created": m.get("created", "")})
            elif level < depth:
                walk(child, level + 1)

    walk(root, 1)
    return sorted(rows, key=lambda r: (r["created"], r["path"]), reverse=True)
