"""`price-runner`: serve, db, catalog, keys and usage commands (pyproject's console script).

Commands other than ``serve`` run in a small app holding only the database and the ledger
(``create_command_app``): they never load the catalog or the token encodings, so they print
nothing about either. Bad arguments are one line on stderr and exit 2; a command that fails
says why in one line and exits 1.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from app.cli.serve import serve_command

PROG = "price-runner"


def create_command_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app the commands run in: settings, the database, the ledger."""
    from app import spend, store
    from app.config import build_config

    settings = build_config(config)
    app = Flask("app")
    app.config.update(settings)
    _log_to_stderr(settings["LOG_LEVEL"])
    store.init_app(app, settings)
    spend.init_app(app, settings)
    return app


class _StderrHandler(logging.StreamHandler):
    """Write to whatever sys.stderr is at write time (a command run in-process, as tests do, must not
    keep a stream that is closed after it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:   # StreamHandler assigns it; the property always wins
        pass


def _log_to_stderr(level: str) -> None:
    # Plain lines on stderr, so that a report on stdout (csv, json) stays clean for a pipe.
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))   # db upgrade says it in one line


def build_cli() -> click.Group:
    """The command tree; each package contributes its own group."""
    from app.spend.cli import usage_cli
    from app.store.cli import catalog_cli, db_cli, keys_cli

    group = click.Group(PROG, help="Price Runner: compare and call large language models by price.",
                        context_settings={"help_option_names": ["-h", "--help"]})
    for command in (serve_command, db_cli, catalog_cli, keys_cli, usage_cli):
        group.add_command(command)
    return group


def main(argv: Sequence[str] | None = None, config: Mapping[str, Any] | None = None) -> int:
    """Run one command; return its exit status (0, 1 when it failed, 2 for bad arguments)."""
    from app import STARTUP_ERRORS

    info = ScriptInfo(create_app=lambda: create_command_app(config), set_debug_flag=False,
                      load_dotenv_defaults=False)
    try:
        build_cli().main(args=list(sys.argv[1:] if argv is None else argv), prog_name=PROG, obj=info,
                         standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:   # a bare `price-runner`: the help, as asked
        click.echo(exc.format_message(), err=True)
        return 2
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else PROG
        click.echo(f"{where}: {_one_line(exc.format_message())}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"{PROG}: {_one_line(exc.format_message())}", err=True)
        return 1
    except STARTUP_ERRORS as exc:
        click.echo(f"{PROG}: {_one_line(str(exc))}", err=True)
        return 1
    except SQLAlchemyError as exc:   # the driver's reason, never the statement or the URL
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
        hint = f"; is it migrated? ({PROG} db upgrade)" if "table" in reason or "relation" in reason else ""
        click.echo(f"{PROG}: the database failed: {reason}{hint}", err=True)
        return 1
    except click.Abort:
        click.echo(f"{PROG}: aborted", err=True)
        return 1
    return 0


def _one_line(message: str) -> str:
    return " ".join(message.split())
