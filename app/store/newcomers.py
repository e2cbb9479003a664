"""Models of our providers that the price data lists and the catalog lacks: what sync would add.

Pure: a genai-prices model becomes a proposed catalog row (name, API name, context window, every
dated price) or the reason it cannot be added. Guessed facts are named so the plan can flag them:
the data has no output limit, so max_output_tokens is the context window (the worst case for
budget holds), and the tokenizer is the model family's or ``heuristic``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from genai_prices.types import ModelInfo

from app.store.price_versions import Version
from app.store.upstream import GENAI_PROVIDER, Timeline, UpstreamError, model_timeline
from app.tokens.families import HEURISTIC

# Model-name prefix -> the tokenizer the catalog names for that family (app/tokens).
FAMILY_TOKENIZERS = (
    (("gpt-", "o1", "o3", "o4", "chatgpt-"), "o200k_base"), (("gemini-",), "gemini"), (("gemma",), "gemma"),
    (("claude-",), "claude"), (("grok-",), "grok"), (("deepseek-",), "deepseek"),
    (("mistral-", "magistral-", "codestral", "devstral", "ministral"), "mistral"),
    (("llama",), "llama"), (("qwen",), "qwen"), (("kimi-",), "kimi"), (("glm-",), "glm"),
    (("minimax",), "minimax"), (("nova-",), "nova"),
)
VENDOR_OF = {genai: key for key, genai in GENAI_PROVIDER.items()}


@dataclass(frozen=True, slots=True)
class Newcomer:
    """An upstream model the catalog lacks: a proposed row, or why it cannot be added."""

    genai_provider: str
    genai_id: str
    model_id: str | None = None        # the catalog id it would get
    model_name: str | None = None
    api_model: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    tokenizer: str | None = None
    timeline: Timeline | None = None
    reason: str | None = None          # set when it cannot be added

    @property
    def addable(self) -> bool:
        return self.reason is None

    def review_notes(self) -> list[str]:
        """What a reviewer should check: the facts sync chose rather than read."""
        notes = ["max_output_tokens = context window (no output limit in the data)"]
        if self.tokenizer == HEURISTIC:
            notes.append("tokenizer heuristic (no known family)")
        else:
            notes.append(f"tokenizer {self.tokenizer} (by family)")
        return notes

    def versions(self, checked_at: date) -> list[Version]:
        """Every dated price of the proposed row, oldest first."""
        assert self.timeline is not None and self.model_id is not None
        return [Version(self.model_id, start, prices, self.timeline.source, checked_at)
                for start, prices in self.timeline.changes]


def vendor_key(genai_provider: str) -> str:
    """Our vendor key for a genai-prices provider id."""
    return VENDOR_OF.get(genai_provider, genai_provider)


def tokenizer_for(model_name: str) -> str:
    """The tokenizer of the model's known family, else heuristic."""
    lowered = model_name.lower()
    for prefixes, tokenizer in FAMILY_TOKENIZERS:
        if lowered.startswith(prefixes):
            return tokenizer
    return HEURISTIC


def propose(genai_provider: str, info: ModelInfo, label: str | None = None) -> Newcomer:
    """The catalog row sync would add for one upstream model, or the reason it cannot."""
    base = Newcomer(genai_provider, info.id)
    try:
        found = model_timeline(genai_provider, info, label)
    except UpstreamError as exc:
        return replace(base, reason=str(exc).removeprefix(info.id + ": "))
    if not info.context_window:
        return replace(base, reason="no context window in the data")
    vendor = vendor_key(genai_provider)
    model_name = info.id.rsplit("/", 1)[-1]   # OpenRouter's "google/gemini-4-neon" -> "gemini-4-neon"
    return Newcomer(genai_provider, info.id, f"{vendor}/{model_name}", model_name,
                    info.id, info.context_window, info.context_window, tokenizer_for(model_name), found)

