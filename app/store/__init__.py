"""The database: engine, migrations, the catalog's price history, API keys and the ledger table."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.config import ConfigError
from app.store.catalog_files import history_path
from app.store.engine import default_url, make_engine

BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Store:
    """What the store needs at run time: the engine and where the reviewed catalog files are."""

    engine: Engine
    models_csv: Path
    history_csv: Path

    def history_for(self, models_csv: str | None) -> Path:
        """price_history.csv for a models.csv given on the command line, else the configured one."""
        return history_path(models_csv) if models_csv else self.history_csv


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Create the engine (no connection yet) into app.extensions["store"]; add the CLI commands."""
    from app.store.cli import catalog_cli, db_cli, keys_cli

    url = settings["DATABASE_URL"] or default_url(app.instance_path)
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise ConfigError("DATABASE_URL must be a database URL such as sqlite:///path/to.db "
                          "or postgresql+psycopg://user@host/name") from None
    if backend not in BACKENDS:
        raise ConfigError(f"DATABASE_URL must use sqlite or postgresql, got {backend!r}")
    models_csv = Path(settings["MODELS_CSV"])
    app.extensions["store"] = Store(make_engine(url, settings["DATABASE_TIMEOUT_S"]), models_csv,
                                    Path(settings["PRICE_HISTORY_CSV"] or history_path(models_csv)))
    for group in (db_cli, catalog_cli, keys_cli):
        app.cli.add_command(group)
