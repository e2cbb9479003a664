"""Named API keys from the database (`price-runner keys create|revoke`), held in memory.

Only hashes are held. Each serving process reloads them every ``refresh_s`` seconds in a
background job (app/lifecycle.py, started after the fork), idle or not: a new or revoked key
takes effect within that time on every worker, a request never waits on the database, and a
flood of made-up keys costs no query at all.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from app.store.keys import KEY_PREFIX, key_hash

log = logging.getLogger(__name__)


class KeyRing:
    """key hash -> name of the live database keys, reloaded off the request path."""

    def __init__(self, load: Callable[[], dict[str, str]], refresh_s: float):
        self._load, self.refresh_s = load, refresh_s
        self._names: dict[str, str] = {}
        self._loading = threading.Lock()
        self.problem: str | None = None
        self.reload()

    def name_of(self, key: str) -> str | None:
        """The name of the live key presented, or None (unknown, revoked, or not one of ours)."""
        if not key.startswith(KEY_PREFIX):
            return None
        return self._names.get(key_hash(key))

    def reload(self) -> None:
        """Read the live keys' hashes now (a failure keeps the ones held and says why)."""
        if not self._loading.acquire(blocking=False):
            return
        try:
            self._names = self._load()   # one store: readers see the old ring or the new one
            self.problem = None
        except Exception as exc:
            self.problem = f"database keys: {type(exc).__name__}"
            log.warning("could not read the API keys from the database: %s", type(exc).__name__)
        finally:
            self._loading.release()
