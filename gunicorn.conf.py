"""Gunicorn settings, parsed by the app's own settings table (app/config.py; see docs/settings.md)."""
import atexit
import glob
import importlib.util
import os
import shutil
import socket
import sys
import tempfile

if sys.version_info < (3, 11):
    sys.exit("price-runner: cannot start: Python 3.11 or newer is needed, this is "
             + ".".join(map(str, sys.version_info[:3])))


def _settings() -> dict:
    """Every setting, parsed and checked as the app will; a bad one stops here in one line."""
    # app/config.py is loaded on its own: importing the app package would import
    # prometheus_client before PROMETHEUS_MULTIPROC_DIR is set below.
    spec = importlib.util.spec_from_file_location(
        "price_runner_config", os.path.join(os.path.dirname(os.path.abspath(__file__)), "app", "config.py"))
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    try:
        return config.build_config()
    except config.ConfigError as exc:
        sys.exit(f"price-runner: cannot start: {exc}")


_SETTINGS = _settings()
# Behind a trusted proxy (TRUSTED_PROXIES other than 0) gunicorn listens on loopback only: a
# client reaching it directly could write its own X-Forwarded-For. HOST overrides (0.0.0.0 when
# nginx runs in another container).
_behind_proxy = _SETTINGS["TRUSTED_PROXIES"] != 0
bind = f"{_SETTINGS['HOST'] or ('127.0.0.1' if _behind_proxy else '0.0.0.0')}:{_SETTINGS['PORT']}"
if _behind_proxy:
    # nginx bounds requests (8 KB lines, 32 KB of headers) and answers beyond that in JSON;
    # gunicorn's lower defaults would answer first, with its HTML error pages.
    limit_request_line = 8190     # gunicorn's maximum: what nginx's 8k line buffer holds
    limit_request_fields = 32768  # gunicorn's maximum; nginx's 32 KB of headers bound the count
# gthread with bounded admission (503 past ADMISSION_WAIT_S, /health and /ready on reserved
# threads) and its parse errors in JSON.
worker_class = "app.admission_worker.AdmissionThreadWorker"
workers = _SETTINGS["WEB_CONCURRENCY"]
threads = _SETTINGS["GUNICORN_THREADS"]
# Longer than the provider deadline, so a slow fan-out is never killed mid-answer.
timeout = int(_SETTINGS["PROVIDER_TIMEOUT"]) + 15
# On SIGTERM the master closes its listeners at once (new connections go to other instances),
# then each worker finishes the requests it holds within this time: longer than the provider
# deadline (checked by app/config.py), so a call in flight ends, is recorded, and answers.
graceful_timeout = _SETTINGS["GRACEFUL_TIMEOUT"]
keepalive = 5
# Load the app once in the master: a bad catalog or secrets file stops start-up with one
# clear message and a non-zero exit, instead of workers that crash and restart forever.
preload_app = True
# The app writes one JSON line per request on stdout (app/observability/access.py), so
# gunicorn's own access log is off; its error log (start-up, workers, signals) stays text
# on stderr, keeping stdout pure JSON.
accesslog = None
errorlog = "-"
loglevel = _SETTINGS["LOG_LEVEL"].lower()
# gunicorn's control socket (gunicornc) defaults to one path per user, which every instance
# on the host would share, each taking it from the last one started and removing it when
# it stops: off, unless ops give this instance its own path.
control_socket_disable = not _SETTINGS["GUNICORN_CONTROL_SOCKET"]
if _SETTINGS["GUNICORN_CONTROL_SOCKET"]:
    control_socket = _SETTINGS["GUNICORN_CONTROL_SOCKET"]

# Metrics from every worker: prometheus_client's multiprocess mode. The variable must be set
# before the app (and so prometheus_client) is imported, which preload_app does right after
# reading this file. Without one from ops, each start gets its own temporary directory,
# removed when the master exits (also when loading the app fails, which skips on_exit).
if _SETTINGS["METRICS_ENABLED"] and not _SETTINGS["PROMETHEUS_MULTIPROC_DIR"]:
    _own_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="price-runner-metrics-")
    _master = os.getpid()
    # Workers inherit atexit handlers when forked: only the master removes the directory.
    atexit.register(lambda: os.getpid() == _master and shutil.rmtree(_own_dir, ignore_errors=True))


def on_starting(server):
    """Start from zero: remove the drain file and the files a previous run left in the metrics directory.

    The master has loaded the app by now (preload_app); the values it created (the in-flight
    gauge, the alerting series at 0) are all zero, and their files go too. prometheus_client
    notices the pid change after fork, so each worker writes its own files, named by its pid.
    """
    if _SETTINGS["DRAIN_FILE"]:
        # A drain file left by the previous run of this instance would keep it out of service.
        try:
            os.remove(_SETTINGS["DRAIN_FILE"])
        except FileNotFoundError:
            pass
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)


def when_ready(server):
    """Make SIGTERM stop the listening socket itself, not only the master's copy of it.

    gunicorn's master closes its own descriptor on SIGTERM, but each worker holds the same
    socket until it exits: the kernel would go on queueing new connections that nobody serves
    until the graceful timeout ends, then reset them (a POST nginx had sent is then a 502).
    shutdown() ends listening in every process at once: new connections are refused, so a
    proxy tries another instance; requests already accepted finish. Not when the socket is
    shared with another master (USR2 upgrade) or systemd's.
    """
    terminate = server.handle_term

    def handle_term():
        if server.reexec_pid == server.master_pid == 0 and not server.systemd:
            for listener in server.LISTENERS:
                try:
                    listener.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        terminate()

    server.handle_term = handle_term


def post_fork(server, worker):
    """Start the app's background jobs (app/lifecycle.py) in this worker: a fork copies no threads."""
    from app import lifecycle

    lifecycle.start(server.app.wsgi())


def child_exit(server, worker):
    """Drop a dead worker's live gauges (requests in flight); its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
