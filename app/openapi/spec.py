"""The OpenAPI 3.1 document, generated with apispec from the marshmallow schemas the API uses."""
from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.openapi import schemas
from app.evals.schemas import EvalRequestSchema
from app.pricing.schemas import PriceRequestSchema
from app.routing.schemas import SendPromptSchema

ERROR = {"$ref": "#/components/responses/Error"}
JSON = "application/json"


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    # `default` covers whatever else the deployment adds (401 with auth on, 429 with limits on).
    return {**{str(status): ERROR for status in statuses}, "default": ERROR}


CATALOG_GET = {"304": {"description": "Not modified (If-None-Match matched the ETag)"}}

PATHS: dict[str, dict[str, Any]] = {
    "/health": {"get": {"summary": "Liveness", "tags": ["ops"],
                        "responses": {"200": _json("Health", "The process is alive")}}},
    "/api/models": {"get": {"summary": "Every catalog model", "tags": ["catalog"],
                            "responses": {"200": _json("ModelsResponse", "The catalog"), **CATALOG_GET,
                                          **_errors()}}},
    "/api/models/provider/{provider}": {"get": {
        "summary": "One provider's models (key or display name, any case)", "tags": ["catalog"],
        "parameters": [{"name": "provider", "in": "path", "required": True, "schema": {"type": "string"},
                        "example": "openai"}],
        "responses": {"200": _json("ModelsResponse", "The provider's models"), **CATALOG_GET,
                      **_errors(404)}}},
    "/api/providers": {"get": {"summary": "Providers with model counts", "tags": ["catalog"],
                               "responses": {"200": _json("ProvidersResponse", "The providers"), **CATALOG_GET,
                                             **_errors()}}},
    "/api/get_best_price_for_prompt": {"post": {
        "summary": "What a prompt costs on every model, cheapest first", "tags": ["pricing"],
        "requestBody": {"required": True, "content": {JSON: {
            "schema": {"$ref": "#/components/schemas/PriceRequest"},
            "example": {"prompt": "Summarise the plot of Hamlet.", "expected_output_tokens": 300, "limit": 5}}}},
        "responses": {"200": _json("PriceResponse", "Models ranked by cost"), **_errors(400, 413, 415)}}},
    "/api/send_prompt": {"post": {
        "summary": "Send a prompt to several models at once", "tags": ["routing"],
        "description": ("`Idempotency-Key`: the same key from the same principal within 24 hours returns the "
                        "recorded answer without calling any vendor; 409 while the first request runs, 422 "
                        "with a different body. 402 when the caller's budget holds no chosen model."),
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "1-255 visible ASCII characters, e.g. a UUID"}],
        "requestBody": {"required": True, "content": {JSON: {
            "schema": {"$ref": "#/components/schemas/SendPromptRequest"},
            "example": {"prompt": "Say hello in French.", "providers": ["openai", "anthropic"]}}}},
        "responses": {
            "200": {"description": "One item per model (failures are per item). With `stream` (or "
                                   "`Accept: text/event-stream`): Server-Sent Events `delta` ({id, text}: the "
                                   "next tokens of model `id`, as the vendor streams them), `result` (an item, "
                                   "after that model's deltas; a cached or replayed answer comes as its result "
                                   "alone), then `done` ({count, total_cost, wall_ms}); `:` lines are "
                                   "heartbeats. A `result` with `success: false` after deltas means the answer "
                                   "broke off: its deltas are not an answer. 503 with Retry-After when this "
                                   "worker holds all the streams it may (see README, Streaming).",
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/SendResponse"}},
                                "text/event-stream": {"schema": {"type": "string"}}}},
            **_errors(400, 402, 409, 413, 415, 422, 503)}}},
    "/api/usage": {"get": {
        "summary": "Calls, tokens and cost from the ledger, grouped", "tags": ["spend"],
        "description": ("The caller's own usage (everyone's for the principals in `USAGE_ADMIN_KEYS`), "
                        "from `from` (inclusive) to `to` (exclusive), UTC. `format=csv` gives the same "
                        "columns as CSV, with exact costs."),
        "parameters": [
            {"name": "from", "in": "query", "schema": {"type": "string"}, "example": "2026-12-01",
             "description": "ISO-8601 date or date-time (UTC); default: the first day of this month"},
            {"name": "to", "in": "query", "schema": {"type": "string"}, "example": "2027-01-01",
             "description": "ISO-8601 date or date-time (UTC), exclusive; default: the first day of next month"},
            {"name": "group_by", "in": "query", "schema": {"enum": list(schemas.USAGE_GROUPS), "default": "day"}},
            {"name": "format", "in": "query", "schema": {"enum": ["json", "csv"], "default": "json"}}],
        "responses": {
            "200": {"description": "One row per group, in key order",
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/UsageResponse"}},
                                "text/csv": {"schema": {"type": "string"}}}},
            **_errors(400, 503)}}},
    "/api/evals": {"post": {
        "summary": "Run a named set of graded prompts on chosen models; store the scores", "tags": ["evals"],
        "description": ("Each prompt goes to every model through send_prompt's router: budgets, the ledger and "
                        "the concurrency caps apply to every call. At most `EVAL_MAX_PROMPTS` prompts and "
                        "`EVAL_MAX_CALLS` prompts x models, all within `timeout` (at most `PROVIDER_TIMEOUT`). "
                        "Names are per principal. `Idempotency-Key` as on send_prompt."),
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "1-255 visible ASCII characters, e.g. a UUID"}],
        "requestBody": {"required": True, "content": {JSON: {
            "schema": {"$ref": "#/components/schemas/EvalRequest"},
            "example": {"name": "capitals", "model_names": ["gpt-4o-mini"], "temperature": 0, "prompts": [
                {"id": "fr", "prompt": "Capital of France? One word.",
                 "grader": {"type": "exact", "expected": "Paris", "ignore_case": True}}]}}}},
        "responses": {"200": _json("EvalRunResponse", "The run: scores per model, outcomes per prompt"),
                      **_errors(400, 402, 409, 413, 415, 422, 503)}}},
    "/api/evals/{name}": {"get": {
        "summary": "Your scores for one eval: the latest per model, and the runs", "tags": ["evals"],
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
                        "example": "capitals"},
                       {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                   "default": 20},
                        "description": "the most runs listed, newest first"}],
        "responses": {"200": _json("EvalListResponse", "Scores and history"), **_errors(400, 404, 503)}}},
    "/api/evals/{name}/runs/{run_id}": {"get": {
        "summary": "One of your runs with its per-prompt outcomes", "tags": ["evals"],
        "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": _json("EvalRunResponse", "The run (response is null: answers are not stored)"),
                      **_errors(404, 503)}}},
    "/api/openapi.json": {"get": {"summary": "This document", "tags": ["docs"],
                                  "responses": {"200": {"description": "OpenAPI 3.1",
                                                        "content": {JSON: {"schema": {"type": "object"}}}}}}},
    "/api/docs": {"get": {"summary": "Human-readable API docs (Swagger UI, served from this service)",
                          "tags": ["docs"],
                          "responses": {"200": {"description": "HTML page",
                                                "content": {"text/html": {"schema": {"type": "string"}}}}}}},
}

