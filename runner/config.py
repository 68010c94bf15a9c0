"""TOML config files for ``r2k run --config`` and ``r2k compare --config``.

A run file holds the same settings as the flags (flags given on the command line win)::

    strategy = "yield-curve-filter"       # a name, "package.module:Class" or "file.py:Class"
    strategy_path = ["examples"]          # folders searched for strategy files
    symbol = "IWM"                        # shorthand for params.symbol
    start = 2005-01-03                    # a TOML date, or "YYYY", "YYYY-MM", "YYYY-MM-DD", or 2005
    end = "2024"                          # a year or month as an end: its last day
    cash = 10000
    contribute = 500
    every = "month"                       # week | month | quarter | year
    benchmark = "SPY"                     # or "none"
    fill = "next-open"                    # next-open | close
    commission_bps = 5
    slippage_bps = 2
    whole_shares = false
    stats = "daily"                       # daily | monthly
    out = "runs/yield-curve"
    offline = true
    tearsheet = false

    [params]
    risk_off = "CASH"

Keys may be spelled with ``-`` or ``_``. Relative paths (``strategy_path``, ``out``, a
``file.py:Class`` strategy) are relative to the config file's folder, so a file and its strategies
can move together. An unknown key or a value of the wrong type is a usage error naming the key.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, NamedTuple

from r2k.data.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _flag(v: Any) -> bool:
    return isinstance(v, bool)


def _date(v: Any) -> bool:
    """A TOML date, or text / an int year in the one date grammar (YYYY, YYYY-MM, YYYY-MM-DD)."""
    return (isinstance(v, (str, dt.date)) and not isinstance(v, dt.datetime)) or (
        isinstance(v, int) and not isinstance(v, bool))


def _paths(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, list) and all(isinstance(p, str) for p in v))


def _table(v: Any) -> bool:
    return isinstance(v, dict)


_WHAT = {_number: "a number", _text: "a string", _flag: "true or false", _date: "a date (YYYY, YYYY-MM or YYYY-MM-DD)",
         _paths: "a folder or a list of folders", _table: "a table of key = value"}

#: settings shared by run and compare files (flag name = key with '-' for '_')
COMMON = {
    "start": _date, "end": _date, "cash": _number, "contribute": _number, "every": _text, "benchmark": _text,
    "fill": _text, "commission_bps": _number, "slippage_bps": _number, "whole_shares": _flag, "stats": _text,
    "withdraw": _number, "withdraw_pct": _number, "withdraw_from": _date, "inflation_adjust": _flag, "real": _flag,
    "out": _text, "offline": _flag, "tearsheet": _flag, "strategy_path": _paths, "symbol": _text, "engine": _text, "rf": _text,
}
RUN_KEYS = {"strategy": _text, "params": _table, **COMMON}
#: a compare member's table: its strategy, label, parameters and any run setting of its own
ENTRY_KEYS = {"strategy": _text, "params": _table, "label": _text,
              **{k: v for k, v in COMMON.items() if k not in ("out", "offline", "tearsheet", "strategy_path", "stats")}}


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config {path}: {exc}") from None


def _check(table: dict[str, Any], allowed: dict, where: str) -> dict[str, Any]:
    """Normalise key spelling, refuse unknown keys and wrong types, turn dates into ISO strings."""
    out: dict[str, Any] = {}
    for raw, value in table.items():
        key = raw.replace("-", "_")
        if key not in allowed:
            raise UsageError(f"{where}: unknown key {raw!r}; valid: {', '.join(allowed)}")
        if not allowed[key](value):
            raise UsageError(f"{where}: {raw} must be {_WHAT[allowed[key]]}, not {value!r}")
        if allowed[key] is _date:  # one grammar: 2005, "2005-06" or 2005-06-30; an end period means its last day
            from r2k.data.dates import parse_day

            value = parse_day(value, f"{where}: {raw}", end=(key == "end"))
        out[key] = value
    return out


def _resolve_paths(cfg: dict[str, Any], base: Path) -> dict[str, Any]:
    if "strategy_path" in cfg:
        paths = cfg["strategy_path"]
        cfg["strategy_path"] = [str((base / p).resolve()) for p in ([paths] if isinstance(paths, str) else paths)]
    if "out" in cfg:
        cfg["out"] = str((base / cfg["out"]).resolve())
    if "strategy" in cfg:
        cfg["strategy"] = _strategy_ref(cfg["strategy"], base)
    return cfg


def _strategy_ref(text: str, base: Path) -> str:
    """A ``file.py:Class`` reference made absolute against the config's folder; names stay as they are."""
    target, sep, attr = text.rpartition(":")
    if sep and (target.endswith(".py") or "/" in target) and not Path(target).is_absolute():
        return f"{(base / target).resolve()}:{attr}"
    return text


