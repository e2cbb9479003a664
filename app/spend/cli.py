"""`flask usage purge --before DATE`."""
from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.spend.ledger_db import purge

usage_cli = AppGroup("usage", help="The ledger of send_prompt calls.")


@usage_cli.command("purge")
@click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="delete ledger rows from before this UTC date (YYYY-MM-DD)")
def purge_command(before: datetime) -> None:
    """Delete ledger rows older than DATE, with the budget periods that ended before it."""
    engine = current_app.extensions["spend"].accountant.engine
    done = purge(engine, before.replace(tzinfo=UTC), datetime.now(UTC))
    click.echo(f"deleted {done.ledger} ledger rows before {before.date().isoformat()}, {done.periods} budget "
               f"periods, {done.idempotency_keys} idempotency keys past 24 hours, {done.reservations} expired holds")
