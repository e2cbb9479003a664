"""What one provider call did, handed to observers (metrics, logs) after the call ends."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallRecord:
    request_id: str | None
    provider: str            # vendor key
    model: str               # catalog id
    outcome: str             # "ok", or the error type: http_error, timeout, connection_error, ...
    status: int | None       # the vendor's HTTP status on an HTTP error
    latency_ms: float
    retries: int             # attempts beyond the first
    input_tokens: int
    output_tokens: int
    cost_usd: float
    cost_basis: str | None = None   # "billed" (the vendor's usage), "estimated" (ours), None (failed)


CallObserver = Callable[[CallRecord], None]


def ignore(record: CallRecord) -> None:
    """The default observer: nothing to record."""
