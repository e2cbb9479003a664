"""Response bodies, as marshmallow schemas: they document the API (they validate nothing at run time)."""
from marshmallow import Schema, fields

USAGE_GROUPS = ("model", "provider", "principal", "day")

class ErrorBodySchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    message = fields.String(required=True, metadata={"description": "what went wrong, in words"})
    fields = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "validation errors by request field"})


class ErrorEnvelopeSchema(Schema):
    success = fields.Boolean(required=True, metadata={"enum": [False], "description": "always false here"})
    error = fields.Nested(ErrorBodySchema, required=True, metadata={"description": "the error"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"], "description": "the process answers"})


class ModelFactsSchema(Schema):
    """Fields a catalog model and a price item share (the seed's fields among them)."""

    id = fields.String(required=True, metadata={"description": "<provider key>/<model name>, unique"})
    model_name = fields.String(required=True, metadata={"description": "the model's name (shared by its providers)"})
    provider = fields.String(required=True, metadata={"description": "display name"})
    price_per_token = fields.Float(required=True, metadata={"description": "input USD per token"})
    mmlu_score = fields.Float(required=True, allow_none=True, metadata={
        "description": "published MMLU score, percent (shared/data/mmlu.csv, else quality.mmlu.score)"})
    model_size = fields.String(required=True, metadata={"description": "parameter count as published, or Unknown"})
    configured = fields.Boolean(required=True, metadata={"description": "the service holds credentials"})
    self_hosted = fields.Boolean(required=True, metadata={
        "description": "runs on your own hardware (Ollama): no API price; ranked only when its provider is "
                       "configured, named, or include_self_hosted is set"})


class ServedAsSchema(Schema):
    model = fields.String(required=True, metadata={"description": "the checkpoint the API name serves now"})
    since = fields.String(required=True, metadata={"format": "date", "description": "since when"})
    source = fields.String(required=True, metadata={"format": "uri", "description": "the vendor's page saying so"})


def _price_window() -> fields.Field:
    return fields.String(required=True, allow_none=True, metadata={
        "enum": ["peak", "off_peak", None],
        "description": "the vendor's price window in force (DeepSeek prices by time of day); null: one price all week"})


def _price_changes_at() -> fields.Field:
    return fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "when this price next changes (a window opening or closing, or an "
                                              "announced dated price); null: no change known"})


class QualityScoreSchema(Schema):
    score = fields.Float(required=True, metadata={"description": "the published score"})
    scale = fields.String(required=True, metadata={"enum": ["percent", "elo"],
                                                   "description": "percent (0-100) or elo (a rating)"})
    source = fields.String(required=True, metadata={"format": "uri", "description": "where it was published"})
    date = fields.String(required=True, metadata={"format": "date", "description": "when its source published it"})
    served_as = fields.Nested(ServedAsSchema, required=True, allow_none=True, metadata={
        "description": "set when the model's API name now serves another checkpoint than the scored one; "
                       "null: it serves the scored one"})


