"""`price-runner usage report` and `usage purge` (also `flask --app wsgi usage ...`)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.openapi.schemas import USAGE_GROUPS
from app.spend.ledger_db import purge
from app.spend.schemas import UtcMoment
from app.spend.usage_db import COLUMNS, usage
from app.spend.usage_report import as_csv, as_dict, as_table, iso, month_start, next_month, totals
from app.store import deadlines

usage_cli = AppGroup("usage", help="The ledger of calls: reports and clean-up.")


def _engine():
    engine = current_app.extensions["spend"].accountant.engine
    deadlines.disable(engine)   # a report or purge over a large ledger may take longer than a request's calls
    return engine


class Moment(click.ParamType):
    """An ISO-8601 date (00:00 UTC) or date-time (UTC unless it names an offset), as /api/usage reads it."""

    name = "DATE"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return UtcMoment().deserialize(value)
        except Exception:   # marshmallow's ValidationError, worded for click
            self.fail(f"{value!r} is not an ISO-8601 date or date-time, e.g. 2026-12-01 or 2026-12-01T12:00:00Z",
                      param, ctx)


@usage_cli.command("report")
@click.option("--from", "start", type=Moment(), help="inclusive (default: the first day of this UTC month)")
@click.option("--to", "end", type=Moment(), help="exclusive (default: the first day of next UTC month)")
@click.option("--group-by", type=click.Choice(USAGE_GROUPS), default="day", show_default=True)
@click.option("--format", "form", type=click.Choice(("table", "csv", "json")), default="table", show_default=True)
@click.option("--principal", help="only this principal's calls (default: everyone's)")
def report_command(start: datetime | None, end: datetime | None, group_by: str, form: str,
                   principal: str | None) -> None:
    """Print calls, tokens and exact cost from the ledger, per model, provider, principal or day."""
    start, end = start or month_start(), end or next_month()
    if end <= start:
        raise click.BadParameter("must be after --from", param_hint="'--to'")
    try:
        rows = usage(_engine(), start, end, group_by, principal)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot read the ledger ({type(exc).__name__}); "
                                   f"is the database migrated? (price-runner db upgrade)") from None
    if form == "csv":
        click.echo(as_csv(rows), nl=False)
    elif form == "json":
        total = dict(zip(COLUMNS[1:], totals(rows)))
        click.echo(json.dumps({"from": iso(start), "to": iso(end), "group_by": group_by, "principal": principal,
                               "count": len(rows), "data": [as_dict(row, exact=True) for row in rows],
                               "total": total}, indent=2))
    else:
        click.echo(f"usage from {iso(start)} to {iso(end)} by {group_by}"
                   + (f" for {principal}" if principal else "") + " (cost in USD)")
        click.echo(as_table(rows), nl=False)


@usage_cli.command("purge")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="delete ledger rows from before this UTC date (YYYY-MM-DD)")
def purge_command(before: datetime) -> None:
    """Delete ledger rows older than DATE, with the budget periods that ended before it."""
    engine = _engine()
    done = purge(engine, before.replace(tzinfo=UTC), datetime.now(UTC))
    click.echo(f"deleted {done.ledger} ledger rows before {before.date().isoformat()}, {done.periods} budget "
               f"periods, {done.idempotency_keys} idempotency keys past 24 hours, {done.reservations} expired holds")
