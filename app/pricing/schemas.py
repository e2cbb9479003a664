"""The get_best_price_for_prompt request body."""
from marshmallow import RAISE, Schema, fields, validate

from app.pricing.ranking import SORTS
from app.validation import MAX_TOKENS, Moment, StrictBoolean, StrictFloat, StrictInteger


class PriceRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    prompt = fields.String(required=True, validate=validate.Length(min=1))
    system = fields.String(load_default=None)
    expected_output_tokens = StrictInteger(load_default=0, validate=validate.Range(min=0, max=MAX_TOKENS))
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None)
    model_names = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None)
    min_mmlu = StrictFloat(load_default=None, validate=validate.Range(min=0, max=100))
    max_total_cost = StrictFloat(load_default=None, validate=validate.Range(min=0))
    only_configured = StrictBoolean(load_default=False)
    limit = StrictInteger(load_default=None, validate=validate.Range(min=1, max=10_000))
    sort = fields.String(load_default="cost", validate=validate.OneOf(SORTS))
    at = Moment(load_default=None, metadata={
        "description": "price at this moment (ISO-8601 date, or date-time with a UTC offset), past or "
                       "announced future; default now"})
