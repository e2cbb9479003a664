"""Migration 0003: the ledger's forecast columns come and go, keeping the rows, on SQLite and PostgreSQL."""
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from app.store.engine import writer
from app.store.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.store.conftest import _fresh_schema, database_url, engine, postgres_url  # noqa: F401  (fixtures)

COLUMNS = {"base_input_tokens", "predicted_output_tokens", "predicted_output_low", "predicted_output_high"}


def _migrate(engine, revision, down=False):
    with writer(engine).begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def _columns(engine):
    return {column["name"] for column in inspect(engine).get_columns("ledger")}


def test_0003_adds_the_columns_and_its_downgrade_keeps_the_rows(engine):  # noqa: F811
    # 0004 (evals) came later: at head the columns are there, and going below 0003 removes them.
    assert current_revision(engine) == head_revision() and COLUMNS <= _columns(engine)
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO ledger (created_at, request_id, principal, model_id, provider, outcome, "
                          "input_tokens, output_tokens, base_input_tokens, predicted_output_low) "
                          "VALUES (:at, 'r', 'p', 'openai/x', 'openai', 'ok', 10, 20, 9, 15)"),
                     {"at": datetime.now(UTC).replace(tzinfo=None)})
    _migrate(engine, "0002", down=True)
    assert not COLUMNS & _columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT input_tokens, output_tokens FROM ledger")).all() == [(10, 20)]
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT output_tokens, base_input_tokens FROM ledger")).all() == [(20, None)]
