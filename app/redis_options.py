"""The connection options of every Redis client the app makes: one short timeout (REDIS_TIMEOUT_S).

A Redis that accepts connections but stops answering must cost a request at most this long per
command, whichever client (answer cache, rate limiter) meets it; redis-py waits without end by default.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def redis_options(settings: Mapping[str, Any]) -> dict[str, float]:
    """The keyword arguments for redis-py's ``from_url``: REDIS_TIMEOUT_S to connect and per reply."""
    timeout = settings["REDIS_TIMEOUT_S"]
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}
