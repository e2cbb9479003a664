"""The get_best_price_for_prompt request body."""
from marshmallow import RAISE, Schema, fields, validate

from app.pricing.ranking import AUTO, SORTS
from app.validation import MAX_TOKENS, Moment, StrictBoolean, StrictFloat, StrictInteger


def _doc(text: str) -> dict:
    return {"description": text}   # field metadata: the OpenAPI document's description


class OutputTokens(fields.Field):
    """A number of output tokens (a JSON integer, 0 to MAX_TOKENS), or "auto"."""

    default_error_messages = {"invalid": f'Not "{AUTO}" nor an integer from 0 to {MAX_TOKENS}.'}

    def _deserialize(self, value, attr, data, **kwargs):
        if value == AUTO:
            return AUTO
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
            raise self.make_error("invalid")
        return value


class MinQualitySchema(Schema):
    class Meta:
        unknown = RAISE

    benchmark = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata=_doc(
        "a published benchmark key (a model's quality mapping, e.g. gpqa_diamond) or eval:<name> for one of "
        "your evals"))
    score = StrictFloat(required=True, metadata=_doc(
        "the least score kept, on the benchmark's scale (percent 0-100, elo 800-2000)"))


class PriceRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    prompt = fields.String(required=True, validate=validate.Length(min=1), metadata=_doc(
        "the prompt whose input tokens are counted and priced"))
    system = fields.String(load_default=None, metadata=_doc("a system prompt, counted and priced with the prompt"))
    expected_output_tokens = OutputTokens(load_default=AUTO, metadata={
        "oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_TOKENS}, {"enum": [AUTO]}],
        "description": "output tokens priced on every model (0: input only), or auto (the default): each "
                       "model's median output for prompts of this length, from its billed calls; input only "
                       "where it has too few"})
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "only these providers: key, display name or alias, any case"))
    model_names = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "only these models: catalog ids or model names (a name served by several providers matches each)"))
    min_mmlu = StrictFloat(load_default=None, validate=validate.Range(min=0, max=100), metadata=_doc(
        "only models with at least this MMLU score (unscored models are left out)"))
    max_total_cost = StrictFloat(load_default=None, validate=validate.Range(min=0), metadata=_doc(
        "only models whose total cost for this request is at most this, in USD"))
    only_configured = StrictBoolean(load_default=False, metadata=_doc(
        "only models of providers the service holds credentials for"))
    include_self_hosted = StrictBoolean(load_default=False, metadata=_doc(
        "also rank self-hosted models (no API price) of providers without credentials; providers or "
        "model_names naming them include them too"))
    limit = StrictInteger(load_default=None, validate=validate.Range(min=1, max=10_000), metadata=_doc(
        "at most this many models, after sorting"))
    sort = fields.String(load_default="cost", validate=validate.OneOf(SORTS), metadata=_doc(
        "cost: cheapest first; mmlu: best MMLU first; quality: best score on `benchmark` first; value: "
        "score points on `benchmark` (the default benchmark when absent) per dollar, best first; unscored models trail"))
    benchmark = fields.String(load_default=None, validate=validate.Length(min=1, max=80), metadata=_doc(
        "the benchmark the quality and value sorts and each item's quality_score use: a published key or "
        "eval:<name>; value needs a percent scale (default: the percent-scale benchmark that scores the most "
        "catalog rows, named in the response)"))
    min_quality = fields.Nested(MinQualitySchema, load_default=None, metadata=_doc(
        "only models with at least this score on this benchmark (unscored models are left out)"))
    service_tier = fields.String(load_default=None, validate=validate.Length(min=1, max=40), metadata=_doc(
        "price each model at this service tier (the price data's names: default, flex, priority, ...); models "
        "without it are left out and counted in excluded.service_tier; an unknown tier is a 400 listing them"))
    at = Moment(load_default=None, metadata=_doc(
        "price at this moment (ISO-8601 date, or date-time with a UTC offset), past or announced future; "
        "default now"))
