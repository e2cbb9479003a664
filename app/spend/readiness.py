"""Is the spend database there? /ready reads the last probe's answer; probes run in the background.

A probe runs at most every PROBE_EVERY_S, one at a time, in its own thread, so /ready never waits
on a database that does not answer (the probe itself ends at the engine's deadline). Only the
very first /ready of a process waits for the first probe, at most FIRST_WAIT_S.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from app.spend.ledger_db import probe

log = logging.getLogger(__name__)
PROBE_EVERY_S = 5.0   # /ready may be polled every second by several checkers
FIRST_WAIT_S = 0.5    # the first /ready waits this long for the first probe's answer
NOT_YET = "the database has not answered its first probe yet"


class DatabaseCheck:
    """Why the ledger cannot be written now (None when it can), from the last background probe."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic):
        self._engine, self._clock = engine, clock
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._done = threading.Event()
        self._prober: threading.Thread | None = None
        self._pid: int | None = None
        self._problem: str | None = NOT_YET

    def problem(self) -> str | None:
        """The last probe's finding; starts a probe when one is due, never waits past FIRST_WAIT_S."""
        self._probe_if_due()
        if not self._done.is_set():
            self._done.wait(FIRST_WAIT_S)
        return self._problem

    def _probe_if_due(self) -> None:
        with self._lock:
            if self._pid != os.getpid():   # a forked worker probes for itself
                self._pid, self._prober, self._started_at = os.getpid(), None, None
            running = self._prober is not None and self._prober.is_alive()
            now = self._clock()
            if running or (self._started_at is not None and now - self._started_at < PROBE_EVERY_S):
                return
            self._started_at = now
            self._prober = threading.Thread(target=self._run, name="database-probe", daemon=True)
            self._prober.start()

    def _run(self) -> None:
        self._problem = self._probe()
        self._done.set()

    def _probe(self) -> str | None:
        try:
            probe(self._engine)
            return None
        except Exception as exc:
            log.warning("database probe failed: %s", type(exc).__name__)
            return (f"the database does not answer or is not migrated ({type(exc).__name__}; "
                    "price-runner db upgrade): catalog and estimates serve from memory; send_prompt "
                    "answers with recorded: false, or 503 for principals with a budget")
