"""The OpenAI-compatible gateway: /v1/chat/completions and /v1/models over the same router."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.errors import register_format
from app.gateway.errors import openai_error
from app.gateway.service import Gateway
from app.openapi import PATHS_EXTENSION

PREFIX = "/v1"


def _eval_scores(app: Flask):
    """The caller's eval scores (app/evals, wired after this package), looked up when a request names one."""
    def scores(caller: str, name: str):
        evals = app.extensions.get("evals")
        return None if evals is None else evals.scores(caller, name)
    return scores


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Every error under /v1 in OpenAI's format; the gateway over routing's router; the blueprint."""
    from app.gateway.openapi import PATHS
    from app.gateway.views import bp

    register_format(app, PREFIX, openai_error)
    app.extensions.setdefault(PATHS_EXTENSION, {}).update(PATHS)
    extensions = app.extensions
    app.extensions["gateway"] = Gateway(extensions["routing"], extensions["tokens"], extensions["catalog"],
                                        extensions["pricing"].configured, settings["PROVIDER_TIMEOUT"],
                                        settings["SEND_PROMPT_MAX_MODELS"], eval_scores=_eval_scores(app))
    app.register_blueprint(bp)
