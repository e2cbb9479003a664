"""The outlook a worker serves: rebuilt from the ledger by a thread of its own, swapped whole."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from app.forecast.outlook import EMPTY, Outlook

log = logging.getLogger(__name__)


class LiveOutlook:
    """Serve ``current``; ``refresh()`` rebuilds it (the thread calls it every ``refresh_s`` seconds)."""

    def __init__(self, load: Callable[[], Outlook], refresh_s: float,
                 on_refresh: Callable[[Outlook], None] = lambda outlook: None):
        self._load, self.refresh_s, self._on_refresh = load, refresh_s, on_refresh
        self.current: Outlook = EMPTY
        self.problem: str | None = None   # why the last refresh failed (the previous outlook stays)
        self._lock = threading.Lock()
        self._watch_lock = threading.Lock()
        self._watched_by: int | None = None

    def refresh(self) -> Outlook:
        """Rebuild the outlook from the ledger; on failure keep serving the one held."""
        with self._lock:
            try:
                outlook = self._load()
            except Exception as exc:   # no database, not migrated: predictions wait, rankings go on
                problem = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
                if problem != self.problem:   # once per new problem, not every refresh
                    log.warning("output forecasts not refreshed, serving the ones held: %s", problem)
                self.problem = problem
                return self.current
            self.problem = None
            self.current = outlook   # one store: readers see old or new, whole
            self._on_refresh(outlook)
            return outlook

    def watch(self) -> None:
        """Start this process's refresher thread (once per process: a fork copies no threads); cheap
        when it runs already, so every request may call it."""
        pid = os.getpid()
        if self._watched_by == pid:
            return
        with self._watch_lock:
            if self._watched_by == pid:
                return
            self._watched_by = pid
        threading.Thread(target=self._run, name="forecast-refresh", daemon=True).start()

    def _run(self) -> None:
        stop = threading.Event()
        while True:
            try:
                self.refresh()
            except Exception:   # a bug must not end the refreshes
                log.exception("forecast refresh failed")
            if stop.wait(self.refresh_s):
                return
