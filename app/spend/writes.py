"""The statements of a hold and of a record, for SQLite through its driver and for PostgreSQL
through SQLAlchemy Core; budgets_db and ledger_db decide, these only read and write.

Why two: SQLAlchemy spends ~40 us on each statement and ~60 us on each transaction around what
SQLite does in a few; a request holds and records in two transactions of three or four
statements, which through Core took ~0.7 ms of the 1 ms the issue allows, ~0.1 ms through the
driver. PostgreSQL's round trips dwarf that, so it keeps Core (and SELECT ... FOR UPDATE).
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Date, Engine, bindparam, case, delete, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from app.spend.budgets import DAY, MONTH, Periods, Standing
from app.store.engine import writer
from app.store.schema import BudgetPeriod, BudgetReservation, IdempotencyKey, LedgerEntry
from app.store.types import Money, UtcDateTime

# What a database failure raises on either path.
DATABASE_ERRORS = (SQLAlchemyError, sqlite3.Error)
HOLD_COLUMNS = ("principal", "request_id", "model_id", "amount", "day", "month", "expires_at")
# Both period rows in one statement, the same text on both databases.
PERIODS_UPSERT = ("INSERT INTO budget_periods (principal, period, start, spent) "
                  "VALUES (:principal, 'day', :day, :spent), (:principal, 'month', :month, :spent) "
                  "ON CONFLICT (principal, period, start) DO ")
ENSURE_PERIODS = PERIODS_UPSERT + "NOTHING"
ADD_SPEND = PERIODS_UPSERT + "UPDATE SET spent = budget_periods.spent + excluded.spent"


class Writes(Protocol):
    """The statements a hold and a record need, inside one transaction."""

    def standing(self, principal: str, periods: Periods, now: datetime) -> tuple[Standing, int]: ...
    def hold(self, values: dict[str, Any]) -> int: ...
    def drop_expired(self, principal: str, now: datetime) -> None: ...
    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> None: ...
    def settle(self, reservation_ids: Sequence[int]) -> None: ...
    def add_spend(self, principal: str, periods: Periods, amount: Decimal) -> None: ...
    def store_answer(self, principal: str, key: str, body: bytes) -> None: ...


@contextmanager
def transaction(engine: Engine) -> Iterator[Writes]:
    """A writing transaction (BEGIN IMMEDIATE on SQLite), committed unless the block raises."""
    if engine.dialect.name != "sqlite":
        with writing_engine(engine).begin() as conn:
            yield CoreWrites(conn)
        return
    # SQLite takes one writer at a time. Threads of this process queue here, each woken the moment
    # the one before commits; at SQLite's own lock a waiter sleeps 1, 2, 5... 25 ms between
    # tries, which under 32 concurrent calls cost most of a worker's throughput. Other
    # processes (workers) still meet at SQLite's lock, now one writer per process at a time.
    with _process_lock(engine):
        pooled = engine.raw_connection()   # SQLAlchemy's pool: its connect events set the pragmas
        try:
            conn = pooled.driver_connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteWrites(conn, _SqliteTypes.of(engine))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            pooled.close()


_WRITE_LOCKS: dict[int, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _process_lock(engine: Engine) -> threading.Lock:
    with _LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(id(engine), threading.Lock())


# A lock held in the parent at a fork would never be released in the child.
os.register_at_fork(after_in_child=_WRITE_LOCKS.clear)


@lru_cache(maxsize=8)
def writing_engine(engine: Engine) -> Engine:
    """The engine's writer (BEGIN IMMEDIATE on SQLite), made once rather than per transaction."""
    return writer(engine)


class _SqliteTypes:
    """The column types' own conversions, as SQLAlchemy would apply them on SQLite."""

    def __init__(self, engine: Engine):
        dialect = engine.dialect

        def bind(kind):
            return kind.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)

        self.money, self.moment, self.date = bind(Money()), bind(UtcDateTime()), bind(Date())
        self.money_out = Money().dialect_impl(dialect).result_processor(dialect, None)
        self.ledger = {column.name: bind(column.type) for column in LedgerEntry.__table__.columns}

    @staticmethod
    @lru_cache(maxsize=8)
    def of(engine: Engine) -> _SqliteTypes:
        return _SqliteTypes(engine)


