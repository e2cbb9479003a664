"""Which token counts an item shows: the vendor's when plausible, else our own estimate."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from app.catalog import Model
from app.providers.base import Usage

log = logging.getLogger(__name__)
BILLED = "billed"          # the vendor's reported usage, at catalog prices
ESTIMATED = "estimated"    # our counts of the prompt and the answer text, at catalog prices


def plausible(model: Model, usage: Usage, max_tokens: int, choices: int = 1) -> bool:
    """Tell whether reported usage could be real: no count beyond what the model can take and write
    (``choices`` answers of at most its max_output_tokens each), no more output than the request's
    effective max_tokens allowed for each choice, no more cached input than input."""
    ceiling = model.context_window + model.max_output_tokens * choices
    counts = (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens)
    return (all(0 <= count <= ceiling for count in counts) and usage.input_tokens + usage.output_tokens <= ceiling
            and usage.output_tokens <= max_tokens * choices and usage.cached_tokens <= usage.input_tokens)


def settled_usage(model: Model, reported: Usage | None, answer: str, estimated_input_tokens: int,
                  count_text: Callable[[str], int], max_tokens: int, choices: int = 1) -> tuple[Usage, str]:
    """Return the usage to show and price, and its basis (BILLED or ESTIMATED); ``answer`` holds every
    choice's text (n > 1: the vendor bills them all).

    An estimate counts the answer's text, at most max_tokens per choice (what the vendor could
    bill), so that a settled cost never passes the hold made for it (app/spend).
    """
    if reported is not None and plausible(model, reported, max_tokens, choices):
        return reported, BILLED
    if reported is not None:   # the vendor's bill cannot be checked against this: say so
        log.warning("implausible usage from %s, estimated instead: %d in (%d cached), %d out for max_tokens %d",
                    model.id, reported.input_tokens, reported.cached_tokens, reported.output_tokens, max_tokens)
    # Missing or implausible: estimate rather than show a silent 0 or the vendor's nonsense.
    counted = min(count_text(answer), max_tokens * choices)
    return Usage(input_tokens=estimated_input_tokens, output_tokens=counted), ESTIMATED


def broken_off_usage(model: Model, reported: Usage | None, streamed: str, estimated_input_tokens: int,
                     count_text: Callable[[str], int], max_tokens: int, choices: int = 1) -> tuple[Usage, str]:
    """Return the usage of a stream that broke off after tokens (what the vendor likely bills), ESTIMATED.

    Input: the vendor's count if it reported a plausible one, else our estimate; output: at least
    the streamed text counted with the model's tokenizer (a report sent mid-stream may lag behind),
    at most max_tokens per choice.
    """
    counted = min(count_text(streamed), max_tokens * choices)
    if reported is not None and plausible(model, reported, max_tokens, choices):
        return replace(reported, output_tokens=max(reported.output_tokens, counted)), ESTIMATED
    return Usage(input_tokens=estimated_input_tokens, output_tokens=counted), ESTIMATED
