"""r2k.data.net: hard deadline, bounded retries with backoff, one-line causes; and the test guard."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from r2k.data import net
from r2k.data.errors import DataUnavailable
from r2k.data.net import DeadlineExceeded, Failure, call_with_deadline, retry


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff sleeps instead of waiting."""
    seen: list[float] = []
    monkeypatch.setattr(net, "_sleep", seen.append)
    return seen


def _http_error(status: int) -> requests.HTTPError:
    resp = requests.Response()
    resp.status_code = status
    return requests.HTTPError(f"{status} error", response=resp)


# --- call_with_deadline ---------------------------------------------------------------------


def test_deadline_returns_value_and_reraises_original_exception() -> None:
    assert call_with_deadline(lambda: 42, 1.0, "X") == 42

    class Boom(Exception):
        pass

    with pytest.raises(Boom, match="inner"):
        call_with_deadline(lambda: (_ for _ in ()).throw(Boom("inner")), 1.0, "X")


def test_deadline_abandons_a_hung_call_in_a_daemon_thread() -> None:
    release = threading.Event()
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceeded) as info:
        call_with_deadline(lambda: release.wait(30), 0.3, "IWM")
    elapsed = time.monotonic() - t0
    assert 0.25 <= elapsed < 1.0
    assert str(info.value) == "IWM: no answer within 0.3 s (network down or blocked?)"
    assert isinstance(info.value, DataUnavailable)
    hung = [t for t in threading.enumerate() if t.name == "r2k-fetch IWM"]
    assert hung and all(t.daemon for t in hung)  # cannot keep the interpreter alive at exit
    release.set()


# --- retry -----------------------------------------------------------------------------------


def test_retry_succeeds_after_transient_failures_with_exponential_backoff(sleeps: list[float]) -> None:
    calls: list[float] = []

    def fn(remaining: float) -> str:
        calls.append(remaining)
        if len(calls) < 3:
            raise Failure("Yahoo rate limit (HTTP 429)", transient=True)
        return "ok"

    assert retry(fn, what="IWM", deadline_s=60, tries=3, backoff=1.0) == "ok"
    assert len(calls) == 3
    assert sleeps == [1.0, 2.0]
    assert 0 < calls[0] <= 60 and calls[2] <= calls[0]  # each try gets the budget that is left


def test_retry_gives_up_after_tries_with_one_line_naming_what(sleeps: list[float]) -> None:
    calls = []

    def fn(remaining: float) -> None:
        calls.append(1)
        raise Failure("Yahoo rate limit (HTTP 429)", transient=True)

    with pytest.raises(DataUnavailable) as info:
        retry(fn, what="IWM", deadline_s=60, tries=3)
    assert str(info.value) == "IWM: Yahoo rate limit (HTTP 429) after 3 tries"
    assert len(calls) == 3 and sleeps == [1.0, 2.0]


def test_retry_does_not_retry_permanent_errors(sleeps: list[float]) -> None:
    calls = []

    def fn(remaining: float) -> None:
        calls.append(1)
        raise _http_error(404)

    with pytest.raises(DataUnavailable) as info:
        retry(fn, what="XYZ", deadline_s=60, tries=5)
    assert len(calls) == 1 and sleeps == []
    assert str(info.value) == "XYZ: HTTP 404"


def test_retry_words_library_errors_briefly(sleeps: list[float]) -> None:
    text = ("HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: /x "
            "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: "
            "Failed to establish a new connection: [Errno 111] Connection refused'))")

    def fn(remaining: float) -> None:
        raise requests.ConnectionError(text)

    with pytest.raises(DataUnavailable) as info:
        retry(fn, what="DFF", deadline_s=60, tries=2)
    msg = str(info.value)
    assert msg == "DFF: ConnectionError: connection refused after 2 tries"
    assert "\n" not in msg


