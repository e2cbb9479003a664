"""Server-Sent Events framing for send_prompt's stream."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from app.responses import dumps

HEARTBEAT = b": heartbeat\n\n"   # a comment line: keeps proxies open and reveals a gone client
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}   # nginx: do not buffer


def frame(event: str, data: Any) -> bytes:
    """Encode one event (our JSON never contains a raw newline, so one data line suffices)."""
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def encode(events: Iterable[tuple[str, Any]]) -> Iterator[bytes]:
    """Turn (event, data) pairs into SSE bytes; heartbeats become comments."""
    for event, data in events:
        yield HEARTBEAT if event == "heartbeat" else frame(event, data)
