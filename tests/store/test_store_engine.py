"""Engines, migrations and column types, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, inspect, select, text

from app.config import ConfigError
from app.store.engine import make_engine, reading, writer, writing
from app.store.migrate import alembic_config, current_revision, head_revision, upgrade
from app.store.schema import Base, CatalogState, LedgerEntry

REPO_MODELS = Path(__file__).resolve().parents[2] / "models.csv"
TABLES = {"providers", "models", "price_versions", "api_keys", "ledger", "catalog_state", "upstream_models"}


def test_upgrade_creates_the_tables_the_models_describe(engine):
    assert TABLES <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:   # the migration and schema.py agree, column by column
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    with reading(engine) as session:
        assert session.scalar(select(CatalogState.version)) == 0


def test_upgrade_twice_and_downgrade(engine):
    upgrade(engine)   # already at head: nothing to do
    with writer(engine).begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert TABLES <= set(inspect(engine).get_table_names())


def _entry(cost, created_at=None) -> LedgerEntry:
    return LedgerEntry(created_at=created_at or datetime.now(UTC), request_id="r", principal="p",
                       model_id="openai/gpt-6.1-sol", provider="openai", outcome="ok", cost=cost)


def test_money_is_exact_and_sums_exactly(engine):
    amounts = [D("0.000000000001"), D("0.1"), D("0.2"), D("999999.999999999999"), D("0.0000375")]
    with writing(engine) as session:
        session.add_all(_entry(amount) for amount in amounts)
    with reading(engine) as session:
        stored = list(session.scalars(select(LedgerEntry.cost).order_by(LedgerEntry.id)))
        total = session.scalar(select(func.sum(LedgerEntry.cost, type_=LedgerEntry.cost.type)))
    assert stored == amounts and all(isinstance(value, D) for value in stored)
    # The database adds: 0.1 + 0.2 is 0.3 exactly, as float addition would not give.
    assert total == sum(amounts)


@pytest.mark.parametrize("bad,error", [(D("0.0000000000001"), "more than 12 decimal places"),
                                       (D("1000000"), "too large"),
                                       (0.1, "must be a Decimal")])
def test_money_refuses_what_it_cannot_hold_exactly(engine, bad, error):
    with pytest.raises(Exception, match=error):
        with writing(engine) as session:
            session.add(_entry(bad))


def test_times_come_back_aware_in_utc(engine):
    moment = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    with writing(engine) as session:
        session.add(_entry(D("1"), moment))
    with reading(engine) as session:
        stored = session.scalar(select(LedgerEntry.created_at))
    assert stored == moment and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="timezone-aware"):
        with writing(engine) as session:
            session.add(_entry(D("1"), datetime(2026, 12, 1)))


def test_sqlite_pragmas_and_lazy_instance_folder(tmp_path):
    path = tmp_path / "instance" / "price-runner.db"
    engine = make_engine(f"sqlite:///{path}")
    assert not path.parent.exists()   # nothing touched until the first connection
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1   # NORMAL: WAL commits without fsync
    assert path.is_file()


def test_sqlite_writes_begin_immediate_and_reads_begin_deferred(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    seen = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *a: seen.append(statement))
    with writing(engine) as session:
        session.execute(text("SELECT 1"))
    with reading(engine) as session:
        session.execute(text("SELECT 1"))
    assert [s for s in seen if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]


def test_concurrent_read_then_write_transactions_never_fail_on_sqlite(tmp_path):
    """Deferred transactions that read then write fail with 'database is locked' whatever the timeout."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    errors = []

    def bump(times: int) -> None:
        for _ in range(times):
            try:
                with writing(engine) as session:
                    state = session.get(CatalogState, 1)
                    state.version = state.version + 1   # read, then write: a lost update if not serialised
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(exc))

    threads = [threading.Thread(target=bump, args=(40,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with reading(engine) as session:
        assert session.get(CatalogState, 1).version == 160


def test_forked_worker_does_not_reuse_the_parents_connections(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert engine.pool.checkedin() == 1   # the preloaded master holds a pooled connection
    pid = os.fork()
    if pid == 0:   # the worker: its pool must start empty
        os._exit(0 if engine.pool.checkedin() == 0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert engine.pool.checkedin() == 1   # the master's own pool is untouched


@pytest.mark.parametrize("url,problem", [("not a url", "must be a database URL"),
                                         ("mysql://root@localhost/x", "must use sqlite or postgresql")])
def test_bad_database_url_stops_start_up(make_app, url, problem):
    with pytest.raises(ConfigError, match=problem):
        make_app(DATABASE_URL=url)


def test_default_database_is_sqlite_in_the_instance_folder(make_app):
    app = make_app(DATABASE_URL=None)
    engine = app.extensions["store"].engine
    assert engine.url.get_backend_name() == "sqlite"
    assert engine.url.database == os.path.join(app.instance_path, "price-runner.db")


def test_price_history_sits_beside_models_csv_unless_set(make_app, tmp_path):
    store = make_app(MODELS_CSV=str(REPO_MODELS)).extensions["store"]
    assert store.history_csv == REPO_MODELS.with_name("price_history.csv")
    store = make_app(PRICE_HISTORY_CSV=str(tmp_path / "h.csv")).extensions["store"]
    assert store.history_csv == tmp_path / "h.csv"
    assert store.history_for(str(tmp_path / "other" / "models.csv")) == tmp_path / "other" / "price_history.csv"



@pytest.mark.parametrize("url, timeout", [
    ("postgresql+psycopg://nobody@127.0.0.1:1/none", 5),
    ("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", "2"),   # the URL's own wins
])
def test_postgres_connections_have_a_connect_timeout(url, timeout):
    # Without one, libpq waits for an unreachable server as long as TCP does: /ready would hang.
    from sqlalchemy.exc import OperationalError
    engine = make_engine(url)
    seen = {}

    @event.listens_for(engine, "do_connect")
    def record(dialect, conn_rec, cargs, cparams):
        seen.update(cparams)

    with pytest.raises(OperationalError):
        engine.connect()   # port 1: refused at once
    assert seen["connect_timeout"] == timeout
