"""Graders: does one answer pass? Pure functions over untrusted patterns and schemas.

Clients send the regexes and JSON Schemas, so both are bounded before use:
- a regex is at most MAX_PATTERN_CHARS long, its counted repeats ({m,n}) multiply to at most
  MAX_REPEAT_PRODUCT (the `regex` module compiles such repeats by unrolling them), and every
  match runs under MATCH_TIMEOUT_S with the GIL released; a timeout fails the answer;
- a JSON Schema is self-contained (no $ref, $dynamicRef or $recursiveRef: no fetching, no
  recursion), at most MAX_SCHEMA_BYTES and MAX_SCHEMA_DEPTH deep, and its `pattern` and
  `patternProperties` follow the regex rules above (they are matched with `regex`, not `re`);
  `unevaluatedProperties` beside `patternProperties` is refused (jsonschema matches those with `re`);
- every grade runs under a CPU-time bound (``grade(..., timeout_s=)``, the thread's own CPU time, so
  a loaded machine does not fail grades): each schema keyword looks at the clock before it runs,
  `uniqueItems` is linear (jsonschema's own is quadratic on objects), and a grade past its bound
  fails the answer as ``grader_timeout``.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from contextvars import ContextVar
from typing import Any

import regex
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError

GRADERS = ("exact", "contains", "regex", "json_schema")
MAX_PATTERN_CHARS = 500
MAX_REPEAT_PRODUCT = 10_000
MATCH_TIMEOUT_S = 0.05
MAX_SCHEMA_BYTES = 16 * 1024
MAX_SCHEMA_DEPTH = 32
GRADE_TIMEOUT_S = 1.0   # a grade's default time bound (the app passes EVAL_GRADE_TIMEOUT_S)
REFERENCES = ("$ref", "$dynamicRef", "$recursiveRef")
# Every {m,n}, escaped or not: counting a literal brace too is the safe side.
_REPEAT = regex.compile(r"\{(\d*)(?:,(\d*))?\}")
_FENCE = regex.compile(r"\A```(?:json)?[ \t]*\n(.*)\n```\Z", regex.DOTALL)


class GraderError(ValueError):
    """A grader the request cannot use; the message says why."""


@dataclass(frozen=True)
class Verdict:
    """One answer's grade: passed, and when it could not be graded, why not."""

    passed: bool
    problem: str | None = None   # "regex_timeout", "not_json", ...: the answer failed for this reason


TIMEOUT = Verdict(False, "grader_timeout")


def compile_pattern(pattern: str, ignore_case: bool = False) -> regex.Pattern:
    """Compile a client's regex within the bounds above, or raise GraderError."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise GraderError(f"a regex may have at most {MAX_PATTERN_CHARS} characters, this one has {len(pattern)}")
    product = 1
    for low, high in _REPEAT.findall(pattern):
        product *= max(int(low or 0), int(high or 0), 1)
        if product > MAX_REPEAT_PRODUCT:
            raise GraderError(f"the regex's counted repeats ({{m,n}}) multiply to more than {MAX_REPEAT_PRODUCT}")
    try:
        return regex.compile(pattern, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise GraderError(f"not a valid regex: {exc}") from None


def search(pattern: regex.Pattern, text: str) -> bool | None:
    """Whether pattern matches anywhere in text; None when the match ran out of time."""
    try:
        return pattern.search(text, timeout=MATCH_TIMEOUT_S, concurrent=True) is not None
    except TimeoutError:
        return None


class _PatternTimeout(Exception):
    pass


class _GradeTimeout(Exception):
    pass


# When the grade running in this thread must end (time.thread_time()); each thread has its own.
_DEADLINE: ContextVar[float] = ContextVar("grade_deadline", default=float("inf"))


def _safe_pattern(validator, pattern, instance, schema) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string"):
        found = search(compile_pattern(pattern), instance)
        if found is None:
            raise _PatternTimeout()
        if not found:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _matches_any(patterns: Iterable[str], key: str) -> bool:
    for pattern in patterns:
        found = search(compile_pattern(pattern), key)
        if found is None:
            raise _PatternTimeout()
        if found:
            return True
    return False


def _safe_pattern_properties(validator, patterns, instance, schema) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for key, value in instance.items():
            found = search(compiled, key)
            if found is None:
                raise _PatternTimeout()
            if found:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _safe_additional_properties(validator, extra_schema, instance, schema) -> Iterator[ValidationError]:
    # jsonschema's own matches patternProperties with `re`, unbounded.
    if not validator.is_type(instance, "object"):
        return
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = [key for key in instance if key not in known and not _matches_any(patterns, key)]
    if validator.is_type(extra_schema, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra_schema, path=key)
    elif not extra_schema and extras:
        yield ValidationError(f"additional properties are not allowed ({len(extras)} unexpected)")


def _unique_items(validator, unique, instance, schema) -> Iterator[ValidationError]:
    # Linear: every item becomes a hashable key that is equal exactly when JSON Schema says the
    # items are equal (1 and 1.0 alike, true and 1 not, objects whatever their key order).
    if unique and validator.is_type(instance, "array"):
        seen = set()
        for item in instance:
            key = _hashable(item)
            if key in seen:
                yield ValidationError("the array has non-unique elements")
                return
            seen.add(key)


def _hashable(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_hashable(item) for item in value))
    return ("object", frozenset((key, _hashable(item)) for key, item in value.items()))


def _on_time(check):
    """The keyword check, refused once the grade's deadline has passed."""
    def bounded(validator, value, instance, schema):
        if time.thread_time() > _DEADLINE.get():
            raise _GradeTimeout()
        return check(validator, value, instance, schema)
    return bounded


