"""The small-cap lab's Python API: ``events()``, ``seasonality()``, ``indexes()``.

Each loads what it needs from the store (``offline=True`` never touches the network), calls the
pure functions of r2k.reports.lab and returns a LabResult: ``.tables`` (DataFrames of fractions),
``.notes``, ``.text()`` and ``.save(folder)`` (CSV, JSON, PNG charts, index.html, atomically).

    from r2k.runner.lab import events
    res = events("fed-cuts", offline=True)
    res.tables["summary"]; res.save("runs/fed-cuts")
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from r2k.data.errors import UsageError

EVENT_KINDS = ("fed-cuts", "fed-hikes", "recessions", "dates")
EVENT_SYMBOLS = ("IWM", "^RUT", "SPY", "^GSPC")
SMALL_LARGE = (("IWM", "SPY"), ("^RUT", "^GSPC"))
HORIZONS = (21, 65, 126, 252, 504)
INDEX_SYMBOLS = ("IWM", "IJR", "VTWO", "^RUT")


def _store(store):
    from r2k.data.store import Store

    return store if store is not None else Store()


def _quiet(msg: str) -> None:
    """Default warning sink of the API: Python's warnings (the CLI passes its stderr printer)."""
    import warnings

    warnings.warn(msg, stacklevel=3)


def load_closes(symbols, store, offline: bool, warn) -> dict:
    """Adjusted closes of each symbol (a price index's level), from the store."""
    from r2k.data import loader
    from r2k.data.errors import DataError

    out = {}
    for sym in symbols:
        c = loader.get(sym, series=False, store=store, offline=offline, warn=warn).data["adj_close"].astype(float).dropna()
        if c.empty:
            raise DataError(f"{sym}: the store holds no closes")
        out[sym] = c
    return out


def load_series(name: str, store, offline: bool, warn):
    from r2k.data import loader

    return loader.get(name, series=True, store=store, offline=offline, warn=warn).data.astype(float)


def read_dates(path: str | Path) -> list[tuple[str, object]]:
    """The user's event list: one ``YYYY-MM-DD`` per line, optionally ``,label``; ``#`` comments and a
    ``date`` header allowed. A bad line is a UsageError naming it."""
    import pandas as pd

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --dates {p}: {getattr(exc, 'strerror', None) or exc}") from None
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or (n == 1 and line.lower().split(",")[0].strip() == "date"):
            continue
        day, _, label = (x.strip() for x in line.partition(","))
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise UsageError(f"--dates {p} line {n}: {raw.strip()!r} is not YYYY-MM-DD[,label]")
        try:
            d = dt.date.fromisoformat(day)
        except ValueError:
            raise UsageError(f"--dates {p} line {n}: {day} is not a calendar date") from None
        out.append((label or day, pd.Timestamp(d)))
    if not out:
        raise UsageError(f"--dates {p} holds no date")
    labels = [lbl for lbl, _ in out]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise UsageError(f"--dates {p}: repeated event {dup[0]}")
    return out


def events(kind: str = "fed-cuts", *, dates: list | str | Path | None = None, symbols=EVENT_SYMBOLS,
           pairs=SMALL_LARGE, horizons=HORIZONS, hold_months: int = 6, seed: int = 0, n_boot: int | None = None,
           store=None, offline: bool = False, warn=_quiet):
    """Returns of ``symbols`` after each event (``kind``: fed-cuts, fed-hikes, recessions, dates)."""
    from r2k.reports import event_study
    from r2k.reports.lab import events_result

    if kind not in EVENT_KINDS:
        raise UsageError(f"unknown event kind {kind!r}: use one of {', '.join(EVENT_KINDS)}")
    horizons = sorted({int(h) for h in horizons})
    if not horizons or horizons[0] < 1:
        raise UsageError("horizons must be positive numbers of trading days")
    if kind == "dates" and dates is None:
        raise UsageError("events('dates') needs dates=[...] or a file")
    if isinstance(dates, (str, Path)):
        dates = read_dates(dates)
    store = _store(store)
    closes = load_closes(list(symbols), store, offline, warn)
    usrec = load_series("USREC", store, offline, warn)
    old = upper = None
    if kind in ("fed-cuts", "fed-hikes"):
        old, upper = load_series("DFEDTAR", store, offline, warn), load_series("DFEDTARU", store, offline, warn)
    return events_result(kind, closes, target_old=old, target_upper=upper, usrec=usrec, dates=dates, horizons=horizons,
                         pairs=list(pairs), hold_months=hold_months, seed=seed,
                         n_boot=event_study.N_BOOT if n_boot is None else n_boot)


def seasonality(symbol: str = "^RUT", vs: str | None = None, *, seed: int = 0, n_perm: int | None = None,
                store=None, offline: bool = False, warn=_quiet):
    """Calendar months and named windows of ``symbol`` (and relative to ``vs``), with permutation p-values."""
    from r2k.reports import seasonality as sea
    from r2k.reports.lab import seasonality_result

    store = _store(store)
    syms = [symbol] + ([vs] if vs else [])
    closes = load_closes(syms, store, offline, warn)
    return seasonality_result(symbol, closes[symbol], vs, closes.get(vs) if vs else None, seed=seed,
                              n_perm=sea.N_PERM if n_perm is None else n_perm)


def indexes(symbols=INDEX_SYMBOLS, *, store=None, offline: bool = False, warn=_quiet):
    """The "which small-cap fund" page: IWM, IJR, VTWO and ^RUT over their common window."""
    from r2k.reports.lab import indexes_result

    syms = list(dict.fromkeys(symbols))
    if len(syms) < 2:
        raise UsageError("give at least two symbols to compare")
    return indexes_result(load_closes(syms, _store(store), offline, warn))
