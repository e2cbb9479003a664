"""GET /api/usage: what the ledger says was spent, grouped, as JSON or CSV."""
from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app.errors import APIError
from app.responses import json_response
from app.spend.identity import current_caller
from app.spend.money import usd
from app.spend.schemas import UsageQuerySchema
from app.spend.accuracy import accuracy
from app.spend.usage_db import COLUMNS, UsageRow, checked_calls, usage

log = logging.getLogger(__name__)
bp = Blueprint("spend", __name__, url_prefix="/api")
QUERY = UsageQuerySchema()


@bp.get("/usage")
def usage_report() -> Response:
    """Sum the caller's ledger rows (everyone's for USAGE_ADMIN_KEYS) between from and to."""
    spend = current_app.extensions["spend"]
    query = _load_query()
    start, end = query["start"] or _month_start(), query["end"] or _next_month()
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
        return Response(_csv(rows), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="usage.csv"'})
    return json_response({"success": True, "from": _iso(start), "to": _iso(end), "group_by": query["group_by"],
                          "principal": principal, "count": len(rows),
                          "data": [_json_row(row) for row in rows],
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


def _json_row(row: UsageRow) -> dict:
    return {name: float(row.cost) if name == "cost" else getattr(row, name) for name in COLUMNS}


def _csv(rows: list[UsageRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.key), *(usd(row.cost) if name == "cost" else getattr(row, name)
                                           for name in COLUMNS[1:])])
    return out.getvalue()


def _cell(key: str) -> str:
    # A principal name (a JWT subject) is the caller's text: a spreadsheet must not run it as a formula.
    return "'" + key if key[:1] in ("=", "+", "-", "@", "\t", "\r") else key


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _month_start() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def _next_month() -> datetime:
    start = _month_start()
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
