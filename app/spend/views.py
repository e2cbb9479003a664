"""GET /api/usage: what the ledger says was spent, grouped, as JSON or CSV."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.errors import APIError
from app.responses import json_response
from app.spend.identity import current_caller
from app.spend.schemas import UsageQuerySchema
from app.spend.accuracy import accuracy
from app.spend.usage_db import checked_calls, usage
from app.spend.usage_report import as_csv, as_dict, iso, month_start, next_month

log = logging.getLogger(__name__)
bp = Blueprint("spend", __name__, url_prefix="/api")
QUERY = UsageQuerySchema()


@bp.get("/usage")
def usage_report() -> Response:
    """Sum the caller's ledger rows (everyone's for USAGE_ADMIN_KEYS) between from and to."""
    spend = current_app.extensions["spend"]
    query = _load_query()
    start, end = query["start"] or month_start(), query["end"] or next_month()
    if end <= start:
        raise APIError(400, "Invalid request: to.", fields={"to": ["must be after from"]})
    caller = current_caller()
    principal = None if caller in spend.admins else caller
    json = query["format"] == "json"
    try:
        rows = usage(spend.accountant.engine, start, end, query["group_by"], principal)
        checked = checked_calls(spend.accountant.engine, start, end, principal) if json else []
    except SQLAlchemyError as exc:
        log.error("usage query failed: %s", type(exc).__name__)
        raise APIError(503, "The usage database is unavailable; retry shortly.",
                       headers={"Retry-After": "5"}) from None
    if not json:
        return Response(as_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="usage.csv"'})
    return json_response({"success": True, "from": iso(start), "to": iso(end), "group_by": query["group_by"],
                          "principal": principal, "count": len(rows),
                          "data": [as_dict(row) for row in rows],
                          "estimates": [found.to_dict() for found in accuracy(checked)]})


def _load_query() -> dict:
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise APIError(400, f"Invalid request: {', '.join(repeated)}.",
                       fields={name: ["Give this parameter once."] for name in repeated})
    try:
        return QUERY.load(request.args.to_dict())
    except ValidationError as exc:
        raise APIError(400, f"Invalid request: {', '.join(sorted(exc.messages))}.", fields=exc.messages) from None
