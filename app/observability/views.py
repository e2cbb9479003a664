"""GET /metrics: every series in the Prometheus text format."""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST

from app.observability.metrics import render

bp = Blueprint("observability", __name__)
MULTIPROCESS_DIR = "price_runner.metrics_dir"   # app.extensions key: None in single-process mode
MASTER_PID = "price_runner.metrics_master"      # app.extensions key: the process that loaded the app

# /metrics in the OpenAPI document (when METRICS_ENABLED).
OPENAPI_PATHS = {"/metrics": {"get": {
    "summary": "Prometheus metrics, summed over the gunicorn workers", "tags": ["ops"],
    "responses": {"200": {"description": "Prometheus text format",
                          "content": {"text/plain": {"schema": {"type": "string"}}}},
                  "default": {"$ref": "#/components/responses/Error"}}}}}


@bp.get("/metrics")
def metrics() -> Response:
    """Export the metrics (summed over the gunicorn workers in multiprocess mode)."""
    return Response(render(current_app.extensions[MULTIPROCESS_DIR], current_app.extensions[MASTER_PID]),
                    mimetype=None,
                    content_type=CONTENT_TYPE_LATEST)
