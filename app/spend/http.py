"""send_prompt's spend at the HTTP border: Idempotency-Key in, replays and spend errors out."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from flask import Response, request

from app.errors import APIError
from app.responses import json_response
from app.routing import sse
from app.spend.errors import BudgetExceeded, IdempotencyConflict, SpendUnavailable
from app.spend.idempotency import HEADER, Claim, Replay, valid_key

__all__ = ["Replay", "claim_key", "replay", "spend_errors"]
REPLAYED = "Idempotent-Replayed"
TOTALS = ("count", "total_cost", "wall_ms")


def claim_key(spend: Any, caller: str, body: dict[str, Any]) -> Claim | Replay | None:
    """Claim this request's Idempotency-Key, or find its recorded answer; None without the header."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not valid_key(key):
        message = f"{HEADER} must be 1-255 visible ASCII characters (a UUID, say)."
        raise APIError(400, message, fields={HEADER: [message]})
    return spend.claim(caller, key, body)


@contextmanager
def spend_errors() -> Iterator[None]:
    """Turn budget, database and key conflicts into the JSON envelope: 402, 503, 409 or 422."""
    try:
        yield
    except BudgetExceeded as exc:
        raise APIError(402, exc.message) from None
    except SpendUnavailable as exc:
        raise APIError(503, str(exc), headers={"Retry-After": "5"}) from None
    except IdempotencyConflict as exc:
        raise APIError(exc.status, exc.message, fields={HEADER: [exc.message]}) from None


def replay(body: bytes, streaming: bool) -> Response:
    """The recorded answer again, as JSON or as the same events; no vendor is called."""
    headers = {REPLAYED: "true"}
    if not streaming:
        return json_response(body, headers=headers)
    envelope = orjson.loads(body)
    events = [("result", item) for item in envelope["data"]] + [("done", {k: envelope[k] for k in TOTALS})]
    return Response(sse.encode(iter(events)), mimetype="text/event-stream", headers={**sse.HEADERS, **headers})
