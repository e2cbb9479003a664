"""Database deadlines: SQLite statements interrupted, the pool's checkout bounded, the breaker's hold."""
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.store import deadlines
from app.store.deadlines import Breaker
from app.store.engine import make_engine, writer

LONG = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
            "SELECT count(*) FROM n")


def test_a_sqlite_statement_past_its_deadline_is_interrupted(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="interrupted"), engine.connect() as conn:
        conn.execute(LONG)
    assert time.monotonic() - started < 2
    with engine.connect() as conn:   # the connection serves the next statement
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_without_a_timeout_or_on_the_command_line_statements_run_to_the_end(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", timeout_s=0.01)
    deadlines.disable(writer(engine))   # the engine with execution options shares the limits
    with engine.connect() as conn:
        assert conn.execute(text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                 "WHERE i < 300000) SELECT count(*) FROM n")).scalar() == 300000


def test_the_pool_checkout_waits_at_most_the_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", timeout_s=1.5)
    assert engine.pool.timeout() == 1.5


def test_in_memory_sqlite_takes_the_timeout_too():
    engine = make_engine("sqlite://", timeout_s=0.3)   # one connection per thread: no pool checkout timeout
    with pytest.raises(OperationalError, match="interrupted"), engine.connect() as conn:
        conn.execute(LONG)


def test_postgres_gets_keepalives_and_a_connect_timeout_unless_the_url_sets_them():
    options = deadlines.engine_options("postgresql", 2.0, {"keepalives_idle": "30"})
    assert options["pool_timeout"] == 2.0
    assert options["connect_args"]["connect_timeout"] == 2 and options["connect_args"]["keepalives"] == 1
    assert "keepalives_idle" not in options["connect_args"] and options["connect_args"]["tcp_user_timeout"] == 6000
    assert deadlines.engine_options("postgresql", None, {}) == {}


def test_the_breaker_fails_fast_for_its_hold_then_lets_one_caller_try():
    now = [100.0]
    breaker = Breaker(clock=lambda: now[0])
    assert breaker.allow()
    breaker.failure()
    assert not breaker.allow()
    now[0] += deadlines.HOLD_S
    assert breaker.allow() and not breaker.allow()   # one caller tries; the others still fail fast
    breaker.success()
    assert breaker.allow() and breaker.allow()