# Draft 2020-12 with pattern keywords matched by `regex` under a timeout, a linear uniqueItems,
# and every keyword under the grade's deadline.
_KEYWORDS = {**Draft202012Validator.VALIDATORS, "pattern": _safe_pattern,
             "patternProperties": _safe_pattern_properties,
             "additionalProperties": _safe_additional_properties, "uniqueItems": _unique_items}
SafeValidator = validators.extend(Draft202012Validator, {name: _on_time(check) for name, check in _KEYWORDS.items()})


def check_schema(schema: Any) -> Draft202012Validator:
    """Check a client's JSON Schema against the bounds above and the 2020-12 metaschema."""
    if not isinstance(schema, (dict, bool)):
        raise GraderError("a JSON Schema must be an object or a boolean")
    size = len(json.dumps(schema))
    if size > MAX_SCHEMA_BYTES:
        raise GraderError(f"the JSON Schema may have at most {MAX_SCHEMA_BYTES} bytes as JSON, this one has {size}")
    _walk(schema, 0)
    try:
        SafeValidator.check_schema(schema)
    except SchemaError as exc:
        raise GraderError(f"not a valid JSON Schema (draft 2020-12): {exc.message}") from None
    return SafeValidator(schema)


def _walk(node: Any, depth: int) -> None:
    if depth > MAX_SCHEMA_DEPTH:
        raise GraderError(f"the JSON Schema may nest at most {MAX_SCHEMA_DEPTH} levels deep")
    if isinstance(node, list):
        for value in node:
            _walk(value, depth + 1)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in REFERENCES:
                raise GraderError(f"the JSON Schema must be self-contained: {key} is not accepted")
            if key == "pattern" and isinstance(value, str):
                compile_pattern(value)
            if key == "patternProperties" and isinstance(value, dict):
                for pattern in value:
                    compile_pattern(pattern)
                if "unevaluatedProperties" in node:
                    raise GraderError("unevaluatedProperties beside patternProperties is not accepted")
            _walk(value, depth + 1)


def grade(spec: Mapping[str, Any], answer: str, timeout_s: float = GRADE_TIMEOUT_S) -> Verdict:
    """Grade one answer with a validated grader spec (see app/evals/schemas.py), within timeout_s
    seconds of this thread's CPU time."""
    kind = spec["type"]
    fold = spec.get("ignore_case", False)
    if kind == "exact":
        return Verdict(_fold(answer.strip(), fold) == _fold(spec["expected"].strip(), fold))
    if kind == "contains":
        return Verdict(_fold(spec["expected"], fold) in _fold(answer, fold))
    if kind == "regex":
        found = search(compile_pattern(spec["pattern"], fold), answer)
        return Verdict(False, "regex_timeout") if found is None else Verdict(found)
    token = _DEADLINE.set(time.thread_time() + timeout_s)
    try:
        return _grade_json(check_schema(spec["schema"]), answer)
    finally:
        _DEADLINE.reset(token)


def _grade_json(validator: Draft202012Validator, answer: str) -> Verdict:
    text = answer.strip()
    fenced = _FENCE.match(text)   # a model's ```json ... ``` block counts as its JSON
    try:
        document = json.loads(fenced[1] if fenced else text)
    except (ValueError, RecursionError):
        return Verdict(False, "not_json")
    try:
        return Verdict(validator.is_valid(document))
    except _PatternTimeout:
        return Verdict(False, "regex_timeout")
    except _GradeTimeout:
        return TIMEOUT
    except RecursionError:
        return Verdict(False, "too_deep")


def _fold(text: str, fold: bool) -> str:
    return text.casefold() if fold else text
