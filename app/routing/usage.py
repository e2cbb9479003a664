"""Which token counts an item shows: the vendor's when plausible, else our own estimate."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from app.catalog import Model
from app.providers.base import Usage

BILLED = "billed"          # the vendor's reported usage, at catalog prices
ESTIMATED = "estimated"    # our counts of the prompt and the answer text, at catalog prices


def plausible(model: Model, usage: Usage, choices: int = 1) -> bool:
    """Tell whether reported usage could be real: no count beyond what the model can take and write
    (``choices`` answers of at most its max_output_tokens each)."""
    ceiling = model.context_window + model.max_output_tokens * choices
    counts = (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens)
    return all(0 <= count <= ceiling for count in counts) and usage.input_tokens + usage.output_tokens <= ceiling


def settled_usage(model: Model, reported: Usage | None, answer: str, estimated_input_tokens: int,
                  count_text: Callable[[str], int], choices: int = 1) -> tuple[Usage, str]:
    """Return the usage to show and price, and its basis (BILLED or ESTIMATED); ``answer`` holds every
    choice's text (n > 1: the vendor bills them all)."""
    if reported is not None and plausible(model, reported, choices):
        return reported, BILLED
    # Missing or implausible: estimate rather than show a silent 0 or the vendor's nonsense.
    return Usage(input_tokens=estimated_input_tokens, output_tokens=count_text(answer)), ESTIMATED


def broken_off_usage(model: Model, reported: Usage | None, streamed: str, estimated_input_tokens: int,
                     count_text: Callable[[str], int]) -> tuple[Usage, str]:
    """Return the usage of a stream that broke off after tokens (what the vendor likely bills), ESTIMATED.

    Input: the vendor's count if it reported a plausible one, else our estimate; output: at least
    the streamed text counted with the model's tokenizer (a report sent mid-stream may lag behind).
    """
    counted = count_text(streamed)
    if reported is not None and plausible(model, reported):
        return replace(reported, output_tokens=max(reported.output_tokens, counted)), ESTIMATED
    return Usage(input_tokens=estimated_input_tokens, output_tokens=counted), ESTIMATED