def test_backoff_never_sleeps_past_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    def real_sleep(s: float) -> None:
        slept.append(s)
        time.sleep(s)

    monkeypatch.setattr(net, "_sleep", real_sleep)
    calls = []

    def fn(remaining: float) -> None:
        calls.append(remaining)
        raise Failure("FRED server error (HTTP 503)", transient=True)

    t0 = time.monotonic()
    with pytest.raises(DataUnavailable) as info:
        retry(fn, what="DFF", deadline_s=0.5, tries=10, backoff=0.3)
    elapsed = time.monotonic() - t0
    # try 1 at 0 s, sleep 0.3, try 2 at 0.3 s; the next sleep (0.6 s) would end past 0.5 s.
    assert slept == [0.3] and len(calls) == 2
    assert elapsed < 0.5
    assert str(info.value) == "DFF: FRED server error (HTTP 503) after 2 tries"


def test_retry_reports_the_overall_deadline_when_a_try_hangs(sleeps: list[float]) -> None:
    release = threading.Event()
    t0 = time.monotonic()
    with pytest.raises(DataUnavailable) as info:
        retry(lambda remaining: release.wait(30), what="IWM", deadline_s=0.4, tries=3)
    assert time.monotonic() - t0 < 1.0
    assert str(info.value) == "IWM: no answer within 0.4 s (network down or blocked?)"
    release.set()


def test_retry_strips_a_repeated_name_from_provider_errors(sleeps: list[float]) -> None:
    def fn(remaining: float) -> None:
        raise DataUnavailable("IWM: something specific")

    with pytest.raises(DataUnavailable, match=r"^IWM: something specific$"):
        retry(fn, what="IWM", deadline_s=5)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_http_error(429), True),
        (_http_error(503), True),
        (_http_error(404), False),
        (_http_error(400), False),
        (requests.ConnectionError("refused"), True),
        (requests.ReadTimeout("slow"), True),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (Failure("x", transient=False), False),
        (Failure("x", transient=True), True),
        (ValueError("bad"), False),
        (PermissionError("no"), False),
    ],
)
def test_is_transient(exc: BaseException, transient: bool) -> None:
    assert net.is_transient(exc) is transient


def test_is_transient_knows_yfinance_rate_limit() -> None:
    from yfinance.exceptions import YFRateLimitError

    assert net.is_transient(YFRateLimitError())
    assert net.describe(YFRateLimitError()) == "rate limited (HTTP 429)"


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Failed to perform, curl: (6) Could not resolve host: fc.yahoo.com. See https://curl.se/...", "could not resolve host"),
        ("Failed to perform, curl: (28) Operation timed out after 10001 milliseconds", "timed out"),
        ("HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=5)", "timed out"),
        ("[Errno 101] Network is unreachable", "network is unreachable"),
        ("something else entirely", "something else entirely"),
    ],
)
def test_short_reason(text: str, short: str) -> None:
    assert net.short_reason(text) == short


def test_per_fetch_timeout_is_not_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """R2K_TIMEOUT is read by the CLI only (into the command's NetBudget), never deep in a provider."""
    monkeypatch.setenv("R2K_TIMEOUT", "2.5")
    assert net.Provider().timeout == net.DEFAULT_TIMEOUT == 30.0
    assert net.Provider(timeout=4).timeout == 4.0


# --- the conftest network guard --------------------------------------------------------------


def test_guard_blocks_non_loopback_connections() -> None:
    t0 = time.monotonic()
    with socket.socket() as s, pytest.raises(OSError, match="network guard"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1; must be refused before any packet leaves
    with pytest.raises(OSError, match="network guard"):
        socket.getaddrinfo("query1.finance.yahoo.com", 443)
    with pytest.raises(requests.ConnectionError):
        requests.get("http://192.0.2.1/", timeout=5)
    assert time.monotonic() - t0 < 1.0


def test_guard_blocks_curl_cffi() -> None:
    from curl_cffi import requests as curl_requests

    with pytest.raises(OSError, match="network guard"):
        curl_requests.Session().get("https://query1.finance.yahoo.com/")


def test_guard_allows_loopback() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
            conn, _ = server.accept()
            conn.close()
