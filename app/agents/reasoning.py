"""``reasoning_effort`` (minimal, low, medium, high) as each vendor's control.

OpenAI and the OpenAI-compatible vendors take ``reasoning_effort`` as is. Anthropic (and Claude on
Bedrock) take a thinking budget in tokens, Gemini a ``thinkingBudget``: the tables below are our
documented mapping. Reasoning tokens are output tokens: adapters report them in
``Usage.reasoning_tokens`` as a part of ``output_tokens``, so they are priced at the output price.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import AgentParamError

EFFORTS = ("minimal", "low", "medium", "high")

# Claude models that take the effort parameter, ``output_config.effort`` (low|medium|high|xhigh|max):
# the page's supportedModels list, https://platform.claude.com/docs/en/build-with-claude/effort
# (checked 2026-12-01). On these, effort is the documented way to set thinking depth, and the newest
# (Opus 4.7 and later) refuse the older ``thinking.budget_tokens``. Other Claude models take a budget.
CLAUDE_EFFORT_MODELS = frozenset({
    "claude-fable-5-1", "claude-mythos-5-1", "claude-fable-5", "claude-mythos-5", "claude-mythos-preview",
    "claude-opus-5-5", "claude-opus-5", "claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6",
    "claude-opus-4-5", "claude-sonnet-5-5", "claude-sonnet-5", "claude-sonnet-4-6", "claude-haiku-5-5"})
CLAUDE_EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
# Claude models on which "forced tool use returns an error" (tool_choice any/tool), per the Opus 5.5 page's
# breaking changes, which "also apply to Claude Fable 5.1":
# https://platform.claude.com/docs/en/models/opus-5-5/overview (checked 2026-12-01).
CLAUDE_NO_FORCED_TOOLS = frozenset({"claude-opus-5-5", "claude-fable-5-1"})
_CLAUDE_NAME = re.compile(r"(claude-[a-z]+(?:-\d+)*?)(?:-\d{8})?(?:-v\d+(?::\d+)?)?$")

# Anthropic extended thinking: budget_tokens must be >= 1024 and < max_tokens
# (https://docs.claude.com/en/docs/build-with-claude/extended-thinking). The budget is the table's
# figure, lowered to max_tokens - 1 when max_tokens is smaller: like OpenAI's reasoning tokens, thinking
# counts against the output limit the caller set.
ANTHROPIC_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
ANTHROPIC_MIN_BUDGET = 1024

# Gemini: "thinking levels (Gemini 3 and later models) or thinking budgets (Gemini 2.5 models)"
# (https://firebase.google.com/docs/ai-logic/thinking, https://ai.google.dev/gemini-api/docs/thinking).
# Levels: minimal is refused by some models (Gemini 3.7 Flash's page), so it maps to LOW; Pro models
# take LOW and HIGH only, and refuse MEDIUM themselves. ``thinkingLevel`` is newer than the proto in
# ../shared/specs (which has thinkingBudget only); the tests check it apart, see tests/agents.
GEMINI_LEVELS = {"minimal": "LOW", "low": "LOW", "medium": "MEDIUM", "high": "HIGH"}
# Budgets for Gemini 2.x: ranges are model dependent (128..32768 on Pro, 0..24576 on Flash); the
# vendor clamps a budget outside its model's range.
GEMINI_BUDGETS = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
_GEMINI_MAJOR = re.compile(r"gemini-(\d+)")


def read_effort(body: Mapping[str, Any]) -> str | None:
    """Return the request's reasoning_effort, or None when it has none."""
    effort = body.get("reasoning_effort")
    if effort is None:
        return None
    if effort not in EFFORTS:
        raise AgentParamError("reasoning_effort", f"reasoning_effort must be one of {', '.join(EFFORTS)}")
    return effort


def claude_name(model_id: str) -> str:
    """Return the Claude model name in an API id: ``global.anthropic.claude-x-1-20250101-v1:0`` -> ``claude-x-1``."""
    tail = model_id.rsplit("anthropic.", 1)[-1]
    match = _CLAUDE_NAME.match(tail)
    return match.group(1) if match else tail


def takes_effort(model_id: str) -> bool:
    """Tell whether a Claude model takes ``output_config.effort`` (else a thinking budget)."""
    return claude_name(model_id) in CLAUDE_EFFORT_MODELS


def refuse_forced_tools(body: Mapping[str, Any], model_id: str) -> None:
    """Refuse tool_choice required or a named function on the Claude models that reject forced tool use."""
    choice = body.get("tool_choice")
    if (choice == "required" or isinstance(choice, dict)) and claude_name(model_id) in CLAUDE_NO_FORCED_TOOLS:
        raise AgentParamError("tool_choice", f"{claude_name(model_id)} cannot be forced to use a tool: "
                              "use tool_choice auto")


def claude_effort(body: Mapping[str, Any]) -> str | None:
    """Return the Claude effort level for the request's reasoning_effort (minimal is low), or None."""
    effort = read_effort(body)
    return None if effort is None else CLAUDE_EFFORTS[effort]


def anthropic_thinking(body: Mapping[str, Any], max_tokens: int) -> dict | None:
    """Return Anthropic's ``thinking`` object for the request's effort (None without one).

    Thinking is incompatible with a changed temperature or top_p and with forced tool use
    (same page, "Feature compatibility"): those are refused here rather than left to fail upstream.
    """
    effort = read_effort(body)
    if effort is None:
        return None
    if max_tokens <= ANTHROPIC_MIN_BUDGET:
        raise AgentParamError("max_tokens", f"reasoning_effort on Claude needs max_tokens above "
                              f"{ANTHROPIC_MIN_BUDGET} (thinking takes at least {ANTHROPIC_MIN_BUDGET} of them)")
    for name in ("temperature", "top_p"):
        if body.get(name) not in (None, 1, 1.0):
            raise AgentParamError(name, f"{name} cannot be changed together with reasoning_effort on Claude")
    choice = body.get("tool_choice")
    if choice == "required" or isinstance(choice, dict):
        raise AgentParamError("tool_choice", "Claude cannot be forced to use a tool while reasoning_effort is set "
                              "(use tool_choice auto or none)")
    if any(isinstance(m, dict) and m.get("role") == "assistant" and m.get("tool_calls")
           for m in body.get("messages") or []):
        # Claude needs its signed thinking blocks sent back with the tool calls they led to;
        # OpenAI's format has no place for them, so such a follow-up would be refused upstream.
        raise AgentParamError("reasoning_effort", "reasoning_effort cannot be used on Claude once the "
                              "conversation holds tool calls (their thinking blocks cannot be sent back)")
    return {"type": "enabled", "budget_tokens": min(ANTHROPIC_BUDGETS[effort], max_tokens - 1)}


def gemini_thinking(body: Mapping[str, Any], model: str = "") -> dict | None:
    """Return Gemini's ``thinkingConfig`` for the request's effort (None without one): a level for
    Gemini 3 and later, a budget for earlier models."""
    effort = read_effort(body)
    if effort is None:
        return None
    major = _GEMINI_MAJOR.search(model)
    if major and int(major.group(1)) >= 3:
        return {"thinkingLevel": GEMINI_LEVELS[effort]}
    return {"thinkingBudget": GEMINI_BUDGETS[effort]}
