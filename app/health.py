"""Liveness for ops: fast, no I/O."""
from flask import Blueprint, Response

bp = Blueprint("health", __name__)
_OK = b'{"status":"ok"}'


@bp.get("/health")
def health() -> Response:
    """Say the process is alive."""
    return Response(_OK, mimetype="application/json")
