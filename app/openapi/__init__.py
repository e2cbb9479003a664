"""OpenAPI: the published contract and its docs page."""
from __future__ import annotations

from flask import Flask

PATHS_EXTENSION = "openapi.paths"   # app.extensions key: paths other packages add to the document


def init_app(app: Flask) -> None:
    """Build the document once, with the paths other packages registered, and serve it."""
    from app.openapi.views import init_docs

    init_docs(app, app.extensions.get(PATHS_EXTENSION, {}))
