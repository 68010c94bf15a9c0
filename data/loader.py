"""Getting data: from the store, or from a provider into the store, refreshing only the tail.

The single entry point for the rest of r2k. ``offline=True`` forbids the network; in that mode a
missing symbol is an error that says how to get it (``r2k data fetch`` or ``r2k data import``).
Symbols that came from a CSV import are the user's own data and are never refreshed
automatically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from r2k.data.csvfolder import read_csv_file, scan_folder
from r2k.data.errors import DataError, DataUnavailable, R2KError, StoreBusy, StoreCorrupt, StoreUnwritable
from r2k.data.store import Meta, Store, Stored
from r2k.data.validate import Checked

Warn = Callable[[str], None]

ADJUSTMENT = {
    "yahoo": "raw close (split-adjusted) + Yahoo Adj Close (splits and dividends); r2k trades the total-return adjusted OHLC",
    "fred": "none (economic series)",
}

#: Overlap re-fetched on an incremental refresh to detect re-adjustment after a dividend or split.
OVERLAP_DAYS = 10
#: Said when a refresh replaces the whole stored history.
READJUSTED = "history re-adjusted since the last fetch (a dividend or split): replaced all of it"
#: Don't ask a provider again for a symbol refreshed this recently.
MIN_REFRESH_AGE = dt.timedelta(hours=6)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _kind(name_is_series: bool) -> str:
    return "series" if name_is_series else "prices"


def last_expected_close(today: dt.date | None = None) -> dt.date:
    """The most recent weekday before today: the last close a fresh store should hold."""
    d = (today or dt.date.today()) - dt.timedelta(days=1)
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


def _provider(kind: str, providers: dict | None, store: Store):
    """The injected provider for ``kind``, or the real one charged to the store's network budget."""
    if providers and kind in providers:
        return providers[kind]
    if kind == "prices":
        from r2k.data.yahoo import YahooProvider

        return YahooProvider(budget=store.network)
    from r2k.data.fred import FredProvider

    return FredProvider(budget=store.network)


def _meta_for(name: str, kind: str, source: str, checked: Checked) -> Meta:
    return Meta(
        name=name, kind=kind, source=source, fetched_at=_now().isoformat(timespec="seconds"),
        adjustment=ADJUSTMENT.get(source, "as in the file"), start="", end="", rows=0, sha256="",
        notes=list(checked.notes),
    )


def _overlap_matches(old: pd.DataFrame | pd.Series, new: pd.DataFrame | pd.Series) -> bool:
    common = old.index.intersection(new.index)
    if len(common) == 0:
        return False
    if isinstance(old, pd.Series):
        a, b = old.loc[common], new.loc[common]
        return bool(((a - b).abs() <= 1e-9 + 1e-9 * a.abs()).all())
    for col in ("close", "adj_close"):
        a, b = old.loc[common, col], new.loc[common, col]
        if not ((a - b).abs() <= 1e-6 * a.abs()).all():
            return False
    return True


