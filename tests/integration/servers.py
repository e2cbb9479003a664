"""Start and stop real server processes on free loopback ports, for integration tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
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
            raise RuntimeError(f"server exited with {process.returncode}")
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


class Server:
    """A running server process; its output goes to a file, so a full pipe never blocks it."""

    def __init__(self, command: list[str], env: dict[str, str], health_url: str):
        self.output = tempfile.NamedTemporaryFile("w+", prefix="server-", suffix=".log")
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self.output,
                                        stderr=subprocess.STDOUT, text=True)
        try:
            wait_for(health_url, self.process)
        except Exception:
            self.stop()
            raise RuntimeError(f"{command[0]} did not start:\n{self.log()}") from None

    def log(self) -> str:
        """Everything the process printed so far."""
        return Path(self.output.name).read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def gunicorn(app: str = "wsgi:app", **settings: str):
    """Run `gunicorn -c gunicorn.conf.py wsgi:app` on a free port; yield (base_url, Server)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server([str(GUNICORN), "-c", "gunicorn.conf.py", app], gunicorn_env(port, **settings),
                    f"{base}/health")
    try:
        yield base, server
    finally:
        server.stop()
        server.output.close()
