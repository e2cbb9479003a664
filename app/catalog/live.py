"""The catalog a worker serves: one snapshot, swapped whole, refreshed off the request path.

Sources, best first: the database (``catalog_state.version`` says when it changed), else the
reviewed files (models.csv + price_history.csv), with the reason kept for /ready. One thread
per process looks at each live catalog every ``refresh_s`` seconds (a single small query) and
when a dated price or a price window takes effect, builds the new snapshot with every package's
derivation, and swaps it in with one attribute store; requests never wait on the database. A
request that reads ``current`` after such a change and before the thread's swap re-prices first,
so that every cost uses the price in force at the moment the request reads it.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from app.catalog.model import Model
from app.catalog.snapshot import Derivation, Snapshot, build
from app.store.price_versions import Version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """What a source returned: the catalog version (None for the files), models and versions."""

    version: int | None
    source: str
    models: list[Model]
    versions: dict[str, list[Version]]


class LiveCatalog:
    """Serve ``current``; ``refresh()`` reloads on a new version and re-prices at dated changes."""

    def __init__(self, load: Callable[[datetime], Loaded], peek: Callable[[], int | None],
                 fallback: Callable[[datetime], Loaded], refresh_s: float,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._load, self._peek, self._fallback = load, peek, fallback
        self.refresh_s, self._clock = refresh_s, clock
        self._derivations: dict[str, Derivation] = {}
        self._lock = threading.Lock()
        self.problem: str | None = None      # why the database is not the source now (/ready)
        self._loaded = self._first_load()
        self._snapshot: Snapshot = self._build(self._loaded)
        self.checked_at = time.monotonic()   # of the last look at the database (the refresher's)
        self.watched_by: int | None = None   # the pid whose refresher watches this catalog

    @property
    def clock(self) -> Callable[[], datetime]:
        """What "now" is for pricing (tests move it)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        """Use another clock, and re-price at its moment at once (it may have gone back)."""
        with self._lock:
            self._clock = clock
            self._snapshot = self._build(self._loaded)

    @property
    def current(self) -> Snapshot:
        """The snapshot priced at this moment (re-priced first if a price or window changed since)."""
        snapshot = self._snapshot
        if snapshot.next_change is not None and self.clock() >= snapshot.next_change:
            with self._lock:
                if self._snapshot is snapshot:
                    self._snapshot = self._build(self._loaded)
                snapshot = self._snapshot
        return snapshot

    def _first_load(self) -> Loaded:
        now = self.clock()
        # The reviewed files are read (and checked) at every start, whatever serves: they seed the
        # database and stand in for it, so a broken file stops the start (CatalogError) at once.
        files = self._fallback(now)
        try:
            return self._load(now)
        except Exception as exc:   # no database, no schema, empty: serve the files, say why
            self.problem = _reason(exc)
            log.warning("catalog from the bundled files: %s", self.problem)
            return files

    # The repository interface, over the current snapshot (a request that needs several reads
    # should take ``current`` once and read its repository, so that it sees one snapshot).
    def all(self) -> list[Model]:
        return self.current.repository.all()

    def by_provider(self, provider_key: str) -> list[Model]:
        return self.current.repository.by_provider(provider_key)

    def get(self, model_id: str) -> Model | None:
        return self.current.repository.get(model_id)

    def providers(self) -> list[str]:
        return self.current.repository.providers()

    def named(self, names) -> list[Model]:
        return self.current.repository.named(names)

    def derive(self, name: str, derivation: Derivation) -> None:
        """Register a package's builder; it runs now on the current snapshot and on every new one."""
        with self._lock:
            self._derivations[name] = derivation
            self._snapshot.derived[name] = derivation(self._snapshot)

    def refresh(self) -> bool:
        """Reload if the database's version moved, re-price if a dated price took effect; say if swapped."""
        with self._lock:
            loaded = self._reload_if_changed()
            due = self._snapshot.next_change is not None and self.clock() >= self._snapshot.next_change
            if loaded is None and not due:
                return False
            self._loaded = loaded or self._loaded
            self._snapshot = self._build(self._loaded)   # one store: readers see old or new, whole
            return True

    def _reload_if_changed(self) -> Loaded | None:
        try:
            version = self._peek()
            if version is not None and version != self._loaded.version:
                loaded = self._load(self.clock())
                self.problem = None
                return loaded
            self.problem = None if self._loaded.source == "database" else self.problem
        except Exception as exc:   # the database went away: keep serving what we have
            self.problem = _reason(exc)
            log.warning("catalog refresh failed, serving the snapshot held: %s", self.problem)
        return None

    def _build(self, loaded: Loaded) -> Snapshot:
        return build(loaded.models, loaded.versions, self.clock(), version=loaded.version,
                     source=loaded.source, derivations=self._derivations)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"database: {type(exc).__name__}" + (f" ({text})" if text else "")


class Refresher:
    """One daemon thread per process that refreshes every registered catalog when it is due."""

    TICK_S = 1.0

    def __init__(self) -> None:
        self._catalogs: weakref.WeakSet[LiveCatalog] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def watch(self, catalog: LiveCatalog) -> None:
        """Refresh catalog from now on (the thread starts in each process that watches one)."""
        with self._lock:
            self._catalogs.add(catalog)
            if self._pid != os.getpid():   # none yet in this process (a fork copies no threads)
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="catalog-refresh", daemon=True).start()

    def _run(self) -> None:
        clock = threading.Event()
        while not clock.wait(self.TICK_S):
            now = time.monotonic()
            for catalog in list(self._catalogs):
                if now - catalog.checked_at >= catalog.refresh_s or _price_change_due(catalog):
                    catalog.checked_at = now
                    try:
                        catalog.refresh()
                    except Exception:   # a bug must not stop the refreshes of the others
                        log.exception("catalog refresh failed")


def _price_change_due(catalog: LiveCatalog) -> bool:
    upcoming = catalog._snapshot.next_change
    return upcoming is not None and catalog.clock() >= upcoming


REFRESHER = Refresher()
