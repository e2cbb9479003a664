"""process_* metrics (CPU, memory, open fds) of every process of a gunicorn server, read at scrape time.

prometheus_client's ProcessCollector reads /proc/self, which in multiprocess mode would be
whichever worker answers the scrape: a different process each time. Instead the worker that
answers reads /proc/<pid> of the master and of each live worker (same user, so it may), and
exports every series once per process with ``pid`` and ``process`` (master or worker) labels:
per-worker memory shows a leak in one worker, and ``sum without (pid, process)`` gives the
server's total. Values are read when scraped, so they are never stale, and a dead worker's
series disappears with it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.metrics_core import Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

PROC = Path("/proc")


class ServerProcesses(Collector):
    """The process_* series of the master that loaded the app and of its live children (the workers)."""

    def __init__(self, master: int):
        self._master = master

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for pid, role in self.processes():
            for family in ProcessCollector(pid=lambda pid=pid: pid, registry=None).collect():
                merged = families.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                for sample in family.samples:
                    merged.add_sample(sample.name, {**sample.labels, "pid": str(pid), "process": role}, sample.value)
        return list(families.values())

    def processes(self) -> list[tuple[int, str]]:
        """(pid, role) of the master and its workers; only this process when it was not forked by the master."""
        me = os.getpid()
        if me == self._master or os.getppid() != self._master:
            return [(me, "master" if me == self._master else "worker")]
        return [(self._master, "master")] + [(pid, "worker") for pid in children(self._master)]


def children(pid: int) -> list[int]:
    """The direct children of pid: /proc/<pid>/task/*/children, else a scan of every process's parent."""
    try:
        return sorted({int(child) for task in (PROC / str(pid) / "task").iterdir()
                       for child in (task / "children").read_text().split()})
    except OSError:   # a kernel without CONFIG_PROC_CHILDREN
        return sorted(p for p in _all_pids() if _parent(p) == pid)


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        return int((PROC / str(pid) / "stat").read_bytes().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
