"""POST /v1/chat/completions and GET /v1/models, in OpenAI's wire format."""
from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response, current_app

from app.agents import AgentParamError
from app.errors import VENDOR, APIError
from app.gateway import chunks, replies
from app.gateway.candidates import CandidateError, constraints_from
from app.gateway.fallback import Attempt, retryable
from app.gateway.schemas import ChatCompletionSchema
from app.gateway.service import Served, check_agent, prompt_request
from app.gateway.streaming import Relay
from app.observability import current_request_id
from app.observability.metrics import metrics
from app.responses import json_response
from app.routing import sse
from app.routing.capacity import StreamsFull
from app.routing.dispatch import PoolSaturated
from app.security.gate import current_caller
from app.spend.http import REPLAYED, Replay, claim_key, spend_errors
from app.validation import load_json

bp = Blueprint("gateway", __name__, url_prefix="/v1")
CHAT_REQUEST = ChatCompletionSchema()


@bp.post("/chat/completions")
def chat_completions() -> Response:
    """Answer a chat completion from the first candidate that succeeds (streamed or whole); its cost rides along."""
    body = load_json(CHAT_REQUEST)
    gateway = current_app.extensions["gateway"]
    prompt = prompt_request(body)
    caller = current_caller()
    try:
        check_agent(prompt)
        candidates = gateway.candidates(body, prompt, constraints_from(body["price_runner"]), caller)
    except CandidateError as exc:
        raise APIError(exc.status, exc.message, param=exc.param, code=exc.code) from None
    except AgentParamError as exc:   # a ValueError: handled before anything broader could take it
        raise APIError(400, exc.message, param=exc.param, code="unsupported_parameter") from None
    spend = current_app.extensions["spend"]
    with spend_errors():
        claim = claim_key(spend, caller, body)
    if isinstance(claim, Replay):
        return _replay(claim.body, body)
    if body["stream"]:
        return _stream(gateway, candidates, prompt, caller, spend, claim, _include_usage(body))
    try:
        with spend_errors():
            served = gateway.serve(candidates, prompt, caller=caller, request_id=current_request_id(), claim=claim)
    except BaseException as exc:
        spend.release(caller, claim)   # no answer to replay: a retry with the key may run
        if isinstance(exc, PoolSaturated):
            raise APIError(503, "All provider threads are busy; retry shortly.",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        raise
    if served.reply is None:
        spend.release(caller, claim)
        raise failure(served)
    return json_response(served.reply, headers=replies.headers(served.reply))


def _replay(stored: bytes, body: dict[str, Any]) -> Response:
    """The recorded chat.completion again: as JSON, or (for a stream) as its chunks; no vendor called."""
    completion = orjson.loads(stored)
    headers = {REPLAYED: "true", **replies.headers(completion)}
    if not body["stream"]:
        return json_response(stored, headers=headers)
    return Response(chunks.replayed(completion, _include_usage(body)), mimetype="text/event-stream",
                    headers={**sse.HEADERS, **headers})


def _stream(gateway: Any, candidates: list[Any], prompt: Any, caller: str, spend: Any, claim: Any,
            include_usage: bool) -> Response:
    """Fall back until a first token, then answer text/event-stream (headers name the model serving)."""
    try:
        gateway.slots.take()
    except StreamsFull as exc:
        spend.release(caller, claim)
        metrics().stream_refusals.labels("v1", "streams").inc()
        raise APIError(503, f"This worker holds as many streams as it can ({exc.limit}); retry shortly.",
                       headers={"Retry-After": str(exc.retry_after)}) from None
    try:
        with spend_errors():
            opened = gateway.stream(candidates, prompt, caller=caller, request_id=current_request_id(), claim=claim)
    except BaseException as exc:
        gateway.slots.give_back()
        spend.release(caller, claim)
        if isinstance(exc, PoolSaturated):
            metrics().stream_refusals.labels("v1", "pool").inc()
            raise APIError(503, "All provider threads are busy; retry shortly.",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        raise
    if not opened.ok:
        gateway.slots.give_back()
        spend.release(caller, claim)
        raise failure(Served(opened.attempts, None))

    def ended(answered: bool) -> None:
        gateway.slots.give_back()
        if not answered:
            spend.release(caller, claim)   # no answer to replay: a retry with the key may run

    relay = Relay(opened, include_usage, ended)
    # The cost is known only at the end: it rides on the usage (or finish) chunk, not in a header.
    response = Response(iter(relay), mimetype="text/event-stream",
                        headers={**sse.HEADERS, replies.MODEL_HEADER: opened.serving.model.id})
    response.call_on_close(relay.close)   # also when the body was never iterated
    return response


def _include_usage(body: dict[str, Any]) -> bool:
    return bool(body["stream_options"] and body["stream_options"]["include_usage"])


@bp.get("/models")
def list_models() -> Response:
    """List auto and every model a configured provider serves."""
    return json_response(current_app.extensions["gateway"].models())


@bp.get("/models/<provider>/<name>")
def get_model(provider: str, name: str) -> Response:
    """One model by its catalog id (provider/model)."""
    return _model(f"{provider}/{name}")


@bp.get("/models/<model_id>")
def get_plain_model(model_id: str) -> Response:
    """auto, or a model name chat accepts: the entry chat would pick, its id the name asked for."""
    return _model(model_id)


def _model(name: str) -> Response:
    found = current_app.extensions["gateway"].model(name)
    if found is None:
        raise APIError(404, f"The model {name!r} does not exist.", param="model", code="model_not_found")
    return json_response(found)


def failure(served: Served) -> APIError:
    """The error of a request no candidate served: shaped by the last attempt's failure."""
    if not served.attempts:
        return APIError(504, "No time was left to call a model before the request deadline (PROVIDER_TIMEOUT).",
                        code="timeout")
    last: Attempt = served.attempts[-1]
    error = last.item["error"]
    status, code = _status_of(error)
    tried = len(served.attempts)
    message = (f"{last.candidate.model.id} failed ({error['type']}): {error['message']}"
               + (f" ({tried} models tried)" if tried > 1 else ""))
    extra: dict[str, Any] = {"price_runner": replies.price_runner(served.attempts)}
    headers = replies.headers(extra)
    if error.get("retry_after"):
        headers["Retry-After"] = str(max(1, round(error["retry_after"])))
    return APIError(status, message, headers=headers, code=code, extra=extra, origin=VENDOR)


def _status_of(error: dict[str, Any]) -> tuple[int, str]:
    status = error.get("status")
    if status == 429:
        return 429, "vendor_rate_limited"
    if error["type"] == "timeout":
        return 504, "vendor_timeout"
    if not retryable(error) and status in (400, 413, 422):
        return 400, "vendor_rejected_request"
    return 502, "vendor_error"
