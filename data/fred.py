"""Economic series (fed funds and friends) from FRED's public CSV download; no API key needed.

The answer is checked strictly before it is parsed: a captive portal or maintenance page comes
back as HTTP 200 with HTML, and a body cut short can hold a half-written row. Either would
otherwise end up in the store. (A body cut at a row boundary is caught by the transport, which
checks Content-Length and chunk framing.)
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pandas as pd

from r2k.data import net
from r2k.data.net import Failure
from r2k.data.validate import Checked, validate_series

DEFAULT_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"

#: FRED's CSV has spelled the date column both ways over the years.
_DATE_HEADERS = {"observation_date", "date"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VALUE_RE = re.compile(r"^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$")
#: Both spellings of "no observation that day": '.' (classic) and an empty field (current).
_MISSING = {".", ""}


def base_url() -> str:
    """``$R2K_FRED_URL`` (tests point it at a loopback server) or FRED's public address."""
    return os.environ.get("R2K_FRED_URL", "").strip() or DEFAULT_URL




def parse_csv(text: str, series_id: str) -> pd.Series:
    """Parse FRED's two-column CSV strictly; raise :class:`Failure` on anything unexpected."""
    if text.startswith("\ufeff"):
        text = text[1:]
    head = text.lstrip()[:200].lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise Failure("FRED returned a web page, not CSV", transient=False)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise Failure("FRED returned an empty answer", transient=True)
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    if len(header) != 2 or header[0].lower() not in _DATE_HEADERS:
        raise Failure(f"FRED returned an unexpected CSV header ({lines[0][:60]!r})", transient=False)
    if header[1].upper() != series_id.upper():
        raise Failure(f"FRED answered with series {header[1]!r} instead of {series_id}", transient=False)
    dates: list[str] = []
    values: list[float] = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = [f.strip().strip('"') for f in line.split(",")]
        ok = len(fields) == 2 and _DATE_RE.match(fields[0]) and (fields[1] in _MISSING or _VALUE_RE.match(fields[1]))
        if not ok:
            # Transient: a connection cut mid-body is the usual way to get here.
            raise Failure(f"FRED returned a truncated or garbled CSV (line {n}: {line[:40]!r})", transient=True)
        dates.append(fields[0])
        values.append(float("nan") if fields[1] in _MISSING else float(fields[1]))
    if not any(v == v for v in values):  # no rows, or only missing values (NaN != NaN)
        raise Failure("FRED returned no observations for these dates", transient=False)
    return pd.Series(values, index=pd.Index(dates, name="date"), name=series_id, dtype="float64")


class FredProvider(net.Provider):
    """Fetches one FRED series as daily (or monthly, as FRED publishes it) observations."""

    name = "fred"

    def fetch(self, series_id: str, start: dt.date | str | None, end: dt.date | str | None) -> Checked:
        """Observations from ``start`` to ``end`` inclusive (None: FRED's first / latest).

        Raises :class:`DataUnavailable` with one line naming ``series_id`` and the cause.
        """
        import requests  # deferred like yfinance: only fetching needs it

        d0, d1 = self.window(series_id, start, end)
        params = {"id": series_id}
        if d0:
            params["cosd"] = d0.isoformat()
        if d1:
            params["coed"] = d1.isoformat()
        url = base_url()
        session = self.session if self.session is not None else requests.Session()

        def attempt(remaining: float) -> pd.Series:
            try:
                resp = session.get(
                    url, params=params, timeout=(min(5.0, remaining), remaining),
                    headers={"User-Agent": "r2k (backtesting CLI)", "Accept": "text/csv"},
                )
            except requests.Timeout as exc:
                raise Failure("FRED did not answer in time", transient=True, timed_out=True) from exc
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                # urllib3 checks Content-Length and chunk framing, so a body cut short lands here.
                raise Failure("FRED's answer was cut off mid-transfer (truncated CSV)", transient=True) from exc
            except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidSchema) as exc:  # a bad $R2K_FRED_URL: retrying cannot help
                raise Failure(f"FRED address {url!r} is not a valid URL ({exc})", transient=False) from exc
            except requests.RequestException as exc:
                raise Failure(f"FRED unreachable ({net.short_reason(str(exc))})", transient=True,
                              down=isinstance(exc, requests.ConnectionError)) from exc
            status = resp.status_code
            if status == 404:
                raise Failure("FRED has no series with this id (HTTP 404)", transient=False)
            if status == 429:  # the other series would be refused too: stop asking (see net.retry)
                raise Failure("FRED rate limit (HTTP 429)", transient=True, down=True,
                              retry_after=net.parse_retry_after(resp.headers.get("Retry-After")))
            if status >= 500:
                raise Failure(f"FRED server error (HTTP {status})", transient=True)
            if status != 200:
                raise Failure(f"FRED refused the request (HTTP {status})", transient=False)
            if "html" in resp.headers.get("Content-Type", "").lower():
                raise Failure("FRED returned a web page, not CSV", transient=False)
            return parse_csv(resp.content.decode("utf-8", errors="replace"), series_id)

        try:
            raw = net.retry(attempt, what=series_id, deadline_s=self.timeout, tries=self.tries, budget=self.budget,
                            provider="FRED")
        finally:
            if self.session is None:
                session.close()
        return validate_series(raw, series_id)