def load_run_config(path: str | Path) -> dict[str, Any]:
    """The settings of a run file, validated, with paths made absolute (see the module docstring)."""
    path = Path(path)
    cfg = _check(read_toml(path), RUN_KEYS, f"config {path}")
    return _resolve_paths(cfg, path.resolve().parent)


class StrategyEntry(NamedTuple):
    """One member of a comparison: what to run, its own settings (run settings and ``params``), its label."""

    strategy: str
    settings: dict[str, Any]
    label: str | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {**self.settings.get("params", {}), **({"symbol": self.settings["symbol"]} if "symbol" in self.settings else {})}


class CompareConfig(NamedTuple):
    """A compare file: its strategies in order, and the options shared by every run."""

    strategies: list[StrategyEntry]
    options: dict[str, Any]


def load_compare_config(path: str | Path) -> CompareConfig:
    """Read a compare file. Shared options are the run keys (without ``strategy``/``params``)::

        start = 2005-01-03
        end = 2024-12-31
        cash = 10000
        benchmark = "SPY"
        strategy_path = ["my_strategies"]
        out = "compare/iwm"

        [[strategies]]
        strategy = "buy-and-hold"
        symbol = "IWM"                 # shorthand for params.symbol
        label = "IWM-hold"             # optional column name (letters, digits, - _ +)

        [[strategies]]
        strategy = "trend-filter"
        params = { window = 150 }

        [[strategies]]
        strategy = "dca"               # a member may carry any run setting of its own
        cash = 0
        contribute = 500

    ``strategies`` may instead be a list of names: ``strategies = ["buy-and-hold", "dca"]``.
    Returns ``CompareConfig(strategies=[StrategyEntry(strategy, params, label), ...], options)``;
    the options have the run file's keys and meaning (relative paths against the file's folder;
    a shared ``symbol`` is left for the caller to apply to strategies that have that parameter).
    Unknown keys, wrong types, a missing or empty ``strategies`` list are usage errors.
    """
    path = Path(path)
    raw = read_toml(path)
    where = f"config {path}"
    base = path.resolve().parent
    items = raw.pop("strategies", None)
    if not isinstance(items, list) or not items:
        raise UsageError(f"{where}: needs a non-empty 'strategies' list ([[strategies]] tables or names)")
    options = _resolve_paths(_check(raw, COMMON, where), base)
    entries = []
    for i, item in enumerate(items, 1):
        if isinstance(item, str):
            item = {"strategy": item}
        if not isinstance(item, dict):
            raise UsageError(f"{where}: strategies[{i}] must be a name or a table, not {item!r}")
        e = _check(item, ENTRY_KEYS, f"{where}: strategies[{i}]")
        if "strategy" not in e:
            raise UsageError(f"{where}: strategies[{i}] has no 'strategy'")
        settings = {k: v for k, v in e.items() if k not in ("strategy", "label")}
        entries.append(StrategyEntry(_strategy_ref(e["strategy"], base), settings, e.get("label")))
    return CompareConfig(entries, options)