class CatalogModelSchema(ModelFactsSchema):
    price_effective_from = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "start of the dated price version these prices come from"})
    service_tiers = fields.List(fields.String(), required=True, metadata={
        "description": "the service tiers the catalog prices this model at (default first); the estimate's "
                       "service_tier"})
    price_window = _price_window()
    price_changes_at = _price_changes_at()
    api_model = fields.String(required=True, metadata={"description": "the model name the vendor's API is sent"})
    input_price_per_mtok = fields.Float(required=True, metadata={"description": "USD per million input tokens"})
    output_price_per_mtok = fields.Float(required=True, metadata={"description": "USD per million output tokens"})
    cached_input_price_per_mtok = fields.Float(required=True, allow_none=True, metadata={
        "description": "USD per million cached input tokens (null: no cache price)"})
    long_context_threshold = fields.Integer(required=True, allow_none=True, metadata={
        "description": "input tokens above which the long-context prices apply to the whole request"})
    long_input_price_per_mtok = fields.Float(required=True, allow_none=True, metadata={
        "description": "USD per million input tokens above the threshold"})
    long_output_price_per_mtok = fields.Float(required=True, allow_none=True, metadata={
        "description": "USD per million output tokens above the threshold"})
    context_window = fields.Integer(required=True, metadata={"description": "tokens the model holds, input and output"})
    max_output_tokens = fields.Integer(required=True, metadata={"description": "the most output tokens per answer"})
    mmlu_pro_score = fields.Float(required=True, allow_none=True, metadata={
        "description": "published MMLU-Pro score, percent (quality.mmlu_pro.score)"})
    tokenizer = fields.String(required=True, metadata={"description": "the encoding or tokenizer family counted with"})
    prices_checked = fields.String(required=True, metadata={"format": "date",
                                                            "description": "when the prices were last checked"})
    default = fields.Boolean(required=True, metadata={"description": "the provider's model when none is named"})
    quality = fields.Dict(keys=fields.String(), values=fields.Nested(QualityScoreSchema), required=True,
                          metadata={"description": "published scores by benchmark key (quality.csv)"})


class ModelsResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    count = fields.Integer(required=True, metadata={"description": "models in data"})
    data = fields.List(fields.Nested(CatalogModelSchema), required=True, metadata={"description": "the models"})
    default_benchmark = fields.String(required=True, allow_none=True, metadata={
        "description": "the benchmark shown when none is chosen: the percent-scale one that scores the most "
                       "catalog rows (null: none)"})


class ProviderSchema(Schema):
    name = fields.String(required=True, metadata={"description": "display name"})
    key = fields.String(required=True, metadata={"description": "the key used in ids and secrets.yaml"})
    model_count = fields.Integer(required=True, metadata={"description": "its models in the catalog"})
    configured = fields.Boolean(required=True, metadata={"description": "the service holds credentials"})
    reason = fields.String(required=True, allow_none=True, metadata={
        "description": "why it is not configured: no key, placeholder key (a value ending in ..., as in "
                       "secrets.yaml.example), incomplete key, or no address (Ollama); null when configured",
        "enum": ["no key", "placeholder key", "incomplete key", "no address", None]})


class ProvidersResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    count = fields.Integer(required=True, metadata={"description": "providers in data"})
    data = fields.List(fields.Nested(ProviderSchema), required=True, metadata={"description": "the providers"})


class OutputBasisSchema(Schema):
    kind = fields.String(required=True, metadata={
        "enum": ["history", "given", "none"],
        "description": "history: predicted from the model's billed calls for prompts of this length; given: "
                       "the request's number; none: too few such calls, the item is priced on input only"})
    samples = fields.Integer(required=True, metadata={
        "description": "billed calls of this model for prompts of this length (0 with given)"})


class CostRangeSchema(Schema):
    low = fields.Float(required=True, metadata={"description": "USD: the output cost at the p25 of billed outputs"})
    high = fields.Float(required=True, metadata={"description": "USD: the output cost at the p75 of billed outputs"})


class PriceItemSchema(ModelFactsSchema):
    price_effective_from = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "start of the dated price version used (the one in force at `at`)"})
    price_window = _price_window()
    price_changes_at = _price_changes_at()
    estimated_tokens = fields.Integer(required=True, metadata={"description": "input tokens (prompt and system)"})
    total_cost = fields.Float(required=True, metadata={"description": "input_cost + output_cost, USD"})
    input_cost = fields.Float(required=True, metadata={"description": "USD for the input tokens"})
    output_cost = fields.Float(required=True, metadata={"description": "USD for expected_output_tokens"})
    expected_output_tokens = fields.Integer(required=True, metadata={
        "description": "output tokens priced: the number given, the predicted median (history), or 0 (none)"})
    output_basis = fields.Nested(OutputBasisSchema, required=True, metadata={
        "description": "where expected_output_tokens comes from"})
    output_cost_range = fields.Nested(CostRangeSchema, required=True, allow_none=True, metadata={
        "description": "with a history basis: the output cost at the p25 and p75 of the model's billed outputs; "
                       "else null"})
    tokenizer = fields.String(required=True, metadata={"description": "the encoding or family estimate counted with"})
    token_count_exact = fields.Boolean(required=True, metadata={
        "description": "the model's own encoding counted (false: a calibrated estimate)"})
    long_context = fields.Boolean(required=True, metadata={
        "description": "the input is over the model's long-context threshold: its long-context prices apply"})
    quality_score = fields.Float(required=True, allow_none=True, metadata={
        "description": "the model's score on the response's benchmark (the request's, else the default one); "
                       "null: unscored"})


