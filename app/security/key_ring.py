"""Named API keys from the database (`price-runner keys create|revoke`), held in memory.

Only hashes are held. The ring reloads in a background thread once it is older than
``refresh_s`` (a new or revoked key takes effect within that time, without a restart), so a
request never waits on the database and a flood of made-up keys costs no query at all.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.store.keys import KEY_PREFIX, key_hash

log = logging.getLogger(__name__)


class KeyRing:
    """key hash -> name of the live database keys, refreshed off the request path."""

    def __init__(self, load: Callable[[], dict[str, str]], refresh_s: float):
        self._load, self.refresh_s = load, refresh_s
        self._names: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._loading = threading.Lock()
        self.problem: str | None = None
        self.reload()

    def name_of(self, key: str) -> str | None:
        """The name of the live key presented, or None (unknown, revoked, or not one of ours)."""
        if time.monotonic() - self._loaded_at > self.refresh_s and not self._loading.locked():
            threading.Thread(target=self.reload, name="key-ring", daemon=True).start()
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
            self._loaded_at = time.monotonic()
            self._loading.release()
