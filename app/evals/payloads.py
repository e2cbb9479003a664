"""The evals' JSON: runs, per-model results and per-prompt outcomes, as the API shows them."""
from __future__ import annotations

from typing import Any

from app.catalog import CatalogRepository
from app.evals.runner import Outcome, Result
from app.evals.store import Latest, Stored
from app.pricing.ranking import iso_moment
from app.vendors import VENDORS


def result(catalog: CatalogRepository, entry: Result) -> dict[str, Any]:
    """One model's score in a run (model_name and provider are null once the catalog drops it)."""
    model = catalog.get(entry.model_id)
    return {"id": entry.model_id, "model_name": model.model_name if model else None,
            "provider": VENDORS[model.provider].name if model else None, "score": entry.score,
            "passed": entry.passed, "graded": entry.graded, "errors": entry.errors, "cost": float(entry.cost),
            "latency_ms": entry.latency_ms}


def latest(catalog: CatalogRepository, entry: Latest) -> dict[str, Any]:
    """A model's current score for the name: its result, with the run it came from."""
    return {**result(catalog, entry.result), "run_id": entry.run_id, "ran_at": iso_moment(entry.ran_at)}


def run(catalog: CatalogRepository, stored: Stored) -> dict[str, Any]:
    """A run and its per-model results."""
    return {"id": stored.id, "name": stored.name, "ran_at": iso_moment(stored.created_at),
            "prompts": stored.prompts, "complete": stored.complete, "set_hash": stored.set_hash,
            "total_cost": float(sum((r.cost for r in stored.results), 0)),
            "results": [result(catalog, entry) for entry in stored.results]}


def outcome(entry: Outcome | Any, with_response: bool) -> dict[str, Any]:
    """One prompt on one model (an Outcome, or its stored row); the answer only as it is sent back."""
    return {"position": entry.position, "prompt_id": entry.prompt_id, "model_id": entry.model_id,
            "passed": entry.passed, "problem": entry.problem, "cost": float(entry.cost),
            "latency_ms": entry.latency_ms, "response": entry.response if with_response else None}
