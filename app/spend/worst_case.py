"""The most one call can cost: what a budget holds before the call is made.

Input: the prompt's count plus the vendors' message framing, scaled up by an error margin where
the count is an estimate; output: every token ``max_tokens`` allows (reasoning included); all at
the catalog's prices, long-context tier included when the input passes its threshold.
"""
from __future__ import annotations

import math
from decimal import Decimal

from app.catalog import Model
from app.pricing.cost import exact_cost
from app.spend.money import to_money
from app.tokens.counter import TokenCount
from app.tokens.families import HEURISTIC

# Role markers and message separators the vendors add around each message: 3-4 tokens per
# message and 3 to prime the reply (OpenAI's cookbook); two messages (system, user) stay below 16.
FRAMING_TOKENS = 16

# How far a family estimate (o200k count x the family's factor, app/tokens/families.py) may fall
# short of the vendor's own tokenizer. Claude: measured 1.16-1.30x o200k against the 1.2 factor,
# and Anthropic's newest tokenizer uses up to 1.35x more again: 1.2 x 1.5 = 1.8 covers 1.30 x 1.35.
# The others assume parity with o200k for want of a published ratio; 1.5 allows tokenizers that
# split non-English text or code half again as finely.
FAMILY_MARGINS: dict[str, float] = {"claude": 1.5}
DEFAULT_FAMILY_MARGIN = 1.5
# No encodings at all: bytes / 4 against o200k, which reaches 1 token per 2 bytes on digits,
# base64 and code; a family factor may apply on top.
HEURISTIC_MARGIN = 2.0


def margin(count: TokenCount, family: str) -> float:
    """The factor a count is raised by before it is held: 1 for an exact count."""
    if count.exact:
        return 1.0
    if count.tokenizer == HEURISTIC:
        return HEURISTIC_MARGIN * FAMILY_MARGINS.get(family, 1.0)
    return FAMILY_MARGINS.get(family, DEFAULT_FAMILY_MARGIN)


def held_input_tokens(count: TokenCount, family: str) -> int:
    """The input tokens a hold assumes: the count, raised by its margin, plus framing."""
    return math.ceil(count.count * margin(count, family)) + FRAMING_TOKENS


def worst_case(model: Model, count: TokenCount, max_tokens: int) -> Decimal:
    """The most the call can cost, rounded up to the ledger's step."""
    return to_money(exact_cost(model, held_input_tokens(count, model.tokenizer), max_tokens), up=True)
