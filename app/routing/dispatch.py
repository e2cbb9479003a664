"""Fan calls out over one bounded thread pool per worker process, under one deadline."""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from app.providers.base import Completion
from app.providers.errors import ProviderError, ProviderTimeout

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one call produced: a completion or an error, and how long it took."""

    completion: Completion | None
    error: ProviderError | None
    latency_ms: float


Call = Callable[[float], Completion]   # takes the monotonic deadline, returns or raises ProviderError


class Dispatcher:
    """Run calls concurrently; whatever is unfinished at the deadline becomes a timeout."""

    def __init__(self, pool_size: int):
        self._pool_size = pool_size
        self._pool: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        # Created lazily and per process: gunicorn forks workers after loading the app,
        # and threads do not survive a fork.
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._pool = ThreadPoolExecutor(self._pool_size, thread_name_prefix="provider")
                    self._pid = os.getpid()
        return self._pool

    def run(self, calls: Sequence[tuple[str, Call]], deadline: float) -> list[Outcome]:
        """Run (vendor, call) pairs; return one Outcome each, in order, by the deadline."""
        started = time.monotonic()
        futures = [self._executor().submit(_timed, vendor, call, deadline) for vendor, call in calls]
        wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        return [_outcome(future, vendor, started) for (vendor, _), future in zip(calls, futures)]

    def shutdown(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.shutdown(wait=False, cancel_futures=True)


def _timed(vendor: str, call: Call, deadline: float) -> Outcome:
    started = time.monotonic()
    try:
        return Outcome(call(deadline), None, _ms_since(started))
    except ProviderError as exc:
        return Outcome(None, exc, _ms_since(started))
    except Exception:  # a bug must cost one item, not the whole response
        log.exception("unexpected error calling %s", vendor)
        return Outcome(None, ProviderError("internal error while calling the vendor", vendor=vendor),
                       _ms_since(started))


def _outcome(future: Future, vendor: str, started: float) -> Outcome:
    if future.done():
        return future.result()   # _timed turns every ProviderError into an Outcome
    future.cancel()  # not started yet (pool busy): never start it; a running call ends at the deadline
    error = ProviderTimeout("no answer before the request deadline", vendor=vendor, retryable=True)
    return Outcome(None, error, _ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
