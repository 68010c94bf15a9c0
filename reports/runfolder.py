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

from r2k.data.errors import R2KError

LIBRARIES = ("r2k", "backtrader", "pandas", "numpy", "yfinance", "quantstats", "click", "pyarrow", "matplotlib")


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


def atomic_folder(target: Path, fill: Callable[[Path], None]) -> Path:
    """Create ``target`` by letting ``fill`` write into a temp folder, then renaming it into place."""
    target = Path(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise R2KError(f"cannot write to {parent}: {exc.strerror or exc}") from None
    try:
        fill(tmp)
        old = None
        if target.exists():
            old = parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
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
    return started_from_zero(m, result)


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


def write_run_folder(result, target: Path, *, tearsheet: bool = True, basis: str = "daily") -> Path:
    """Write metrics, CSVs, manifest and (optionally) the tear sheet of ``result`` to ``target``."""
    if not result.metrics:
        result.metrics = compute_metrics(result, basis)

    def fill(folder: Path) -> None:
        write_json(folder / "metrics.json", result.metrics)
        r = result.returns.rename("return").rename_axis("date")
        r.to_frame().to_csv(folder / "returns.csv", date_format="%Y-%m-%d", float_format="%.12g")
        result.equity.rename_axis("date").to_csv(folder / "equity.csv", date_format="%Y-%m-%d", float_format="%.10g")
        result.positions.rename_axis("date").to_csv(folder / "positions.csv", date_format="%Y-%m-%d", float_format="%.10g")
        result.trades.to_csv(folder / "trades.csv", index=False, float_format="%.10g")
        result.cashflows.to_csv(folder / "cashflows.csv", index=False, float_format="%.10g")
        result.decisions.to_csv(folder / "decisions.csv", index=False)
        write_json(folder / "manifest.json", manifest(result))
        if tearsheet:
            from r2k.reports.tearsheet import render

            title = f"r2k {result.spec.strategy} {result.start:%Y-%m-%d}..{result.end:%Y-%m-%d}"
            render(result.returns, folder / "tearsheet.html", title, result.benchmark, result.assumptions)

    return atomic_folder(target, fill)
