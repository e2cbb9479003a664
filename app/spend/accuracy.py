"""How good our estimates were, per model: input counts against the bills, output predictions
against the billed outputs. Pure: rows in, figures out."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from app.forecast.outlook import nearest_rank


class Checked(NamedTuple):
    """One billed call: the model, our input estimate and the bill's, the prediction and the billed output."""

    model_id: str
    estimated_input_tokens: int | None
    input_tokens: int
    output_tokens: int
    predicted_low: int | None
    predicted_high: int | None


@dataclass(frozen=True)
class Accuracy:
    model: str
    billed_calls: int
    input_error_mean: float | None   # signed: (estimated - billed) / billed, averaged
    input_error_p90: float | None    # of the absolute relative errors, nearest rank
    predicted_calls: int
    output_in_range: int
    output_in_range_rate: float | None

    def to_dict(self) -> dict:
        return {"model": self.model, "billed_calls": self.billed_calls, "input_error_mean": self.input_error_mean,
                "input_error_p90": self.input_error_p90, "predicted_calls": self.predicted_calls,
                "output_in_range": self.output_in_range, "output_in_range_rate": self.output_in_range_rate}


def accuracy(calls: Iterable[Checked]) -> list[Accuracy]:
    """Per model, in id order: input estimate error and the share of outputs inside the predicted range.

    The range is compared in tokens; at the call's output price that is the same as comparing the
    billed output cost with the output_cost_range the ranking showed.
    """
    errors: dict[str, list[float]] = defaultdict(list)
    billed: dict[str, int] = defaultdict(int)
    predicted: dict[str, int] = defaultdict(int)
    inside: dict[str, int] = defaultdict(int)
    for call in calls:
        billed[call.model_id] += 1
        if call.estimated_input_tokens is not None and call.input_tokens > 0:
            errors[call.model_id].append((call.estimated_input_tokens - call.input_tokens) / call.input_tokens)
        if call.predicted_low is not None and call.predicted_high is not None:
            predicted[call.model_id] += 1
            inside[call.model_id] += call.predicted_low <= call.output_tokens <= call.predicted_high
    return [_figures(model, billed[model], errors[model], predicted[model], inside[model]) for model in sorted(billed)]


def _figures(model: str, calls: int, errors: list[float], predicted: int, inside: int) -> Accuracy:
    mean = sum(errors) / len(errors) if errors else None
    p90 = nearest_rank(sorted(abs(error) for error in errors), 90) if errors else None
    return Accuracy(model, calls, mean, p90, predicted, inside, inside / predicted if predicted else None)
