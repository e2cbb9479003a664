"""Prometheus metrics: HTTP requests, and provider calls per provider and model.

Under gunicorn, prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by
gunicorn.conf.py before the app is imported) keeps one file per worker and /metrics adds
them up. Every series is labelled, so the master process, which loads the app before it
forks (preload_app), creates no values of its own; each worker writes files under its pid.
Without the variable (tests, a single process) the normal registry is used.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess, values

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Vendor calls take from a few hundred ms to the 30 s deadline.
CALL_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


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
            http_requests=Counter("price_runner_http_requests", "HTTP requests served.",
                                  http, registry=registry),
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


_metrics: Metrics | None = None
_lock = threading.Lock()


def metrics() -> Metrics:
    """Return the process's metrics, defined in the default registry on first use."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = Metrics.create(REGISTRY)
    return _metrics


def multiprocess_mode() -> bool:
    """Tell whether prometheus_client was imported with PROMETHEUS_MULTIPROC_DIR set."""
    return getattr(values.ValueClass, "_multiprocess", False)


def render(multiprocess_dir: str | None) -> bytes:
    """Return every series in the text format; in multiprocess mode, summed over the workers."""
    if multiprocess_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return generate_latest(registry)
