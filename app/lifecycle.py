"""Background work that runs in every process serving requests, started after the fork.

gunicorn loads the app once in its master (preload_app) and forks the workers. A fork copies no
threads, and a thread running in the master while it forks could leave a lock held in a worker
forever; so create_app starts none. Packages register periodic jobs with ``every``; gunicorn's
``post_fork`` hook (gunicorn.conf.py) calls ``start`` in each worker, and a process that serves
without forking (a test, ``flask run``) calls it itself. Each job gets one daemon thread per
process, whether or not requests arrive.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger(__name__)
EXTENSION = "background"


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    run: Callable[[], None]


class Background:
    """The app's periodic jobs, and the process whose threads run them."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._started_in: int | None = None

    def start(self) -> None:
        """Start one thread per job in this process (again in a forked child; once per process)."""
        with self._lock:
            if self._started_in == os.getpid():
                return
            self._started_in = os.getpid()
            self.stop = threading.Event()
        for job in self.jobs:
            threading.Thread(target=_loop, args=(job, self.stop), name=job.name, daemon=True).start()


def _loop(job: Job, stop: threading.Event) -> None:
    # At once, then every interval: a worker forked long after the master loaded the app
    # must not serve what the master read then.
    while True:
        try:
            job.run()
        except Exception:   # a bug must not end the job in this process
            log.exception("background job %s failed", job.name)
        if stop.wait(job.interval_s):
            return


def every(app: Flask, name: str, interval_s: float, run: Callable[[], None]) -> None:
    """Run ``run()`` every ``interval_s`` seconds in each serving process, once started."""
    app.extensions.setdefault(EXTENSION, Background()).jobs.append(Job(name, interval_s, run))


def start(app: Flask) -> None:
    """Start the app's jobs in this process (gunicorn's post_fork calls it in each worker)."""
    background: Background | None = app.extensions.get(EXTENSION)
    if background is not None:
        background.start()
