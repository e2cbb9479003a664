"""Output predictions and tokenizer factors from billed calls: pure aggregates, no database.

A prompt's length is its bucket of input tokens, powers of four from 256 (0-255, 256-1023,
1024-4095, ... 262144 and more: BUCKETS of them). For each model and bucket, the output tokens
the model billed (reasoning included) give the prediction: the median, and p25-p75 as its
range, by nearest rank (the value at position ceil(p * n / 100) of the sorted samples). With
fewer than ``min_samples`` samples there is no prediction, only the count.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

BUCKETS = 7
BUCKET_FLOOR = 256   # bucket 1 starts here; each later bucket is four times as wide


def bucket(tokens: int) -> int:
    """The length bucket of a prompt of this many input tokens (0 .. BUCKETS - 1)."""
    # bit_length 9-10 (256-1023) -> 1, 11-12 -> 2, ...; the ranking inlines the same expression.
    return 0 if tokens < BUCKET_FLOOR else min(BUCKETS - 1, (tokens.bit_length() - 7) >> 1)


def bucket_bounds(index: int) -> tuple[int, int | None]:
    """The input tokens a bucket holds: (first, last), last None for the open top bucket."""
    first = 0 if index == 0 else BUCKET_FLOOR << (2 * (index - 1))
    return first, (None if index == BUCKETS - 1 else (BUCKET_FLOOR << (2 * index)) - 1)


def nearest_rank(ordered: list[int], percent: int) -> int:
    """The percent-th percentile of sorted values by nearest rank."""
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


class Forecast(NamedTuple):
    """One model's outlook for one bucket: median/p25/p75 output tokens (None: too few samples)."""

    tokens: int | None
    low: int | None
    high: int | None
    samples: int


class Calibration(NamedTuple):
    factor: float
    samples: int      # billed calls the factor was measured on (0: the fixed factor)
    calibrated: bool  # enough samples: the measured factor is in force


@dataclass(frozen=True)
class Outlook:
    """One refresh of the aggregates: what a ranking and a send_prompt read, never the database."""

    forecasts: Mapping[str, tuple[Forecast, ...]] = field(default_factory=dict)   # model id -> per bucket
    calibrations: Mapping[str, Calibration] = field(default_factory=dict)          # tokenizer family -> factor
    min_samples: int = 10

    def forecast(self, model_id: str, input_tokens: int) -> Forecast | None:
        """The forecast for a prompt of input_tokens on a model (None: no billed call of that length)."""
        per_bucket = self.forecasts.get(model_id)
        return per_bucket[bucket(input_tokens)] if per_bucket else None


EMPTY = Outlook()
NO_SAMPLES = Forecast(None, None, None, 0)


def build_forecasts(calls: Iterable[tuple[str, int, int]], min_samples: int,
                    max_samples: int = 1000) -> dict[str, tuple[Forecast, ...]]:
    """Aggregate (model id, billed input, billed output) calls, newest first, keeping the latest
    max_samples per model and bucket."""
    samples: dict[str, list[list[int]]] = defaultdict(lambda: [[] for _ in range(BUCKETS)])
    for model_id, input_tokens, output_tokens in calls:
        kept = samples[model_id][bucket(input_tokens)]
        if len(kept) < max_samples:
            kept.append(output_tokens)
    return {model_id: tuple(_forecast(outputs, min_samples) for outputs in buckets)
            for model_id, buckets in samples.items()}


def _forecast(outputs: list[int], min_samples: int) -> Forecast:
    if not outputs:
        return NO_SAMPLES
    if len(outputs) < min_samples:
        return Forecast(None, None, None, len(outputs))
    ordered = sorted(outputs)
    return Forecast(nearest_rank(ordered, 50), nearest_rank(ordered, 25), nearest_rank(ordered, 75), len(ordered))


# A measured factor outside these bounds says the vendor's counts are broken, not its tokenizer.
FACTOR_BOUNDS = (0.5, 2.0)


def calibrate(calls: Iterable[tuple[str, int, int]], fixed: Mapping[str, float], min_samples: int,
              default: float = 1.0) -> dict[str, Calibration]:
    """Measure each family's factor from (family, o200k count, billed input) calls: billed / o200k
    summed over its calls, once it has min_samples of them; the fixed factor until then."""
    base: dict[str, int] = defaultdict(int)
    billed: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    for family, base_tokens, input_tokens in calls:
        if base_tokens > 0:
            base[family] += base_tokens
            billed[family] += input_tokens
            counted[family] += 1
    result = {}
    for family in {*fixed, *counted}:
        samples = counted.get(family, 0)
        if samples >= min_samples:
            low, high = FACTOR_BOUNDS
            result[family] = Calibration(round(min(high, max(low, billed[family] / base[family])), 4), samples, True)
        else:
            result[family] = Calibration(fixed.get(family, default), samples, False)
    return result
