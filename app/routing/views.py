"""send_prompt: one prompt to many vendors at once, as one JSON body or as Server-Sent Events."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.errors import APIError
from app.observability import current_request_id
from app.observability.metrics import metrics
from app.responses import json_response
from app.routing import sse
from app.routing.capacity import StreamsFull
from app.routing.dispatch import PoolSaturated
from app.routing.schemas import SendPromptSchema
from app.providers.base import PromptRequest
from app.routing.targets import TargetError, choose_targets
from app.security.gate import current_caller
from app.spend.http import Replay, claim_key, replay, spend_errors
from app.validation import load_json

bp = Blueprint("routing", __name__, url_prefix="/api")
SEND_PROMPT_REQUEST = SendPromptSchema()


@bp.post("/send_prompt")
def send_prompt() -> Response:
    """Send the prompt to every chosen model concurrently; answer with each result and its cost."""
    body = load_json(SEND_PROMPT_REQUEST)
    router = current_app.extensions["routing"]
    try:
        models = choose_targets(current_app.extensions["catalog"].current.repository, body["model_names"],
                                body["providers"],
                                current_app.config["SEND_PROMPT_MAX_MODELS"])
    except TargetError as exc:
        raise APIError(400, exc.message, fields={exc.field: [exc.message]}) from None
    prompt = PromptRequest(body["prompt"], body["system"], body["max_tokens"], body["temperature"])
    # Worker threads cannot see flask.g: the request id and the caller (whose answer cache) are
    # read here and travel with the call.
    caller = current_caller()
    streaming = body["stream"] or request.accept_mimetypes.best == "text/event-stream"
    spend = current_app.extensions["spend"]
    with spend_errors():
        claim = claim_key(spend, caller, body)
    if isinstance(claim, Replay):
        return replay(claim.body, streaming)
    options = {"use_cache": body["cache"], "request_id": current_request_id(), "caller": caller, "claim": claim}
    try:
        with spend_errors():
            if streaming:
                events = router.stream(models, prompt, body["timeout"], **options)
                response = Response(sse.encode(events), mimetype="text/event-stream", headers=sse.HEADERS)
                response.call_on_close(events.close)   # also when the body was never iterated
                return response
            return json_response(router.run(models, prompt, body["timeout"], **options))
    except BaseException as exc:
        spend.release(caller, claim)   # no answer to replay: a retry with the key may run
        if isinstance(exc, StreamsFull):
            metrics().stream_refusals.labels("send_prompt", "streams").inc()
            raise APIError(503, f"This worker holds as many streams as it can ({exc.limit}); retry shortly.",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        if isinstance(exc, PoolSaturated):
            if streaming:
                metrics().stream_refusals.labels("send_prompt", "pool").inc()
            raise APIError(503, "All provider threads are busy; retry shortly.",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        raise
