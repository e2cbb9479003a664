"""Gunicorn entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""
import sys

from app import STARTUP_ERRORS, create_app

try:
    app = create_app()
except STARTUP_ERRORS as exc:  # a clean one-line reason instead of a traceback, and exit non-zero
    sys.exit(f"price-runner: cannot start: {exc}")