_LEDGER_NAMES = [column.name for column in LedgerEntry.__table__.columns if column.name != "id"]
_SQLITE_LEDGER = (f"INSERT INTO ledger ({', '.join(_LEDGER_NAMES)}) "
                  f"VALUES ({', '.join(':' + name for name in _LEDGER_NAMES)})")
_SQLITE_PERIODS = ("SELECT period, spent FROM budget_periods WHERE principal = :principal "
                   "AND ((period = 'day' AND start = :day) OR (period = 'month' AND start = :month))")
_SQLITE_HELD = ("SELECT coalesce(sum(CASE WHEN expires_at > :now AND day = :day THEN amount END), 0), "
                "coalesce(sum(CASE WHEN expires_at > :now AND month = :month THEN amount END), 0), "
                "count(CASE WHEN expires_at <= :now THEN 1 END) FROM budget_reservations WHERE principal = :principal")
_SQLITE_HOLD = (f"INSERT INTO budget_reservations ({', '.join(HOLD_COLUMNS)}) "
                f"VALUES ({', '.join(':' + name for name in HOLD_COLUMNS)}) RETURNING id")


class SqliteWrites:
    """The statements through sqlite3 (BEGIN IMMEDIATE has already made this the only writer)."""

    def __init__(self, conn: sqlite3.Connection, types: _SqliteTypes):
        self._conn, self._types = conn, types

    def _keys(self, principal: str, periods: Periods, **more: Any) -> dict[str, Any]:
        return {"principal": principal, "day": self._types.date(periods.day),
                "month": self._types.date(periods.month), **more}

    def standing(self, principal: str, periods: Periods, now: datetime) -> tuple[Standing, int]:
        keys = self._keys(principal, periods, now=self._types.moment(now), spent=0)
        spent = dict(self._conn.execute(_SQLITE_PERIODS, keys).fetchall())
        if len(spent) < 2:
            self._conn.execute(ENSURE_PERIODS, keys)
            spent = dict(self._conn.execute(_SQLITE_PERIODS, keys).fetchall())
        held_day, held_month, expired = self._conn.execute(_SQLITE_HELD, keys).fetchone()
        money = self._types.money_out
        return Standing(money(spent[DAY] + held_day), money(spent[MONTH] + held_month)), expired

    def hold(self, values: dict[str, Any]) -> int:
        types = self._types
        row = {**values, "amount": types.money(values["amount"]), "day": types.date(values["day"]),
               "month": types.date(values["month"]), "expires_at": types.moment(values["expires_at"])}
        return self._conn.execute(_SQLITE_HOLD, row).fetchone()[0]

    def drop_expired(self, principal: str, now: datetime) -> None:
        self._conn.execute("DELETE FROM budget_reservations WHERE principal = ? AND expires_at <= ?",
                           (principal, self._types.moment(now)))

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        processors = self._types.ledger
        # A column the row leaves out is NULL, as through Core (older callers know fewer columns).
        self._conn.executemany(_SQLITE_LEDGER, [
            {name: None if (value := row.get(name)) is None else processors[name](value) for name in _LEDGER_NAMES}
            for row in rows])

    def settle(self, reservation_ids: Sequence[int]) -> None:
        self._conn.executemany("DELETE FROM budget_reservations WHERE id = ?", [(i,) for i in reservation_ids])

    def add_spend(self, principal: str, periods: Periods, amount: Decimal) -> None:
        self._conn.execute(ADD_SPEND, self._keys(principal, periods, spent=self._types.money(amount)))

    def store_answer(self, principal: str, key: str, body: bytes) -> None:
        self._conn.execute("UPDATE idempotency_keys SET response = ? WHERE principal = ? AND key = ?",
                           (body, principal, key))


