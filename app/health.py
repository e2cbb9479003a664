"""Liveness and readiness for ops: /health is fast with no I/O; /ready checks what serving needs."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app

from app.config import ConfigError, check_config
from app.errors import error_response
from app.responses import json_response
from app.security import auth_problem

bp = Blueprint("health", __name__)
_OK = b'{"status":"ok"}'

# What a check finds: DEGRADED serves with less (200, "status": "degraded"); FAILED cannot
# serve (503), so an orchestrator takes out only the pods that cannot answer.
OK, DEGRADED, FAILED = "ok", "degraded", "failed"
Finding = tuple[str, str]   # (DEGRADED or FAILED, reason)


def _catalog(app: Any) -> Finding | None:
    catalog = app.extensions["catalog"]
    if not catalog.all():
        return (FAILED, "the catalog holds no models")
    if catalog.problem:   # serving the bundled files (or a held snapshot): prices may be behind
        return (DEGRADED, f"catalog served from the {catalog.current.source} "
                          f"(version {catalog.current.version}): {catalog.problem}")
    return None


def _encodings(app: Any) -> Finding | None:
    if app.extensions["tokens"].exact_available:
        return None
    return (DEGRADED, "token encodings are not loaded (TIKTOKEN_CACHE_DIR): token counts are "
                      "estimates, labelled \"tokenizer\": \"heuristic\" or \"token_count_exact\": false")


def _config(app: Any) -> Finding | None:
    try:
        check_config(app.config)
    except ConfigError as exc:
        return (FAILED, str(exc))
    return None


def _auth(app: Any) -> Finding | None:
    # Degraded, not failed: every pod sees the same identity provider, so failing would take
    # them all out at once; open endpoints still serve, and the keys come back by themselves.
    reason = auth_problem()   # e.g. JWT_JWKS_URL has delivered no usable key
    return (DEGRADED, reason) if reason else None


def _database(app: Any) -> Finding | None:
    # Degraded, not failed: the catalog and estimates serve from memory without it.
    spend = app.extensions.get("spend")
    reason = spend.database.problem() if spend else None
    return (DEGRADED, reason) if reason else None


def _draining(app: Any) -> Finding | None:
    # The preStop hook creates the file, then waits: the load balancer takes this instance out
    # while it still serves; SIGTERM comes after, and gunicorn finishes what it holds.
    path = app.config.get("DRAIN_FILE")
    if path and os.path.exists(path):
        return (FAILED, "this instance is shutting down (DRAIN_FILE exists); it finishes the "
                        "requests it holds and takes no new ones once stopped")
    return None


# name -> check(app): None when fine, else a Finding. A new check is one entry here.
CHECKS: dict[str, Callable[[Any], Finding | None]] = {
    "catalog": _catalog, "encodings": _encodings, "config": _config, "auth": _auth, "database": _database,
    "draining": _draining}

# /ready in the OpenAPI document (/health is in app/openapi/spec.py).
OPENAPI_PATHS = {"/ready": {"get": {
    "summary": "Readiness: catalog, token encodings, settings, auth keys, database, draining", "tags": ["ops"],
    "description": ("200 when this worker can serve: `status` is `ready`, or `degraded` when it serves "
                    "with less (no exact token encodings: counts are labelled estimates; no database: "
                    "send_prompt records nothing and refuses budgeted callers), with "
                    "`reasons` naming each degraded check. 503 in the error envelope when it cannot "
                    "serve (no catalog, bad settings) or is draining before a shutdown (`DRAIN_FILE` exists); "
                    "`fields` names every check that is not ok."),
    "responses": {
        "200": {"description": "Able to serve, fully or degraded", "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "checks"],
            "properties": {"status": {"enum": ["ready", DEGRADED], "description": "Serving fully, or with less"},
                           "checks": {"type": "object", "required": list(CHECKS),
                                      "additionalProperties": {"enum": [OK, DEGRADED]},
                                      "description": "Each check's finding, by name"},
                           "reasons": {"type": "object", "additionalProperties": {"type": "string"},
                                       "description": "Why each degraded check is degraded"}}}}}},
        "503": {"$ref": "#/components/responses/Error"}}}}}


def init_app(app: Flask) -> None:
    """Register /health and /ready, and /ready's entry in the OpenAPI document."""
    app.register_blueprint(bp)
    app.extensions.setdefault("openapi.paths", {}).update(OPENAPI_PATHS)


@bp.get("/health")
def health() -> Response:
    """Say the process is alive."""
    return Response(_OK, mimetype="application/json")


@bp.get("/ready")
def ready() -> Response:
    """Say whether this worker can serve: 200 ready or degraded, or 503 naming what stops it."""
    problems = readiness_problems(current_app)
    failed = [name for name, (severity, _) in problems.items() if severity == FAILED]
    if failed:
        return error_response(503, f"Not ready: {', '.join(failed)}.",
                              fields={name: [reason] for name, (_, reason) in problems.items()})
    body: dict[str, Any] = {"status": DEGRADED if problems else "ready",
                            "checks": {name: problems[name][0] if name in problems else OK for name in CHECKS}}
    if problems:
        body["reasons"] = {name: reason for name, (_, reason) in problems.items()}
    return json_response(body)


def readiness_problems(app: Any) -> dict[str, Finding]:
    """Map each check that is not ok to (severity, reason); empty when fully ready."""
    return {name: finding for name, check in CHECKS.items() if (finding := check(app)) is not None}
