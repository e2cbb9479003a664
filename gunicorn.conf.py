"""Gunicorn settings; every value can be set from the environment (see README)."""
import atexit
import glob
import os
import shutil
import tempfile

# Behind a trusted proxy (TRUSTED_PROXIES other than 0) gunicorn listens on loopback only: a
# client reaching it directly could write its own X-Forwarded-For. HOST overrides (0.0.0.0 when
# nginx runs in another container). A bad TRUSTED_PROXIES is the app's ConfigError, not ours.
_behind_proxy = (os.environ.get("TRUSTED_PROXIES") or "0").strip() != "0"
_host = os.environ.get("HOST") or ("127.0.0.1" if _behind_proxy else "0.0.0.0")
bind = f"{_host}:{os.environ.get('PORT', '3001')}"
if _behind_proxy:
    # nginx bounds requests (8 KB lines, 32 KB of headers) and answers beyond that in JSON;
    # gunicorn's lower defaults would answer first, with its HTML error pages.
    limit_request_line = 8190     # gunicorn's maximum: what nginx's 8k line buffer holds
    limit_request_fields = 32768  # gunicorn's maximum; nginx's 32 KB of headers bound the count
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Longer than the provider deadline, so a slow fan-out is never killed mid-answer.
timeout = int(float(os.environ.get("PROVIDER_TIMEOUT", "30"))) + 15
graceful_timeout = 30
keepalive = 5
# Load the app once in the master: a bad catalog or secrets file stops start-up with one
# clear message and a non-zero exit, instead of workers that crash and restart forever.
preload_app = True
# The app writes one JSON line per request on stdout (app/observability/access.py), so
# gunicorn's own access log is off; its error log (start-up, workers, signals) stays text
# on stderr, keeping stdout pure JSON.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Metrics from every worker: prometheus_client's multiprocess mode. The variable must be set
# before the app (and so prometheus_client) is imported, which preload_app does right after
# reading this file. Without one from ops, each start gets its own temporary directory,
# removed when the master exits (also when loading the app fails, which skips on_exit).
METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "true").strip().lower() not in {"0", "false", "no", "off"}
if METRICS_ENABLED and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="price-runner-metrics-")
    _master = os.getpid()
    # Workers inherit atexit handlers when forked: only the master removes the directory.
    atexit.register(lambda: os.getpid() == _master and shutil.rmtree(_own_dir, ignore_errors=True))


def on_starting(server):
    """Start from zero: remove the files a previous run left in the metrics directory.

    The master has loaded the app by now (preload_app); the only value it created is the
    unlabelled in-flight gauge, still zero, and its file goes too. prometheus_client notices
    the pid change after fork, so each worker writes its own files, named by its pid.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    """Drop a dead worker's live gauges (requests in flight); its counters stay in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
