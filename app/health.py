"""Liveness and readiness for ops: /health is fast with no I/O; /ready checks what serving needs."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from app.config import ConfigError, check_config
from app.errors import error_response
from app.responses import json_response
from app.security import auth_problem

bp = Blueprint("health", __name__)
_OK = b'{"status":"ok"}'
CHECKS = ("catalog", "encodings", "config", "auth")

# /ready in the OpenAPI document (/health is in app/openapi/spec.py).
OPENAPI_PATHS = {"/ready": {"get": {
    "summary": "Readiness: catalog, token encodings and settings", "tags": ["ops"],
    "responses": {
        "200": {"description": "Ready to serve", "content": {"application/json": {"schema": {
            "type": "object", "required": ["status", "checks"],
            "properties": {"status": {"enum": ["ready"]},
                           "checks": {"type": "object", "required": list(CHECKS),
                                      "properties": {name: {"enum": ["ok"]} for name in CHECKS}}}}}}},
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
    """Say whether this worker can serve: 200, or 503 naming each check that failed."""
    problems = readiness_problems(current_app)
    if problems:
        return error_response(503, f"Not ready: {', '.join(problems)}.",
                              fields={name: [reason] for name, reason in problems.items()})
    return json_response({"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")})


def readiness_problems(app: Flask) -> dict[str, str]:
    """Map each failed check (catalog, encodings, config, auth) to its reason; empty when ready."""
    problems = {}
    if not app.extensions["catalog"].all():
        problems["catalog"] = "the catalog holds no models"
    if not app.extensions["tokens"].exact_available:
        problems["encodings"] = ("token encodings are not loaded (TIKTOKEN_CACHE_DIR); "
                                 "counts would be estimates")
    try:
        check_config(app.config)
    except ConfigError as exc:
        problems["config"] = str(exc)
    if reason := auth_problem():
        problems["auth"] = reason
    return problems
