"""Gunicorn entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""
import sys

if sys.version_info < (3, 11):   # checked before the app's imports, which would fail less clearly
    sys.exit("price-runner: cannot start: Python 3.11 or newer is needed, this is "
             + ".".join(map(str, sys.version_info[:3])))

from app import STARTUP_ERRORS, create_app  # noqa: E402

try:
    app = create_app()
except STARTUP_ERRORS as exc:  # a clean one-line reason instead of a traceback, and exit non-zero
    sys.exit(f"price-runner: cannot start: {exc}")
