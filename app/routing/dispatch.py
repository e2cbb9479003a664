"""Fan calls out over one bounded thread pool per worker process, under one deadline.

Two limits keep one request, or one slow vendor, from taking the worker down with it:
- the pool has ``pool_size`` threads; a request that needs more than are free is refused at
  once (``PoolSaturated``, answered 503 with Retry-After) instead of queueing past its deadline;
- each vendor may hold at most ``max_per_vendor`` threads; a call beyond that fails at once as
  a retryable ``vendor_busy`` item, so a hanging vendor cannot starve the others.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from app.providers.base import Completion
from app.providers.errors import ProviderCancelled, ProviderError, ProviderTimeout
from app.providers.watchdog import WATCHDOG

log = logging.getLogger(__name__)

# A call gets the request's deadline and cancel event; it returns a Completion or raises ProviderError.
Call = Callable[[float, threading.Event], Completion]


@dataclass(frozen=True)
class Outcome:
    """What one call produced: a completion or an error, and how long it took."""

    completion: Completion | None
    error: ProviderError | None
    latency_ms: float

    @property
    def retries(self) -> int:
        done = self.completion or self.error
        return max(0, getattr(done, "attempts", 1) - 1)


class PoolSaturated(Exception):
    """Every provider thread of this worker is busy; try again shortly."""

    retry_after = 1


class VendorBusy(ProviderError):
    kind = "vendor_busy"
    default_retryable = True


class Dispatcher:
    """Start batches of calls on this process's pool; one instance per worker process."""

    def __init__(self, pool_size: int, max_per_vendor: int):
        self._pool_size, self._max_per_vendor = pool_size, max_per_vendor
        self._lock = threading.Lock()
        self._pid: int | None = None

    def _reset_if_forked(self) -> None:
        # gunicorn loads the app in the master and forks workers: threads and the counts of the
        # parent's calls do not survive a fork, so each process builds its own pool lazily.
        if self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(self._pool_size, thread_name_prefix="provider")
            self._in_flight = 0
            self._per_vendor: dict[str, int] = {}
            self._pid = os.getpid()

    def start(self, calls: Sequence[tuple[str, Call]], deadline: float,
              cancel: threading.Event | None = None, inline: bool = False) -> Batch:
        """Start every (vendor, call) pair now, or raise PoolSaturated without starting any.

        With ``inline`` a batch of one call runs in the calling thread, under the same deadline,
        watchdog and per-vendor cap: a pool thread would buy no parallelism, only two thread
        hand-offs (about a fifth of a proxied call's CPU under load, measured with py-spy).
        """
        cancel = cancel or threading.Event()
        if inline and len(calls) == 1:
            vendor, call = calls[0]
            return Batch([vendor], [self._run_here(vendor, call, deadline, cancel)], deadline, cancel)
        with self._lock:
            self._reset_if_forked()
            per_vendor, admitted = dict(self._per_vendor), []
            for vendor, _ in calls:
                admitted.append(per_vendor.get(vendor, 0) < self._max_per_vendor)
                per_vendor[vendor] = per_vendor.get(vendor, 0) + admitted[-1]
            if self._in_flight + sum(admitted) > self._pool_size:
                raise PoolSaturated()
            self._in_flight += sum(admitted)
            self._per_vendor = per_vendor
        futures = [self._submit(vendor, call, deadline, cancel) if ok else _busy(vendor, self._max_per_vendor)
                   for (vendor, call), ok in zip(calls, admitted)]
        return Batch([vendor for vendor, _ in calls], futures, deadline, cancel)

    def _run_here(self, vendor: str, call: Call, deadline: float, cancel: threading.Event) -> Future:
        with self._lock:
            self._reset_if_forked()
            if self._per_vendor.get(vendor, 0) >= self._max_per_vendor:
                return _busy(vendor, self._max_per_vendor)
            self._per_vendor[vendor] = self._per_vendor.get(vendor, 0) + 1
        future: Future = Future()
        try:
            future.set_result(_timed(vendor, call, deadline, cancel))
        finally:
            with self._lock:
                self._per_vendor[vendor] -= 1
        return future

    def _submit(self, vendor: str, call: Call, deadline: float, cancel: threading.Event) -> Future:
        future = self._pool.submit(_timed, vendor, call, deadline, cancel)
        future.add_done_callback(lambda _: self._release(vendor))
        return future

    def _release(self, vendor: str) -> None:
        with self._lock:
            self._in_flight -= 1
            self._per_vendor[vendor] -= 1

    def busy(self) -> int:
        """Return how many provider calls this process is running now."""
        with self._lock:
            return self._in_flight if self._pid == os.getpid() else 0


