"""Evals: your own graded prompts run on chosen models through send_prompt's router; the scores
are stored per model and usable in the ranking as the benchmark ``eval:<name>``."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from marshmallow import Schema
from sqlalchemy import Engine

from app.evals.runner import EvalRunner


@dataclass(frozen=True)
class Limits:
    """What one POST /api/evals may ask for."""

    max_prompts: int   # EVAL_MAX_PROMPTS
    max_calls: int     # EVAL_MAX_CALLS: prompts x models
    max_models: int    # SEND_PROMPT_MAX_MODELS


@dataclass(frozen=True)
class Evals:
    """What app.extensions["evals"] holds."""

    runner: EvalRunner
    engine: Engine
    limits: Limits
    request: Schema   # the POST body, its prompts bounded by EVAL_MAX_PROMPTS before they are checked

    def scores(self, principal: str, name: str) -> dict[str, float] | None:
        """The principal's latest graded score per model for name (percent); None if never run.

        SQLAlchemyError is the 503 APIError here: the ranking calls this inside its view.
        """
        from app.evals import store
        from app.evals.views import database

        with database():
            latest = store.latest(self.engine, principal, name)
        return None if latest is None else {model_id: entry.result.score for model_id, entry in latest.items()}


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Build the runner over the router (app/routing) and the store's engine; register the blueprint."""
    from app.evals.schemas import eval_request
    from app.evals.views import bp

    runner = EvalRunner(app.extensions["routing"], settings["EVAL_CONCURRENCY"], settings["PROVIDER_TIMEOUT"],
                        settings["PROVIDER_POOL_SIZE"], settings["EVAL_GRADE_TIMEOUT_S"],
                        settings["EVAL_GRADE_BUDGET_S"])
    limits = Limits(settings["EVAL_MAX_PROMPTS"], settings["EVAL_MAX_CALLS"], settings["SEND_PROMPT_MAX_MODELS"])
    app.extensions["evals"] = Evals(runner, app.extensions["store"].engine, limits,
                                    eval_request(settings["EVAL_MAX_PROMPTS"]))
    app.register_blueprint(bp)
