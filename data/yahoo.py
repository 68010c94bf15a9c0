"""Daily prices from Yahoo Finance through yfinance.

yfinance's ``download`` never raises: offline, rate-limited or for an unknown symbol it returns an
empty frame and logs the reason (pitfalls.md §2.5, row 7). So each call captures the "yfinance"
logger's records (which also keeps them off stderr) and turns them into one line saying why, and
the call runs under a hard deadline because yfinance can hang for minutes on a firewalled network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import threading
import warnings
from pathlib import Path
from types import ModuleType

import pandas as pd

from r2k.data import net
from r2k.data.net import Failure
from r2k.data.validate import Checked, validate_prices

_COLUMNS = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",  # raw close, split-adjusted only
    "Adj Close": "adj_close",  # also adjusted for dividends
    "Volume": "volume",
    "Dividends": "dividends",
}

UNKNOWN_SYMBOL = "Yahoo has no data for this symbol (possibly delisted or mistyped)"

_setup_lock = threading.Lock()
_cache_dir: Path | None = None


def _yfinance() -> ModuleType:
    """Import yfinance on first use (it costs ~0.5 s) and keep its caches inside the r2k store.

    Without ``set_tz_cache_location`` yfinance writes SQLite files to ~/.cache/py-yfinance. It
    must be called before yfinance first uses a cache and cannot move it afterwards, so the
    store root at the first fetch of the process wins.
    """
    global _cache_dir
    import yfinance as yf

    with _setup_lock:
        if _cache_dir is None:
            from r2k.data.home import default_root

            folder = default_root() / "yfinance"
            folder.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(folder))
            # yfinance re-enables DeprecationWarnings for itself; pandas 3 then warns on every call.
            warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning, module="yfinance")
            _cache_dir = folder
    return yf


# --- capturing yfinance's log --------------------------------------------------------------


class _Capture(logging.Handler):
    """Collects the messages one thread's yfinance call logs."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            with contextlib.suppress(Exception):  # a malformed record must not break the fetch
                self.messages.append(record.getMessage())


_log_lock = threading.Lock()
_log_users = 0
_log_saved: tuple[bool, int, object] = (True, logging.NOTSET, True)


class _CapturedLog:
    """Context manager: route "yfinance" records to a :class:`_Capture` and nowhere else.

    While any capture is active the logger is at DEBUG, so HTTP status lines ("response
    code=429") are recorded; propagation is off, so nothing reaches stderr; and yfinance's
    ``debug.hide_exceptions`` is off, so the exception behind a failure is logged by
    ``download`` (``['IWM']: DNSError(...)``) instead of being replaced by "possibly delisted".
    A counter restores all three only when the last concurrent user leaves.
    """

    def __init__(self, yf: ModuleType):
        self.config = yf.config.debug

    def __enter__(self) -> _Capture:
        global _log_users, _log_saved
        self.logger = logging.getLogger("yfinance")
        self.handler = _Capture()
        with _log_lock:
            if _log_users == 0:
                _log_saved = (self.logger.propagate, self.logger.level, self.config.hide_exceptions)
                self.logger.propagate = False
                self.logger.setLevel(logging.DEBUG)
                self.config.hide_exceptions = False
            _log_users += 1
            self.logger.addHandler(self.handler)
        return self.handler

    def __exit__(self, *exc: object) -> None:
        global _log_users
        with _log_lock:
            self.logger.removeHandler(self.handler)
            _log_users -= 1
            if _log_users == 0:
                self.logger.propagate, level, self.config.hide_exceptions = _log_saved
                self.logger.setLevel(level)


# --- turning the log into a cause ----------------------------------------------------------

_NETWORK_WORDS = re.compile(
    r"curl: \(|ConnectionError|ConnectTimeout|ReadTimeout|\bTimeout\b|DNSError|ProxyError|SSLError|"
    r"RemoteDisconnected|(?i:timed out|max retries exceeded|connection refused|could not resolve|"
    r"failed to establish|connection aborted|network is unreachable)",
)
_UNKNOWN_WORDS = re.compile(r"symbol may be delisted|possibly delisted|no timezone found|No data found", re.I)
#: ``download``'s summary of the exception behind a failure: ``['IWM']: DNSError('...')``.
_SUMMARY = re.compile(r"^\['[^']*'\]: (\w+)\((.*)\)\s*$", re.S)
#: yfinance's warnings that name only the type: ``Cookie/crumb fetch failed (ConnectionError)``.
_FAILED_TYPE = re.compile(r"failed \((\w+)\)")


def _relevant(messages: list[str]) -> list[str]:
    """Drop tracebacks and request echoes: their source lines ("timeout=timeout") mislead."""
    return [m for m in messages if "Traceback (most recent call last)" not in m
            and not m.lstrip().startswith(("url=", "params=", "Entering ", "Exiting "))]


def _network_label(messages: list[str]) -> str:
    """"DNSError: could not resolve host" from the most specific message yfinance logged."""
    for m in reversed(messages):
        s = _SUMMARY.match(m)
        if s and _NETWORK_WORDS.search(m):
            return f"{s.group(1)}: {net.short_reason(s.group(2))}"
    kind = next((t.group(1) for m in messages for t in [_FAILED_TYPE.search(m)] if t), None)
    for m in reversed(messages):
        if "reason:" in m and _NETWORK_WORDS.search(m):
            reason = net.short_reason(m.split("reason:", 1)[1])
            return f"{kind}: {reason}" if kind else reason
    return kind or "network error"


