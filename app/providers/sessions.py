"""One pooled keep-alive requests.Session per vendor per thread (Sessions are not thread-safe).

Its connections report every socket they open or reuse to the calling thread's deadline
guard (``watchdog.py``), so a call can be cut at its deadline whatever the vendor sends.
"""
from __future__ import annotations

import socket
import threading
from typing import Any

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
    # A set auth stops requests from applying ~/.netrc, which would overwrite our
    # Authorization header (and break Bedrock's signature); proxies from env still apply.
    session.auth = _no_auth
    return session


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
