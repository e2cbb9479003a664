"""Eval runs in the database: store one (with its Idempotency-Key answer), list a name's history,
and the latest score per model that the ranking uses."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select, update

from app.evals.runner import Result, Run
from app.spend.writes import writing_engine
from app.store.schema import EvalOutcome, EvalResult, EvalRun, IdempotencyKey


@dataclass(frozen=True)
class Stored:
    """A run as read back: its row and its per-model results."""

    id: int
    name: str
    created_at: datetime
    prompts: int
    set_hash: str
    complete: bool
    results: list[Result]


@dataclass(frozen=True)
class Latest:
    """A model's newest graded result of one eval name, and the run it came from."""

    run_id: int
    ran_at: datetime
    result: Result


def save(engine: Engine, principal: str, name: str, request_id: str | None, now: datetime, prompts: int,
         digest: str, run: Run, answer: Callable[[int], tuple[str, bytes] | None]) -> int:
    """Store the run, its results and outcomes in one transaction; return its id.

    ``answer(run_id)`` gives (Idempotency-Key, response body) to store with it, or None.
    """
    with writing_engine(engine).begin() as conn:
        run_id = conn.execute(insert(EvalRun).values(
            principal=principal[:128], name=name, created_at=now, request_id=(request_id or "")[:64],
            prompts=prompts, set_hash=digest, complete=run.complete).returning(EvalRun.id)).scalar_one()
        conn.execute(insert(EvalResult), [
            {"run_id": run_id, "model_id": r.model_id, "passed": r.passed, "graded": r.graded, "errors": r.errors,
             "cost": r.cost, "latency_ms": r.latency_ms} for r in run.results])
        conn.execute(insert(EvalOutcome), [
            {"run_id": run_id, "model_id": o.model_id, "position": o.position, "prompt_id": o.prompt_id,
             "passed": o.passed, "problem": o.problem, "cost": o.cost, "latency_ms": o.latency_ms}
            for o in run.outcomes])
        stored = answer(run_id)
        if stored is not None:
            key, body = stored
            conn.execute(update(IdempotencyKey).values(response=body)
                         .where(IdempotencyKey.principal == principal, IdempotencyKey.key == key))
    return run_id


def check(engine: Engine) -> None:
    """Read the runs table once: SQLAlchemyError if the database could not store a run now."""
    with engine.connect() as conn:
        conn.execute(select(EvalRun.id).limit(1)).first()


def history(engine: Engine, principal: str, name: str, limit: int) -> list[Stored]:
    """The principal's runs of name, newest first, at most limit, each with its results."""
    with engine.connect() as conn:
        runs = conn.execute(select(EvalRun).where(EvalRun.principal == principal, EvalRun.name == name)
                            .order_by(EvalRun.id.desc()).limit(limit)).all()
        results = _results(conn, [run.id for run in runs])
    return [Stored(run.id, run.name, run.created_at, run.prompts, run.set_hash, run.complete,
                   results.get(run.id, [])) for run in runs]


def latest(engine: Engine, principal: str, name: str) -> dict[str, Latest] | None:
    """Per model, its result in the newest of the principal's runs of name that graded it.

    None when the principal has no run of that name.
    """
    mine = (EvalRun.principal == principal) & (EvalRun.name == name)
    with engine.connect() as conn:
        if conn.execute(select(EvalRun.id).where(mine).limit(1)).first() is None:
            return None
        newest = (select(EvalResult.model_id, func.max(EvalResult.run_id).label("run_id"))
                  .join(EvalRun, EvalRun.id == EvalResult.run_id).where(mine, EvalResult.graded > 0)
                  .group_by(EvalResult.model_id).subquery())
        rows = conn.execute(select(EvalResult.__table__, EvalRun.created_at)
                            .join(newest, (EvalResult.model_id == newest.c.model_id)
                                  & (EvalResult.run_id == newest.c.run_id))
                            .join(EvalRun, EvalRun.id == EvalResult.run_id)
                            .order_by(EvalResult.model_id)).all()
    return {row.model_id: Latest(row.run_id, row.created_at, _result(row)) for row in rows}


def outcomes(engine: Engine, principal: str, name: str, run_id: int) -> tuple[Stored, list] | None:
    """One of the principal's runs of name with its per-prompt outcomes; None if there is no such run."""
    with engine.connect() as conn:
        run = conn.execute(select(EvalRun).where(EvalRun.id == run_id, EvalRun.principal == principal,
                                                 EvalRun.name == name)).first()
        if run is None:
            return None
        results = _results(conn, [run.id])
        rows = conn.execute(select(EvalOutcome).where(EvalOutcome.run_id == run.id)
                            .order_by(EvalOutcome.position, EvalOutcome.model_id)).all()
    stored = Stored(run.id, run.name, run.created_at, run.prompts, run.set_hash, run.complete,
                    results.get(run.id, []))
    return stored, rows


def _results(conn, run_ids: list[int]) -> dict[int, list[Result]]:
    found: dict[int, list[Result]] = {}
    if run_ids:
        for row in conn.execute(select(EvalResult).where(EvalResult.run_id.in_(run_ids))
                                .order_by(EvalResult.run_id, EvalResult.model_id)):
            found.setdefault(row.run_id, []).append(_result(row))
    return found


def _result(row) -> Result:
    return Result(row.model_id, row.passed, row.graded, row.errors, row.cost, row.latency_ms)
