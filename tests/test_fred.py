"""FredProvider against a real HTTP server on 127.0.0.1 and against a fake session (no internet)."""

from __future__ import annotations

import http.server
import io
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd
import pytest
import requests

from r2k.data import fred, net
from r2k.data.errors import DataUnavailable
from r2k.data.fred import FredProvider, parse_csv
from r2k.data.net import Failure

CSV = "observation_date,DFF\n2020-01-02,1.55\n2020-01-03,.\n2020-01-06,1.54\n2020-01-07,\n2020-01-08,1.55\n"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    monkeypatch.setattr(net, "_sleep", seen.append)
    return seen


# --- a loopback FRED ----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: str = CSV
    content_type: str = "text/csv; charset=utf-8"
    claimed_length: int | None = None  # a Content-Length larger than the body: a cut transfer


@dataclass
class FredStub:
    """Serves ``replies`` in order (the last one repeats) and records every request path."""

    url: str = ""
    replies: list[Reply] = field(default_factory=lambda: [Reply()])
    paths: list[str] = field(default_factory=list)

    def queries(self) -> list[dict[str, list[str]]]:
        return [urllib.parse.parse_qs(urllib.parse.urlparse(p).query) for p in self.paths]


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FredStub]:
    state = FredStub()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            state.paths.append(self.path)
            reply = state.replies[min(len(state.paths), len(state.replies)) - 1]
            body = reply.body.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(reply.claimed_length or len(body)))
            if reply.claimed_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    state.url = f"http://{host}:{port}/graph/fredgraph.csv"
    monkeypatch.setenv("R2K_FRED_URL", state.url)
    yield state
    server.shutdown()
    server.server_close()


def test_fetches_csv_from_the_configured_url(stub: FredStub) -> None:
    checked = FredProvider(timeout=5).fetch("DFF", "2020-01-01", "2020-01-10")
    s = checked.frame
    assert isinstance(s, pd.Series) and s.name == "DFF"
    # '.' (classic) and '' (current) both mean "no observation" and are dropped
    assert list(s.index) == [pd.Timestamp(d) for d in ("2020-01-02", "2020-01-06", "2020-01-08")]
    assert s.to_list() == [1.55, 1.54, 1.55]
    assert s.index.name == "date" and s.index.tz is None
    assert stub.queries() == [{"id": ["DFF"], "cosd": ["2020-01-01"], "coed": ["2020-01-10"]}]


def test_accepts_the_old_date_header(stub: FredStub) -> None:
    stub.replies = [Reply(body="DATE,DFF\r\n2020-01-02,1.55\r\n2020-01-03,1.56\r\n")]
    s = FredProvider(timeout=5).fetch("DFF", None, None).frame
    assert s.to_list() == [1.55, 1.56]
    assert stub.queries() == [{"id": ["DFF"]}]  # no dates: FRED's whole history


@pytest.mark.parametrize("ctype", ["text/html; charset=utf-8", "text/csv"])
def test_rejects_a_web_page(stub: FredStub, sleeps: list[float], ctype: str) -> None:
    page = "<!DOCTYPE html>\n<html><head><title>Error - St. Louis Fed</title></head><body>oops</body></html>"
    stub.replies = [Reply(body=page, content_type=ctype)]
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5).fetch("DFF", "2020-01-01", "2020-01-10")
    assert str(info.value) == "DFF: FRED returned a web page, not CSV"
    assert len(stub.paths) == 1 and sleeps == []  # retrying would not change the page


def test_retries_after_429_then_succeeds(stub: FredStub, sleeps: list[float]) -> None:
    stub.replies = [Reply(status=429, body="Too Many Requests", content_type="text/plain"), Reply()]
    s = FredProvider(timeout=5).fetch("DFF", "2020-01-01", "2020-01-10").frame
    assert len(stub.paths) == 2
    assert sleeps == [1.0]
    assert s.to_list() == [1.55, 1.54, 1.55]


def test_server_error_is_retried_a_bounded_number_of_times(stub: FredStub, sleeps: list[float]) -> None:
    stub.replies = [Reply(status=500, body="Internal Server Error", content_type="text/plain")]
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5, tries=3).fetch("DFF", "2020-01-01", "2020-01-10")
    assert str(info.value) == "DFF: FRED server error (HTTP 500) after 3 tries"
    assert len(stub.paths) == 3 and sleeps == [1.0, 2.0]


def test_unknown_series_is_not_retried(stub: FredStub, sleeps: list[float]) -> None:
    stub.replies = [Reply(status=404, body="Not Found", content_type="text/plain")]
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5).fetch("NOSUCH", "2020-01-01", "2020-01-10")
    assert str(info.value) == "NOSUCH: FRED has no series with this id (HTTP 404)"
    assert len(stub.paths) == 1 and sleeps == []


def test_transfer_cut_short_is_rejected(stub: FredStub, sleeps: list[float]) -> None:
    stub.replies = [Reply(claimed_length=len(CSV) + 500)]
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5, tries=2).fetch("DFF", "2020-01-01", "2020-01-10")
    assert str(info.value) == "DFF: FRED's answer was cut off mid-transfer (truncated CSV) after 2 tries"
    assert len(stub.paths) == 2


def test_server_that_never_answers_ends_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    # A listening socket that is never accepted: the kernel completes the TCP handshake and the
    # request sits unread, exactly like a firewalled host that swallows traffic.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("R2K_FRED_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/fredgraph.csv")
        t0 = time.monotonic()
        with pytest.raises(DataUnavailable) as info:
            FredProvider(timeout=1.5).fetch("DFF", "2020-01-01", "2020-01-10")
        elapsed = time.monotonic() - t0
    assert 1.4 < elapsed < 4.0
    assert str(info.value) == "DFF: no answer within 1.5 s (network down or blocked?)"


