"""How many streamed answers a worker holds open at once, and refusing the next one at once.

An open stream holds one gunicorn request thread for its whole length (up to
STREAM_MAX_DURATION) and one provider pool thread per model it streams. A request that finds
every thread of its worker busy is refused (app/admission_worker.py), so a worker keeps one
request thread free of streams, for everything else (JSON calls, evals):

    streams per worker   = max(1, min(GUNICORN_THREADS - 1, PROVIDER_POOL_SIZE))
    streams per instance = WEB_CONCURRENCY x streams per worker

and a stream beyond its worker's share is refused at once (503 with Retry-After).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any


def streams_per_worker(settings: Mapping[str, Any]) -> int:
    """Return the streams one worker process may hold open at once."""
    return max(1, min(int(settings["GUNICORN_THREADS"]) - 1, int(settings["PROVIDER_POOL_SIZE"])))


def streams_per_instance(settings: Mapping[str, Any]) -> int:
    """Return the streams an instance (every gunicorn worker) may hold open at once."""
    return int(settings["WEB_CONCURRENCY"]) * streams_per_worker(settings)


class StreamsFull(Exception):
    """Every stream this worker may hold is open; try again shortly."""

    retry_after = 1

    def __init__(self, limit: int):
        super().__init__(f"{limit} streams are open in this worker")
        self.limit = limit


class StreamSlots:
    """Count this process's open streams; ``take`` refuses past the limit instead of waiting."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._open = 0

    def take(self) -> None:
        """Hold a slot for one stream, or raise StreamsFull."""
        with self._lock:
            if self._pid != os.getpid():   # a forked worker starts with none of its parent's streams
                self._pid, self._open = os.getpid(), 0
            if self._open >= self.limit:
                raise StreamsFull(self.limit)
            self._open += 1

    def give_back(self) -> None:
        """Release the slot of a stream that ended."""
        with self._lock:
            self._open = max(0, self._open - 1)

    def open(self) -> int:
        """Return how many streams this process holds now."""
        with self._lock:
            return self._open if self._pid == os.getpid() else 0
