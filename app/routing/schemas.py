"""The send_prompt request body."""
from marshmallow import RAISE, Schema, fields, validate

from app.validation import MAX_TOKENS, StrictBoolean, StrictFloat, StrictInteger


def _doc(text: str) -> dict:
    return {"description": text}   # field metadata: the OpenAPI document's description


class SendPromptSchema(Schema):
    class Meta:
        unknown = RAISE

    prompt = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc("the user message sent"))
    system = fields.String(load_default=None, metadata=_doc("a system prompt sent with it"))
    model_names = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "the models to call: catalog ids or model names (a name served by several providers calls each)"))
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "narrows model_names to these providers; alone, each provider's default model"))
    max_tokens = StrictInteger(load_default=1024, validate=validate.Range(min=1, max=MAX_TOKENS), metadata=_doc(
        "the most output tokens per answer, capped by each model's max_output_tokens"))
    temperature = StrictFloat(load_default=None, validate=validate.Range(min=0, max=2), metadata=_doc(
        "sampling temperature passed to every vendor (their default when omitted)"))
    timeout = StrictFloat(load_default=None, validate=validate.Range(min=0, min_inclusive=False, max=3600),
                          metadata=_doc("seconds to wait for the answers (streamed: for each first token), "
                                        "capped by PROVIDER_TIMEOUT"))
    stream = StrictBoolean(load_default=False, metadata=_doc(   # Server-Sent Events instead of one JSON body
        "answer with Server-Sent Events: delta events as each model's tokens arrive, a result event per "
        "model as it finishes, then done"))
    cache = StrictBoolean(load_default=False, metadata=_doc(    # answer from (and store into) the answer cache
        "answer from, and store into, the answer cache (ANSWER_CACHE_TTL)"))
