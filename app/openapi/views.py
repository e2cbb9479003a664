"""GET /api/openapi.json and GET /api/docs."""
from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.openapi.spec import build_spec
from app.responses import dumps, json_response

bp = Blueprint("docs", __name__, url_prefix="/api")

# Swagger UI from a CDN: the browser loads it, the service serves only this page.
DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Price Runner API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"><noscript>The API is described at <a href="openapi.json">/api/openapi.json</a>.</noscript></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "openapi.json", dom_id: "#ui"});</script></body></html>"""


def init_docs(app, extra_paths=None) -> None:
    """Build the document once at start-up and register the blueprint."""
    app.extensions["openapi"] = dumps(build_spec("1.0.0", extra_paths))
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """Return the OpenAPI 3.1 document."""
    return json_response(current_app.extensions["openapi"])


@bp.get("/docs")
def docs() -> Response:
    """Return the human-readable docs page."""
    return Response(DOCS_PAGE, mimetype="text/html")
