"""Count a prompt's tokens for every tokenizer the catalog names, encoding it as few times as possible."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import tiktoken

from app.tokens.encodings import SPECS, cache_dir_from, load_available
from app.tokens.families import FAMILY_FACTORS, HEURISTIC, UNKNOWN_FAMILY_FACTOR, heuristic_count, scale

logger = logging.getLogger("app.tokens")
BASE_ENCODING = "o200k_base"   # every family estimate derives from this one count


@dataclass(frozen=True, slots=True)
class TokenCount:
    count: int
    tokenizer: str   # what produced the count: an encoding name, a family name, or "heuristic"
    exact: bool


class TokenCounter:
    """Exact counts where an encoding is loaded, labelled estimates everywhere else."""

    def __init__(self, encodings: Mapping[str, tiktoken.Encoding]):
        self._encodings = dict(encodings)
        self.encodings: frozenset[str] = frozenset(self._encodings)
        self._factors: dict[str, float] = dict(FAMILY_FACTORS)   # swapped whole by calibrate()

    def calibrate(self, factors: Mapping[str, float]) -> None:
        """Use these families' factors (measured from bills, app/forecast) over the fixed ones."""
        self._factors = {**FAMILY_FACTORS, **factors}

    def factor(self, family: str) -> float:
        """The factor over o200k in force for a tokenizer family."""
        return self._factors.get(family, UNKNOWN_FAMILY_FACTOR)

    @classmethod
    def load(cls, cache_dir: str | os.PathLike | None = None) -> TokenCounter:
        """Load the encodings from the tiktoken cache once; fall back to estimates if any is missing."""
        loaded, missing = load_available(cache_dir_from(cache_dir))
        if missing:
            # Logged here, once per load, rather than on every request that gets an estimate.
            reasons = dict.fromkeys(missing[name] for name in sorted(missing))   # each reason once
            logger.warning("token counts will be estimates for %s: %s", ", ".join(sorted(missing)), "; ".join(reasons))
        return cls(loaded)

    @property
    def exact_available(self) -> bool:
        """Tell whether every known encoding is loaded, so o200k/cl100k counts are exact."""
        return self.encodings >= SPECS.keys()

    def count(self, text: str, tokenizers: Iterable[str], system: str = "") -> dict[str, TokenCount]:
        """Count text (plus an optional system prompt) once per distinct encoding; map each tokenizer to its count."""
        return self.count_texts((text, system) if system else (text,), tokenizers)

    def count_texts(self, parts: Sequence[str], tokenizers: Iterable[str]) -> dict[str, TokenCount]:
        """Count several texts (a conversation's parts) once per distinct encoding, added up."""
        # Each part is encoded separately and added: vendors bill each message on its own, and
        # concatenating could merge tokens across the seam. Per-message framing tokens are
        # vendor-specific and not included.
        parts = tuple(parts) or ("",)
        exact: dict[str, int] = {}
        base: list[TokenCount] = []   # the o200k count (or its heuristic stand-in), computed lazily

        def encoded(name: str) -> int:
            if name not in exact:
                encode = self._encodings[name].encode_ordinary   # special-token text counts as text
                exact[name] = sum(len(encode(part)) for part in parts)
            return exact[name]

        def base_count() -> TokenCount:
            if not base:
                base.append(TokenCount(encoded(BASE_ENCODING), BASE_ENCODING, True)
                            if BASE_ENCODING in self._encodings
                            else TokenCount(sum(heuristic_count(part) for part in parts), HEURISTIC, False))
            return base[0]

        counts = {}
        for name in tokenizers:
            if name in counts:
                continue
            if name in self._encodings:
                counts[name] = TokenCount(encoded(name), name, True)
            elif name in SPECS:
                # A known encoding whose file is missing: the o200k count is the nearest estimate.
                counts[name] = TokenCount(base_count().count, base_count().tokenizer, False)
            else:
                counts[name] = self._family(name, base_count())
        return counts

    def _family(self, family: str, base: TokenCount) -> TokenCount:
        label = family if base.exact else HEURISTIC
        return TokenCount(scale(base.count, self._factors.get(family, UNKNOWN_FAMILY_FACTOR)), label, False)
