"""Is the spend database there? Asked by /ready, answered from a probe at most every few seconds."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from app.spend.ledger_db import probe

log = logging.getLogger(__name__)
PROBE_EVERY_S = 5.0   # /ready may be polled every second by several checkers


class DatabaseCheck:
    """Why the ledger cannot be written now (None when it can), probed at most every PROBE_EVERY_S."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic):
        self._engine, self._clock = engine, clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._problem: str | None = None

    def problem(self) -> str | None:
        with self._lock:
            now = self._clock()
            if self._checked_at is None or now - self._checked_at >= PROBE_EVERY_S:
                self._problem, self._checked_at = self._probe(), now
            return self._problem

    def _probe(self) -> str | None:
        try:
            probe(self._engine)
            return None
        except Exception as exc:
            log.warning("database probe failed: %s", type(exc).__name__)
            return (f"the database does not answer or is not migrated ({type(exc).__name__}; "
                    "price-runner db upgrade): catalog and estimates serve from memory; send_prompt "
                    "answers with recorded: false, or 503 for principals with a budget")
