"""reasoning_effort: the per-vendor mapping, and reasoning tokens priced as output."""
from __future__ import annotations

from fractions import Fraction

import pytest

from app.agents import AgentParamError
from app.agents.reasoning import claude_name, gemini_thinking, read_effort, takes_effort


@pytest.mark.parametrize("model_id, name, effort", [
    ("claude-sonnet-5-5", "claude-sonnet-5-5", True),
    ("global.anthropic.claude-opus-5-5", "claude-opus-5-5", True),
    ("claude-haiku-4-5-20251001", "claude-haiku-4-5", False),
    ("anthropic.claude-opus-4-5-20251101-v1:0", "claude-opus-4-5", True),
    ("claude-fable-5-2", "claude-fable-5-2", False),   # not on the effort page (yet): a budget
])
def test_claude_models_are_told_apart_by_the_effort_page(model_id, name, effort):
    assert claude_name(model_id) == name and takes_effort(model_id) is effort


def test_efforts_are_checked():
    assert read_effort({}) is None
    with pytest.raises(AgentParamError) as caught:
        read_effort({"reasoning_effort": "max"})
    assert caught.value.param == "reasoning_effort"


@pytest.mark.parametrize("effort, budget", [("minimal", 512), ("low", 1024), ("medium", 8192), ("high", 24576)])
def test_gemini_budgets_before_gemini_3(effort, budget):
    assert gemini_thinking({"reasoning_effort": effort}, "gemini-2.5-pro") == {"thinkingBudget": budget}


@pytest.mark.parametrize("effort, level", [("minimal", "LOW"), ("low", "LOW"), ("medium", "MEDIUM"), ("high", "HIGH")])
def test_gemini_levels_from_gemini_3(effort, level):
    assert gemini_thinking({"reasoning_effort": effort}, "gemini-3.1-flash-lite") == {"thinkingLevel": level}


def test_reasoning_tokens_are_priced_as_output():
    """Adapters count reasoning inside output_tokens, so the output price applies to it."""
    from app.catalog import load_models
    from app.pricing.cost import exact_cost
    from app.providers.gemini import GeminiAdapter
    from app.vendors import VENDORS
    from tests.agents.test_capabilities import ROOT
    model = next(m for m in load_models(ROOT / "models.csv", VENDORS.keys()) if m.id == "google/gemini-3.5-flash")
    usage = GeminiAdapter._usage({"promptTokenCount": 100, "candidatesTokenCount": 10, "thoughtsTokenCount": 90})
    assert (usage.output_tokens, usage.reasoning_tokens) == (100, 90)
    cost = exact_cost(model, usage.input_tokens, usage.output_tokens)
    expected = (Fraction(str(model.input_price_per_mtok)) * 100 + Fraction(str(model.output_price_per_mtok)) * 100)
    assert cost == expected / 1_000_000
