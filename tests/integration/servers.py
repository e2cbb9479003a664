"""Start and stop real server processes on free loopback ports, for integration tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Poll url until it answers 200; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            if requests.get(url, timeout=0.5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up within {timeout}s")


def gunicorn_env(port: int, **settings: str) -> dict[str, str]:
    """The test process's environment minus vendor keys, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN", "_SECRET_ACCESS_KEY"))}
    env.update({"PORT": str(port), "WEB_CONCURRENCY": "2", "SECRETS_FILE": "/nonexistent/secrets.yaml"})
    env.update(settings)
    return env


@contextmanager
def gunicorn(**settings: str):
    """Run `gunicorn -c gunicorn.conf.py wsgi:app` on a free port; yield (base_url, process)."""
    port = free_port()
    process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=REPO,
                               env=gunicorn_env(port, **settings), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health", process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
