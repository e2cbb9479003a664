"""Try candidates in order until one answers, within the request's deadline (pure: no Flask).

A retryable failure (the vendor's 429 or 5xx, a timeout, a failed connection, a vendor at its
concurrency cap, an error event the vendor marks as transient in a stream that sent no token yet) moves on to the next candidate; any other failure is the answer. The call that
serves one candidate is passed in: a non-streaming call now, a streaming one (that may fall back
only before its first token) can use the same loop.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.gateway.candidates import Candidate

RETRYABLE_KINDS = frozenset({"timeout", "connection_error", "vendor_busy"})
STREAM_ERROR = "stream_error"   # an error event inside a stream (overloaded, server error, throttled, ...)
MIN_ATTEMPT_S = 0.05   # less time than this left: another attempt could only time out


@dataclass(frozen=True)
class Attempt:
    candidate: Candidate
    item: dict[str, Any]   # the send_prompt item (app/routing/items.py) of this call

    @property
    def ok(self) -> bool:
        return bool(self.item["success"])


# call(candidate, seconds left, attempts so far) -> that call's item
Call = Callable[[Candidate, float, Sequence[Attempt]], dict[str, Any]]


def retryable(error: dict[str, Any] | None) -> bool:
    """Tell whether another candidate may succeed where this error's failed."""
    if not error:
        return False
    status = error.get("status")
    if error.get("type") == STREAM_ERROR:   # in a 2xx stream, before its first token: the vendor's kind says
        return bool(error.get("retryable"))
    return error.get("type") in RETRYABLE_KINDS or status == 429 or (status is not None and status >= 500)


def attempt(candidates: Sequence[Candidate], call: Call, deadline: float,
            clock: Callable[[], float] = time.monotonic) -> list[Attempt]:
    """Call candidates in order until one succeeds, one fails for good, or the deadline nears."""
    attempts: list[Attempt] = []
    for candidate in candidates:
        left = deadline - clock()
        if left < MIN_ATTEMPT_S:
            break
        attempts.append(Attempt(candidate, call(candidate, left, tuple(attempts))))
        if attempts[-1].ok or not retryable(attempts[-1].item["error"]):
            break
    return attempts
