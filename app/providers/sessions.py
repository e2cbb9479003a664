"""One pooled keep-alive requests.Session per vendor per thread (Sessions are not thread-safe).

Its connections report every socket they open or reuse to the calling thread's deadline
guard (``watchdog.py``), so a call can be cut at its deadline whatever the vendor sends.
"""
from __future__ import annotations

import functools
import os
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

from .watchdog import current_guard

_local = threading.local()


def _watch(sock: socket.socket | None) -> None:
    guard = current_guard()
    if guard is not None and isinstance(sock, socket.socket):   # TLS-in-TLS wrappers are not sockets
        guard.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()   # the plain socket, before any TLS handshake on it
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)   # a kept-alive connection, reused by this call
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedHTTPAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (direct or through an HTTP proxy) can be cut by the watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def new_session(pool_size: int = 4) -> requests.Session:
    """Return a Session with a small keep-alive pool, no transport-level retries, watched sockets."""
    session = requests.Session()
    adapter = WatchedHTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # The environment is read once, not on every call: with trust_env requests scans os.environ
    # twice per request for proxies (~0.3 ms here). The transport passes environment_proxies(url)
    # instead, and the CA bundle variables are read now. No trust_env also means no ~/.netrc,
    # which would overwrite our Authorization header (and break Bedrock's signature).
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.auth = _no_auth
    return session


def environment_proxies(url: str) -> dict[str, str]:
    """The proxies HTTP(S)_PROXY / ALL_PROXY give for url, unless NO_PROXY exempts its host."""
    parts = urlsplit(url)
    return dict(_proxies_for(parts.scheme, parts.netloc))


@functools.lru_cache(maxsize=256)
def _proxies_for(scheme: str, netloc: str) -> tuple[tuple[str, str], ...]:
    # Per vendor address, read once per process (a changed environment needs a restart).
    return tuple(requests.utils.get_environ_proxies(f"{scheme}://{netloc}/").items())


def session_for(vendor_key: str) -> requests.Session:
    """Return this thread's Session for the vendor, creating it on first use."""
    sessions = _local.__dict__.setdefault("sessions", {})
    if vendor_key not in sessions:
        sessions[vendor_key] = new_session()
    return sessions[vendor_key]


def close_sessions() -> None:
    """Close this thread's Sessions (e.g. when a worker thread shuts down)."""
    for session in _local.__dict__.pop("sessions", {}).values():
        session.close()
