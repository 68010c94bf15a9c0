"""Offline test doubles: a Yahoo chart API behind a ``requests`` transport adapter.

yfinance accepts a plain ``requests.Session``, so mounting an adapter that answers from canned
frames exercises yfinance's real request and parsing code without any network (pitfalls.md §2.6).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable

import numpy as np
import pandas as pd
import requests
from requests.adapters import BaseAdapter
from requests.models import PreparedRequest, Response

EXCHANGE_TZ = "America/New_York"


def make_prices(start: str, end: str, *, first: float = 100.0, dividends: dict[str, float] | None = None,
                adj_factor: float = 0.98, seed: int = 7) -> pd.DataFrame:
    """Business-day OHLCV bars in Yahoo's column names (Open, High, Low, Close, AdjClose, Volume, Dividend)."""
    idx = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    close = first * np.cumprod(1 + rng.normal(0, 0.01, len(idx)))
    df = pd.DataFrame(
        {
            "Open": close * 0.995,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "AdjClose": close * adj_factor,
            "Volume": rng.integers(1_000_000, 5_000_000, len(idx)).astype(float),
        },
        index=idx,
    )
    df["Dividend"] = 0.0
    for day, amount in (dividends or {}).items():
        df.loc[pd.Timestamp(day), "Dividend"] = amount
    return df


def _epoch_open(index: pd.DatetimeIndex) -> list[int]:
    # Yahoo stamps daily bars at the exchange's open (09:30 local), in epoch seconds.
    local = index.tz_localize(EXCHANGE_TZ) + pd.Timedelta(hours=9, minutes=30)
    return [int(t.timestamp()) for t in local]


def chart_payload(symbol: str, df: pd.DataFrame) -> dict:
    """The JSON body of ``/v8/finance/chart/<symbol>`` for the rows of ``df``."""
    ts = _epoch_open(df.index)
    events: dict = {}
    if "Dividend" in df:
        events["dividends"] = {
            str(t): {"amount": float(v), "date": t} for t, v in zip(ts, df["Dividend"].fillna(0), strict=True) if v
        }
    adj = df["AdjClose"] if "AdjClose" in df else df["Close"]
    last_close = float(df["Close"].iloc[-1]) if len(df) else 0.0
    meta = {
        "currency": "USD", "symbol": symbol, "exchangeName": "PCX", "instrumentType": "ETF",
        "firstTradeDate": ts[0] if ts else 0, "regularMarketTime": ts[-1] if ts else 0,
        "gmtoffset": -18000, "timezone": "EST", "exchangeTimezoneName": EXCHANGE_TZ,
        "regularMarketPrice": last_close, "priceHint": 2, "dataGranularity": "1d", "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    quote = {
        col.lower(): [None if pd.isna(v) else float(v) for v in df[col]]
        for col in ("Open", "High", "Low", "Close", "Volume")
    }
    result = {
        "meta": meta,
        "timestamp": ts,
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": [float(v) for v in adj]}]},
    }
    if events.get("dividends"):
        result["events"] = events
    return {"chart": {"result": [result], "error": None}}


def _to_local_day(epoch: str) -> pd.Timestamp:
    return pd.Timestamp(int(epoch), unit="s").tz_localize("UTC").tz_convert(EXCHANGE_TZ).tz_localize(None)


class FakeYahooAdapter(BaseAdapter):
    """Answers Yahoo's cookie, crumb and chart endpoints from ``frames`` ({symbol: DataFrame}).

    ``chart_status`` (when set) forces an HTTP status on chart requests, e.g. 429 to simulate a
    rate limit; ``error`` (when set) is raised instead of answering, e.g. a ConnectionError.
    Every URL seen is appended to ``log``.
    """

    def __init__(self, frames: dict[str, pd.DataFrame]):
        super().__init__()
        self.frames = frames
        self.log: list[str] = []
        self.statuses: list[int] = []
        self.chart_status: int | None = None
        self.error: Callable[[PreparedRequest], Exception] | None = None
        self._lock = threading.Lock()

    def _reply(self, request: PreparedRequest, status: int, body: bytes, ctype: str = "application/json") -> Response:
        r = Response()
        r.url = request.url
        r.request = request
        r.status_code = status
        r.encoding = "utf-8"
        r.headers["Content-Type"] = ctype
        r._content = body
        with self._lock:
            self.statuses.append(status)
        return r

    def send(self, request: PreparedRequest, **kwargs) -> Response:
        with self._lock:
            self.log.append(request.url)
        if self.error is not None:
            raise self.error(request)
        url = urllib.parse.urlparse(request.url)
        query = urllib.parse.parse_qs(url.query)
        if url.path.endswith("/v1/test/getcrumb"):
            return self._reply(request, 200, b"fakecrumb", "text/plain")
        m = re.match(r"/v8/finance/chart/(.+)$", url.path)
        if not m:  # fc.yahoo.com cookie page and anything else
            return self._reply(request, 200, b"{}")
        if self.chart_status is not None:
            return self._reply(request, self.chart_status, b"Too Many Requests", "text/plain")
        symbol = urllib.parse.unquote(m.group(1))
        df = self.frames.get(symbol)
        if df is None:
            body = {"chart": {"result": None, "error": {
                "code": "Not Found", "description": "No data found, symbol may be delisted"}}}
            return self._reply(request, 404, json.dumps(body).encode())
        if "period1" in query:  # honour the requested range like Yahoo: [period1, period2)
            lo = _to_local_day(query["period1"][0]).normalize()
            hi = _to_local_day(query["period2"][0])
            df = df[(df.index >= lo) & (df.index < hi)]
        elif query.get("range", [""])[0] == "1d":
            df = df.iloc[-1:]
        return self._reply(request, 200, json.dumps(chart_payload(symbol, df)).encode())

    def close(self) -> None:
        pass

    def chart_requests(self) -> list[str]:
        """The chart URLs seen that asked for a date range (not the time-zone lookups)."""
        return [u for u in self.log if "/v8/finance/chart/" in u and "period1=" in u]


def make_fake_session(frames: dict[str, pd.DataFrame]) -> tuple[requests.Session, FakeYahooAdapter]:
    """A real ``requests.Session`` whose every request is answered by a :class:`FakeYahooAdapter`."""
    session = requests.Session()
    adapter = FakeYahooAdapter(frames)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter
