"""The /v1/chat/completions request body: OpenAI's fields we honour, and our own ``price_runner`` options."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.pricing.schemas import MinQualitySchema   # one shape for the ranking and auto
from app.validation import MAX_TOKENS, StrictBoolean, StrictFloat, StrictInteger

ROLES = ("system", "developer", "user", "assistant", "tool")
EFFORTS = ("minimal", "low", "medium", "high")
MAX_STOPS = 4       # OpenAI's limit; the tightest of the dialects we send stop sequences to
MAX_FALLBACKS = 10
SERVICE_TIERS = ("auto", "default", "flex", "scale", "priority", "fast")   # OpenAI's ServiceTier enum
MAX_CHOICES = 128   # OpenAI's limit on n


def _doc(text: str) -> dict:
    return {"description": text}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ImageURLSchema(_Strict):
    url = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc(
        "a data URL (data:image/png;base64,...) or an https URL (passed on only to vendors that fetch it)"))
    detail = fields.String(validate=validate.OneOf(["auto", "low", "high"]), metadata=_doc(
        "OpenAI's image detail (low: 85 tokens on OpenAI and Azure)"))


class PartSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(["text", "image_url"]), metadata=_doc(
        "the part's kind: text, or image_url (user messages only)"))
    text = fields.String(metadata=_doc("the text (type text)"))
    image_url = fields.Nested(ImageURLSchema, metadata=_doc("the image (type image_url)"))

    @validates_schema
    def _one_payload(self, data, **kwargs):
        needed = "text" if data["type"] == "text" else "image_url"
        if needed not in data:
            raise ValidationError("Missing data for required field.", needed)
        other = "image_url" if needed == "text" else "text"
        if other in data:
            raise ValidationError(f"Not allowed on a {data['type']} part.", other)


class Content(fields.Field):
    """A message's content: a string, a list of content parts, or null (an assistant turn of tool calls)."""

    default_error_messages = {"invalid": "Must be a string or a non-empty list of content parts."}
    PARTS = fields.List(fields.Nested(PartSchema), validate=validate.Length(min=1))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return self.PARTS.deserialize(value, attr, data, **kwargs)


class FunctionCallSchema(_Strict):
    name = fields.String(required=True, metadata=_doc("the function the model called"))
    arguments = fields.String(required=True, metadata=_doc("its arguments: a JSON object, as a string"))


class ToolCallSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc(
        "the call's id, as the model gave it; a tool message answers it by tool_call_id"))
    type = fields.String(required=True, validate=validate.OneOf(["function"]), metadata=_doc("function"))
    function = fields.Nested(FunctionCallSchema, required=True, metadata=_doc("the function and its arguments"))


class MessageSchema(_Strict):
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata=_doc(
        "system and developer become the system prompt; user; assistant (earlier answers, with their "
        "tool_calls); tool (a tool's result, answering tool_call_id)"))
    content = Content(allow_none=True, metadata=_doc(
        "a string, or a list of parts (text; image_url in user messages); null or absent only on an "
        "assistant message with tool_calls"))
    tool_calls = fields.List(fields.Nested(ToolCallSchema), validate=validate.Length(min=1), metadata=_doc(
        "assistant only: the tool calls it made"))
    tool_call_id = fields.String(validate=validate.Length(min=1), metadata=_doc(
        "tool only: the id of the call this result answers"))
    name = fields.String(metadata=_doc("a participant name (accepted, not sent)"))
    refusal = fields.String(allow_none=True, metadata=_doc(
        "assistant only: a refusal the model gave (accepted so a reply's message can be sent back as is)"))

    @validates_schema
    def _role_fields(self, data, **kwargs):
        role = data["role"]
        if "tool_calls" in data and role != "assistant":
            raise ValidationError("Only allowed on assistant messages.", "tool_calls")
        if role == "tool" and "tool_call_id" not in data:
            raise ValidationError("Missing data for required field.", "tool_call_id")
        if "tool_call_id" in data and role != "tool":
            raise ValidationError("Only allowed on tool messages.", "tool_call_id")
        if data.get("content") is None and not data.get("tool_calls"):
            raise ValidationError("Missing data for required field.", "content")
        if role != "user" and isinstance(data.get("content"), list) and any(
                part["type"] == "image_url" for part in data["content"]):
            raise ValidationError("image_url parts are allowed in user messages only.", "content")


class FunctionSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata=_doc(
        "the function's name ([a-zA-Z0-9_-], at most 64)"))
    description = fields.String(metadata=_doc("what it does, for the model"))
    parameters = fields.Dict(metadata=_doc("its arguments as a JSON Schema of type object"))
    strict = StrictBoolean(metadata=_doc(
        "schema adherence: passed on (OpenAI), toolSpec.strict (Bedrock), mode VALIDATED (Gemini); Anthropic does "
        "not enforce it"))


class ToolSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(["function"]), metadata=_doc(
        "function (the one tool type every dialect has)"))
    function = fields.Nested(FunctionSchema, required=True, metadata=_doc("the function the model may call"))


class ToolChoice(fields.Field):
    """auto, none, required, or {"type": "function", "function": {"name"}} (checked by app.agents)."""

    # marshmallow formats these messages: braces are doubled
    default_error_messages = {"invalid": 'Must be auto, none, required or {{"type": "function", '
                                         '"function": {{"name": ...}}}}.'}

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("auto", "none", "required"):
            return value
        function = value.get("function") if isinstance(value, dict) else None
        if (not isinstance(function, dict) or value.get("type") != "function" or set(value) != {"type", "function"}
                or set(function) != {"name"} or not isinstance(function["name"], str)):
            raise self.make_error("invalid")
        return value


class JsonSchemaSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc("the schema's name"))
    description = fields.String(metadata=_doc("what the output is"))
    schema = fields.Dict(metadata=_doc("the JSON Schema the answer must follow"))
    strict = StrictBoolean(metadata=_doc("strict adherence (where the vendor enforces it)"))


class ResponseFormatSchema(_Strict):
    type = fields.String(required=True, validate=validate.OneOf(["text", "json_object", "json_schema"]),
                         metadata=_doc("text, json_object or json_schema (a 400 where the vendor has no such "
                                       "structured output, never a silent downgrade)"))
    json_schema = fields.Nested(JsonSchemaSchema, metadata=_doc("with type json_schema: the schema"))


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
    include_obfuscation = StrictBoolean(metadata=_doc("accepted and ignored (our chunks carry no obfuscation)"))


class Unoffered(fields.Raw):
    """A field accepted only at its default (null, or a value in ``defaults``): no dialect here offers it."""

    def __init__(self, defaults: tuple = (), why: str = "", **kwargs):
        self.defaults, self.why = defaults, why
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in self.defaults:
            raise ValidationError(self.why)
        return None


def _metadata(value: dict) -> None:
    """OpenAI's limits: 16 pairs, keys up to 64 characters, string values up to 512."""
    if len(value) > 16 or any(len(k) > 64 or not isinstance(v, str) or len(v) > 512 for k, v in value.items()):
        raise ValidationError("Must be at most 16 string pairs (keys up to 64 characters, values up to 512).")


class PriceRunnerOptionsSchema(_Strict):
    min_quality = fields.Nested(MinQualitySchema, load_default=None, metadata=_doc(
        "auto: only models with at least this score (a published benchmark, or eval:<name> for one of your evals)"))
    max_cost = StrictFloat(load_default=None, validate=validate.Range(min=0, min_inclusive=False), metadata=_doc(
        "auto: only models whose estimated cost for this request (USD) is at most this"))
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None,
                            validate=validate.Length(min=1), metadata=_doc("auto: only these providers"))
    sort = fields.String(load_default="cost", validate=validate.OneOf(["cost", "value"]), metadata=_doc(
        "auto's order: cheapest first, or points per dollar on min_quality's benchmark (without one, the "
        "default benchmark: the percent-scale one that scores the most catalog rows)"))


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
    tools = fields.List(fields.Nested(ToolSchema), load_default=None, validate=validate.Length(min=1, max=128),
                        metadata=_doc("functions the model may call (a 400 on models without tool use)"))
    tool_choice = ToolChoice(load_default=None, metadata=_doc(
        "auto, none, required, or {type: function, function: {name}}"))
    parallel_tool_calls = StrictBoolean(load_default=None, metadata=_doc(
        "false: at most one tool call per turn (a 400 on Gemini and Bedrock, which cannot promise it)"))
    response_format = fields.Nested(ResponseFormatSchema, load_default=None, metadata=_doc(
        "structured output: json_object, or json_schema (with strict)"))
    reasoning_effort = fields.String(load_default=None, validate=validate.OneOf(EFFORTS), metadata=_doc(
        "minimal, low, medium or high: OpenAI's effort, Anthropic's thinking budget or effort, Gemini's "
        "thinking level or budget"))
    stream = StrictBoolean(load_default=False, metadata=_doc(
        "token streaming: text/event-stream of chat.completion.chunk events, then [DONE]"))
    stream_options = fields.Nested(StreamOptionsSchema, load_default=None, metadata=_doc(
        "with stream only: include_usage"))
    user = fields.String(load_default=None, metadata=_doc("the end user, for the caller's own records (ignored)"))
    presence_penalty = StrictFloat(load_default=None, validate=validate.Range(min=-2, max=2), metadata=_doc(
        "0 (the default) everywhere; otherwise a 400 where the vendor has none (Anthropic, Bedrock, some "
        "OpenAI-compatible vendors)"))
    frequency_penalty = StrictFloat(load_default=None, validate=validate.Range(min=-2, max=2), metadata=_doc(
        "as presence_penalty"))
    logit_bias = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d{1,10}$")),
                             values=StrictFloat(validate=validate.Range(min=-100, max=100)), load_default=None,
                             metadata=_doc("token id -> bias; {} (the default) everywhere, otherwise OpenAI, Azure, "
                                           "Together and OpenRouter only (token ids are the vendor's)"))
    logprobs = StrictBoolean(load_default=None, metadata=_doc(
        "true: each choice's log probabilities (OpenAI-compatible vendors that have them, Gemini); not with stream"))
    top_logprobs = StrictInteger(load_default=None, validate=validate.Range(min=0, max=20), metadata=_doc(
        "with logprobs: the most likely alternatives per token"))
    n = StrictInteger(load_default=None, validate=validate.Range(min=1, max=MAX_CHOICES), metadata=_doc(
        "choices to generate; 1 (the default) everywhere, more where the vendor returns several (OpenAI, Azure, "
        "Gemini, Mistral, Together, xAI; streamed: the OpenAI-compatible ones); budgets hold and bill n answers"))
    store = StrictBoolean(load_default=None, metadata=_doc("accepted and ignored: no vendor is asked to store"))
    metadata = fields.Dict(keys=fields.String(), load_default=None, validate=_metadata, metadata=_doc(
        "accepted and ignored (never sent to a vendor)"))
    service_tier = fields.String(load_default=None, validate=validate.OneOf(SERVICE_TIERS), metadata=_doc(
        "OpenAI's processing tier, passed to vendors whose API has it (OpenAI); a tier other than auto or "
        "default is a 400 on the others. The call is billed at the tier the vendor reports"))
    modalities = fields.List(fields.String(validate=validate.OneOf(["text"], error="Only text output is offered.")),
                             load_default=None, metadata=_doc('["text"] (the default); no audio output'))
    verbosity = fields.String(load_default=None, validate=validate.OneOf(["medium"], error=(
        "Only medium (the default) is offered.")), metadata=_doc("medium (the default)"))
    prompt_cache_key = fields.String(load_default=None, metadata=_doc("accepted and ignored"))
    prompt_cache_retention = fields.String(load_default=None, validate=validate.OneOf(["in_memory", "24h"]),
                                           metadata=_doc("accepted and ignored"))
    prompt_cache_options = fields.Dict(load_default=None, metadata=_doc("accepted and ignored"))
    safety_identifier = fields.String(load_default=None, metadata=_doc("accepted and ignored (never sent)"))
    audio = Unoffered(why="Audio output is not offered.", metadata=_doc("null only"))
    prediction = Unoffered(why="Predicted outputs are not passed to vendors.", metadata=_doc("null only"))
    web_search_options = Unoffered(why="Web search is not offered.", metadata=_doc("null only"))
    moderation = Unoffered(why="Moderation is not offered.", metadata=_doc("null only"))
    functions = Unoffered(why="Deprecated by OpenAI: use tools.", metadata=_doc("null only: use tools"))
    function_call = Unoffered(why="Deprecated by OpenAI: use tool_choice.", metadata=_doc(
        "null only: use tool_choice"))
    models = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None,
                         validate=validate.Length(min=1, max=MAX_FALLBACKS), metadata=_doc(
                             "fallbacks after model, in order (OpenRouter's convention); auto may appear"))
    price_runner = fields.Nested(PriceRunnerOptionsSchema, load_default=None, metadata=_doc(
        "constraints on auto: min_quality, max_cost, providers, sort"))

    @validates_schema
    def _stream_options_need_stream(self, data, **kwargs):
        if data.get("stream_options") is not None and not data.get("stream"):
            raise ValidationError("Only allowed when stream is true.", "stream_options")

    @validates_schema
    def _top_logprobs_need_logprobs(self, data, **kwargs):
        if data.get("top_logprobs") and not data.get("logprobs"):
            raise ValidationError("logprobs must be true when top_logprobs is set.", "top_logprobs")

    @validates_schema
    def _streams_carry_no_logprobs(self, data, **kwargs):
        # Stream chunks relay text and tool calls; log probabilities are not relayed.
        if data.get("stream") and data.get("logprobs"):
            raise ValidationError("logprobs are not offered with stream.", "logprobs")
