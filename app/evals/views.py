"""POST /api/evals runs a named set of graded prompts; GET /api/evals/<name> lists its scores."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app.errors import APIError
from app.evals import payloads, store
from app.evals.runner import set_hash
from app.observability import current_request_id
from app.responses import dumps, json_response
from app.routing.targets import TargetError, choose_targets
from app.security.gate import current_caller
from app.spend.http import Replay, claim_key, replay, spend_errors
from app.validation import load_json

log = logging.getLogger(__name__)
bp = Blueprint("evals", __name__, url_prefix="/api")
HISTORY_DEFAULT, HISTORY_MAX = 20, 100


@bp.post("/evals")
def run_eval() -> Response:
    """Run every prompt on every chosen model, grade the answers, store and return the scores."""
    evals = current_app.extensions["evals"]
    body = load_json(evals.request)
    catalog = current_app.extensions["catalog"].current.repository
    models = _models(catalog, body, evals.limits)
    with database():   # no call is made whose result could not be stored
        store.check(evals.engine)
    caller = current_caller()
    spend = current_app.extensions["spend"]
    with spend_errors():
        claim = claim_key(spend, caller, body)
    if isinstance(claim, Replay):
        return replay(claim.body, False)
    try:
        with spend_errors():
            ran = evals.runner.run(models, body["prompts"], system=body["system"], max_tokens=body["max_tokens"],
                                   temperature=body["temperature"], timeout_s=body["timeout"], caller=caller,
                                   request_id=current_request_id())
        now = datetime.now(UTC)
        answer: dict = {}

        def stored_answer(run_id: int):
            answer.update(_answer(catalog, run_id, body, now, ran))
            return (claim.key, dumps(answer)) if claim is not None else None

        store.save(evals.engine, caller, body["name"], current_request_id(), now, len(body["prompts"]),
                   set_hash(body["prompts"], body["system"]), ran, stored_answer)
    except SQLAlchemyError as exc:
        spend.release(caller, claim)
        log.error("storing an eval run failed: %s", type(exc).__name__)
        raise APIError(503, "The database that keeps eval results is unavailable; retry shortly.",
                       headers={"Retry-After": "5"}) from None
    except BaseException:
        spend.release(caller, claim)
        raise
    return json_response(answer)


@bp.get("/evals/<name>")
def list_eval(name: str) -> Response:
    """The caller's scores for one eval name: the latest per model, and the runs, newest first."""
    evals = current_app.extensions["evals"]
    limit = _limit()
    caller = current_caller()
    catalog = current_app.extensions["catalog"].current.repository
    with database():
        current = store.latest(evals.engine, caller, name)
        runs = store.history(evals.engine, caller, name, limit) if current is not None else []
    if current is None:
        raise APIError(404, f"You have run no eval named {name!r}.")
    data = [payloads.latest(catalog, entry) for entry in current.values()]
    return json_response({"success": True, "name": name, "count": len(data), "data": data,
                          "runs": [payloads.run(catalog, stored) for stored in runs]})


@bp.get("/evals/<name>/runs/<run_id>")
def eval_run(name: str, run_id: str) -> Response:
    """One of the caller's runs with its per-prompt outcomes (no answer text: it is never stored)."""
    evals = current_app.extensions["evals"]
    catalog = current_app.extensions["catalog"].current.repository
    found = None
    if run_id.isascii() and run_id.isdigit() and len(run_id) < 19:
        with database():
            found = store.outcomes(evals.engine, current_caller(), name, int(run_id))
    if found is None:
        raise APIError(404, f"You have no run {run_id} of an eval named {name!r}.")
    stored, rows = found
    return json_response({"success": True, "run": {**payloads.run(catalog, stored),
                                                   "outcomes": [payloads.outcome(row, False) for row in rows]}})


def _answer(catalog, run_id: int, body: dict, now: datetime, ran) -> dict:
    stored = store.Stored(run_id, body["name"], now, len(body["prompts"]),
                          set_hash(body["prompts"], body["system"]), ran.complete, ran.results)
    return {"success": True, "run": {**payloads.run(catalog, stored),
                                     "outcomes": [payloads.outcome(entry, True) for entry in ran.outcomes]}}


def _models(catalog, body: dict, limits) -> list:
    try:
        models = choose_targets(catalog, body["model_names"], body["providers"], limits.max_models)
    except TargetError as exc:
        raise APIError(400, exc.message, fields={exc.field: [exc.message]}) from None
    prompts, calls = len(body["prompts"]), len(body["prompts"]) * len(models)
    if prompts > limits.max_prompts:
        message = f"{prompts} prompts; at most {limits.max_prompts} per eval (EVAL_MAX_PROMPTS)."
        raise APIError(400, message, fields={"prompts": [message]})
    if calls > limits.max_calls:
        message = (f"{prompts} prompts x {len(models)} models = {calls} calls; at most {limits.max_calls} "
                   f"per eval (EVAL_MAX_CALLS).")
        raise APIError(400, message, fields={"prompts": [message]})
    return models


def _limit() -> int:
    raw = request.args.get("limit", str(HISTORY_DEFAULT))
    if not raw.isdigit() or not 1 <= int(raw) <= HISTORY_MAX:
        message = f"limit must be an integer from 1 to {HISTORY_MAX}"
        raise APIError(400, "Invalid request: limit.", fields={"limit": [message]})
    return int(raw)


@contextmanager
def database() -> Iterator[None]:
    """Turn a database failure into the 503 envelope."""
    try:
        yield
    except SQLAlchemyError as exc:
        log.error("reading eval results failed: %s", type(exc).__name__)
        raise APIError(503, "The database that keeps eval results is unavailable; retry shortly.",
                       headers={"Retry-After": "5"}) from None