class Batch:
    """The calls of one request: wait for all, or take them as they finish."""

    def __init__(self, vendors: list[str], futures: list[Future], deadline: float, cancel: threading.Event):
        self._vendors, self._futures = vendors, futures
        self.deadline, self.cancel_event = deadline, cancel
        self._started = time.monotonic()

    def results(self) -> list[Outcome]:
        """Wait until every call ends or the deadline passes; one Outcome per call, in order."""
        wait(self._futures, timeout=max(0.0, self.deadline - time.monotonic()))
        return [self._outcome(index) for index in range(len(self._futures))]

    def as_completed(self, heartbeat: float) -> Iterator[tuple[int, Outcome] | None]:
        """Yield (index, outcome) as calls finish, None every `heartbeat` seconds while waiting,
        and the unfinished ones as timeouts at the deadline."""
        pending = set(range(len(self._futures)))
        while pending:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            done, _ = wait([self._futures[i] for i in pending], timeout=min(heartbeat, remaining),
                           return_when=FIRST_COMPLETED)
            finished = [i for i in sorted(pending) if self._futures[i] in done]
            for index in finished:
                pending.discard(index)
                yield index, self._outcome(index)
            if not finished:
                yield None
        for index in sorted(pending):
            yield index, self._outcome(index)

    def streamed(self, feed: queue.SimpleQueue, heartbeat: float) -> Iterator[tuple[int, str | Outcome] | None]:
        """Yield (index, text) for each delta the calls put into ``feed`` as (index, text), (index,
        outcome) as each call finishes (after its deltas), None every `heartbeat` seconds of quiet,
        and the unfinished calls as timeouts at the deadline."""
        for index, future in enumerate(self._futures):
            future.add_done_callback(lambda _, index=index: feed.put((index, None)))
        pending = set(range(len(self._futures)))
        while pending:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                index, text = feed.get(timeout=min(heartbeat, remaining))
            except queue.Empty:
                yield None
                continue
            if index not in pending:
                continue
            if text is None:
                pending.discard(index)
                yield index, self._outcome(index)
            else:
                yield index, text
        for index in sorted(pending):
            yield index, self._outcome(index)

    def cancel(self) -> None:
        """Stop what has not started, and cut what is running (the client went away)."""
        self.cancel_event.set()
        for future in self._futures:
            future.cancel()
        WATCHDOG.cancel(self.cancel_event)

    def settle(self, taken: set[int], callback: Callable[[int, Outcome], None]) -> None:
        """Hand every call not in ``taken`` to callback(index, outcome) when it ends (at once if it never ran)."""
        for index, future in enumerate(self._futures):
            if index not in taken:
                future.add_done_callback(lambda _, index=index: callback(index, self._ended(index)))

    def _ended(self, index: int) -> Outcome:
        future = self._futures[index]
        if future.cancelled():
            return Outcome(None, ProviderCancelled("the client went away; call not made",
                                                   vendor=self._vendors[index]), 0.0)
        return future.result()

    def _outcome(self, index: int) -> Outcome:
        future = self._futures[index]
        if future.done() and not future.cancelled():
            return future.result()   # _timed turns every exception into an Outcome
        future.cancel()   # not started yet: never start it; a running call ends by the deadline
        error = ProviderTimeout("no answer before the request deadline", vendor=self._vendors[index],
                                retryable=True)
        return Outcome(None, error, _ms_since(self._started))


def _timed(vendor: str, call: Call, deadline: float, cancel: threading.Event) -> Outcome:
    started = time.monotonic()
    try:
        return Outcome(call(deadline, cancel), None, _ms_since(started))
    except ProviderError as exc:
        return Outcome(None, exc, _ms_since(started))
    except Exception:  # a bug must cost one item, not the whole response
        log.exception("unexpected error calling %s", vendor)
        return Outcome(None, ProviderError("internal error while calling the vendor", vendor=vendor),
                       _ms_since(started))


def _busy(vendor: str, limit: int) -> Future:
    future: Future = Future()
    error = VendorBusy(f"{limit} calls to this vendor are already running in this worker "
                       "(PROVIDER_MAX_CONCURRENCY); try again shortly", vendor=vendor)
    future.set_result(Outcome(None, error, 0.0))
    return future


def _ms_since(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
