"""Network helpers shared by the providers: a hard wall-clock limit and bounded retries.

Why a hard limit: on a network that silently drops packets, a yfinance call hangs about 130 s and
its own ``timeout=`` does not cap it (pitfalls.md, row 8). The call therefore runs in a *daemon*
thread that we simply stop waiting for; a ``ThreadPoolExecutor`` would not do, because its worker
threads are joined at interpreter exit and would keep the CLI alive until the hang ends.

Every failure leaves here as one :class:`DataUnavailable` line that names the symbol or series and
the cause, e.g. ``IWM: Yahoo rate limit (HTTP 429) after 3 tries``.

A fetch is also charged to the command's :class:`~r2k.data.budget.NetBudget` when it has one:
it gets at most the time left, and a provider found unreachable or rate limiting is not asked
for the command's other names. An HTTP 429 with ``Retry-After`` waits that long when the time
left allows, and otherwise stops at once (retrying sooner only prolongs the ban).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from r2k.data.errors import DataUnavailable, UsageError

if TYPE_CHECKING:
    from r2k.data.budget import NetBudget

T = TypeVar("T")

#: Seconds one fetch (all its tries together) may take at most; the command's budget may leave less.
DEFAULT_TIMEOUT = 30.0

#: Injectable so tests can run the backoff without waiting.
_sleep: Callable[[float], None] = time.sleep

#: Below this many seconds of budget another try cannot do anything useful.
_MIN_ATTEMPT_S = 0.05


class Failure(Exception):
    """One attempt failed. ``cause`` is a short phrase for the user ("FRED server error (HTTP 503)").

    ``transient`` says whether trying again may help (rate limit, 5xx, connection, timeout) or not
    (unknown symbol, a web page instead of CSV). ``timed_out`` marks a failure that used up its
    time, so that running out of budget is reported as such. ``down`` says the provider as a whole
    is not answering (unreachable, rate limiting), so its other names are not worth asking now;
    ``retry_after`` is the wait in seconds a 429 asked for.
    """

    def __init__(self, cause: str, *, transient: bool, timed_out: bool = False, down: bool = False,
                 retry_after: float | None = None):
        super().__init__(cause)
        self.cause = cause
        self.transient = transient
        self.timed_out = timed_out
        self.down = down or timed_out
        self.retry_after = retry_after


class DeadlineExceeded(DataUnavailable):
    """The hard wall-clock limit of :func:`call_with_deadline` passed without an answer."""


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (delay-seconds or an HTTP date); None if absent or bad."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None


def call_with_deadline(fn: Callable[[], T], timeout: float, what: str) -> T:
    """Return ``fn()``, or raise :class:`DeadlineExceeded` after ``timeout`` seconds.

    ``fn`` runs in a daemon thread; on timeout it is abandoned (Python cannot kill a thread) and
    finishes, or not, in the background without keeping the process alive. Its exception, if any,
    is re-raised here with its original traceback.
    """
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller; nothing may escape a thread silently
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"r2k-fetch {what}", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise DeadlineExceeded(f"{what}: no answer within {timeout:g} s (network down or blocked?)")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_timeout(exc: BaseException) -> bool:
    """True for any flavour of "no answer in time" (ours, requests', curl's, the OS's)."""
    if isinstance(exc, Failure):
        return exc.timed_out
    if isinstance(exc, (DeadlineExceeded, TimeoutError)):
        return True
    return any(cls.__name__ in ("Timeout", "ReadTimeout", "ConnectTimeout") for cls in type(exc).__mro__)


def is_down(exc: BaseException) -> bool:
    """Whether a failure says the provider itself is not answering (so its other names would fail too):
    no connection, no answer in time, or a rate limit."""
    if isinstance(exc, Failure):
        return exc.down
    if isinstance(exc, DeadlineExceeded) or is_timeout(exc) or type(exc).__name__ == "YFRateLimitError":
        return True
    if _status_of(exc) is not None:
        return _status_of(exc) == 429
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "RemoteDisconnected", "ProtocolError"})


