"""Response bodies, as marshmallow schemas: they document the API (they validate nothing at run time)."""
from marshmallow import Schema, fields

USAGE_GROUPS = ("model", "provider", "principal", "day")

class ErrorBodySchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "validation errors by request field"})


class ErrorEnvelopeSchema(Schema):
    success = fields.Boolean(required=True, metadata={"enum": [False]})
    error = fields.Nested(ErrorBodySchema, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


class ModelFactsSchema(Schema):
    """Fields a catalog model and a price item share (the seed's fields among them)."""

    id = fields.String(required=True)
    model_name = fields.String(required=True)
    provider = fields.String(required=True, metadata={"description": "display name"})
    price_per_token = fields.Float(required=True, metadata={"description": "input USD per token"})
    mmlu_score = fields.Float(required=True, allow_none=True)
    model_size = fields.String(required=True)
    configured = fields.Boolean(required=True, metadata={"description": "the service holds credentials"})


class QualityScoreSchema(Schema):
    score = fields.Float(required=True)
    scale = fields.String(required=True, metadata={"enum": ["percent", "elo"]})
    source = fields.String(required=True, metadata={"format": "uri", "description": "where it was published"})
    date = fields.String(required=True, metadata={"format": "date", "description": "publication or snapshot"})


class CatalogModelSchema(ModelFactsSchema):
    api_model = fields.String(required=True)
    input_price_per_mtok = fields.Float(required=True)
    output_price_per_mtok = fields.Float(required=True)
    cached_input_price_per_mtok = fields.Float(required=True, allow_none=True)
    long_context_threshold = fields.Integer(required=True, allow_none=True)
    long_input_price_per_mtok = fields.Float(required=True, allow_none=True)
    long_output_price_per_mtok = fields.Float(required=True, allow_none=True)
    context_window = fields.Integer(required=True)
    max_output_tokens = fields.Integer(required=True)
    mmlu_pro_score = fields.Float(required=True, allow_none=True)
    tokenizer = fields.String(required=True)
    prices_checked = fields.String(required=True, metadata={"format": "date"})
    default = fields.Boolean(required=True)
    quality = fields.Dict(keys=fields.String(), values=fields.Nested(QualityScoreSchema), required=True,
                          metadata={"description": "published scores by benchmark key (quality.csv)"})


class ModelsResponseSchema(Schema):
    success = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    data = fields.List(fields.Nested(CatalogModelSchema), required=True)


class ProviderSchema(Schema):
    name = fields.String(required=True)
    key = fields.String(required=True)
    model_count = fields.Integer(required=True)
    configured = fields.Boolean(required=True)


class ProvidersResponseSchema(Schema):
    success = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    data = fields.List(fields.Nested(ProviderSchema), required=True)


class PriceItemSchema(ModelFactsSchema):
    estimated_tokens = fields.Integer(required=True)
    total_cost = fields.Float(required=True)
    input_cost = fields.Float(required=True)
    output_cost = fields.Float(required=True)
    expected_output_tokens = fields.Integer(required=True)
    tokenizer = fields.String(required=True)
    token_count_exact = fields.Boolean(required=True)
    long_context = fields.Boolean(required=True)


class ExcludedSchema(Schema):
    context_window = fields.Integer(required=True)


class PriceResponseSchema(Schema):
    success = fields.Boolean(required=True)
    prompt = fields.String(required=True)
    estimated_tokens = fields.Integer(required=True, metadata={"description": "the o200k_base count"})
    count = fields.Integer(required=True)
    excluded = fields.Nested(ExcludedSchema, required=True)
    data = fields.List(fields.Nested(PriceItemSchema), required=True)


class ItemErrorSchema(Schema):
    type = fields.String(required=True, metadata={"enum": [
        "http_error", "timeout", "connection_error", "bad_response", "response_too_large", "not_configured",
        "vendor_busy", "cancelled", "provider_error", "budget_exceeded"]})
    message = fields.String(required=True)
    status = fields.Integer(required=True, allow_none=True)
    retryable = fields.Boolean(required=True)
    retry_after = fields.Float(required=True, allow_none=True)
    budget_remaining = fields.Float(required=True, allow_none=True, metadata={
        "description": "budget_exceeded: USD left of the caller's tighter budget (day or month); else null"})


class SendItemSchema(Schema):
    id = fields.String(required=True)
    model_name = fields.String(required=True)
    provider = fields.String(required=True)
    success = fields.Boolean(required=True)
    response = fields.String(required=True, allow_none=True)
    finish_reason = fields.String(required=True, allow_none=True)
    error = fields.Nested(ItemErrorSchema, required=True, allow_none=True)
    latency_ms = fields.Float(required=True)
    input_tokens = fields.Integer(required=True, allow_none=True)
    output_tokens = fields.Integer(required=True, allow_none=True)
    cached_tokens = fields.Integer(required=True, allow_none=True)
    reasoning_tokens = fields.Integer(required=True, allow_none=True)
    actual_cost = fields.Float(required=True)
    estimated_input_tokens = fields.Integer(required=True)
    cached = fields.Boolean(required=True, metadata={"description": "served from the answer cache"})
    usage_reported = fields.Boolean(required=True, metadata={
        "description": "the vendor reported plausible usage; false: token counts are our estimates"})
    cost_basis = fields.String(required=True, allow_none=True, metadata={
        "enum": ["billed", "estimated", None],
        "description": "billed: the vendor's usage at catalog prices; estimated: our counts of the prompt "
                       "and the answer; null: the call failed (cost 0)"})
    recorded = fields.Boolean(required=True, metadata={
        "description": "the item's ledger row was committed before this answer was sent; false: it could "
                       "not be (logged, counted in price_runner_ledger_write_failures_total)"})


class SendResponseSchema(Schema):
    success = fields.Boolean(required=True)
    count = fields.Integer(required=True)
    data = fields.List(fields.Nested(SendItemSchema), required=True)
    total_cost = fields.Float(required=True)
    wall_ms = fields.Float(required=True)


class UsageRowSchema(Schema):
    key = fields.String(required=True, metadata={"description": "the model id, provider key, principal or UTC date"})
    calls = fields.Integer(required=True, metadata={"description": "ledger rows: every outcome, refusals included"})
    input_tokens = fields.Integer(required=True, metadata={"description": "billed input tokens"})
    output_tokens = fields.Integer(required=True, metadata={"description": "billed output tokens (reasoning included)"})
    cached_tokens = fields.Integer(required=True, metadata={"description": "billed input tokens read from the cache"})
    reasoning_tokens = fields.Integer(required=True, metadata={"description": "billed reasoning tokens"})
    cost = fields.Float(required=True, metadata={"description": "USD at the prices in force (exact in CSV)"})
    estimated_input_tokens = fields.Integer(required=True, metadata={"description": "our counts of the prompts"})


class UsageResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    start = fields.String(required=True, data_key="from", metadata={
        "format": "date-time", "description": "the first moment counted (UTC)"})
    end = fields.String(required=True, data_key="to", metadata={
        "format": "date-time", "description": "the moment counting stops, excluded (UTC)"})
    group_by = fields.String(required=True, metadata={"enum": list(USAGE_GROUPS), "description": "what a row sums"})
    principal = fields.String(required=True, allow_none=True, metadata={
        "description": "whose usage: the caller's, or null for every principal (USAGE_ADMIN_KEYS)"})
    count = fields.Integer(required=True, metadata={"description": "rows in data"})
    data = fields.List(fields.Nested(UsageRowSchema), required=True, metadata={"description": "one row per group"})
