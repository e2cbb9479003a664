"""Engines: SQLite (WAL, busy timeout, BEGIN IMMEDIATE for writes) or PostgreSQL through psycopg 3."""
from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.store.deadlines import engine_options, install

SQLITE_BUSY_TIMEOUT_MS = 5000   # how long a writer waits for another worker's write lock
_WRITE = "price_runner_write"   # execution option: this transaction writes
# libpq waits for an unreachable server as long as TCP does (minutes): /ready and every request
# would hang on it. A URL that sets its own connect_timeout keeps it.
POSTGRES_CONNECT_TIMEOUT_S = 5

_live_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_fork_hook = []   # registered once, by the first engine


def default_url(instance_path: str | Path) -> str:
    """The embedded database: SQLite in the Flask instance folder."""
    return f"sqlite:///{Path(instance_path) / 'price-runner.db'}"


def make_engine(url: str, timeout_s: float | None = None) -> Engine:
    """Create an engine for url; SQLite gets the pragmas and transaction control below.

    With timeout_s every call has that deadline and a failed database fails fast (deadlines.py)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    options = engine_options(backend, timeout_s, dict(parsed.query),
                             in_memory=backend == "sqlite" and parsed.database in (None, "", ":memory:"))
    if backend == "sqlite":
        engine = create_engine(parsed, **options)
        _configure_sqlite(engine, parsed.database)
    else:
        connect_args = options.pop("connect_args", {})
        if "connect_timeout" not in parsed.query:
            connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)
        # With deadlines the pool's ping is deadlines.py's own, under the deadline.
        engine = create_engine(parsed, pool_pre_ping=timeout_s is None, connect_args=connect_args, **options)
    install(engine, timeout_s)
    _live_engines.add(engine)
    if not _fork_hook:
        os.register_at_fork(after_in_child=_dispose_after_fork)
        _fork_hook.append(True)
    return engine


def _configure_sqlite(engine: Engine, database: str | None) -> None:
    in_memory = database in (None, "", ":memory:")

    @event.listens_for(engine, "do_connect")
    def make_folder(dialect, conn_rec, cargs, cparams):
        if not in_memory:   # the instance folder of a fresh clone
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        # SQLAlchemy's recipe for pysqlite: stop the driver from issuing (or skipping) BEGIN
        # itself, so that reads are repeatable and DDL is transactional; "begin" below does it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")   # readers never wait for the writer
            # SQLite's advice for WAL: a commit is not fsynced (the checkpoint is), so a killed
            # process loses nothing and the file never corrupts; only a power cut may drop the
            # last commits. FULL costs an fsync per ledger write (~1 ms here).
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection):
        # A write takes the lock up front: a deferred transaction that reads and then writes
        # can fail with "database is locked" without waiting, whatever the busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The engine whose transactions write: BEGIN IMMEDIATE on SQLite (same pool, same events)."""
    return engine.execution_options(**{_WRITE: True})


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session in a writing transaction: committed on success, rolled back on an exception."""
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session in a read-only transaction (a consistent snapshot on both backends)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def _dispose_after_fork() -> None:
    # The app is preloaded in gunicorn's master; a pooled connection copied into a worker
    # would share its socket with the master and its siblings. Drop the copies, unclosed.
    for engine in list(_live_engines):
        engine.dispose(close=False)

