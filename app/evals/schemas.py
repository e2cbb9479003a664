"""The POST /api/evals request body; graders are checked here, so a bad one is a 400 before any call."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.evals.graders import GRADERS, GraderError, check_schema, compile_pattern
from app.validation import MAX_TOKENS, StrictBoolean, StrictFloat, StrictInteger

NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"   # also what `eval:<name>` may name in the ranking
NAME_RULE = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
MAX_TEXT = 100_000   # characters of one prompt or expected answer


def _doc(text: str) -> dict:
    return {"description": text}   # field metadata: the OpenAPI document's description


class BoundedList(fields.List):
    """A list whose length is checked before its items are (each grader costs a compile to check)."""

    max_items: int | None = None   # set per app: EVAL_MAX_PROMPTS

    def _deserialize(self, value, attr, data, **kwargs):
        if self.max_items is not None and isinstance(value, list) and len(value) > self.max_items:
            raise ValidationError(f"{len(value)} prompts; at most {self.max_items} per eval (EVAL_MAX_PROMPTS).")
        return super()._deserialize(value, attr, data, **kwargs)


class GraderSchema(Schema):
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.OneOf(GRADERS), metadata=_doc(
        "exact: the answer, trimmed, equals expected; contains: expected occurs in the answer; regex: "
        "pattern matches somewhere in the answer; json_schema: the answer (or its one ```json block) is "
        "JSON valid against schema"))
    expected = fields.String(validate=validate.Length(min=1, max=MAX_TEXT), metadata=_doc(
        "exact and contains: the text to compare with"))
    pattern = fields.String(validate=validate.Length(min=1), metadata=_doc(
        "regex: a `regex`-module pattern, at most 500 characters, counted repeats multiplying to at most "
        "10000; each match may run 50 ms (longer fails the answer)"))
    schema = fields.Raw(metadata=_doc(
        "json_schema: a self-contained JSON Schema (draft 2020-12, no $ref), at most 16 KB and 32 levels deep",
        ) | {"type": ["object", "boolean"]})
    ignore_case = StrictBoolean(load_default=False, metadata=_doc(
        "exact, contains and regex: compare without regard to case"))

    @validates_schema
    def _complete(self, data, **kwargs) -> None:
        kind = data.get("type")
        needed = {"exact": "expected", "contains": "expected", "regex": "pattern", "json_schema": "schema"}[kind]
        for other in ("expected", "pattern", "schema"):
            if other != needed and other in data:
                raise ValidationError(f"not used by the {kind} grader", other)
        if needed not in data:
            raise ValidationError(f"required by the {kind} grader", needed)
        try:
            if kind == "regex":
                compile_pattern(data["pattern"], data["ignore_case"])
            elif kind == "json_schema":
                check_schema(data["schema"])
        except GraderError as exc:
            raise ValidationError(str(exc), needed) from None


class EvalPromptSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(load_default=None, validate=validate.Length(min=1, max=64), metadata=_doc(
        "your label for the prompt, stored with its outcomes (default: none; outcomes carry the position)"))
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT), metadata=_doc(
        "the user message sent to every model"))
    system = fields.String(load_default=None, validate=validate.Length(max=MAX_TEXT), metadata=_doc(
        "a system prompt for this prompt (default: the eval's system)"))
    grader = fields.Nested(GraderSchema, required=True, metadata=_doc("how an answer to this prompt is graded"))


class EvalRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(NAME + r"\Z", error=NAME_RULE),
                         metadata=_doc("the eval's name, yours alone (per principal); a new run adds to its history"))
    prompts = BoundedList(fields.Nested(EvalPromptSchema), required=True, validate=validate.Length(min=1),
                          metadata=_doc("the prompts, each with its grader (at most EVAL_MAX_PROMPTS)"))
    model_names = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "the models to run: catalog ids or model names, as in send_prompt"))
    providers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=None, metadata=_doc(
        "narrows model_names to these providers; alone, each provider's default model"))
    system = fields.String(load_default=None, validate=validate.Length(max=MAX_TEXT), metadata=_doc(
        "a system prompt sent with every prompt that has none of its own"))
    max_tokens = StrictInteger(load_default=1024, validate=validate.Range(min=1, max=MAX_TOKENS), metadata=_doc(
        "the most output tokens per answer, capped by each model's max_output_tokens"))
    temperature = StrictFloat(load_default=None, validate=validate.Range(min=0, max=2), metadata=_doc(
        "sampling temperature passed to every vendor (their default when omitted; 0 for repeatable grades)"))
    timeout = StrictFloat(load_default=None, validate=validate.Range(min=0, min_inclusive=False, max=3600),
                          metadata=_doc("seconds the whole eval may take, capped by PROVIDER_TIMEOUT; prompts not "
                                        "started by then are outcomes `not_run`"))


def eval_request(max_prompts: int) -> EvalRequestSchema:
    """The request schema of an app whose evals hold at most max_prompts prompts."""
    schema = EvalRequestSchema()
    schema.fields["prompts"].max_items = max_prompts   # the instance's own copy of the field
    return schema
