"""Server-Sent Events framing for send_prompt's stream."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from app.responses import dumps

log = logging.getLogger(__name__)
HEARTBEAT = b": heartbeat\n\n"   # a comment line: keeps proxies open and reveals a gone client
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}   # nginx: do not buffer
FAILED = {"code": 500, "message": "Internal server error; the results sent so far stand."}


def frame(event: str, data: Any) -> bytes:
    """Encode one event (our JSON never contains a raw newline, so one data line suffices)."""
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def encode(events: Iterable[tuple[str, Any]]) -> Iterator[bytes]:
    """Turn (event, data) pairs into SSE bytes; heartbeats become comments.

    The headers are gone by the time anything here fails, so a failure cannot be a JSON error
    response any more: it becomes an ``error`` event, then ``done`` totals of what was sent.
    """
    started, sent = time.monotonic(), []
    try:
        for event, data in events:
            if event == "heartbeat":
                yield HEARTBEAT
                continue
            chunk = frame(event, data)
            if event == "result":
                sent.append(data)
            yield chunk
    except Exception:
        log.exception("send_prompt stream failed after its headers were sent")
        yield frame("error", FAILED)
        yield frame("done", {"count": len(sent), "total_cost": sum(item["actual_cost"] for item in sent),
                             "wall_ms": round((time.monotonic() - started) * 1000, 1)})
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()   # a client gone mid-stream: the events' own clean-up (cancel the calls) runs now
