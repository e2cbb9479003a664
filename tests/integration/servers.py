"""Start and stop real server processes on free loopback ports, for integration tests."""
from __future__ import annotations

import atexit
import itertools
import json
import os
import pwd
import shutil
import socket
import string
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
    def answers() -> bool:
        try:
            return requests.get(url, timeout=0.5).status_code == 200
        except requests.RequestException:
            return False
    wait_until(answers, process, url, timeout)


def wait_until(ready, process: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    """Poll ready() until it is true; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


def gunicorn_env(port: int, **settings: str) -> dict[str, str]:
    """The test process's environment minus vendor keys, plus the given settings."""
    from app.vendors import VENDORS

    credentials = {name for vendor in VENDORS.values() for names in vendor.env.values() for name in names}
    env = {k: v for k, v in os.environ.items()
           if k not in credentials and not k.endswith(("_API_KEY", "_TOKEN", "_SECRET_ACCESS_KEY"))
           and k != "LOG_FLUSH_INTERVAL_MS"}   # servers batch their log lines, as deployed
    env.update({"PORT": str(port), "WEB_CONCURRENCY": "2", "SECRETS_FILE": "/nonexistent/secrets.yaml",
                "DATABASE_URL": seeded_database_url(),
                # Tests and benchmarks send many requests from one address; the ones about
                # limits turn them on.
                "RATELIMIT_ENABLED": "false"})
    env.update(settings)
    return env


_template: list[Path] = []


def seeded_database_url() -> str:
    """A fresh copy of a migrated SQLite database seeded with the bundled catalog (as `make run`
    leaves it); the template is made once per test process, removed at exit."""
    if not _template:
        from datetime import UTC, datetime

        from app.store.catalog_db import seed_if_empty
        from app.store.engine import make_engine, writing
        from app.store.migrate import upgrade

        directory = Path(tempfile.mkdtemp(prefix="price-runner-db-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        engine = make_engine(f"sqlite:///{directory / 'template.db'}")
        upgrade(engine)
        with writing(engine) as session:
            seed_if_empty(session, REPO / "models.csv", REPO / "price_history.csv", datetime.now(UTC))
        engine.dispose()
        _template.append(directory / "template.db")
    copy = _template[0].with_name(f"db-{next(_copies)}.db")
    shutil.copyfile(_template[0], copy)
    return f"sqlite:///{copy}"


_copies = itertools.count()


class Server:
    """A running server process; its output goes to a file, so a full pipe never blocks it."""

    def __init__(self, command: list[str], env: dict[str, str], health_url: str | None = None, ready=None,
                 cwd: Path = REPO):
        self.output = tempfile.NamedTemporaryFile("w+", prefix="server-", suffix=".log")
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=self.output,
                                        stderr=subprocess.STDOUT, text=True)
        try:
            if ready is not None:
                wait_until(ready, self.process, command[0])
            else:
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
def gunicorn(app: str = "wsgi:app", cwd: Path = REPO, **settings: str):
    """Run `gunicorn -c gunicorn.conf.py wsgi:app` (in cwd: another checkout) on a free port;
    yield (base_url, Server). Unless DATABASE_URL is given, it gets its own copy of a migrated
    database seeded with the bundled catalog (gunicorn_env), as `make run` leaves it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = Server([str(GUNICORN), "-c", "gunicorn.conf.py", app], gunicorn_env(port, **settings),
                    f"{base}/health", cwd=cwd)
    try:
        yield base, server
    finally:
        server.stop()
        server.output.close()


def migrated_sqlite(path: Path) -> str:
    """Migrate a SQLite database at path (as `flask db upgrade` does); return its URL."""
    from app.store.engine import make_engine
    from app.store.migrate import upgrade

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def json_lines(output: str) -> list[dict]:
    """The JSON objects among a server's output lines (gunicorn's own log is text)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def server_binary(name: str) -> str:
    """Path of a Debian server binary; skip without it, or fail when REQUIRE_SERVERS=1 (CI)."""
    import pytest

    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"]))
    if found:
        return found
    message = f"{name} is not installed (apt-get install nginx redis-server; .ci/run does)"
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {message}")
    pytest.skip(message)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server():
    """Run a throwaway redis-server (no persistence) on a free loopback port; yield its URI."""
    binary = server_binary("redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="redis-") as directory:
        server = Server([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", directory], dict(os.environ),
                        ready=lambda: _redis_answers(port))
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.stop()
            server.output.close()


def render_nginx(listen: str, upstream: str | list[str]) -> str:
    """deploy/nginx.conf with its three variables filled in, as envsubst would; several upstreams
    (host:port each) become one `server` line each, as its header says."""
    template = (REPO / "deploy" / "nginx.conf").read_text()
    first, *more = [upstream] if isinstance(upstream, str) else upstream
    rendered = string.Template(template).safe_substitute(
        NGINX_USER=pwd.getpwuid(os.geteuid()).pw_name, NGINX_LISTEN=listen, PRICE_RUNNER_UPSTREAM=first)
    line = f"        server {first};\n"
    return rendered.replace(line, line + "".join(f"        server {address};\n" for address in more), 1)


@contextmanager
def nginx(upstream: str | list[str], edit=None):
    """Run nginx from deploy/nginx.conf in a temporary prefix, proxying to upstream (host:port,
    or a list of them: one `server` line each).

    edit, when given, changes the rendered text first. Yields (base_url, prefix): the access
    and error logs are prefix/logs/*.log.
    """
    binary = server_binary("nginx")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="nginx-") as directory:
        prefix = Path(directory)
        (prefix / "logs").mkdir()
        (prefix / "tmp").mkdir()
        conf = prefix / "nginx.conf"
        rendered = render_nginx(f"127.0.0.1:{port}", upstream)
        conf.write_text(edit(rendered) if edit else rendered)
        server = Server([binary, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"], dict(os.environ),
                        ready=lambda: _accepts(port))
        try:
            yield base, prefix
        finally:
            server.stop()
            server.output.close()


def stream_arrivals(url: str, body: dict, skip: tuple[str, ...] = ("delta",),
                    named: bool = False) -> list[tuple[float, bytes]]:
    """POST a streaming send_prompt; return (seconds since the request, data line) per event, but
    the events named in ``skip`` (with ``named``: (seconds, event name, data line))."""
    started, arrivals, event = time.monotonic(), [], b""
    with requests.post(url, json=body, stream=True, timeout=10) as response:
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(b"event: "):
                event = line[7:]
            elif line.startswith(b"data: ") and event.decode() not in skip:
                at = time.monotonic() - started
                arrivals.append((at, event.decode(), line[6:]) if named else (at, line[6:]))
    return arrivals