def merge_refresh(old: pd.DataFrame | pd.Series, new: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """The stored history updated by a tail refresh: the provider's rows win where both have a
    day, and every stored day the answer does not mention is kept.

    An answer may stop short of what is stored (a provider's partial day, a truncated reply) or
    skip a day; neither may delete history that was already fetched.
    """
    kept = old[~old.index.isin(new.index)]
    return pd.concat([kept, new]).sort_index()


def _refuse_shorter(name: str, old: pd.DataFrame | pd.Series, new: pd.DataFrame | pd.Series) -> None:
    """A full replacement must cover at least the stored range, or the store keeps what it had."""
    if new.index[0] > old.index[0] or new.index[-1] < old.index[-1]:
        raise DataUnavailable(
            f"{name}: the provider's full history {new.index[0]:%Y-%m-%d}..{new.index[-1]:%Y-%m-%d} covers less than "
            f"the stored {old.index[0]:%Y-%m-%d}..{old.index[-1]:%Y-%m-%d}; kept the stored history")


def exchange_today() -> dt.date:
    """Today at the exchange (New York): a daily row dated later cannot have been published."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("America/New_York")).date()


def drop_future(data: pd.DataFrame | pd.Series, name: str, warn: Warn | None,
                when: dt.date | None = None) -> pd.DataFrame | pd.Series:
    """``data`` without rows dated after today, said in one line when there were any.

    A provider's future-dated row (a clock or time-zone bug) stored once would make the symbol
    look fresh for ever, so every later refresh would be skipped.
    """
    limit = pd.Timestamp(when or exchange_today())
    future = data.index > limit
    if future.any():
        if warn is not None:
            days = data.index[future]
            warn(f"{name}: dropped {int(future.sum())} rows dated after today ({limit:%Y-%m-%d}): "
                 f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}")
        data = data[~future]
    return data


def _fetch_now(prov, name: str, start, warn: Warn | None) -> Checked:
    checked = prov.fetch(name, start, None)
    frame = drop_future(checked.frame, name, warn)
    if len(frame) == 0:
        raise DataUnavailable(f"{name}: the provider answered only with rows dated after today")
    return Checked(frame, checked.notes) if frame is not checked.frame else checked


def fetch(name: str, *, series: bool, store: Store, start: str | None = None,
          providers: dict | None = None, full: bool = False, warn: Warn | None = None) -> tuple[Stored, str]:
    """Fetch ``name`` from its provider into the store; return the stored data and what happened.

    If the store already holds provider data, only the missing tail is fetched (with an overlap);
    when the overlap disagrees (a dividend or split re-adjusted history) the whole history is
    fetched again. Rows dated after today are dropped, from the answer and from what was stored.
    """
    kind = _kind(series)
    prov = _provider(kind, providers, store)
    with store.lock(kind, name, say=warn):
        old: Stored | None = None
        if store.exists(kind, name) and not full:
            try:
                old = store.read(kind, name)
            except StoreCorrupt:
                old = None
        if old is not None:
            kept = drop_future(old.data, name, warn)
            old = Stored(kept, old.meta) if len(kept) else None
        if old is not None and old.meta.source == prov.name and start is None:
            tail_start = (old.data.index[-1] - pd.Timedelta(days=OVERLAP_DAYS)).date()
            checked = _fetch_now(prov, name, tail_start, warn)
            if _overlap_matches(old.data, checked.frame):
                merged = merge_refresh(old.data, checked.frame)
                added = int((merged.index > old.data.index[-1]).sum())
                meta = _meta_for(name, kind, prov.name, checked)
                meta.notes = old.meta.notes + checked.notes
                store.write(kind, name, merged, meta)
                return store.read(kind, name), f"{name}: +{added} rows (incremental)"
            what = READJUSTED
        else:
            what = "fetched"
        checked = _fetch_now(prov, name, start, warn)
        if old is not None and start is None:
            _refuse_shorter(name, old.data, checked.frame)
        store.write(kind, name, checked.frame, _meta_for(name, kind, prov.name, checked))
        got = store.read(kind, name)
        return got, f"{name}: {what}, {got.meta.rows} rows {got.meta.start}..{got.meta.end}"


def import_folder(folder: Path, store: Store, warn: Warn) -> list[Meta]:
    """Validate every CSV file of ``folder`` and write it to the store (replacing what was there).

    A file that fails validation is reported and skipped; the others are still imported.
    """
    return import_files(folder, store, warn)[0]


def import_files(folder: Path, store: Store, warn: Warn) -> tuple[list[Meta], list[str]]:
    """:func:`import_folder`, also returning the message of each file that was skipped.

    One unreadable or badly named file never stops the rest of the folder; the CLI exits
    non-zero at the end when any file was skipped, so a script notices.
    """
    done: list[Meta] = []
    failures: list[str] = []
    for path in scan_folder(folder):
        try:
            item = read_csv_file(path)
        except R2KError as exc:
            failures.append(str(exc))
            continue
        for note in item.checked.notes:
            warn(note)
        source = f"csv:{path.resolve()}"
        meta = _meta_for(item.name, item.kind, source, item.checked)
        with store.lock(item.kind, item.name, say=warn):
            store.write(item.kind, item.name, item.checked.frame, meta)
        done.append(meta)
    for msg in failures:
        warn(f"skipped: {msg}")
    if not done:
        raise DataError(f"{folder}: no file could be imported ({len(failures)} failed)")
    return done, failures


def _stale(meta: Meta, today: dt.date | None = None) -> bool:
    if meta.source not in ADJUSTMENT:  # csv imports are the user's own data
        return False
    end = pd.Timestamp(meta.end).date()
    if end > (today or exchange_today()):  # a future-dated row never makes data fresh
        return True
    if end >= last_expected_close(today):
        return False
    fetched = dt.datetime.fromisoformat(meta.fetched_at)
    return _now() - fetched > MIN_REFRESH_AGE


def get(name: str, *, series: bool, store: Store, offline: bool, warn: Warn,
        providers: dict | None = None, need_end: pd.Timestamp | None = None) -> Stored:
    """Load ``name`` for a run: from the store, fetching or refreshing only when allowed and useful.

    A failed refresh of a stored symbol is not fatal: the run goes on with a one-line warning
    that says through which date the cached data reaches.
    """
    kind = _kind(series)
    have = store.exists(kind, name)
    stored: Stored | None = None
    if have:
        try:
            stored = store.read(kind, name)
        except StoreCorrupt as exc:
            if offline:
                raise
            warn(f"{exc}; fetching it again")
    if stored is None:
        if offline:
            hint = "r2k data import DIR" if series else f"r2k data fetch {name}` or `r2k data import DIR"
            raise DataError(f"{name} is not in the local store ({store.root}) and --offline forbids fetching; run `{hint}`")
        stored, _ = fetch(name, series=series, store=store, providers=providers, full=True, warn=warn)
        return stored
    future = pd.Timestamp(stored.meta.end).date() > exchange_today()
    wants_more = future or need_end is None or pd.Timestamp(stored.meta.end) < need_end
    if not offline and wants_more and _stale(stored.meta):
        try:
            stored, what = fetch(name, series=series, store=store, providers=providers, warn=warn)
            if READJUSTED in what:
                warn(what)
        except (DataUnavailable, StoreUnwritable, StoreBusy) as exc:  # the stored data still serves this run
            warn(f"{name}: using cached data through {stored.meta.end} ({exc})")
    if pd.Timestamp(stored.meta.end).date() > exchange_today():  # offline, or the refresh failed
        kept = drop_future(stored.data, name, warn)
        if len(kept) == 0:
            raise DataError(f"{name}: every stored row is dated after today; `r2k data fetch {name} --full`")
        stored = Stored(kept, stored.meta)
    return stored