_MINE = BudgetReservation.principal == bindparam("principal")
_LIVE = BudgetReservation.expires_at > bindparam("now")
# Built once (a statement made afresh per request costs more than running it). Two statements:
# on PostgreSQL a statement that waited for the lock still reads with the snapshot it started
# with, so the holds are summed by a second statement, after the lock is held.
_PERIODS = (select(BudgetPeriod.period, BudgetPeriod.spent)
            .where(BudgetPeriod.principal == bindparam("principal"),
                   ((BudgetPeriod.period == DAY) & (BudgetPeriod.start == bindparam("day")))
                   | ((BudgetPeriod.period == MONTH) & (BudgetPeriod.start == bindparam("month"))))
            .order_by(BudgetPeriod.period).with_for_update())
_HELD = select(
    func.coalesce(func.sum(case((_LIVE & (BudgetReservation.day == bindparam("day")), BudgetReservation.amount))), 0),
    func.coalesce(func.sum(case((_LIVE & (BudgetReservation.month == bindparam("month")),
                                 BudgetReservation.amount))), 0),
    func.count(case((~_LIVE, 1)))).where(_MINE)
_HOLD = insert(BudgetReservation).values(**{name: bindparam(name) for name in HOLD_COLUMNS}).returning(BudgetReservation.id)
_DROP_EXPIRED = delete(BudgetReservation).where(_MINE, ~_LIVE)
_LEDGER_INSERT = insert(LedgerEntry)
_SETTLE = delete(BudgetReservation).where(BudgetReservation.id.in_(bindparam("ids", expanding=True)))
_STORE_ANSWER = (update(IdempotencyKey).values(response=bindparam("body"))
                 .where(IdempotencyKey.principal == bindparam("p"), IdempotencyKey.key == bindparam("k")))
_PERIOD_TYPES = (bindparam("day", type_=Date()), bindparam("month", type_=Date()), bindparam("spent", type_=Money()))
_ENSURE_PERIODS = text(ENSURE_PERIODS).bindparams(*_PERIOD_TYPES)
_ADD_SPEND = text(ADD_SPEND).bindparams(*_PERIOD_TYPES)


class CoreWrites:
    """The statements through SQLAlchemy Core (PostgreSQL: the period rows are locked first)."""

    def __init__(self, conn: Connection):
        self._conn = conn

    def standing(self, principal: str, periods: Periods, now: datetime) -> tuple[Standing, int]:
        keys = {"principal": principal, "day": periods.day, "month": periods.month, "now": now, "spent": Decimal(0)}
        spent = dict(self._conn.execute(_PERIODS, keys).all())
        if len(spent) < 2:   # the principal's first call this day or month: make its rows, then lock them
            self._conn.execute(_ENSURE_PERIODS, keys)
            spent = dict(self._conn.execute(_PERIODS, keys).all())
        held_day, held_month, expired = self._conn.execute(_HELD, keys).one()
        return Standing(spent[DAY] + held_day, spent[MONTH] + held_month), expired

    def hold(self, values: dict[str, Any]) -> int:
        return self._conn.execute(_HOLD, values).scalar_one()

    def drop_expired(self, principal: str, now: datetime) -> None:
        self._conn.execute(_DROP_EXPIRED, {"principal": principal, "now": now})

    def insert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self._conn.execute(_LEDGER_INSERT, list(rows))

    def settle(self, reservation_ids: Sequence[int]) -> None:
        self._conn.execute(_SETTLE, {"ids": list(reservation_ids)})

    def add_spend(self, principal: str, periods: Periods, amount: Decimal) -> None:
        self._conn.execute(_ADD_SPEND, {"principal": principal, "day": periods.day, "month": periods.month,
                                        "spent": amount})

    def store_answer(self, principal: str, key: str, body: bytes) -> None:
        self._conn.execute(_STORE_ANSWER, {"p": principal, "k": key, "body": body})