def test_connection_refused_is_retried_and_named(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    with socket.socket() as s:  # find a free port, then close it: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("R2K_FRED_URL", f"http://127.0.0.1:{port}/fredgraph.csv")
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5, tries=3).fetch("DFF", "2020-01-01", "2020-01-10")
    assert str(info.value) == "DFF: FRED unreachable (connection refused) after 3 tries"
    assert sleeps == [1.0, 2.0]


# --- a fake session ----------------------------------------------------------------------------


class FakeSession:
    """Stands in for ``requests.Session``: answers from a list and records each call's arguments."""

    def __init__(self, *answers: tuple[int, str] | Exception):
        self.answers = list(answers)
        self.calls: list[dict] = []
        self.closed = False

    def get(self, url: str, **kwargs: object) -> requests.Response:
        self.calls.append({"url": url, **kwargs})
        answer = self.answers[min(len(self.calls), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        resp = requests.Response()
        resp.status_code = status
        resp._content = body.encode()
        resp.headers["Content-Type"] = "text/csv"
        resp.url = url
        return resp

    def close(self) -> None:
        self.closed = True


def test_fake_session_gets_url_params_and_a_bounded_timeout() -> None:
    session = FakeSession((200, CSV))
    FredProvider(timeout=12, session=session).fetch("DFF", "2020-01-01", "2020-01-10")
    (call,) = session.calls
    assert call["url"] == fred.DEFAULT_URL == "https://fred.stlouisfed.org/graph/fredgraph.csv"
    assert call["params"] == {"id": "DFF", "cosd": "2020-01-01", "coed": "2020-01-10"}
    connect, read = call["timeout"]
    assert connect == 5.0 and 11.0 < read <= 12.0  # the read timeout is what is left of the budget
    assert session.closed is False  # a session we were given is the caller's to close


def test_garbled_csv_is_rejected_and_retried(sleeps: list[float]) -> None:
    session = FakeSession((200, "observation_date,DFF\n2020-01-02,1.55\n2020-01-0"))
    with pytest.raises(DataUnavailable) as info:
        FredProvider(timeout=5, session=session, tries=2).fetch("DFF", "2020-01-01", "2020-01-10")
    msg = str(info.value)
    assert msg.startswith("DFF: FRED returned a truncated or garbled CSV (line 3: '2020-01-0')")
    assert msg.endswith("after 2 tries") and len(session.calls) == 2


def test_read_timeout_from_requests_is_a_timeout(sleeps: list[float]) -> None:
    session = FakeSession(requests.ReadTimeout("read timed out"), (200, CSV))
    s = FredProvider(timeout=5, session=session).fetch("DFF", None, None).frame
    assert len(session.calls) == 2 and len(s) == 3 and sleeps == [1.0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("observation_date,DFF\n", "no observations"),
        ("observation_date,DFF\n2020-01-02,.\n2020-01-03,\n", "no observations"),
        ("observation_date,DGS10\n2020-01-02,1.8\n", "series 'DGS10' instead of DFF"),
        ("when,what,why\n1,2,3\n", "unexpected CSV header"),
        ("", "empty answer"),
        ("observation_date,DFF\n2020-01-02,1.55,9\n", "garbled"),
        ("observation_date,DFF\n2020-01-02,n/a\n", "garbled"),
        ("  <html><body>maintenance</body></html>", "web page"),
    ],
)
def test_parse_csv_rejects(body: str, expected: str) -> None:
    with pytest.raises(Failure, match=expected):
        parse_csv(body, "DFF")


def test_parse_csv_reads_bom_quotes_and_negative_values() -> None:
    s = parse_csv('\ufeff"observation_date","T10Y2Y"\n"2020-01-02","-0.05"\n2020-01-03,1e-2\n', "T10Y2Y")
    assert s.to_list() == [-0.05, 0.01] and list(s.index) == ["2020-01-02", "2020-01-03"]


# --- through the CLI: fetch into the store, list it, refresh only the tail ---------------------------


def test_cli_fetch_list_and_incremental_refresh(stub: FredStub) -> None:
    from tests.util import invoke

    first = invoke("data", "fetch", "DFF")
    assert first.exit_code == 0, first.output
    assert "DFF: fetched" in first.stdout and "cosd" not in stub.queries()[0]  # all history
    listed = invoke("data", "list")
    row = next(line for line in listed.stdout.splitlines() if line.startswith("DFF"))
    assert "fred" in row and "series" in row
    second = invoke("data", "fetch", "fred:DFF")
    assert second.exit_code == 0, second.output
    assert "incremental" in second.stdout
    q = stub.queries()[-1]
    last = pd.Timestamp(pd.read_csv(io.StringIO(CSV)).iloc[:, 0].max())
    assert pd.Timestamp(q["cosd"][0]) >= last - pd.Timedelta(days=15)  # only the tail was asked for


def test_cli_fetch_network_down_is_one_line(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    from tests.util import invoke, one_line_error

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("R2K_FRED_URL", f"http://127.0.0.1:{port}/graph/fredgraph.csv")
    res = invoke("data", "fetch", "DFF", "--timeout", "3")
    msg = one_line_error(res, 1)
    assert msg.startswith("error: DFF: FRED unreachable (connection refused)")


def test_global_timeout_bounds_a_stalled_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.util import invoke, one_line_error

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections and never answers
    port = listener.getsockname()[1]
    monkeypatch.setenv("R2K_FRED_URL", f"http://127.0.0.1:{port}/graph/fredgraph.csv")
    t0 = time.monotonic()
    res = invoke("--timeout", "1.5", "data", "fetch", "DFF")
    took = time.monotonic() - t0
    listener.close()
    assert "no answer within 1.5 s" in one_line_error(res, 1)
    assert took < 4.0
