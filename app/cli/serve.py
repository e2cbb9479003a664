"""`price-runner serve`: gunicorn with the project's gunicorn.conf.py, on this machine unless told otherwise."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from app.config import PROJECT_ROOT

LOCAL = "127.0.0.1"


@click.command("serve")
@click.option("--host", help="address to listen on (default: $HOST, else 127.0.0.1: this machine only)")
@click.option("--port", type=click.IntRange(1, 65535), help="port (default: $PORT, else 3001)")
def serve_command(host: str | None, port: int | None) -> None:
    """Serve the API with gunicorn (the settings of docs/settings.md; `db upgrade` first)."""
    os.environ["HOST"] = host or os.environ.get("HOST") or LOCAL
    if port is not None:
        os.environ["PORT"] = str(port)
    gunicorn = _gunicorn()
    os.execv(gunicorn, [gunicorn, "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "--pythonpath", str(PROJECT_ROOT),
                        "wsgi:app"])


def _gunicorn() -> str:
    beside = Path(sys.executable).with_name("gunicorn")   # the venv's own, whatever PATH says
    found = str(beside) if beside.exists() else shutil.which("gunicorn")
    if found is None:
        raise click.ClickException("gunicorn is not installed in this environment (make run installs it)")
    return found
