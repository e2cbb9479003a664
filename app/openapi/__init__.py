"""OpenAPI: the published contract and its docs page."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask

PATHS_EXTENSION = "openapi.paths"   # app.extensions key: paths other packages add to the document


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Build the document once, with the paths other packages registered and the auth in force; serve it."""
    from app.openapi.views import publish, register_docs

    register_docs(app)   # first: the open paths below include the docs page's
    publish(app, app.extensions.get(PATHS_EXTENSION, {}), settings["AUTH_MODE"], _open_paths(app))


def _open_paths(app: Flask) -> set[str]:
    """Paths the authentication gate lets through without credentials (none when auth is off)."""
    from app.security.gate import EXTENSION

    gate = app.extensions.get(EXTENSION)
    if gate is None:
        return set()
    return {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
            if not gate.protects(rule.endpoint, "GET")}
