"""Estimates for tokenizers we cannot run: calibration factors over o200k, and a last-resort heuristic.

A family's estimate is ceil(o200k_count * factor). Each factor names its source; 1.0 means no
vendor statement or published measurement relating that family to o200k_base is known to us,
so we assume parity rather than invent a number. These are the fixed factors: once a family has
CALIBRATION_MIN_SAMPLES billed calls, app/forecast measures its factor from the bills and the
token counter uses that instead (TokenCounter.calibrate).
"""
from __future__ import annotations

import math

# Reference point for the vendor rules of thumb below: OpenAI says "1 token ~= 4 chars in English"
# (help.openai.com/en/articles/4936856-what-are-tokens-and-how-to-count-them). A vendor giving the
# same rule is evidence of parity, a different rule scales by the ratio of the two.
FAMILY_FACTORS: dict[str, float] = {
    # Measured: Claude 3.5 Sonnet's tokenizer produced 16% more tokens than GPT-4o's (o200k) on
    # English articles, 21% on maths, 30% on Python code (L. Gupta, "Hidden costs in AI deployment:
    # why Claude models may be 20-30% more expensive than GPT", VentureBeat, May 2025). 1.2 sits
    # inside that range. Anthropic states Opus 4.7's new tokenizer uses 1.0-1.35x the tokens of
    # earlier Claude models; one family label cannot tell versions apart, so that is not folded in.
    "claude": 1.2,
    # Google: "For Gemini models, a token is equivalent to about 4 characters"
    # (ai.google.dev/gemini-api/docs/tokens) -- the same rule OpenAI gives, so parity.
    "gemini": 1.0,
    # Gemma shares Gemini's SentencePiece vocabulary (Gemma 3 technical report); same reasoning.
    "gemma": 1.0,
    # DeepSeek: "1 English character ~= 0.3 token" (api-docs.deepseek.com/quick_start/token_usage),
    # i.e. 3.3 chars per token against OpenAI's 4: 4 * 0.3 = 1.2.
    "deepseek": 1.2,
    # Llama 3's 128K BPE vocabulary extends cl100k's (Meta, "Introducing Meta Llama 3", 2024);
    # no published ratio to o200k is known.
    "llama": 1.0,
    # Mistral's Tekken (tiktoken-based, ~131K) is compared only with Mistral's older SentencePiece
    # tokenizer; no ratio to o200k is known.
    "mistral": 1.0,
    # None known for these families.
    "qwen": 1.0,
    "grok": 1.0,
    "nova": 1.0,
    "kimi": 1.0,
    "glm": 1.0,
    "phi": 1.0,   # Phi-4 uses cl100k_base (Phi-4 technical report); the catalog may label it so.
    "minimax": 1.0,
    "nemotron": 1.0,
}
UNKNOWN_FAMILY_FACTOR = 1.0
HEURISTIC = "heuristic"


def family_factor(family: str) -> float:
    """Return the calibration factor over o200k for a tokenizer family (1.0 if none is known)."""
    return FAMILY_FACTORS.get(family, UNKNOWN_FAMILY_FACTOR)


def scale(count: int, factor: float) -> int:
    """Scale a base count by a factor, rounding up (an estimate should not undercount)."""
    return count if factor == 1.0 else math.ceil(count * factor)


def heuristic_count(text: str) -> int:
    """Estimate o200k tokens from UTF-8 length: ceil(bytes / 4)."""
    # Bytes rather than characters, because UTF-8 length tracks script: ASCII English is 1 byte a
    # char, which gives OpenAI's "4 chars per token"; CJK is 3 bytes (0.75 token a char, close to
    # o200k's real rate) and emoji 4 bytes (1 token), where chars/4 would badly undercount.
    # str.encode runs in C, so this stays cheap for 100k-token prompts.
    return -(-len(text.encode("utf-8", "surrogatepass")) // 4)