def is_transient(exc: BaseException) -> bool:
    """Default ``retry_if``: rate limits, server errors, connection problems and timeouts."""
    if isinstance(exc, Failure):
        return exc.transient
    if isinstance(exc, DataUnavailable):  # already classified and worded by a provider
        return isinstance(exc, DeadlineExceeded)
    if type(exc).__name__ == "YFRateLimitError":
        return True
    status = _status_of(exc)
    if status is not None:
        return status == 429 or status >= 500
    if is_timeout(exc):
        return True
    # requests' and curl_cffi's ConnectionError are OSErrors; so are refused/reset sockets.
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectionError", "ChunkedEncodingError", "RemoteDisconnected", "ProtocolError"}) or (
        isinstance(exc, OSError) and not isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError))
    )


_CURL_CODES = {
    5: "could not resolve proxy",
    6: "could not resolve host",
    7: "could not connect to server",
    28: "timed out",
    35: "TLS handshake failed",
    52: "empty reply from server",
    56: "connection reset",
}


def short_reason(text: str) -> str:
    """Boil a library's error text down to a few words ("connection refused", "timed out").

    requests and curl wrap the useful part in a paragraph of pool and URL details.
    """
    m = re.search(r"curl: \((\d+)\)\s*([^.:]*)", text)
    if m:
        return _CURL_CODES.get(int(m.group(1)), m.group(2).strip() or f"curl error {m.group(1)}")
    low = text.lower()
    for needle, words in (
        ("connection refused", "connection refused"),
        ("name or service not known", "could not resolve host"),
        ("nameresolutionerror", "could not resolve host"),
        ("temporary failure in name resolution", "could not resolve host"),
        ("could not resolve", "could not resolve host"),
        ("unable to connect to proxy", "could not connect to proxy"),
        ("read timed out", "timed out"),
        ("timed out", "timed out"),
        ("connection reset", "connection reset"),
        ("connection aborted", "connection reset"),
        ("remote end closed", "connection closed by server"),
        ("network is unreachable", "network is unreachable"),
        ("certificate verify failed", "TLS certificate not trusted"),
    ):
        if needle in low:
            return words
    m = re.search(r"\[Errno -?\d+\]\s*([^'\")\]]+)", text)
    if m:
        return m.group(1).strip().lower()
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:100] + ("..." if len(first) > 100 else "")


def describe(exc: BaseException) -> str:
    """A short cause phrase for an exception that a provider did not word itself."""
    if isinstance(exc, Failure):
        return exc.cause
    if type(exc).__name__ == "YFRateLimitError":
        return "rate limited (HTTP 429)"
    status = _status_of(exc)
    if status is not None:
        return "rate limited (HTTP 429)" if status == 429 else f"HTTP {status}"
    return f"{type(exc).__name__}: {short_reason(str(exc))}"


def _strip_what(message: str, what: str) -> str:
    prefix = f"{what}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def retry(
    fn: Callable[[float], T],
    *,
    what: str,
    deadline_s: float,
    tries: int = 3,
    backoff: float = 1.0,
    retry_if: Callable[[BaseException], bool] = is_transient,
    budget: NetBudget | None = None,
    provider: str = "",
) -> T:
    """Call ``fn(remaining_seconds)`` until it succeeds, at most ``tries`` times within ``deadline_s``.

    Each attempt runs under :func:`call_with_deadline` with the budget that is left, and receives
    that budget so it can pass it on as a socket timeout. Between attempts it sleeps
    ``backoff``, ``2*backoff``, ... (or the ``Retry-After`` a 429 asked for) but gives up instead
    of sleeping past the deadline. Errors for which ``retry_if`` is false (unknown symbol,
    malformed answer) end it at once. The final error is one :class:`DataUnavailable` line:
    ``"<what>: <cause>[ after N tries]"``.

    With a command ``budget``, ``provider``'s known-down state is checked first (nothing is
    asked), the deadline is cut to the time left, the time spent is charged, and a failure that
    says the provider is down (:func:`is_down`) marks it so for the rest of the command.
    """
    if tries < 1:
        raise ValueError("tries must be >= 1")
    if budget is not None:
        deadline_s = min(deadline_s, budget.check(provider, what, _MIN_ATTEMPT_S))
    t0 = time.monotonic()
    try:
        return _retry(fn, what, deadline_s, tries, backoff, retry_if, budget, provider)
    finally:
        if budget is not None:
            budget.charge(time.monotonic() - t0)


