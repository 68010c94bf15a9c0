"""YahooProvider against yfinance's real parser, fed by a fake transport (no network)."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest
import requests
import yfinance
from fakes import make_fake_session, make_prices

from r2k.data import net
from r2k.data.errors import DataUnavailable, UsageError
from r2k.data.store import default_root
from r2k.data.validate import PRICE_COLUMNS
from r2k.data.yahoo import YahooProvider


@pytest.fixture(autouse=True)
def _fresh_yfinance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget yfinance's process-wide state, so no test depends on what an earlier one fetched.

    - its singleton session and in-memory URL cache: a past date range fetched in one test would
      be served from memory in the next, whatever session that test passes (pitfalls.md §2.2);
    - its SQLite caches (time zone, cookie), which it binds once per process: a cached time zone
      skips a request and changes which error a failure shows. Each test gets new ones under its
      own ``$R2K_HOME``, which also lets us check that they land there.
    """
    import yfinance.cache as yf_cache
    from yfinance.data import SingletonMeta, YfData

    from r2k.data import yahoo

    monkeypatch.delitem(SingletonMeta._instances, YfData, raising=False)
    YfData.cache_get.cache_clear()
    monkeypatch.setattr(yf_cache._TzCacheManager, "_tz_cache", None)
    monkeypatch.setattr(yf_cache._CookieCacheManager, "_Cookie_cache", None)
    monkeypatch.setattr(yahoo, "_cache_dir", None)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    monkeypatch.setattr(net, "_sleep", seen.append)
    return seen


@pytest.fixture
def iwm() -> pd.DataFrame:
    return make_prices("2020-01-01", "2020-03-31", dividends={"2020-02-03": 0.5})


