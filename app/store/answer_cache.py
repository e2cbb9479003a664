"""The answer cache in the database: every worker of an instance (every instance, on PostgreSQL)
sees the same entries; a time to live per entry and a bound on the bytes of all entries."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.store.engine import writer
from app.store.schema import AnswerCacheState, CachedAnswer

PRUNE_BATCH = 64   # entries looked at per pass when the cache is over its bound


class DatabaseBackend:
    """get/set as flask-caching's backends offer them, over the answer_cache table."""

    def __init__(self, engine: Engine, max_bytes: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine, self._max_bytes, self._clock = engine, max_bytes, clock

    def get(self, key: str) -> bytes | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(CachedAnswer.value, CachedAnswer.expires_at)
                               .where(CachedAnswer.key == key)).first()
        return row.value if row is not None and row.expires_at > self._clock() else None

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        now = self._clock()
        with writer(self._engine).begin() as conn:
            before = conn.scalar(select(CachedAnswer.size).where(CachedAnswer.key == key).with_for_update()) or 0
            insert = (sqlite if conn.dialect.name == "sqlite" else postgresql).insert(CachedAnswer).values(
                key=key, value=value, size=len(value), stored_at=now,
                expires_at=now + timedelta(seconds=timeout or 0))
            conn.execute(insert.on_conflict_do_update(index_elements=[CachedAnswer.key], set_={
                name: insert.excluded[name] for name in ("value", "size", "stored_at", "expires_at")}))
            total = _add(conn, len(value) - before)
            if total > self._max_bytes:
                _prune(conn, total - self._max_bytes, now)


def _add(conn: Connection, delta: int) -> int:
    """Add delta to the recorded total (the row locks other writers out); return the new total."""
    return conn.execute(update(AnswerCacheState).where(AnswerCacheState.id == 1)
                        .values(total_bytes=AnswerCacheState.total_bytes + delta)
                        .returning(AnswerCacheState.total_bytes)).scalar_one()


def _prune(conn: Connection, excess: int, now: datetime) -> None:
    """Drop expired entries, then the oldest, until excess bytes are gone."""
    freed = conn.scalar(select(func.coalesce(func.sum(CachedAnswer.size), 0)).where(CachedAnswer.expires_at <= now))
    conn.execute(delete(CachedAnswer).where(CachedAnswer.expires_at <= now))
    while freed < excess:
        oldest = conn.execute(select(CachedAnswer.key, CachedAnswer.size)
                              .order_by(CachedAnswer.stored_at).limit(PRUNE_BATCH)).all()
        if not oldest:
            break
        chosen = []
        for key, size in oldest:
            if freed >= excess:
                break
            chosen.append(key)
            freed += size
        conn.execute(delete(CachedAnswer).where(CachedAnswer.key.in_(chosen)))
    _add(conn, -freed)
