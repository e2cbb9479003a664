"""A gthread worker that takes on only the requests its threads can start in time.

gunicorn 27's gthread worker accepts up to ``worker_connections`` (1000) connections and hands
each to its thread pool, whose queue has no bound: with every thread waiting on a slow vendor,
new requests (health checks included) wait in that queue for minutes, and are served, calling
vendors, long after their clients gave up. This worker keeps the queue in its own hands:

- a connection is given to a request thread only when one is free, and only once it has bytes
  to read (until then it waits in the poller, holding no thread);
- otherwise one of ``LANE_THREADS`` reserved threads reads its request line: ``/health`` and
  ``/ready`` are answered there at once; any other request waits for a request thread at most
  ``ADMISSION_WAIT_S`` seconds, ``ADMISSION_QUEUE`` of them at a time;
- a request past that wait, or beyond the queue, is run through the app marked ``refused``
  (the ``price_runner.admission`` environ key): the app answers 503 with ``Retry-After`` in the
  path's error format (app/admission.py) without running the view, so it never calls a vendor.

All bookkeeping happens on the worker's main thread (gunicorn's event loop); the threads only
serve. Reserved threads read request lines without a timeout, as gunicorn's do: slow clients
belong to the buffering proxy in front (nginx), which gunicorn must never go without.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from concurrent import futures
from functools import partial

import selectors

from app.admission import ENVIRON_KEY, OPS_PATHS, REFUSED
from app.config import build_config
from app.gunicorn_worker import JSONErrorThreadWorker

LANE_THREADS = 2   # health checks, readiness and refusals: each takes milliseconds
SERVE, TRIAGE, REFUSE = "serve", "triage", "refuse"


class _Park:
    """What a reserved thread hands back: a parsed request that needs a request thread."""

    def __init__(self, req):
        self.req = req


class _Replay:
    """A connection's parser that first yields the request already read from it."""

    def __init__(self, parser, req):
        self._parser, self._req = parser, req

    def __next__(self):
        req, self._req = self._req, None
        return req if req is not None else next(self._parser)

    def __getattr__(self, name):
        return getattr(self._parser, name)


class AdmissionThreadWorker(JSONErrorThreadWorker):
    """gthread with bounded admission, a reserved lane for /health and /ready, and refusals."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = build_config()
        self.admission_wait = float(settings["ADMISSION_WAIT_S"])
        self.admission_queue = int(settings["ADMISSION_QUEUE"])
        self.busy = 0                  # connections held by request threads
        self.waiting: deque = deque()  # (deadline, conn): parsed requests waiting for a request thread
        self.lane = None
        self._local = threading.local()

    def init_process(self) -> None:
        self.lane = futures.ThreadPoolExecutor(max_workers=LANE_THREADS, thread_name_prefix="lane")
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app, local = self.wsgi, self._local

        def marked(environ, start_response):
            environ.update(getattr(local, "environ", {}))
            return app(environ, start_response)
        self.wsgi = marked

    # -- main thread: who gets which thread ------------------------------------------------
    def enqueue_req(self, conn) -> None:
        """Give a readable connection a request thread, or the lane; a silent one waits in the poller."""
        if not conn.initialized and not conn.data_ready:
            return self._wait_for_bytes(conn)
        conn.arrived = time.monotonic()
        self._submit(conn, SERVE if self.busy < self.cfg.threads else TRIAGE)

    def _wait_for_bytes(self, conn) -> None:
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))

    def _submit(self, conn, mode: str) -> None:
        conn.admission = mode
        if mode == SERVE:
            self.busy += 1
        future = (self.tpool if mode == SERVE else self.lane).submit(self.handle, conn)
        future.add_done_callback(lambda fut: self.method_queue.defer(self._finished, conn, mode, fut))

    def _finished(self, conn, mode: str, future) -> None:
        if mode == SERVE:
            self.busy -= 1
        parked = None if future.cancelled() or future.exception() else future.result()
        if isinstance(parked, _Park):
            self._park(conn, parked.req)
        else:
            self.finish_request(conn, future)
        self._admit()

    def _park(self, conn, req) -> None:
        conn.parser = _Replay(getattr(conn.parser, "_parser", conn.parser), req)
        if self.busy < self.cfg.threads:
            self._submit(conn, SERVE)
        elif len(self.waiting) < self.admission_queue:
            self.waiting.append((conn.arrived + self.admission_wait, conn))
        else:
            self._submit(conn, REFUSE)

    def _admit(self) -> None:
        """Start waiting requests on free threads; refuse the ones past their wait."""
        now = time.monotonic()
        while self.waiting and (self.waiting[0][0] <= now or self.busy < self.cfg.threads):
            deadline, conn = self.waiting.popleft()
            self._submit(conn, REFUSE if deadline <= now else SERVE)

    def wait_for_and_dispatch_events(self, timeout):
        if self.waiting:
            timeout = max(0.0, min(timeout, self.waiting[0][0] - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        self._admit()

    def handle_quit(self, sig, frame):
        self.lane.shutdown(wait=False)
        super().handle_quit(sig, frame)

    # -- any thread: serving ----------------------------------------------------------------
    def handle_request(self, req, conn):
        if conn.admission == TRIAGE and req.path not in OPS_PATHS:
            return _Park(req)
        self._local.environ = {ENVIRON_KEY: REFUSED} if conn.admission == REFUSE else {}
        try:
            return super().handle_request(req, conn)
        finally:
            self._local.environ = {}

    def _keepalive_after(self, conn, keepalive):
        if isinstance(keepalive, _Park):   # its body is still unread: the request thread reads it
            return keepalive
        return super()._keepalive_after(conn, keepalive)
