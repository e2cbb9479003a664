"""The send_prompt request body."""
from marshmallow import RAISE, Schema, fields, validate

from app.validation import MAX_TOKENS, StrictBoolean, StrictFloat, StrictInteger


class SendPromptSchema(Schema):
    class Meta:
        unknown = RAISE

    prompt = fields.String(required=True, validate=validate.Length(min=1))
    system = fields.String(load_default=None)
    model_names = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None)
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None)
    max_tokens = StrictInteger(load_default=1024, validate=validate.Range(min=1, max=MAX_TOKENS))
    temperature = StrictFloat(load_default=None, validate=validate.Range(min=0, max=2))
    timeout = StrictFloat(load_default=None, validate=validate.Range(min=0, min_inclusive=False, max=3600))
    stream = StrictBoolean(load_default=False)   # Server-Sent Events instead of one JSON body
    cache = StrictBoolean(load_default=False)    # answer from (and store into) the answer cache
