"""One pooled keep-alive requests.Session per vendor per thread (Sessions are not thread-safe)."""
from __future__ import annotations

import threading

import requests
from requests.adapters import HTTPAdapter

_local = threading.local()


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def new_session(pool_size: int = 4) -> requests.Session:
    """Return a Session with a small keep-alive pool and no transport-level retries."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
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