class ExcludedSchema(Schema):
    context_window = fields.Integer(required=True, metadata={
        "description": "models left out: their context window cannot hold input + expected output"})
    self_hosted = fields.Integer(required=True, metadata={
        "description": "self-hosted models of unconfigured providers left out (include_self_hosted: true ranks them)"})
    service_tier = fields.Integer(required=True, metadata={
        "description": "models left out: not sold at the request's service_tier at that moment (0 without one)"})


class PriceResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    prompt = fields.String(required=True, metadata={"description": "the prompt, as sent"})
    estimated_tokens = fields.Integer(required=True, metadata={"description": "the o200k_base count"})
    count = fields.Integer(required=True, metadata={"description": "models in data"})
    excluded = fields.Nested(ExcludedSchema, required=True, metadata={"description": "models left out, by reason"})
    benchmark = fields.String(required=True, allow_none=True, metadata={
        "description": "the benchmark behind quality_score and the quality and value sorts: as named, else the "
                       "default (the percent-scale one that scores the most catalog rows; null: none)"})
    service_tier = fields.String(required=True, metadata={
        "description": "the service tier every item is priced at (default: the standard prices)"})
    data = fields.List(fields.Nested(PriceItemSchema), required=True, metadata={"description": "the ranked models"})


class ItemErrorSchema(Schema):
    type = fields.String(required=True, metadata={"description": "what kind of failure", "enum": [
        "http_error", "timeout", "connection_error", "bad_response", "response_too_large", "not_configured",
        "vendor_busy", "cancelled", "provider_error", "budget_exceeded"]})
    message = fields.String(required=True, metadata={"description": "the vendor's or our message, keys redacted"})
    status = fields.Integer(required=True, allow_none=True, metadata={"description": "the vendor's HTTP status"})
    retryable = fields.Boolean(required=True, metadata={"description": "the same call may succeed later"})
    retry_after = fields.Float(required=True, allow_none=True, metadata={
        "description": "seconds the vendor asked to wait"})
    budget_remaining = fields.Float(required=True, allow_none=True, metadata={
        "description": "budget_exceeded: USD left of the caller's tighter budget (day or month); else null"})


class PredictedOutputSchema(Schema):
    tokens = fields.Integer(required=True, metadata={"description": "the predicted median output tokens"})
    low = fields.Integer(required=True, metadata={"description": "p25 of the model's billed outputs"})
    high = fields.Integer(required=True, metadata={"description": "p75 of the model's billed outputs"})
    samples = fields.Integer(required=True, metadata={"description": "billed calls the prediction comes from"})


class SendItemSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the catalog id called"})
    model_name = fields.String(required=True, metadata={"description": "its model name"})
    provider = fields.String(required=True, metadata={"description": "display name"})
    success = fields.Boolean(required=True, metadata={"description": "the vendor answered"})
    response = fields.String(required=True, allow_none=True, metadata={"description": "the answer's text"})
    finish_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "why the answer ended, in the vendor's words"})
    error = fields.Nested(ItemErrorSchema, required=True, allow_none=True, metadata={
        "description": "why this call failed (null on success)"})
    latency_ms = fields.Float(required=True, metadata={"description": "milliseconds for this call, retries included"})
    input_tokens = fields.Integer(required=True, allow_none=True, metadata={"description": "input tokens billed"})
    output_tokens = fields.Integer(required=True, allow_none=True, metadata={
        "description": "output tokens billed, reasoning included"})
    cached_tokens = fields.Integer(required=True, allow_none=True, metadata={
        "description": "input tokens billed at the cached price"})
    reasoning_tokens = fields.Integer(required=True, allow_none=True, metadata={
        "description": "output tokens spent reasoning"})
    actual_cost = fields.Float(required=True, metadata={"description": "billed usage at catalog prices, USD"})
    estimated_input_tokens = fields.Integer(required=True, metadata={
        "description": "what get_best_price_for_prompt counts for this prompt"})
    cached = fields.Boolean(required=True, metadata={"description": "served from the answer cache"})
    usage_reported = fields.Boolean(required=True, metadata={
        "description": "the vendor reported plausible usage; false: token counts are our estimates"})
    cost_basis = fields.String(required=True, allow_none=True, metadata={
        "enum": ["billed", "estimated", None],
        "description": "billed: the vendor's usage at catalog prices; estimated: our counts of the prompt "
                       "and the answer; null: the call failed (cost 0)"})
    predicted_output = fields.Nested(PredictedOutputSchema, required=True, allow_none=True, metadata={
        "description": "the output prediction in force when the call was made (what get_best_price_for_prompt "
                       "priced with auto), recorded with it; null without one, for cache hits and refusals"})
    price_window = _price_window()
    price_changes_at = _price_changes_at()
    recorded = fields.Boolean(required=True, metadata={
        "description": "the item's ledger row was committed before this answer was sent; false: it could "
                       "not be (logged, counted in price_runner_ledger_write_failures_total)"})


class SendResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true: the request was valid (items may fail)"})
    count = fields.Integer(required=True, metadata={"description": "items in data"})
    data = fields.List(fields.Nested(SendItemSchema), required=True, metadata={"description": "one item per model"})
    total_cost = fields.Float(required=True, metadata={"description": "sum of actual_cost, USD"})
    wall_ms = fields.Float(required=True, metadata={"description": "milliseconds for the whole request"})


class UsageRowSchema(Schema):
    key = fields.String(required=True, metadata={"description": "the model id, provider key, principal or UTC date"})
    calls = fields.Integer(required=True, metadata={"description": "ledger rows: every outcome, refusals included"})
    input_tokens = fields.Integer(required=True, metadata={"description": "billed input tokens"})
    output_tokens = fields.Integer(required=True, metadata={"description": "billed output tokens (reasoning included)"})
    cached_tokens = fields.Integer(required=True, metadata={"description": "billed input tokens read from the cache"})
    reasoning_tokens = fields.Integer(required=True, metadata={"description": "billed reasoning tokens"})
    cost = fields.Float(required=True, metadata={"description": "USD at the prices in force (exact in CSV)"})
    estimated_input_tokens = fields.Integer(required=True, metadata={"description": "our counts of the prompts"})


class EstimateAccuracySchema(Schema):
    model = fields.String(required=True, metadata={"description": "the model id"})
    billed_calls = fields.Integer(required=True, metadata={
        "description": "calls whose input the vendor billed, with our estimate beside it"})
    input_error_mean = fields.Float(required=True, allow_none=True, metadata={
        "description": "mean of (estimated - billed) / billed input tokens: positive means we overestimate"})
    input_error_p90 = fields.Float(required=True, allow_none=True, metadata={
        "description": "90th percentile (nearest rank) of |estimated - billed| / billed input tokens"})
    predicted_calls = fields.Integer(required=True, metadata={
        "description": "billed calls made while an output prediction was in force"})
    output_in_range = fields.Integer(required=True, metadata={
        "description": "of those, calls whose billed output fell inside the predicted p25-p75 range"})
    output_in_range_rate = fields.Float(required=True, allow_none=True, metadata={
        "description": "output_in_range / predicted_calls (about 0.5 when the predictions are well calibrated)"})


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
    estimates = fields.List(fields.Nested(EstimateAccuracySchema), required=True, metadata={
        "description": "per model, over the same calls: how far our input estimates were from the bills, and "
                       "how often billed output fell inside the predicted range"})


class EvalResultSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the catalog id run"})
    model_name = fields.String(required=True, allow_none=True, metadata={
        "description": "its model name (null once the catalog no longer lists it)"})
    provider = fields.String(required=True, allow_none=True, metadata={"description": "display name (null likewise)"})
    score = fields.Float(required=True, allow_none=True, metadata={
        "description": "percent of graded answers that passed; null when none was graded"})
    passed = fields.Integer(required=True, metadata={"description": "answers that passed their grader"})
    graded = fields.Integer(required=True, metadata={"description": "answers graded: the sample size"})
    errors = fields.Integer(required=True, metadata={
        "description": "prompts without an answer: the call failed, the budget refused it, or it did not run in time"})
    cost = fields.Float(required=True, metadata={"description": "USD billed for this model's calls (the ledger's sum)"})
    latency_ms = fields.Integer(required=True, allow_none=True, metadata={
        "description": "median milliseconds of the graded calls"})


class EvalLatestSchema(EvalResultSchema):
    run_id = fields.Integer(required=True, metadata={"description": "the run this score comes from"})
    ran_at = fields.String(required=True, metadata={"format": "date-time", "description": "when that run ended"})


class EvalOutcomeSchema(Schema):
    position = fields.Integer(required=True, metadata={"description": "the prompt's index in the set"})
    prompt_id = fields.String(required=True, allow_none=True, metadata={"description": "the prompt's id, as sent"})
    model_id = fields.String(required=True, metadata={"description": "the catalog id"})
    passed = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "the answer passed its grader; null: no answer to grade"})
    problem = fields.String(required=True, allow_none=True, metadata={
        "description": "why it did not pass, if not plainly: the call's error type (timeout, budget_exceeded, "
                       "not_run...) or the grader's (regex_timeout, not_json, too_deep, grader_error)"})
    cost = fields.Float(required=True, metadata={"description": "USD billed for this call"})
    latency_ms = fields.Integer(required=True, allow_none=True, metadata={"description": "milliseconds for the call"})
    response = fields.String(required=True, allow_none=True, metadata={
        "description": "the answer's text, in the POST answer only: it is never stored (null when read back)"})


class EvalRunSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the run's id"})
    name = fields.String(required=True, metadata={"description": "the eval's name"})
    ran_at = fields.String(required=True, metadata={"format": "date-time", "description": "when the run ended"})
    prompts = fields.Integer(required=True, metadata={"description": "prompts in the set"})
    complete = fields.Boolean(required=True, metadata={
        "description": "every prompt ran (false: some were not_run, past the deadline or with the pool full)"})
    set_hash = fields.String(required=True, metadata={
        "description": "SHA-256 of the prompts, graders and system prompt: equal hashes, the same set"})
    total_cost = fields.Float(required=True, metadata={"description": "USD billed for the whole run"})
    results = fields.List(fields.Nested(EvalResultSchema), required=True, metadata={
        "description": "one per model run"})


class EvalRunDetailSchema(EvalRunSchema):
    outcomes = fields.List(fields.Nested(EvalOutcomeSchema), required=True, metadata={
        "description": "one per prompt and model, by position"})


class EvalRunResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    run = fields.Nested(EvalRunDetailSchema, required=True, metadata={"description": "the run"})


class EvalListResponseSchema(Schema):
    success = fields.Boolean(required=True, metadata={"description": "true"})
    name = fields.String(required=True, metadata={"description": "the eval's name"})
    count = fields.Integer(required=True, metadata={"description": "models in data"})
    data = fields.List(fields.Nested(EvalLatestSchema), required=True, metadata={
        "description": "per model, its result in the newest run that graded it: the score eval:<name> ranks by"})
    runs = fields.List(fields.Nested(EvalRunSchema), required=True, metadata={
        "description": "the runs, newest first (at most `limit`)"})
