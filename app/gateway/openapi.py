"""The /v1 endpoints in the OpenAPI document: OpenAI's shapes, documented (they validate nothing at run time)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.gateway.schemas import ChatCompletionSchema, ToolCallSchema

JSON = "application/json"


def _doc(text: str, **extra: Any) -> dict:
    return {"description": text, **extra}


class OpenAIErrorBodySchema(Schema):
    message = fields.String(required=True, metadata=_doc("what went wrong, in words"))
    type = fields.String(required=True, metadata=_doc(
        "invalid_request_error, authentication_error, insufficient_quota (402), rate_limit_error, server_error"))
    param = fields.String(required=True, allow_none=True, metadata=_doc("the request field to blame, if one"))
    code = fields.String(required=True, allow_none=True, metadata=_doc("a machine-readable reason, if one"))


class AttemptErrorSchema(Schema):
    type = fields.String(required=True, metadata=_doc("the failure's kind (send_prompt's error types)"))
    message = fields.String(required=True, metadata=_doc("the vendor's explanation"))
    status = fields.Integer(required=True, allow_none=True, metadata=_doc("the vendor's HTTP status, if any"))


class AttemptSchema(Schema):
    model = fields.String(required=True, metadata=_doc("the catalog id called"))
    provider = fields.String(required=True, metadata=_doc("its provider key"))
    error = fields.Nested(AttemptErrorSchema, required=True, allow_none=True, metadata=_doc("null when it answered"))
    cost = fields.Float(required=True, metadata=_doc("what this attempt cost, USD"))


class PriceRunnerSchema(Schema):
    model = fields.String(required=True, metadata=_doc("the catalog id that served (or failed last)"))
    provider = fields.String(required=True, metadata=_doc("its provider key"))
    cost = fields.Float(required=True, metadata=_doc("what the whole request cost (every attempt), USD"))
    estimated_cost = fields.Float(required=True, metadata=_doc(
        "the estimate the choice was made on: exact input tokens, expected output tokens"))
    attempts = fields.List(fields.Nested(AttemptSchema), required=True, metadata=_doc("every call, in order"))
    price_window = fields.String(required=True, allow_none=True, metadata=_doc(
        "the served model's price window at the call's start (peak or off_peak; null: one price all week)"))
    price_changes_at = fields.String(required=True, allow_none=True, metadata=_doc(
        "when that price next changes (date-time; null: no change known)"))


class OpenAIErrorSchema(Schema):
    error = fields.Nested(OpenAIErrorBodySchema, required=True, metadata=_doc("the error"))
    price_runner = fields.Nested(PriceRunnerSchema, metadata=_doc("when vendors were called: every attempt"))


class ChatMessageSchema(Schema):
    role = fields.String(required=True, metadata=_doc("assistant"))
    content = fields.String(required=True, allow_none=True, metadata=_doc("the answer"))
    refusal = fields.String(required=True, allow_none=True, metadata=_doc("always null (refusals are content)"))
    tool_calls = fields.List(fields.Nested(ToolCallSchema), metadata=_doc(
        "the tools the model called, when it did (content is then null unless it also wrote text)"))


class ChoiceSchema(Schema):
    index = fields.Integer(required=True, metadata=_doc("0, up to n - 1 with n choices"))
    message = fields.Nested(ChatMessageSchema, required=True, metadata=_doc("the answer"))
    logprobs = fields.Raw(required=True, allow_none=True, metadata=_doc(
        "with logprobs: {content: [{token, logprob, bytes, top_logprobs}]}; else null"))
    finish_reason = fields.String(required=True, metadata=_doc(
        "stop, length, content_filter or tool_calls"))


class TokenDetailsSchema(Schema):
    cached_tokens = fields.Integer(metadata=_doc("input tokens read from the vendor's cache"))
    reasoning_tokens = fields.Integer(metadata=_doc(
        "output tokens spent thinking (part of completion_tokens, priced as output)"))


class CompletionUsageSchema(Schema):
    prompt_tokens = fields.Integer(required=True, metadata=_doc("input tokens"))
    completion_tokens = fields.Integer(required=True, metadata=_doc("output tokens"))
    total_tokens = fields.Integer(required=True, metadata=_doc("their sum"))
    prompt_tokens_details = fields.Nested(TokenDetailsSchema, required=True, metadata=_doc("cached_tokens"))
    completion_tokens_details = fields.Nested(TokenDetailsSchema, required=True, metadata=_doc("reasoning_tokens"))


class ChatCompletionResponseSchema(Schema):
    id = fields.String(required=True, metadata=_doc("chatcmpl- and the request id"))
    object = fields.String(required=True, metadata=_doc("chat.completion"))
    created = fields.Integer(required=True, metadata=_doc("Unix seconds"))
    model = fields.String(required=True, metadata=_doc("the catalog id that served"))
    choices = fields.List(fields.Nested(ChoiceSchema), required=True, metadata=_doc("n choices (1 by default)"))
    usage = fields.Nested(CompletionUsageSchema, required=True, metadata=_doc("the vendor's token counts"))
    system_fingerprint = fields.String(required=True, allow_none=True, metadata=_doc("always null"))
    price_runner = fields.Nested(PriceRunnerSchema, required=True, metadata=_doc("which model served, the costs"))


class PricingSchema(Schema):
    prompt = fields.String(required=True, metadata=_doc("USD per input token, an exact decimal (auto: -1, varies)"))
    completion = fields.String(required=True, metadata=_doc("USD per output token (auto: -1)"))
    input_cache_read = fields.String(metadata=_doc("USD per cached input token, where the vendor has a price"))


class ModelPricesSchema(Schema):
    input_price_per_mtok = fields.Float(required=True, metadata=_doc("USD per million input tokens, in force now"))
    output_price_per_mtok = fields.Float(required=True, metadata=_doc("USD per million output tokens, in force now"))
    cached_input_price_per_mtok = fields.Float(required=True, allow_none=True, metadata=_doc(
        "USD per million cached input tokens (null: no cache price)"))
    price_window = fields.String(required=True, allow_none=True, metadata=_doc(
        "the price window in force (peak or off_peak; null: one price all week)"))
    price_changes_at = fields.String(required=True, allow_none=True, metadata=_doc(
        "when this price next changes (date-time; null: no change known)"))


class ModelObjectSchema(Schema):
    id = fields.String(required=True, metadata=_doc("auto, a catalog id, or the model name asked for"))
    object = fields.String(required=True, metadata=_doc("model"))
    created = fields.Integer(required=True, metadata=_doc(
        "the model's release date, Unix seconds at 00:00 UTC (0: unknown; auto: its newest model's)"))
    owned_by = fields.String(required=True, metadata=_doc("its provider key"))
    context_length = fields.Integer(required=True, metadata=_doc("its context window in tokens (auto: the largest)"))
    pricing = fields.Nested(PricingSchema, required=True, metadata=_doc("OpenRouter's shape: USD per token"))
    price_runner = fields.Nested(ModelPricesSchema, metadata=_doc("a catalog model's prices in force (not for auto)"))


class ModelListSchema(Schema):
    object = fields.String(required=True, metadata=_doc("list"))
    data = fields.List(fields.Nested(ModelObjectSchema), required=True, metadata=_doc("the models"))


def _json(schema: type[Schema], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


ERRORS = {"default": _json(OpenAIErrorSchema, "OpenAI's error format (every error under /v1)")}
PATHS: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"post": {
        "summary": "OpenAI-compatible chat completion (model id, name or auto; fallbacks)", "tags": ["openai"],
        "description": ("Headers X-Price-Runner-Model and X-Price-Runner-Cost name the model that "
                        "served and what the request cost. `Idempotency-Key` as on send_prompt. 402 "
                        "(insufficient_quota) when the caller's budget holds no candidate. With `stream: true`: "
                        "text/event-stream of `chat.completion.chunk` events (`data: {...}`), then `data: [DONE]`; "
                        "fallbacks only before the first token; X-Price-Runner-Model names the model serving, "
                        "X-Price-Runner-Cost is absent: `price_runner` (with the cost) rides on the usage chunk "
                        "(`stream_options.include_usage`) or else on the chunk with `finish_reason`; a failure "
                        "after the first token is a `data: {\"error\": {...}}` event and the stream ends."),
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "1-255 visible ASCII characters, e.g. a UUID"}],
        "requestBody": {"required": True, "content": {JSON: {
            "schema": ChatCompletionSchema,
            "example": {"model": "auto", "messages": [{"role": "user", "content": "Say hello in French."}],
                        "price_runner": {"min_quality": {"benchmark": "mmlu_pro", "score": 70}}}}}},
        "responses": {"200": {"description": "The answer (JSON), or with stream: true its chunks",
                              "content": {JSON: {"schema": ChatCompletionResponseSchema},
                                          "text/event-stream": {"schema": {"type": "string", "description": (
                                              "data: lines of chat.completion.chunk JSON, then data: [DONE]")}}}},
                      **ERRORS}}},
    "/v1/models": {"get": {"summary": "Models for OpenAI clients: auto and each configured catalog id",
                           "tags": ["openai"], "responses": {"200": _json(ModelListSchema, "The models"), **ERRORS}}},
    "/v1/models/{provider}/{name}": {"get": {
        "summary": "One model of the list, by its catalog id", "tags": ["openai"],
        "parameters": [{"name": "provider", "in": "path", "required": True, "schema": {"type": "string"},
                        "example": "openai"},
                       {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
                        "example": "gpt-6.1-sol"}],
        "responses": {"200": _json(ModelObjectSchema, "The model"), **ERRORS}}},
    "/v1/models/{model_id}": {"get": {
        "summary": "auto, or a model name chat accepts (the entry chat would pick; id: the name)", "tags": ["openai"],
        "parameters": [{"name": "model_id", "in": "path", "required": True, "schema": {"type": "string"},
                        "example": "auto"}],
        "responses": {"200": _json(ModelObjectSchema, "The model"), **ERRORS}}},
}
