"""Gunicorn settings; every value can be set from the environment (see README)."""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3001')}"
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
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
