"""The page at GET /: the catalog, what a prompt costs, answers side by side, cost vs quality, spend."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.openapi import PATHS_EXTENSION


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Register the page and its static assets; document / in the OpenAPI document."""
    from app.web.views import OPENAPI_PATHS, bp

    app.register_blueprint(bp)
    app.extensions.setdefault(PATHS_EXTENSION, {}).update(OPENAPI_PATHS)
