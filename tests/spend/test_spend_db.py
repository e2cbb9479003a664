"""Holds, records, idempotency claims, the answer cache and purging, on SQLite and PostgreSQL."""
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.spend import budgets_db, idempotency, idempotency_db, ledger_db
from app.spend.budgets import Limits, Periods
from app.spend.errors import IdempotencyConflict
from app.store.answer_cache import DatabaseBackend
from app.store.engine import make_engine
from app.store.schema import AnswerCacheState, BudgetPeriod, BudgetReservation, CachedAnswer, IdempotencyKey
from tests.spend.conftest import ledger

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
PERIODS = Periods.at(NOW)
LATER = NOW + timedelta(seconds=90)
CENT = Decimal("0.01")


FIVE_CENTS_A_DAY = Limits(day=Decimal("0.05"))


def reserve(engine, amounts, limits=FIVE_CENTS_A_DAY, now=NOW, principal="alice"):
    holds = [budgets_db.Hold("openai/gpt-6.1-sol", amount) for amount in amounts]
    return budgets_db.reserve(engine, principal, "req", Periods.at(now), limits, holds, now, now + timedelta(seconds=90))


def held(engine, principal="alice"):
    with engine.connect() as conn:
        return conn.scalar(select(func.coalesce(func.sum(BudgetReservation.amount), 0))
                           .where(BudgetReservation.principal == principal))


def spent(engine, period="day", principal="alice"):
    with engine.connect() as conn:
        return conn.scalar(select(BudgetPeriod.spent).where(BudgetPeriod.principal == principal,
                                                            BudgetPeriod.period == period))


def row(cost, **fields):
    return {"created_at": NOW, "request_id": "req", "principal": "alice", "model_id": "openai/gpt-6.1-sol",
            "provider": "openai", "price_version_id": None, "estimated_input_tokens": 10, "input_tokens": 10,
            "output_tokens": 5, "cached_tokens": 0, "reasoning_tokens": 0, "cost": cost, "cost_basis": "billed",
            "latency_ms": 3, "outcome": "ok", "error_type": None, **fields}


def test_twenty_concurrent_holds_against_a_budget_for_five_take_exactly_five(engine, database_url):
    # Each thread has its own engine, as separate workers would: the database alone keeps the count.
    engines = [make_engine(database_url) for _ in range(20)]
    try:
        with ThreadPoolExecutor(20) as pool:
            decisions = list(pool.map(lambda e: reserve(e, [CENT]), engines))
    finally:
        for each in engines:
            each.dispose()
    granted = [d for d in decisions if d.reservation_ids[0] is not None]
    assert len(granted) == 5 and held(engine) == Decimal("0.05")
    refused = [d for d in decisions if d.reservation_ids[0] is None]
    assert all(d.left[0] == (Decimal(0), "day") for d in refused)


def test_holds_are_taken_in_order_while_they_fit_and_report_what_was_left(engine):
    decision = reserve(engine, [Decimal("0.03"), Decimal("0.03"), Decimal("0.02")])
    assert [i is not None for i in decision.reservation_ids] == [True, False, True]
    assert decision.left == {1: (Decimal("0.02"), "day")}


def test_the_monthly_limit_counts_every_day_of_the_month(engine):
    limits = Limits(day=Decimal("1"), month=Decimal("0.05"))
    first = reserve(engine, [Decimal("0.04")], limits, now=NOW - timedelta(days=3))
    ledger_db.write(engine, ledger_db.Entry("alice", Periods.at(NOW - timedelta(days=3)),
                                            [row(Decimal("0.04"), created_at=NOW - timedelta(days=3))],
                                            [first.reservation_ids[0]]))
    assert reserve(engine, [Decimal("0.02")], limits).left == {0: (Decimal("0.01"), "month")}


def test_recording_settles_a_hold_to_the_actual_cost(engine):
    decision = reserve(engine, [Decimal("0.04")])
    ledger_db.write(engine, ledger_db.Entry("alice", PERIODS, [row(Decimal("0.000123"))], decision.reservation_ids))
    assert held(engine) == 0 and spent(engine) == spent(engine, "month") == Decimal("0.000123")
    assert ledger(engine)[0]["cost"] == Decimal("0.000123")
    assert reserve(engine, [Decimal("0.049877")]).reservation_ids[0] is not None   # the rest is free again


def test_a_failed_call_records_zero_and_releases_its_hold(engine):
    decision = reserve(engine, [Decimal("0.05")])
    ledger_db.write(engine, ledger_db.Entry("alice", PERIODS, [row(Decimal(0), outcome="timeout")],
                                            decision.reservation_ids))
    assert held(engine) == 0 and spent(engine) == 0
    assert reserve(engine, [Decimal("0.05")]).reservation_ids[0] is not None


