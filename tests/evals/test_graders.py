"""Graders: each kind passes and fails what it should; hostile patterns and schemas are bounded."""
import json
import time

import pytest

from app.evals.graders import (MATCH_TIMEOUT_S, TIMEOUT, GraderError, Verdict, check_schema, compile_pattern,
                              grade)

CATASTROPHIC = r"^(a|aa)+$"   # exponential backtracking on "aaaa...!"
HOSTILE_TEXT = "a" * 60 + "!"


@pytest.mark.parametrize("spec,answer,passed", [
    ({"type": "exact", "expected": "Paris"}, "  Paris\n", True),
    ({"type": "exact", "expected": "Paris"}, "paris", False),
    ({"type": "exact", "expected": "Paris", "ignore_case": True}, "PARIS", True),
    ({"type": "exact", "expected": "Paris"}, "Paris.", False),
    ({"type": "contains", "expected": "Paris"}, "The capital is Paris.", True),
    ({"type": "contains", "expected": "paris", "ignore_case": True}, "The capital is PARIS.", True),
    ({"type": "contains", "expected": "Lyon"}, "The capital is Paris.", False),
    ({"type": "regex", "pattern": r"\b\d{4}\b"}, "It fell in 1989.", True),
    ({"type": "regex", "pattern": r"^\d+$"}, "1989 or so", False),
    ({"type": "regex", "pattern": "^yes", "ignore_case": True}, "YES, indeed", True),
    ({"type": "json_schema", "schema": {"type": "object", "required": ["a"]}}, '{"a": 1}', True),
    ({"type": "json_schema", "schema": {"type": "object", "required": ["a"]}}, '{"b": 1}', False),
    ({"type": "json_schema", "schema": {"type": "object"}}, '```json\n{"a": 1}\n```', True),
    ({"type": "json_schema", "schema": {"type": "string", "pattern": "^[A-Z]{2}$"}}, '"FR"', True),
    ({"type": "json_schema", "schema": {"type": "string", "pattern": "^[A-Z]{2}$"}}, '"fr"', False),
    ({"type": "json_schema", "schema": {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}}},
     '{"x_a": "no"}', False),
    ({"type": "json_schema", "schema": {"type": "object", "patternProperties": {"^x_": {"type": "integer"}}}},
     '{"x_a": 3, "y": "free"}', True),
])
def test_each_grader_passes_and_fails(spec, answer, passed):
    assert grade(spec, answer) == Verdict(passed)


def test_an_answer_that_is_not_json_fails_and_says_so():
    assert grade({"type": "json_schema", "schema": True}, "Sure! {\"a\": 1}") == Verdict(False, "not_json")


def test_a_catastrophic_regex_times_out_quickly_and_fails_the_answer():
    started = time.monotonic()
    verdict = grade({"type": "regex", "pattern": CATASTROPHIC}, HOSTILE_TEXT)
    elapsed = time.monotonic() - started
    assert verdict == Verdict(False, "regex_timeout")
    assert elapsed < MATCH_TIMEOUT_S * 20   # bounded (the pattern alone would run for ages)


def test_a_catastrophic_pattern_inside_a_json_schema_times_out_too():
    spec = {"type": "json_schema", "schema": {"type": "string", "pattern": CATASTROPHIC}}
    started = time.monotonic()
    assert grade(spec, f'"{HOSTILE_TEXT}"') == Verdict(False, "regex_timeout")
    assert time.monotonic() - started < MATCH_TIMEOUT_S * 20


@pytest.mark.parametrize("pattern,why", [
    ("a" * 501, "at most 500 characters"),
    (r"((a{100}){100}){100}", "multiply to more than 10000"),
    (r"(\\{100}){101}", "multiply to more than 10000"),   # an escaped backslash repeated still counts
    (r"a{1000000}", "multiply to more than 10000"),
    ("(unclosed", "not a valid regex"),
])
def test_patterns_beyond_the_bounds_are_refused(pattern, why):
    with pytest.raises(GraderError, match=why):
        compile_pattern(pattern)