@pytest.fixture
def download_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Count yfinance.download calls (the real function still runs)."""
    calls: list[dict] = []
    real = yfinance.download

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(yfinance, "download", counting)
    return calls


def test_fetch_returns_canonical_frame(iwm: pd.DataFrame, download_calls: list[dict]) -> None:
    session, adapter = make_fake_session({"IWM": iwm})
    checked = YahooProvider(timeout=10, session=session).fetch("IWM", "2020-01-02", "2020-02-14")
    df = checked.frame

    assert list(df.columns) == PRICE_COLUMNS
    assert df.index.name == "date" and df.index.tz is None
    assert df.index.dtype == "datetime64[ns]"
    assert df.index[0] == pd.Timestamp("2020-01-02")
    assert df.index[-1] == pd.Timestamp("2020-02-14")  # end is inclusive although yfinance's is not
    expected = iwm.loc["2020-01-02":"2020-02-14"]
    assert len(df) == len(expected)
    # close is Yahoo's Close; adj_close is Yahoo's Adj Close (here 2 % lower), not a copy of close
    assert df["close"].to_numpy() == pytest.approx(expected["Close"].to_numpy())
    assert df["adj_close"].to_numpy() == pytest.approx(expected["AdjClose"].to_numpy())
    assert (df["adj_close"] < df["close"]).all()
    assert df.loc["2020-02-03", "dividends"] == pytest.approx(0.5)
    assert df["dividends"].drop(pd.Timestamp("2020-02-03")).eq(0).all()
    assert df["volume"].to_numpy() == pytest.approx(expected["Volume"].to_numpy())
    assert checked.notes == []

    kwargs = download_calls[0]
    assert kwargs["end"] == "2020-02-15" and kwargs["auto_adjust"] is False and kwargs["actions"] is True
    assert kwargs["session"] is session and kwargs["threads"] is False
    assert len(adapter.chart_requests()) == 1


def test_fetch_whole_history_when_no_dates(iwm: pd.DataFrame) -> None:
    session, _ = make_fake_session({"IWM": iwm})
    df = YahooProvider(timeout=10, session=session).fetch("IWM", None, None).frame
    assert len(df) == len(iwm)  # start=None must not fall back to yfinance's one-month default
    assert df.index[0] == iwm.index[0] and df.index[-1] == iwm.index[-1]


def test_missing_dividends_column_becomes_zero(iwm: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    session, _ = make_fake_session({"IWM": iwm})
    real = yfinance.download
    monkeypatch.setattr(yfinance, "download", lambda *a, **k: real(*a, **k).drop(columns=["Dividends"]))
    df = YahooProvider(timeout=10, session=session).fetch("IWM", "2020-01-02", "2020-02-14").frame
    assert "dividends" in df and df["dividends"].eq(0).all()


def test_unknown_symbol_is_permanent_and_named(iwm: pd.DataFrame, download_calls: list[dict],
                                               sleeps: list[float], capfd: pytest.CaptureFixture) -> None:
    session, _ = make_fake_session({"IWM": iwm})
    with pytest.raises(DataUnavailable) as info:
        YahooProvider(timeout=10, session=session).fetch("XYZ", "2020-01-02", "2020-02-14")
    assert str(info.value) == "XYZ: Yahoo has no data for this symbol (possibly delisted or mistyped)"
    assert len(download_calls) == 1 and sleeps == []  # not retried
    out, err = capfd.readouterr()
    assert err == "" and out == ""  # yfinance's log lines were captured, not printed
    logger = logging.getLogger("yfinance")
    assert logger.propagate is True and logger.level == logging.NOTSET  # restored


def test_connection_error_is_retried_then_reported(iwm: pd.DataFrame, download_calls: list[dict],
                                                   sleeps: list[float], capfd: pytest.CaptureFixture) -> None:
    session, adapter = make_fake_session({"IWM": iwm})
    adapter.error = lambda req: requests.ConnectionError(
        "HTTPSConnectionPool(host='query2.finance.yahoo.com', port=443): Max retries exceeded "
        "(Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))"
    )
    with pytest.raises(DataUnavailable) as info:
        YahooProvider(timeout=10, session=session, tries=3).fetch("IWM", "2020-01-02", "2020-02-14")
    msg = str(info.value)
    assert msg == "IWM: Yahoo unreachable (ConnectionError: connection refused) after 3 tries"
    assert len(download_calls) == 3 and sleeps == [1.0, 2.0]
    assert adapter.log  # the fake transport really was asked
    assert capfd.readouterr().err == ""


def test_exception_from_yfinance_means_unavailable(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    from yfinance.exceptions import YFDataException

    def broken(*args, **kwargs):
        raise YFDataException("Unsupported session type")

    monkeypatch.setattr(yfinance, "download", broken)
    with pytest.raises(DataUnavailable, match=r"^SPY: Yahoo request failed \(YFDataException: Unsupported session type\)$"):
        YahooProvider(timeout=5).fetch("SPY", "2020-01-02", "2020-02-14")
    assert sleeps == []  # a programming/configuration error is not retried


def test_stalled_call_ends_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yfinance, "download", lambda *a, **k: time.sleep(60))
    t0 = time.monotonic()
    with pytest.raises(DataUnavailable) as info:
        YahooProvider(timeout=1.5).fetch("IWM", "2020-01-02", "2020-02-14")
    elapsed = time.monotonic() - t0
    assert 1.4 < elapsed < 3.0
    assert str(info.value) == "IWM: no answer within 1.5 s (network down or blocked?)"


def test_rate_limit_then_success(iwm: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    session, adapter = make_fake_session({"IWM": iwm})
    real = yfinance.download
    calls = []

    def limited_once(*args, **kwargs):
        calls.append(1)
        adapter.chart_status = 429 if len(calls) == 1 else None
        return real(*args, **kwargs)

    monkeypatch.setattr(yfinance, "download", limited_once)
    df = YahooProvider(timeout=10, session=session).fetch("IWM", "2020-01-02", "2020-02-14").frame
    assert len(calls) == 2
    assert 429 in adapter.statuses
    assert sleeps == [1.0]
    assert df.index[-1] == pd.Timestamp("2020-02-14") and len(df) == len(iwm.loc["2020-01-02":"2020-02-14"])


def test_persistent_rate_limit_gives_up_after_tries(iwm: pd.DataFrame, download_calls: list[dict],
                                                    sleeps: list[float]) -> None:
    session, adapter = make_fake_session({"IWM": iwm})
    adapter.chart_status = 429
    with pytest.raises(DataUnavailable) as info:
        YahooProvider(timeout=10, session=session, tries=3).fetch("IWM", "2020-01-02", "2020-02-14")
    assert str(info.value) == "IWM: Yahoo rate limit (HTTP 429) after 3 tries"
    assert len(download_calls) == 3 and sleeps == [1.0, 2.0]


def test_server_error_is_transient(iwm: pd.DataFrame, download_calls: list[dict], sleeps: list[float]) -> None:
    session, adapter = make_fake_session({"IWM": iwm})
    adapter.chart_status = 503
    with pytest.raises(DataUnavailable) as info:
        YahooProvider(timeout=10, session=session, tries=2).fetch("IWM", "2020-01-02", "2020-02-14")
    assert str(info.value) == "IWM: Yahoo server error (HTTP 503) after 2 tries"
    assert len(download_calls) == 2


def test_empty_range_is_reported_not_retried(iwm: pd.DataFrame, download_calls: list[dict],
                                             sleeps: list[float]) -> None:
    session, _ = make_fake_session({"IWM": iwm})
    with pytest.raises(DataUnavailable, match=r"^IWM: Yahoo returned no prices for 2020-01-04 to 2020-01-05$"):
        YahooProvider(timeout=10, session=session).fetch("IWM", "2020-01-04", "2020-01-05")  # a weekend
    assert len(download_calls) == 1


def test_tz_cache_lives_in_the_store(iwm: pd.DataFrame) -> None:
    from yfinance.cache import _TzDBManager

    session, _ = make_fake_session({"IWM": iwm})
    YahooProvider(timeout=10, session=session).fetch("IWM", "2020-01-02", "2020-01-10")
    folder = default_root() / "yfinance"
    assert folder.is_dir()
    assert _TzDBManager.get_location() == str(folder)
    assert (folder / "tkr-tz.db").is_file()


def test_bad_dates_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="after"):
        YahooProvider(timeout=1).fetch("IWM", "2020-02-01", "2020-01-01")
    with pytest.raises(UsageError, match="bad start date .2020-13-45.: use YYYY, YYYY-MM or YYYY-MM-DD"):
        YahooProvider(timeout=1).fetch("IWM", "2020-13-45", None)


def test_timeout_is_per_fetch_and_not_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert YahooProvider().timeout == 30.0
    monkeypatch.setenv("R2K_TIMEOUT", "7")  # the CLI's budget reads it, not the provider
    assert YahooProvider().timeout == 30.0
    assert YahooProvider(timeout=2).timeout == 2.0
