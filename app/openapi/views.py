"""GET /api/openapi.json and GET /api/docs (Swagger UI from the flask-swagger-ui package's files)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import Blueprint, Flask, Response, current_app, url_for

from app.openapi.spec import build_spec
from app.page_headers import add_page_headers
from app.responses import dumps, json_response

bp = Blueprint("docs", __name__, url_prefix="/api", static_folder="static", static_url_path="/docs/static")
bp.after_request(add_page_headers)
# Swagger UI's own files, as the pinned package ships them: nothing is copied into this repository
# and the browser fetches nothing from another origin.
SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
swagger_ui = Blueprint("swagger_ui", __name__, static_folder=SWAGGER_UI_DIST, static_url_path="/api/docs/ui")
swagger_ui.after_request(add_page_headers)

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Price Runner API</title>
<link rel="stylesheet" href="{ui}/swagger-ui.css"><link rel="stylesheet" href="{static}/docs.css">
<link rel="icon" type="image/png" href="{ui}/favicon-32x32.png"></head>
<body><header class="docs-bar"><a href="{page}">Price Runner: the page</a>
<form id="docs-auth" autocomplete="off"><label for="docs-key">API key or token</label>
<input id="docs-key" type="password" spellcheck="false" autocomplete="off"><button type="submit">Use key</button></form></header>
<div id="ui"><noscript>The API is described at <a href="openapi.json">/api/openapi.json</a>.</noscript></div>
<script src="{ui}/swagger-ui-bundle.js"></script><script src="{static}/docs.js"></script></body></html>"""


def register_docs(app: Flask) -> None:
    """Register the document's and the docs page's routes."""
    app.register_blueprint(bp)
    app.register_blueprint(swagger_ui)


def publish(app: Flask, extra_paths: dict[str, Any] | None = None, auth_mode: str = "none",
            open_paths: set[str] = frozenset()) -> None:
    """Build the document once, at start-up."""
    app.extensions["openapi"] = dumps(build_spec("1.0.0", extra_paths, auth_mode, open_paths))


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Return the OpenAPI 3.1 document."""
    return json_response(current_app.extensions["openapi"])


@bp.get("/docs")
def docs() -> Response:
    """Return the human-readable docs page."""
    page = DOCS_PAGE.format(ui=url_for("swagger_ui.static", filename="").rstrip("/"),
                            static=url_for("docs.static", filename="").rstrip("/"), page=url_for("web.index"))
    return Response(page, mimetype="text/html")
