"""A PostgreSQL for the tests: the machine's at 127.0.0.1:5432 when it answers, else a throwaway cluster."""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from tests.integration.servers import free_port

MACHINE = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=2"


def machine_postgres() -> str | None:
    """The machine's server as a SQLAlchemy URL, if it answers (trust auth, database test)."""
    try:
        with psycopg.connect(MACHINE):
            return "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    except psycopg.Error:
        return None


def _binaries() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def _as_owner(command: list[str], user: str | None) -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", user, "--", *command] if user else command


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb + pg_ctl a cluster on a free port in a temporary directory; yield its URL, then stop it."""
    bindir = _binaries()
    if bindir is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        user = next((name for name in ("postgres", "nobody") if _exists(name)), None)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pg-") as directory:
        data = os.path.join(directory, "data")
        if user:
            shutil.chown(directory, user)
        run = lambda *args: subprocess.run(_as_owner([os.path.join(bindir, args[0]), *args[1:]], user),  # noqa: E731
                                           check=True, capture_output=True, text=True, timeout=60)
        run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        run("pg_ctl", "-D", data, "-o", options, "-l", os.path.join(directory, "log"), "-w", "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", data, "-m", "fast", "-w", "stop")


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def unavailable(message: str):
    """Skip, or fail under CI (REQUIRE_SERVERS=1), where a missing PostgreSQL is a broken setup."""
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {message}")
    pytest.skip(message)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """Create a database with a random name on the server; yield its URL; drop it afterwards."""
    name = f"price_runner_test_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
