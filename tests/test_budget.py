"""A command's network budget (data/budget.py): --timeout bounds the command, a down provider is
not asked again, a 429's Retry-After is honoured or ends the batch. Servers on 127.0.0.1 only."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from r2k.data.budget import NetBudget
from r2k.data.errors import DataUnavailable, UsageError
from tests.util import invoke

SERIES = ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"]


def csv_of(series_id: str) -> str:
    return f"observation_date,{series_id}\n2020-01-02,1.55\n2020-01-03,1.56\n2020-01-06,1.54\n"


@dataclass
class Server:
    """A loopback FRED: ``answer(n, series)`` -> (status, headers, body) for the n-th request (0-based)."""

    answer: object
    url: str = ""
    seen: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, series id)


@pytest.fixture
def fred(monkeypatch: pytest.MonkeyPatch) -> Iterator[callable]:
    servers = []

    def start(answer) -> Server:
        state = Server(answer)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                import urllib.parse

                sid = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["id"][0]
                n = len(state.seen)
                state.seen.append((time.monotonic(), sid))
                status, headers, body = state.answer(n, sid)
                data = body.encode()
                self.send_response(status)
                for k, v in {"Content-Type": "text/csv", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}/graph/fredgraph.csv"
        monkeypatch.setenv("R2K_FRED_URL", state.url)
        return state

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def fetch_all(*args: str):
    """``r2k [args] data fetch S0..S9`` in-process; (result, seconds)."""
    t0 = time.monotonic()
    res = invoke(*args, "data", "fetch", *(f"fred:{s}" for s in SERIES))
    return res, time.monotonic() - t0


# --------------------------------------------------------------------------------------------
# point 12: 429 with Retry-After


def test_429_with_a_long_retry_after_stops_the_batch_at_once(fred):
    """Retry-After 3600 does not fit in the budget: one request, then none for the other nine series."""
    srv = fred(lambda n, sid: (429, {"Retry-After": "3600"}, "Too Many Requests"))
    res, took = fetch_all("--timeout", "30")
    assert res.exit_code == 1, res.output
    assert len(srv.seen) == 1 and took < 5.0, (len(srv.seen), took)
    assert "Retry-After" in res.stderr and "3600" in res.stderr
    assert res.stderr.count("not asked") == 9  # each of the other series says why it was skipped
    assert "Traceback" not in res.output


def test_429_with_a_short_retry_after_waits_that_long_and_then_succeeds(fred):
    srv = fred(lambda n, sid: (429, {"Retry-After": "2"}, "slow down") if n == 0 else (200, {}, csv_of(sid)))
    res = invoke("--timeout", "30", "data", "fetch", "fred:S0", "fred:S1")
    assert res.exit_code == 0, res.output
    assert [sid for _, sid in srv.seen] == ["S0", "S0", "S1"]
    assert srv.seen[1][0] - srv.seen[0][0] >= 1.95  # waited as asked (the backoff alone would be 1 s)


def test_retry_after_parses_seconds_and_http_dates():
    import datetime as dt

    from r2k.data.net import parse_retry_after

    now = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


# --------------------------------------------------------------------------------------------
# point 11: --timeout bounds the command


def test_timeout_bounds_the_command_and_a_stalled_server_is_asked_once(fred):
    """A server that accepts and never answers: ten series at --timeout 2 end in about 2 s, not 20."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(20)  # accepts connections and never answers
    accepted: list[int] = []

    def count() -> None:
        listener.settimeout(0.1)
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            conn.settimeout(30)

    threading.Thread(target=count, daemon=True).start()
    os.environ["R2K_FRED_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}/graph/fredgraph.csv"
    try:
        res, took = fetch_all("--timeout", "2")
    finally:
        listener.close()
        os.environ.pop("R2K_FRED_URL", None)
    assert res.exit_code == 1, res.output
    assert took < 4.5, took  # the whole command, not 2 s per series
    assert len(accepted) <= 3  # the first series' tries only
    assert res.stderr.count("not asked") >= 8
    assert "R2K_TIMEOUT" not in os.environ  # the budget is passed as state, not through the environment


def test_refused_connection_latches_and_the_others_are_not_asked(monkeypatch, fred):
    from r2k.data import net

    monkeypatch.setattr(net, "_sleep", lambda s: None)  # the first series' backoff
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("R2K_FRED_URL", f"http://127.0.0.1:{port}/graph/fredgraph.csv")
    res, took = fetch_all()
    assert res.exit_code == 1 and took < 3.0, (res.output, took)
    lines = res.stderr.strip().splitlines()
    assert "S0: FRED unreachable (connection refused)" in res.stderr
    assert sum("not asked, FRED is not answering this command (S0: FRED unreachable" in x for x in lines) == 9


def test_a_server_error_does_not_latch(fred, monkeypatch):
    """HTTP 500 for one series is that series' problem: the next one is still asked."""
    from r2k.data import net

    monkeypatch.setattr(net, "_sleep", lambda s: None)
    srv = fred(lambda n, sid: (500, {}, "oops") if sid == "S0" else (200, {}, csv_of(sid)))
    res = invoke("data", "fetch", "fred:S0", "fred:S1")
    assert res.exit_code == 1
    assert [sid for _, sid in srv.seen] == ["S0", "S0", "S0", "S1"]


# --------------------------------------------------------------------------------------------
# the budget itself


def test_budget_charges_time_spent_and_refuses_once_used_up():
    now = [0.0]
    b = NetBudget(10, clock=lambda: now[0])
    assert b.check("FRED", "X") == 10
    with b.spending():
        now[0] += 4.0
    now[0] += 100.0  # time outside the network (a backtest) is not charged
    assert b.remaining() == pytest.approx(6.0)
    b.charge(6.0)
    with pytest.raises(DataUnavailable, match=r"X: not asked, the command's network time is used up \(--timeout 10 s\)"):
        b.check("FRED", "X")


def test_budget_latches_per_provider_and_keeps_the_first_reason():
    b = NetBudget(10)
    b.mark_down("FRED", "S0: FRED unreachable")
    b.mark_down("FRED", "S1: later")
    assert b.check("Yahoo", "IWM") == pytest.approx(10)  # another provider is still asked
    with pytest.raises(DataUnavailable, match=r"^S2: not asked, FRED is not answering this command \(S0: FRED unreachable\)$"):
        b.check("FRED", "S2")


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_bad_budget_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--timeout"):
        NetBudget(bad)


def test_bad_timeout_flag_is_exit_2():
    res = invoke("--timeout", "0", "data", "fetch", "fred:S0")
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_a_run_falls_back_to_the_store_after_one_stalled_fetch(tmp_path):
    """What a run does (loader.get for each name it needs): three stale stored series, a server that
    never answers, a 2 s budget. The first refresh uses the budget up, the others are not asked;
    every series is served from the store with one warning each."""
    import pandas as pd

    from r2k.data import loader
    from r2k.data.store import Meta, Store

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(20)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    os.environ["R2K_FRED_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}/graph/fredgraph.csv"
    store = Store(tmp_path / "home", network=NetBudget(2))
    idx = pd.bdate_range("2020-01-01", periods=20, name="date")
    for name in ("DFF", "T10Y3M", "CPIAUCSL"):
        store.write("series", name, pd.Series(1.0, index=idx, name=name),
                    Meta(name=name, kind="series", source="fred", fetched_at="2020-02-01T00:00:00+00:00",
                         adjustment="", start="", end="", rows=0, sha256=""))
    warns: list[str] = []
    t0 = time.monotonic()
    try:
        got = [loader.get(n, series=True, store=store, offline=False, warn=warns.append)
               for n in ("DFF", "T10Y3M", "CPIAUCSL")]
    finally:
        listener.close()
        os.environ.pop("R2K_FRED_URL", None)
    took = time.monotonic() - t0
    assert all(len(g.data) == 20 for g in got)
    assert took < 4.0, took  # 2 s of budget for the command, not 30 s (or 2 s) per series
    assert len(accepted) == 1
    assert len(warns) == 3 and all("using cached data through" in w for w in warns), warns
    assert sum("not asked" in w for w in warns) == 2
