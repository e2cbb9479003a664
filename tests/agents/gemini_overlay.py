"""Validate Gemini bodies against the proto in ../shared/specs, plus ``thinkingLevel``.

The pinned proto (googleapis @ 2026-08-22) has ``ThinkingConfig.thinking_budget`` only; Google's docs
describe ``thinkingLevel`` for Gemini 3 and later (https://firebase.google.com/docs/ai-logic/thinking,
enum values MINIMAL, LOW, MEDIUM, HIGH). That one field is checked here and the rest by the proto.
"""
from __future__ import annotations

import copy

from tests.spec_validation import validate_gemini as validate_proto

LEVELS = {"MINIMAL", "LOW", "MEDIUM", "HIGH"}


def validate_gemini(body: dict) -> None:
    """Assert the body parses as GenerateContentRequest, ``thinkingLevel`` apart."""
    body = copy.deepcopy(body)
    thinking = body.get("generationConfig", {}).get("thinkingConfig", {})
    if "thinkingLevel" in thinking:
        level = thinking.pop("thinkingLevel")
        assert level in LEVELS, f"thinkingLevel {level!r} is not one of {sorted(LEVELS)}"
        assert "thinkingBudget" not in thinking, "thinkingLevel and thinkingBudget together are a 400"
        if not thinking:
            del body["generationConfig"]["thinkingConfig"]
    validate_proto(body)