def test_a_dead_workers_hold_counts_until_it_expires_then_goes(engine):
    reserve(engine, [Decimal("0.05")])
    assert reserve(engine, [CENT], now=NOW + timedelta(seconds=89)).reservation_ids == [None]
    after = reserve(engine, [CENT], now=NOW + timedelta(seconds=90))
    assert after.reservation_ids[0] is not None and held(engine) == CENT   # the expired hold was deleted


def test_release_gives_holds_back(engine):
    decision = reserve(engine, [Decimal("0.05")])
    budgets_db.release(engine, decision.reservation_ids)
    assert held(engine) == 0


def test_principals_have_separate_budgets(engine):
    reserve(engine, [Decimal("0.05")], principal="alice")
    assert reserve(engine, [Decimal("0.05")], principal="bob").reservation_ids[0] is not None


def test_one_of_ten_concurrent_claims_of_a_key_wins_the_others_get_409(engine, database_url):
    engines = [make_engine(database_url) for _ in range(10)]

    def attempt(each):
        try:
            return idempotency_db.claim(each, "alice", "k1", "h", NOW, LATER)
        except IdempotencyConflict as exc:
            return exc.status
    try:
        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(attempt, engines))
    finally:
        for each in engines:
            each.dispose()
    assert sum(isinstance(r, idempotency.Claim) for r in results) == 1 and results.count(409) == 9


def test_a_claim_replays_its_answer_for_24_hours_and_refuses_another_body(engine):
    assert isinstance(idempotency_db.claim(engine, "alice", "k", "h1", NOW, LATER), idempotency.Claim)
    ledger_db.write(engine, ledger_db.Entry("alice", PERIODS, [row(CENT)], answer=("k", b'{"success":true}')))
    assert idempotency_db.claim(engine, "alice", "k", "h1", NOW + timedelta(hours=23), LATER) == \
        idempotency.Replay(b'{"success":true}')
    with pytest.raises(IdempotencyConflict) as refused:
        idempotency_db.claim(engine, "alice", "k", "h2", NOW, LATER)
    assert refused.value.status == 422
    assert isinstance(idempotency_db.claim(engine, "bob", "k", "h2", NOW, LATER), idempotency.Claim)   # per principal
    assert isinstance(idempotency_db.claim(engine, "alice", "k", "h2", NOW + timedelta(hours=24), LATER),
                      idempotency.Claim)


def test_a_claim_left_running_by_a_dead_worker_expires(engine):
    idempotency_db.claim(engine, "alice", "k", "h", NOW, LATER)
    with pytest.raises(IdempotencyConflict):
        idempotency_db.claim(engine, "alice", "k", "h", LATER - timedelta(seconds=1), LATER)
    assert isinstance(idempotency_db.claim(engine, "alice", "k", "h", LATER, LATER), idempotency.Claim)


def test_a_released_claim_may_run_again(engine):
    idempotency_db.claim(engine, "alice", "k", "h", NOW, LATER)
    idempotency_db.release(engine, "alice", "k")
    assert isinstance(idempotency_db.claim(engine, "alice", "k", "h", NOW, LATER), idempotency.Claim)


def test_the_answer_cache_keeps_entries_for_their_ttl(engine):
    clock = [NOW]
    cache = DatabaseBackend(engine, 10_000, clock=lambda: clock[0])
    cache.set("a", b"answer", timeout=60)
    assert DatabaseBackend(engine, 10_000, clock=lambda: clock[0]).get("a") == b"answer"   # another worker sees it
    clock[0] = NOW + timedelta(seconds=60)
    assert cache.get("a") is None and cache.get("missing") is None


def test_the_answer_cache_stays_within_its_bytes_oldest_out_first(engine):
    clock = [NOW]
    cache = DatabaseBackend(engine, 250, clock=lambda: clock[0])
    for n in range(5):
        clock[0] = NOW + timedelta(seconds=n)
        cache.set(f"k{n}", bytes([n]) * 100, timeout=3600)
    cache.set("k4", b"x" * 50, timeout=3600)   # replacing an entry counts its new size only
    with engine.connect() as conn:
        keys = set(conn.scalars(select(CachedAnswer.key)))
        total = conn.scalar(select(AnswerCacheState.total_bytes))
        actual = conn.scalar(select(func.sum(CachedAnswer.size)))
    assert keys == {"k3", "k4"} and total == actual == 150


def test_purge_drops_old_rows_and_what_has_expired(engine):
    old = NOW - timedelta(days=40)
    ledger_db.write(engine, ledger_db.Entry("alice", Periods.at(old), [row(CENT, created_at=old)]))
    ledger_db.write(engine, ledger_db.Entry("alice", PERIODS, [row(CENT)]))
    idempotency_db.claim(engine, "alice", "k", "h", old, old + timedelta(seconds=90))
    reserve(engine, [CENT], now=old)
    done = ledger_db.purge(engine, datetime(2026, 12, 1, tzinfo=UTC), NOW)
    assert (done.ledger, done.periods, done.idempotency_keys, done.reservations) == (1, 2, 1, 1)
    assert [r["created_at"] for r in ledger(engine)] == [NOW]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