def _classify(messages: list[str], span: str) -> Failure:
    """Why did yfinance return an empty frame? Judged from what it logged during the call."""
    messages = _relevant(messages)
    text = "\n".join(messages)
    codes = [int(c) for c in re.findall(r"response code=(\d{3})", text)]
    if 429 in codes or re.search(r"YFRateLimitError|Too Many Requests|Rate limited", text, re.I):
        return Failure("Yahoo rate limit (HTTP 429)", transient=True, down=True)
    server = [c for c in codes if c >= 500]
    if server:
        return Failure(f"Yahoo server error (HTTP {server[-1]})", transient=True)
    if _NETWORK_WORDS.search(text):
        label = _network_label(messages)
        # a host that does not resolve is a network that is down, not a passing fault: don't retry it
        return Failure(f"Yahoo unreachable ({label})", transient="resolve host" not in label,
                       timed_out="timed out" in label, down=True)
    if 404 in codes or _UNKNOWN_WORDS.search(text):
        return Failure(UNKNOWN_SYMBOL, transient=False)
    for m in reversed(messages):
        summary = _SUMMARY.match(m)
        if summary:  # some other exception, e.g. JSONDecodeError on an error page
            name, detail = summary.group(1), net.short_reason(summary.group(2))
            return Failure(f"Yahoo returned no data ({name}: {detail})", transient=name == "JSONDecodeError")
    return Failure(f"Yahoo returned no prices for {span}", transient=False)


def _forget_responses() -> None:
    """Empty yfinance's in-process response memo before each try.

    yfinance memoizes GETs for past date ranges and for the time-zone lookup, error answers
    included, keyed by URL but not by session: without this a retry after an HTTP 503 would be
    served the same 503 from memory. r2k keeps its own store, so nothing of value is lost.
    """
    try:
        from yfinance.data import YfData

        YfData.cache_get.cache_clear()
    except (ImportError, AttributeError):  # a yfinance without the memo: nothing to forget
        pass




def _canonical(raw: pd.DataFrame) -> pd.DataFrame:
    """yfinance's columns -> r2k's lower-case ones; drops splits and capital gains."""
    if isinstance(raw.columns, pd.MultiIndex):  # multi_level_index=False ignored (older yfinance)
        raw = raw.droplevel(-1, axis=1)
    renamed = raw.rename(columns=_COLUMNS)
    df = renamed[[c for c in _COLUMNS.values() if c in renamed.columns]]
    if "dividends" not in df:
        df = df.assign(dividends=0.0)
    idx = pd.DatetimeIndex(df.index)
    if idx.tz is not None:
        idx = idx.tz_convert("America/New_York").tz_localize(None)
    df.index = idx.rename("date")
    return df


class YahooProvider(net.Provider):
    """Fetches daily bars for one symbol: raw close, adjusted close, volume and dividends."""

    name = "yahoo"

    def fetch(self, symbol: str, start: dt.date | str | None, end: dt.date | str | None) -> Checked:
        """Daily bars from ``start`` to ``end`` inclusive (None: from the first / to the latest day).

        Raises :class:`DataUnavailable` with one line naming ``symbol`` and the cause.
        """
        d0, d1 = self.window(symbol, start, end)
        span = f"{d0 or 'the first day'} to {d1 or 'today'}"
        kwargs: dict[str, object] = dict(
            auto_adjust=False, actions=True, multi_level_index=False, progress=False, threads=False,
        )
        if d0 is None:
            kwargs["period"] = "max"  # with start=None yfinance would fetch only one month
        else:
            kwargs["start"] = d0.isoformat()
        if d1 is not None:
            kwargs["end"] = (d1 + dt.timedelta(days=1)).isoformat()  # yfinance's end is exclusive
        if self.session is not None:
            kwargs["session"] = self.session
        yf = _yfinance()

        def attempt(remaining: float) -> pd.DataFrame:
            _forget_responses()
            with _CapturedLog(yf) as log:
                try:
                    df = yf.download(symbol, timeout=max(remaining, 0.1), **kwargs)
                except Exception as exc:  # Ticker-level errors, bad sessions, rate limits
                    if type(exc).__name__ == "YFRateLimitError":
                        raise Failure("Yahoo rate limit (HTTP 429)", transient=True, down=True) from exc
                    raise Failure(
                        f"Yahoo request failed ({type(exc).__name__}: {net.short_reason(str(exc))})",
                        transient=net.is_transient(exc), timed_out=net.is_timeout(exc), down=net.is_down(exc),
                    ) from exc
            if df is None or df.empty or "Close" not in df or df["Close"].isna().all():
                raise _classify(log.messages, span)
            return df

        raw = net.retry(attempt, what=symbol, deadline_s=self.timeout, tries=self.tries, budget=self.budget,
                        provider="Yahoo")
        return validate_prices(_canonical(raw), symbol)
