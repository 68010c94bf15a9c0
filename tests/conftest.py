"""Shared test setup: no test may reach the internet, and none may touch the user's store."""

from __future__ import annotations

import ipaddress
import socket

import pytest

pytest_plugins = ["tests.util"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: object) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if not _is_local_host(host):
        raise OSError(f"test network guard: connection to {address!r} blocked (tests must stay offline)")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object):
    # Resolving a public name would already send a DNS query; allow only loopback names/literals.
    if host is not None and not _is_local_host(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: lookup of {host!r} blocked")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every non-loopback connection and DNS lookup, from Python sockets and from libcurl."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    try:  # yfinance's default transport is libcurl, which bypasses Python's socket module
        from curl_cffi import requests as curl_requests
    except ImportError:
        return

    def _blocked(self: object, method: str, url: str, *args: object, **kwargs: object):
        raise OSError(f"test network guard: curl_cffi {method} {url} blocked (tests must stay offline)")

    monkeypatch.setattr(curl_requests.Session, "request", _blocked)


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point $R2K_HOME at a fresh folder so no test reads or writes the real store or caches."""
    monkeypatch.setenv("R2K_HOME", str(tmp_path_factory.mktemp("r2k_home")))
    monkeypatch.delenv("R2K_TIMEOUT", raising=False)
    monkeypatch.delenv("R2K_FRED_URL", raising=False)
