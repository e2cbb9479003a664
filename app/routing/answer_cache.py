"""Optional cache of vendor answers, keyed by the caller and everything that shapes the answer.

Bounded in bytes: an answer whose item is larger than ``max_item_bytes`` is not stored, and the
database store (or the in-process one) holds at most ``ANSWER_CACHE_MAX_BYTES`` (oldest out first).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import Any, Protocol

import orjson
from cachetools import TTLCache
from flask import Flask
from flask_caching import Cache

from app.providers.base import PromptRequest
from app.redis_options import redis_options
from app.responses import dumps

log = logging.getLogger(__name__)
SHARED = "shared"


class Backend(Protocol):
    """What flask-caching's backends (cachelib RedisCache, ...) and MemoryBackend offer."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: int | None = None) -> Any: ...


class MemoryBackend:
    """An in-process store bounded in total bytes of its values, with a time to live."""

    def __init__(self, max_bytes: int, ttl_s: int):
        self._items: TTLCache = TTLCache(maxsize=max_bytes, ttl=ttl_s, getsizeof=len)
        self._lock = threading.Lock()   # cachetools' caches are not thread-safe

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._items.get(key)

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        with self._lock:
            self._items[key] = value


class AnswerCache:
    """Store successful answers for ``ttl_s`` seconds; a broken backend is a miss, never an error.

    With ``scope="principal"`` each caller has its own answers (caller B never learns what A
    asked); with ``"shared"`` every caller shares them.
    """

    def __init__(self, backend: Backend, ttl_s: int, *, scope: str = "principal",
                 max_item_bytes: int = 1024 * 1024):
        self._backend, self._ttl = backend, ttl_s
        self._scope, self._max_item_bytes = scope, max_item_bytes

    def key(self, vendor_key: str, request: PromptRequest, caller: str) -> str:
        """Hash the caller (unless shared), vendor, model, prompt, system and every generation parameter."""
        owner = SHARED if self._scope == SHARED else caller
        parts = [owner, vendor_key, request.model, request.prompt, request.system, request.max_tokens,
                 request.temperature]
        if request.messages or request.top_p is not None or request.stop or request.seed is not None:
            # Conversations and the newer parameters extend the key; a plain prompt's key is unchanged.
            parts += [[[m.role, m.texts] for m in request.messages], request.top_p,
                      list(request.stop or ()), request.seed]
        extra = sampled(request)
        if extra:
            parts.append(extra)   # n, penalties, logit_bias and logprobs extend the key only when set
        if request.service_tier is not None:
            parts.append(request.service_tier)
        digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        return f"answer:v2:{digest}"

    def get(self, vendor_key: str, request: PromptRequest, caller: str) -> dict[str, Any] | None:
        try:
            stored = self._backend.get(self.key(vendor_key, request, caller))
            return orjson.loads(stored) if stored is not None else None
        except Exception as exc:   # Redis down, or an entry we cannot read: serve live answers
            log.warning("answer cache read failed: %s", type(exc).__name__)
            return None

    def set(self, vendor_key: str, request: PromptRequest, caller: str, item: dict[str, Any]) -> None:
        blob = dumps(item)
        if len(blob) > self._max_item_bytes:
            return   # a huge answer would crowd out many small ones
        try:
            self._backend.set(self.key(vendor_key, request, caller), blob, timeout=self._ttl)
        except Exception as exc:
            log.warning("answer cache write failed: %s", type(exc).__name__)


def sampled(request: PromptRequest) -> dict[str, Any]:
    """The request's other sampling parameters that are set (n only above 1), for the cache key."""
    values = {"n": request.n if request.n != 1 else None, "presence_penalty": request.presence_penalty,
              "frequency_penalty": request.frequency_penalty, "logprobs": request.logprobs,
              "top_logprobs": request.top_logprobs,
              "logit_bias": dict(request.logit_bias) if request.logit_bias else None}
    return {name: value for name, value in values.items() if value is not None}


def answer_cache(app: Flask, settings: dict[str, Any]) -> AnswerCache:
    """Use Redis through flask-caching (shared by every instance) when configured, else the
    database (shared by every worker of the instance: SQLite in its instance folder by default)."""
    url, ttl = settings["CACHE_REDIS_URL"], settings["ANSWER_CACHE_TTL"]
    if url:
        cache = Cache(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url,
                                   "CACHE_OPTIONS": redis_options(settings)})
        # The backend object works without an app context, so worker threads and the plain
        # PromptRouter can use it.
        backend: Backend = app.extensions["cache"][cache]
    else:
        from app.store.answer_cache import DatabaseBackend

        backend = DatabaseBackend(app.extensions["store"].engine, settings["ANSWER_CACHE_MAX_BYTES"])
    return AnswerCache(backend, ttl, scope=settings["ANSWER_CACHE_SCOPE"],
                       max_item_bytes=settings["ANSWER_CACHE_MAX_ITEM_BYTES"])
