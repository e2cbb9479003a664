"""Optional cache of vendor answers, keyed by everything that shapes the answer."""
from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, Protocol

from flask import Flask
from flask_caching import Cache

from app.providers.base import PromptRequest

log = logging.getLogger(__name__)


class Backend(Protocol):
    """What flask-caching's backends (cachelib SimpleCache, RedisCache, ...) offer."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...


class AnswerCache:
    """Store successful answers for ``ttl_s`` seconds; a broken backend is a miss, never an error."""

    def __init__(self, backend: Backend, ttl_s: int):
        self._backend, self._ttl = backend, ttl_s

    @staticmethod
    def key(vendor_key: str, request: PromptRequest) -> str:
        """Hash vendor, model, prompt, system and every generation parameter."""
        parts = [vendor_key, request.model, request.prompt, request.system, request.max_tokens, request.temperature]
        digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
        return f"answer:v1:{digest}"

    def get(self, vendor_key: str, request: PromptRequest) -> dict[str, Any] | None:
        try:
            return self._backend.get(self.key(vendor_key, request))
        except Exception as exc:   # Redis down: serve live answers rather than fail the request
            log.warning("answer cache read failed: %s", type(exc).__name__)
            return None

    def set(self, vendor_key: str, request: PromptRequest, item: dict[str, Any]) -> None:
        try:
            self._backend.set(self.key(vendor_key, request), item, timeout=self._ttl)
        except Exception as exc:
            log.warning("answer cache write failed: %s", type(exc).__name__)


def answer_cache(app: Flask, settings: dict[str, Any]) -> AnswerCache:
    """Configure flask-caching (in-process, or Redis shared by every instance) and wrap its backend."""
    url = settings["CACHE_REDIS_URL"]
    cache = Cache(app, config={"CACHE_TYPE": "RedisCache" if url else "SimpleCache",
                               "CACHE_REDIS_URL": url, "CACHE_THRESHOLD": 10_000})
    # The backend object works without an app context, so worker threads and the plain
    # PromptRouter can use it.
    return AnswerCache(app.extensions["cache"][cache], settings["ANSWER_CACHE_TTL"])
