"""The /v1/chat/completions request body: OpenAI's fields we honour, and our own ``price_runner`` options."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.validation import MAX_TOKENS, StrictBoolean, StrictFloat, StrictInteger

ROLES = ("system", "developer", "user", "assistant")
MAX_STOPS = 4       # OpenAI's limit; the tightest of the dialects we send stop sequences to
MAX_FALLBACKS = 10


def _doc(text: str) -> dict:
    return {"description": text}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class TextPartSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(["text"]), metadata=_doc(
        "the part's kind: text (images and files come later)"))
    text = fields.String(required=True, metadata=_doc("the text"))


class Content(fields.Field):
    """A message's content: a string, or a list of content parts."""

    default_error_messages = {"invalid": "Must be a string or a non-empty list of content parts."}
    PARTS = fields.List(fields.Nested(TextPartSchema), validate=validate.Length(min=1))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return self.PARTS.deserialize(value, attr, data, **kwargs)


class MessageSchema(_Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata=_doc(
        "system and developer become the system prompt; user; assistant (earlier answers)"))
    content = Content(required=True, metadata=_doc("a string, or a list of text parts"))


class Stop(fields.Field):
    """A stop sequence or a list of up to four."""

    default_error_messages = {"invalid": f"Must be a string or a list of 1 to {MAX_STOPS} non-empty strings."}

    def _deserialize(self, value, attr, data, **kwargs):
        stops = [value] if isinstance(value, str) else value
        if (not isinstance(stops, list) or not 1 <= len(stops) <= MAX_STOPS
                or not all(isinstance(stop, str) and stop for stop in stops)):
            raise self.make_error("invalid")
        return stops


class StreamOptionsSchema(_Strict):
    include_usage = StrictBoolean(load_default=False, metadata=_doc("send a final chunk with usage"))


class MinQualitySchema(_Strict):
    benchmark = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc(
        "a benchmark key of the catalog's published scores (GET /api/models, quality), e.g. mmlu_pro"))
    score = StrictFloat(required=True, metadata=_doc("the lowest score a model may have on it"))


class PriceRunnerOptionsSchema(_Strict):
    min_quality = fields.Nested(MinQualitySchema, load_default=None, metadata=_doc(
        "auto: only models with at least this score"))
    max_cost = StrictFloat(load_default=None, validate=validate.Range(min=0, min_inclusive=False), metadata=_doc(
        "auto: only models whose estimated cost for this request (USD) is at most this"))
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None,
                            validate=validate.Length(min=1), metadata=_doc("auto: only these providers"))
    sort = fields.String(load_default="cost", validate=validate.OneOf(["cost", "value"]), metadata=_doc(
        "auto's order: cheapest first, or MMLU points per dollar"))


class ChatCompletionSchema(_Strict):
    model = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc(
        "a catalog id (provider/model), a model name (the cheapest configured provider of it), or auto"))
    messages = fields.List(fields.Nested(MessageSchema), required=True, validate=validate.Length(min=1),
                           metadata=_doc("the conversation"))
    max_tokens = StrictInteger(load_default=None, validate=validate.Range(min=1, max=MAX_TOKENS), metadata=_doc(
        "the most output tokens (deprecated by OpenAI in favour of max_completion_tokens)"))
    max_completion_tokens = StrictInteger(load_default=None, validate=validate.Range(min=1, max=MAX_TOKENS),
                                          metadata=_doc("the most output tokens; default: the model's maximum"))
    temperature = StrictFloat(load_default=None, validate=validate.Range(min=0, max=2), metadata=_doc(
        "sampling temperature"))
    top_p = StrictFloat(load_default=None, validate=validate.Range(min=0, max=1), metadata=_doc(
        "nucleus sampling"))
    stop = Stop(load_default=None, metadata=_doc("up to 4 sequences where generation stops"))
    seed = StrictInteger(load_default=None, validate=validate.Range(min=-(2 ** 31), max=2 ** 31 - 1),
                         metadata=_doc("best-effort determinism (a 400 on vendors without it)"))
    stream = StrictBoolean(load_default=False, metadata=_doc(
        "token streaming: text/event-stream of chat.completion.chunk events, then [DONE]"))
    stream_options = fields.Nested(StreamOptionsSchema, load_default=None, metadata=_doc(
        "with stream only: include_usage"))
    user = fields.String(load_default=None, metadata=_doc("the end user, for the caller's own records (ignored)"))
    models = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None,
                         validate=validate.Length(min=1, max=MAX_FALLBACKS), metadata=_doc(
                             "fallbacks after model, in order (OpenRouter's convention); auto may appear"))
    price_runner = fields.Nested(PriceRunnerOptionsSchema, load_default=None, metadata=_doc(
        "constraints on auto: min_quality, max_cost, providers, sort"))

    @validates_schema
    def _stream_options_need_stream(self, data, **kwargs):
        if data.get("stream_options") is not None and not data.get("stream"):
            raise ValidationError("Only allowed when stream is true.", "stream_options")
