"""Prometheus metrics: HTTP requests, and provider calls per provider and model.

Under gunicorn, prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by
gunicorn.conf.py before the app is imported) keeps one file per worker and /metrics adds
them up. The master process loads the app before it forks (preload_app); gunicorn.conf.py
removes the files it wrote, and each worker writes its own under its pid. The series the
docs name for alerting are created at 0 in each worker as it starts (``precreate``), so
they exist before their first event. process_* series come from /proc at scrape time
(processes.py). Without the variable (tests, a single process) the normal registry is used,
with prometheus_client's own process collector.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess, values

from app.observability.processes import ServerProcesses

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Vendor calls take from a few hundred ms to the 30 s deadline.
CALL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
# Label values the docs list for alerting, whose series exist at 0 from the start. Ledger
# failures are labelled by exception type: these are the database errors SQLAlchemy raises
# (any other type still gets its own series at its first event).
LEDGER_FAILURE_REASONS = ("OperationalError", "IntegrityError", "DatabaseError", "InterfaceError")
STREAM_REFUSALS = (("send_prompt", "streams"), ("send_prompt", "pool"), ("v1", "streams"), ("v1", "pool"))
# The refusals the docs say to watch on the billed routes: limits (ours or a vendor's), budgets, capacity.
WATCHED_STATUSES = (
    *((route, "POST", status, "price_runner") for route in ("/api/send_prompt", "/v1/chat/completions")
      for status in ("429", "402", "503")),
    ("/v1/chat/completions", "POST", "429", "vendor"), ("/v1/chat/completions", "POST", "502", "vendor"))


@dataclass(frozen=True)
class Metrics:
    http_requests: Counter
    http_duration: Histogram
    http_in_flight: Gauge
    provider_calls: Counter
    provider_duration: Histogram
    provider_retries: Counter
    provider_tokens: Counter
    provider_cost: Counter
    ledger_write_failures: Counter
    stream_refusals: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> Metrics:
        """Define every series in the given registry."""
        http = ("endpoint", "method", "status")
        call = ("provider", "model")
        return cls(
            http_requests=Counter("price_runner_http_requests", "HTTP requests served; origin of an error "
                                  "status: price_runner (ours) or vendor (a vendor's failure passed on).",
                                  (*http, "origin"), registry=registry),
            http_duration=Histogram("price_runner_http_request_duration_seconds",
                                    "Time from receiving a request to sending the last byte.",
                                    http, buckets=HTTP_BUCKETS, registry=registry),
            http_in_flight=Gauge("price_runner_http_requests_in_flight", "Requests being served.",
                                 multiprocess_mode="livesum", registry=registry),
            provider_calls=Counter("price_runner_provider_calls", "Vendor calls by outcome (ok, or the error "
                                   "type: http_error, timeout, connection_error, cancelled, ...).",
                                   (*call, "outcome"), registry=registry),
            provider_duration=Histogram("price_runner_provider_call_duration_seconds",
                                        "Vendor call latency, retries included.",
                                        call, buckets=CALL_BUCKETS, registry=registry),
            provider_retries=Counter("price_runner_provider_retries", "Vendor call attempts beyond the first.",
                                     call, registry=registry),
            provider_tokens=Counter("price_runner_provider_tokens", "Tokens of answered calls; basis: billed "
                                    "(the vendor's usage) or estimated (ours, the vendor's was missing or "
                                    "implausible).", (*call, "direction", "basis"), registry=registry),
            provider_cost=Counter("price_runner_provider_cost_usd", "What the calls cost, in USD, at catalog "
                                  "prices; basis as for the tokens.", (*call, "basis"), registry=registry),
            ledger_write_failures=Counter("price_runner_ledger_write_failures", "send_prompt answers whose "
                                          "ledger rows could not be committed (their items say recorded: "
                                          "false), by exception type.", ("reason",), registry=registry),
            stream_refusals=Counter("price_runner_stream_refusals", "Streamed requests refused with a 503 at "
                                    "once: reason streams (the worker holds all the streams it may, see "
                                    "README) or pool (no provider threads free).", ("endpoint", "reason"),
                                    registry=registry),
        )

    def precreate(self) -> None:
        """Create the documented alerting series at 0 (inc(0) also moves them to a forked worker's file)."""
        for reason in LEDGER_FAILURE_REASONS:
            self.ledger_write_failures.labels(reason).inc(0)
        for endpoint, reason in STREAM_REFUSALS:
            self.stream_refusals.labels(endpoint, reason).inc(0)
        for labels in WATCHED_STATUSES:
            self.http_requests.labels(*labels).inc(0)


_metrics: Metrics | None = None
_lock = threading.Lock()
_precreating: list[bool] = []


def metrics() -> Metrics:
    """Return the process's metrics, defined in the default registry on first use."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = Metrics.create(REGISTRY)
    return _metrics


def precreate() -> None:
    """Create the alerting series at 0 now, and again in every process forked from this one."""
    metrics().precreate()
    if not _precreating:
        _precreating.append(True)
        os.register_at_fork(after_in_child=lambda: _metrics is not None and _metrics.precreate())


def multiprocess_mode() -> bool:
    """Tell whether prometheus_client was imported with PROMETHEUS_MULTIPROC_DIR set."""
    return getattr(values.ValueClass, "_multiprocess", False)


def render(multiprocess_dir: str | None, master: int | None = None) -> bytes:
    """Return every series in the text format; in multiprocess mode, summed over the workers, plus
    process_* of the master (the process that loaded the app) and each live worker."""
    if multiprocess_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    registry.register(ServerProcesses(master if master is not None else os.getpid()))
    return generate_latest(registry)
