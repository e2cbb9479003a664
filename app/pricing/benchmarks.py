"""Which scores a ranking request means: a published benchmark key, or ``eval:<name>``; pure, no Flask.

Published scores are each catalog model's ``quality`` mapping (quality.csv); an eval's are the
caller's latest graded result per model, looked up only when a request names one. Without a named
benchmark, views use the default: the percent-scale benchmark that scores the most catalog rows.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from app.catalog.model import Model
from app.catalog.quality import SCALES

EVAL_PREFIX = "eval:"
PERCENT = "percent"


class BenchmarkError(ValueError):
    """A benchmark the request cannot use; ``field`` is the request field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's scores by model id, and its scale."""

    key: str
    scale: str
    scores: Mapping[str, float]


def default_benchmark(models: Iterable[Model]) -> str | None:
    """The percent-scale benchmark that scores the most catalog rows (ties: the first key), or None.

    Percent only: value divides the score by the cost, which an Elo rating cannot take.
    """
    rows = Counter(key for model in models for key, score in model.quality.items() if score.scale == PERCENT)
    return min(rows, key=lambda key: (-rows[key], key)) if rows else None


def published_scores(models: Iterable[Model], key: str | None) -> dict[str, float]:
    """Each model's published score on key, by model id (models without one are absent)."""
    if key is None:
        return {}
    return {model.id: model.quality[key].score for model in models if key in model.quality}


def resolve(key: str, models: Iterable[Model], eval_scores: Callable[[str], Mapping[str, float] | None],
            field: str) -> Benchmark:
    """The scores ``key`` names, or BenchmarkError (unknown key, eval never run)."""
    if key.startswith(EVAL_PREFIX):
        name = key[len(EVAL_PREFIX):]
        scores = eval_scores(name) if name else None
        if scores is None:
            raise BenchmarkError(field, f"Unknown benchmark {key!r}: you have run no eval named {name!r} "
                                        "(POST /api/evals).")
        return Benchmark(key, PERCENT, scores)
    scores, scales = {}, set()
    for model in models:
        published = model.quality.get(key)
        if published is not None:
            scores[model.id] = published.score
            scales.add(published.scale)
    if not scores:
        known = sorted({name for model in models for name in model.quality})
        raise BenchmarkError(field, f"Unknown benchmark {key!r}; published ones: {', '.join(known)}, "
                                    "or eval:<name> for one of your evals.")
    return Benchmark(key, scales.pop() if len(scales) == 1 else "mixed", scores)


def check_value(benchmark: Benchmark, field: str) -> None:
    """Score per dollar needs a percent-scale benchmark (an Elo rating per dollar means nothing)."""
    if benchmark.scale != PERCENT:
        raise BenchmarkError(field, f"sort value divides a percent score by the cost; {benchmark.key!r} is on the "
                                    f"{benchmark.scale} scale. Name a percent-scale benchmark.")


def check_minimum(benchmark: Benchmark, score: float, field: str) -> None:
    """A minimum must lie on its benchmark's scale."""
    low, high = SCALES.get(benchmark.scale, (float("-inf"), float("inf")))
    if not low <= score <= high:
        raise BenchmarkError(field, f"{benchmark.key!r} is on the {benchmark.scale} scale: the score must be "
                                    f"between {low:g} and {high:g}.")