def test_a_pattern_within_the_bounds_compiles_fast():
    started = time.monotonic()
    compile_pattern(r"((a{10}){10}){100}")
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("schema,why", [
    ({"$ref": "https://example.com/schema.json"}, r"self-contained: \$ref"),
    ({"properties": {"a": {"$ref": "#"}}}, r"self-contained: \$ref"),
    ({"$dynamicRef": "#meta"}, r"\$dynamicRef"),
    ({"type": "object", "description": "x" * 20_000}, "at most 16384 bytes"),
    ({"type": "string", "pattern": "a" * 600}, "at most 500 characters"),
    ({"patternProperties": {r"x{100000}": {}}}, "multiply to more than 10000"),
    ({"type": "nonsense"}, "not a valid JSON Schema"),
    ("a string", "must be an object or a boolean"),
])
def test_schemas_beyond_the_bounds_are_refused(schema, why):
    with pytest.raises(GraderError, match=why):
        check_schema(schema)


def test_a_deeply_nested_schema_is_refused():
    schema: dict = {"type": "object"}
    for _ in range(40):
        schema = {"properties": {"a": schema}}
    with pytest.raises(GraderError, match="nest at most 32"):
        check_schema(schema)


def test_a_deeply_nested_answer_fails_instead_of_raising():
    assert grade({"type": "json_schema", "schema": True}, "[" * 100_000 + "]" * 100_000).passed is False


@pytest.mark.parametrize("items,unique", [
    ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], False),   # objects are equal whatever their key order
    ([1, 1.0], False),                                # so are 1 and 1.0
    ([True, 1], True), ([False, 0, None], True),      # but not true and 1, false, 0 and null
    ([[1, [2]], [1, [2]]], False), ([[1, 2], [2, 1]], True),
    ([{"a": [1]}, {"a": [1.0]}], False), (["1", 1], True),
])
def test_unique_items_follows_json_schema_equality(items, unique):
    spec = {"type": "json_schema", "schema": {"uniqueItems": True}}
    assert grade(spec, json.dumps(items)) == Verdict(unique)


def test_unique_items_over_twenty_thousand_objects_is_fast():
    answer = json.dumps([{"a": i, "b": [i, str(i)]} for i in range(20_000)])
    started = time.monotonic()
    assert grade({"type": "json_schema", "schema": {"uniqueItems": True}}, answer) == Verdict(True)
    assert time.monotonic() - started < 5   # jsonschema's own takes minutes


def test_a_json_grade_past_its_time_bound_is_a_grader_timeout():
    answer = json.dumps([{"a": i} for i in range(20_000)])
    schema = {"items": {"allOf": [{"type": "object", "properties": {"a": {"minimum": 0}}}] * 8}}
    started = time.monotonic()
    assert grade({"type": "json_schema", "schema": schema}, answer, timeout_s=0.1) == TIMEOUT
    assert time.monotonic() - started < 3   # 0.1 s of this thread's CPU time, on a busy machine


def test_additional_properties_match_pattern_properties_under_the_regex_timeout():
    schema = {"type": "object", "patternProperties": {CATASTROPHIC: True}, "additionalProperties": False}
    started = time.monotonic()
    assert grade({"type": "json_schema", "schema": schema}, json.dumps({HOSTILE_TEXT: 1})) == Verdict(
        False, "regex_timeout")
    assert time.monotonic() - started < MATCH_TIMEOUT_S * 20
    assert grade({"type": "json_schema", "schema": {**schema, "patternProperties": {"^x_": True}}},
                 '{"x_a": 1, "y": 2}') == Verdict(False)


def test_unevaluated_properties_beside_pattern_properties_is_refused():
    with pytest.raises(GraderError, match="unevaluatedProperties"):
        check_schema({"patternProperties": {"^x": True}, "unevaluatedProperties": False})
