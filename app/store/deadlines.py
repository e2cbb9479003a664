"""A deadline for every database call, and failing fast while the database is known to be down.

PostgreSQL gets a server-side ``statement_timeout``, TCP keepalives and ``tcp_user_timeout``
(a peer that vanished), and a client-side cut: a server that accepts TCP but never answers
(a hung host, a stalled proxy) is never noticed by those, so the socket of a statement, ping
or commit still running at its deadline is shut down by the vendor calls' watchdog
(app/providers/watchdog.py) and the driver fails at once. SQLite's statements are interrupted
by a progress handler at the deadline; its lock waits are its busy timeout. Both get a pool
checkout timeout.

After a connection-level failure (a cut, a lost or refused connection) the engine fails every
call at once for ``HOLD_S``; then one call may try again, and the first success closes the
breaker: the database recovers by itself, and a dead one costs one timeout per hold, not one
per request.
"""
from __future__ import annotations

import math
import os
import socket
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from app.providers.watchdog import DEADLINE, WATCHDOG

HOLD_S = 2.0   # after a connection failure, calls fail at once this long
_BY_DIALECT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Breaker:
    """Open (failing fast) for HOLD_S after a connection failure; then one try per HOLD_S."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._retry_at: float | None = None   # None: closed

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._retry_at is None:
                return True
            if now >= self._retry_at:
                self._retry_at = now + HOLD_S   # this caller tries; the others keep failing fast
                return True
            return False

    def failure(self) -> None:
        with self._lock:
            self._retry_at = self._clock() + HOLD_S

    def success(self) -> None:
        self._retry_at = None


class Deadlines:
    """Per-engine limits (timeout_s None: none, for the command line) and its breaker."""

    def __init__(self, timeout_s: float | None):
        self.timeout_s = timeout_s
        self.breaker = Breaker()


def engine_options(backend: str, timeout_s: float | None, url_query: dict[str, Any],
                   in_memory: bool = False) -> dict[str, Any]:
    """create_engine() arguments: the pool's checkout timeout and PostgreSQL's connection limits."""
    if timeout_s is None:
        return {}
    # In-memory SQLite has one connection per thread (SingletonThreadPool): no checkout to wait for.
    options: dict[str, Any] = {} if in_memory else {"pool_timeout": timeout_s}
    if backend == "postgresql":
        connect = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
                   "tcp_user_timeout": int(timeout_s * 1000) * 3}
        # libpq counts whole seconds and treats less than 2 as 2.
        connect["connect_timeout"] = max(2, math.ceil(timeout_s))
        options["connect_args"] = {k: v for k, v in connect.items() if k not in url_query}
    return options


def install(engine: Engine, timeout_s: float | None) -> Deadlines:
    """Put the deadlines and the breaker on engine's connections; return them (see disable)."""
    limits = Deadlines(timeout_s)
    _BY_DIALECT[engine.dialect] = limits   # shared by the engine's copies with other execution options
    postgres = engine.dialect.name == "postgresql"
    dbapi = engine.dialect.loaded_dbapi

    @event.listens_for(engine, "do_connect")
    def connecting(dialect, record, cargs, cparams):
        if limits.timeout_s is not None and not limits.breaker.allow():
            refused = dbapi.OperationalError("the database failed moments ago; not retried yet")
            refused.fail_fast = True   # not a new failure: the breaker's hold is not extended
            raise refused

    @event.listens_for(engine, "connect")
    def connected(dbapi_connection, record):
        _prepare(dbapi_connection, record, limits, postgres)

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_connection, record, proxy):
        if limits.timeout_s is None or record.info.pop("fresh", False):
            return   # just connected (do_connect asked the breaker): no ping needed
        if not limits.breaker.allow():
            raise DisconnectionError("the database failed moments ago")
        _start(record.info, dbapi_connection, limits, postgres)   # the pool's ping: ours, under a deadline
        try:
            engine.dialect.do_ping(dbapi_connection)
        except dbapi.Error:
            if _stop(record.info):   # cut at the deadline: the database hangs; a stale connection does not
                limits.breaker.failure()
            raise DisconnectionError("the database did not answer the ping") from None
        _stop(record.info)
        limits.breaker.success()

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        _start(conn.info, conn.connection.dbapi_connection, limits, postgres)

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        _stop(conn.info)
        limits.breaker.success()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def ending(conn):
        if not conn.invalidated:
            _start(conn.info, conn.connection.dbapi_connection, limits, postgres)

    @event.listens_for(engine, "reset")
    def resetting(dbapi_connection, record, reset_state):
        # The pool's rollback when a connection goes back: under a deadline like any other call.
        if "db_guard" not in record.info and not reset_state.terminate_only:
            _start(record.info, dbapi_connection, limits, postgres)

    @event.listens_for(engine, "checkin")
    def checkin(dbapi_connection, record):
        _stop(record.info)

    @event.listens_for(engine, "handle_error")
    def failed(context):
        if getattr(context.original_exception, "fail_fast", False):
            return
        connecting = context.connection is None
        cut = _stop({} if connecting else context.connection.info)
        if limits.timeout_s is not None and (cut or context.is_disconnect or connecting):
            limits.breaker.failure()
            context.is_disconnect = True   # the connection is unusable after a cut: the pool drops it

    return limits


def disable(engine: Engine) -> None:
    """No deadlines for this process's calls (migrations and catalog syncs on the command line)."""
    limits = _BY_DIALECT.get(engine.dialect)
    if limits is not None:
        limits.timeout_s = None


def _prepare(connection: Any, record: Any, limits: Deadlines, postgres: bool) -> None:
    record.info["fresh"] = True   # just connected: no ping needed on this checkout
    if postgres:
        # A server-side limit too: a slow statement (a lock wait) ends cleanly, the connection stays.
        milliseconds = int(limits.timeout_s * 1000) if limits.timeout_s else 0
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {milliseconds}")
        connection.commit()
    else:
        deadline: list[float | None] = [None]
        record.info["sqlite_deadline"] = deadline
        # Called every 1000 virtual machine steps; non-zero interrupts the statement.
        connection.set_progress_handler(lambda: int(deadline[0] is not None and time.monotonic() > deadline[0]),
                                        1000)


def _start(info: dict, dbapi_connection: Any, limits: Deadlines, postgres: bool) -> None:
    _stop(info)
    if limits.timeout_s is None:
        return
    deadline = time.monotonic() + limits.timeout_s
    if not postgres:
        if "sqlite_deadline" in info:
            info["sqlite_deadline"][0] = deadline
        return
    try:
        sock = socket.socket(fileno=os.dup(dbapi_connection.pgconn.socket))
    except Exception:   # already closed: the driver fails this call by itself
        return
    guard = WATCHDOG.open(deadline)
    guard.watch(sock)
    info["db_guard"] = (guard, sock)


def _stop(info: dict) -> bool:
    """End the call's deadline; True when the watchdog had cut it."""
    if "sqlite_deadline" in info:
        info["sqlite_deadline"][0] = None
    guard_and_socket = info.pop("db_guard", None)
    if guard_and_socket is None:
        return False
    guard, sock = guard_and_socket
    WATCHDOG.close(guard)
    sock.close()   # our duplicate descriptor only; the driver's stays open
    return guard.reason == DEADLINE