def _retry(fn, what, deadline_s, tries, backoff, retry_if, budget, provider):
    t_end = time.monotonic() + deadline_s
    last: BaseException | None = None
    attempt = 0
    too_long: float | None = None  # a Retry-After that does not fit in the time left
    while attempt < tries:
        remaining = t_end - time.monotonic()
        if remaining < _MIN_ATTEMPT_S:
            break
        attempt += 1
        try:
            return call_with_deadline(lambda r=remaining: fn(r), remaining, what)
        except Exception as exc:  # classified below; KeyboardInterrupt passes through
            last = exc
            if not retry_if(exc):
                break
        if attempt >= tries:
            break
        delay = backoff * 2 ** (attempt - 1)
        asked = getattr(last, "retry_after", None)
        if asked is not None:
            if time.monotonic() + asked + _MIN_ATTEMPT_S >= t_end:
                too_long = asked
                break  # waiting less than asked only prolongs a rate limit; waiting longer is not allowed
            delay = max(delay, asked)
        if time.monotonic() + delay + _MIN_ATTEMPT_S >= t_end:
            break  # the next try could not start before the deadline
        _sleep(delay)

    if last is None:  # deadline_s was (nearly) zero: nothing was tried
        raise DataUnavailable(f"{what}: no time left to ask (timeout {deadline_s:g} s)")
    if is_timeout(last) and t_end - time.monotonic() < _MIN_ATTEMPT_S:
        msg = f"{what}: no answer within {deadline_s:g} s (network down or blocked?)"
    else:
        if isinstance(last, DataUnavailable):
            cause = _strip_what(str(last), what)
        else:
            cause = describe(last)
        msg = f"{what}: {cause}" + (f" after {attempt} tries" if attempt > 1 else "")
        if too_long is not None:
            msg += (f"; it asks to wait {too_long:g} s (Retry-After), more than the {max(t_end - time.monotonic(), 0):.0f} s "
                    "left (--timeout): not retried")
    if budget is not None and is_down(last):
        budget.mark_down(provider, msg)
    raise DataUnavailable(msg) from (last if not isinstance(last, DataUnavailable) else None)


class Provider:
    """What the Yahoo and FRED providers share: a hard timeout, an injectable session, bounded tries."""

    name = ""

    def __init__(self, timeout: float | None = None, session: object | None = None, tries: int = 3,
                 budget: NetBudget | None = None):
        self.timeout = DEFAULT_TIMEOUT if timeout is None else float(timeout)  # one fetch, all its tries
        self.session = session  # tests inject fakes; None: the library's own
        self.tries = tries
        self.budget = budget  # the command's network budget (None: only the per-fetch timeout)

    @staticmethod
    def window(name: str, start, end):
        """``start``/``end`` (date, ISO text or None) as dates; a start after the end is a usage error."""
        d0, d1 = _as_date(start, "start"), _as_date(end, "end")
        if d0 and d1 and d0 > d1:
            raise UsageError(f"{name}: start {d0} is after end {d1}")
        return d0, d1


def _as_date(value, what: str):
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    from r2k.data.dates import parse_day

    return dt.date.fromisoformat(parse_day(str(value).strip()[:10], what, end=(what == "end")))
