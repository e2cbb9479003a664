"""A total deadline for vendor calls: one thread per process shuts down the sockets of late calls.

requests and urllib3 only time each socket operation, so a vendor that sends its status line,
headers or body a byte at a time (each gap shorter than the read timeout) could hold a pool
thread for as long as it likes. Here every call runs under a ``Guard``; the connection classes
in ``sessions.py`` register each socket they open or reuse with the current thread's guard, and
the watchdog ``shutdown()``s them at the deadline, or at once when the caller cancels. A shut
down socket makes the blocked read return at once, so the thread is free again.
"""
from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEADLINE = "deadline"
CANCELLED = "cancelled"

_local = threading.local()


class Guard:
    """The sockets of one call, and why they were cut (None while the call may go on)."""

    def __init__(self, deadline: float, cancel: threading.Event | None):
        self.deadline, self.cancel = deadline, cancel
        self.reason: str | None = None
        self._sockets: list[socket.socket] = []
        self._closed = False
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        """Cut this socket with the call; at once if the call was already cut."""
        with self._lock:
            if self._closed:
                return
            if self.reason is not None:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def cut(self, reason: str) -> None:
        """Shut down every socket of the call, unless it has already ended."""
        with self._lock:
            if self._closed or self.reason is not None:
                return
            self.reason = reason
            for sock in self._sockets:
                _shut(sock)

    def close(self) -> None:
        """The call ended: its sockets (kept alive in the pool) are no longer ours to cut."""
        with self._lock:
            self._closed = True
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for an SSLSocket: it wakes a read blocked in another
    # thread without touching the TLS state that thread is using.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass   # already closed or never connected


class Watchdog:
    """Cut calls at their deadline; one per process, its thread started on first use."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._start_lock = threading.Lock()

    def _ensure_started(self) -> None:
        # Threads do not survive gunicorn's fork: each worker starts its own on first use.
        if self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid != os.getpid():
                self._cond = threading.Condition()
                self._active: set[Guard] = set()
                self._wakes_at = math.inf   # when the thread will next look at the deadlines
                threading.Thread(target=self._run, name="deadline-watchdog", daemon=True).start()
                self._pid = os.getpid()

    @contextmanager
    def guard(self, deadline: float, cancel: threading.Event | None = None) -> Iterator[Guard]:
        """Run a call under a guard: sockets this thread opens or reuses meanwhile are cut at the deadline."""
        guard = self.open(deadline, cancel)
        try:
            with bound(guard):
                yield guard
        finally:
            self.close(guard)

    def open(self, deadline: float, cancel: threading.Event | None = None) -> Guard:
        """Start watching a call that outlives one block (a stream read as its caller iterates); close() it."""
        self._ensure_started()
        guard = Guard(deadline, cancel)
        with self._cond:
            self._active.add(guard)
            if deadline < self._wakes_at:   # most calls end later than the earliest: no wake-up needed
                self._cond.notify()
        return guard

    def close(self, guard: Guard) -> None:
        """Stop watching the call; its sockets are no longer cut."""
        with self._cond:
            self._active.discard(guard)
        guard.close()

    def reschedule(self, guard: Guard, deadline: float) -> None:
        """Move a running call's deadline (a stream's idle deadline moves on with every chunk)."""
        if deadline >= guard.deadline:
            # Later: no lock, no wake-up. The thread wakes by the old deadline at the latest and
            # reads the new one then (a stream moves its deadline on every chunk).
            guard.deadline = deadline
            return
        with self._cond:
            guard.deadline = deadline
            if deadline < self._wakes_at:
                self._cond.notify()

    def cancel(self, event: threading.Event) -> None:
        """Cut at once every running call that was started with this cancel event."""
        if self._pid != os.getpid():
            return
        with self._cond:
            for guard in [g for g in self._active if g.cancel is event]:
                guard.cut(CANCELLED)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for guard in [g for g in self._active if g.deadline <= now]:
                    self._active.discard(guard)
                    guard.cut(DEADLINE)
                self._wakes_at = min((g.deadline for g in self._active), default=math.inf)
                self._cond.wait(None if self._wakes_at == math.inf else self._wakes_at - now)


@contextmanager
def bound(guard: Guard) -> Iterator[Guard]:
    """Make sockets this thread opens or reuses meanwhile the guard's (a request being sent)."""
    _local.guard = guard
    try:
        yield guard
    finally:
        _local.guard = None


def current_guard() -> Guard | None:
    """The guard of the call this thread is making, if any."""
    return getattr(_local, "guard", None)


WATCHDOG = Watchdog()