COMPONENT_SCHEMAS = {
    "PriceRequest": PriceRequestSchema, "SendPromptRequest": SendPromptSchema,
    "ErrorEnvelope": schemas.ErrorEnvelopeSchema, "Health": schemas.HealthSchema,
    "ModelsResponse": schemas.ModelsResponseSchema, "ProvidersResponse": schemas.ProvidersResponseSchema,
    "PriceResponse": schemas.PriceResponseSchema, "SendResponse": schemas.SendResponseSchema,
    "UsageResponse": schemas.UsageResponseSchema,
    "EvalRequest": EvalRequestSchema, "EvalRunResponse": schemas.EvalRunResponseSchema,
    "EvalListResponse": schemas.EvalListResponseSchema,
}


# How a caller authenticates, by AUTH_MODE (README, "Authentication and rate limits").
SECURITY_SCHEMES = {
    "BearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "`Authorization: Bearer <credential>`: an API key with `AUTH_MODE=api_key`, "
                                  "a JWT with `AUTH_MODE=jwt`."},
    "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                   "description": "`X-API-Key: <key>`, with `AUTH_MODE=api_key`."},
}
SECURITY = {"none": None, "api_key": [{"BearerAuth": []}, {"ApiKeyAuth": []}], "jwt": [{"BearerAuth": []}]}


def build_spec(version: str, extra_paths: dict[str, dict[str, Any]] | None = None, auth_mode: str = "none",
               open_paths: set[str] = frozenset()) -> dict[str, Any]:
    """Return the OpenAPI document as a dict.

    extra_paths: endpoints other modules add; auth_mode: what every operation requires, except
    those at open_paths (no credentials needed).
    """
    security = SECURITY[auth_mode]
    spec = APISpec(title="Price Runner", version=version, openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Compare and call large language models by price."},
                   **({"security": security} if security else {}))
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for name, schema in COMPONENT_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    spec.components.response("Error", _json("ErrorEnvelope", "The JSON error envelope"))
    for path, operations in {**PATHS, **(extra_paths or {})}.items():
        if security and path in open_paths:
            operations = {method: {**operation, "security": []} for method, operation in operations.items()}
        spec.path(path=path, operations=operations)
    return spec.to_dict()
