"""The provider-call observer: per provider and model metrics, and one JSON log line per call."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from app.observability.metrics import metrics

if TYPE_CHECKING:
    from app.routing.records import CallRecord

log = logging.getLogger("app.calls")


def observe_call(record: CallRecord) -> None:
    """Count the call in the metrics and log it (no prompt or answer text: a record has none)."""
    try:
        _count(record)
    except Exception:   # an observer must never cost the caller its answer
        log.exception("recording metrics for a provider call failed")
    log.info("provider call", extra={"fields": _fields(record)})


def _count(record: CallRecord) -> None:
    m = metrics()
    labels = (record.provider, record.model)
    m.provider_calls.labels(*labels, record.outcome).inc()
    m.provider_duration.labels(*labels).observe(max(record.latency_ms, 0.0) / 1000)
    m.provider_retries.labels(*labels).inc(max(record.retries, 0))
    if record.cost_basis is None:   # a failed call: no tokens, no cost
        return
    # Estimated usage (the vendor's was missing or implausible) is counted apart from billed usage.
    m.provider_tokens.labels(*labels, "input", record.cost_basis).inc(max(record.input_tokens or 0, 0))
    m.provider_tokens.labels(*labels, "output", record.cost_basis).inc(max(record.output_tokens or 0, 0))
    m.provider_cost.labels(*labels, record.cost_basis).inc(max(record.cost_usd or 0.0, 0.0))


def _fields(record: CallRecord) -> dict:
    return {"event": "provider_call", "request_id": record.request_id, "provider": record.provider,
            "model": record.model, "outcome": record.outcome, "status": record.status,
            "latency_ms": record.latency_ms, "retries": record.retries,
            "input_tokens": record.input_tokens, "output_tokens": record.output_tokens,
            "cost_usd": record.cost_usd, "cost_basis": record.cost_basis}
