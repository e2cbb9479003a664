"""Shared fixtures: network blocked except loopback, app and client from the factory."""
from __future__ import annotations

import ipaddress
import itertools
import os
import shutil
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _is_loopback(address) -> bool:
    if not isinstance(address, tuple):   # AF_UNIX path
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# In this process log lines are written as they are logged, so tests read them at once from the
# captured stdout; servers the tests start keep the default batching (servers.gunicorn_env).
os.environ["LOG_FLUSH_INTERVAL_MS"] = "0"


@pytest.fixture(autouse=True)
def block_network(monkeypatch):
    """Fail any socket connection that is not to this machine."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):
        def connect(self, address):
            if not _is_loopback(address):
                raise RuntimeError(f"tests must not reach the network (tried {address!r})")
            return real(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))


@pytest.fixture
def no_vendor_env(monkeypatch):
    """Remove every vendor credential variable so the machine's own keys never leak in."""
    from app.vendors import VENDORS
    for vendor in VENDORS.values():
        for names in vendor.env.values():
            for name in names:
                monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def encodings_dir(tmp_path_factory):
    """A tiktoken cache built from the offline copies in ../shared/data/tiktoken."""
    from scripts.tiktoken_cache import copy_into_cache

    source = SHARED / "data" / "tiktoken"
    if not source.is_dir():
        pytest.skip(f"offline tiktoken encodings not found at {source}")
    target = tmp_path_factory.mktemp("tiktoken-cache")
    copy_into_cache(source, target)
    return target


@pytest.fixture(scope="session")
def reference_encodings(encodings_dir):
    """tiktoken's own encodings, read from the same cache: the yardstick for exact counts."""
    import tiktoken

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(encodings_dir))
        return {name: tiktoken.get_encoding(name) for name in ("o200k_base", "cl100k_base")}


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated, empty SQLite database, made once; apps get copies."""
    from app.store.engine import make_engine
    from app.store.migrate import upgrade

    path = tmp_path_factory.mktemp("database") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()   # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def seeded_database(migrated_sqlite):
    """The migrated database seeded from models.csv + price_history.csv (as `make run` leaves it)."""
    from datetime import UTC, datetime

    from app.store.catalog_db import seed_if_empty
    from app.store.engine import make_engine, writing

    path = migrated_sqlite.with_name("seeded.db")
    shutil.copyfile(migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    with writing(engine) as session:
        seed_if_empty(session, REPO / "models.csv", REPO / "price_history.csv", datetime.now(UTC))
    engine.dispose()
    return path


@pytest.fixture
def fresh_database(tmp_path, seeded_database):
    """A URL to this test's own seeded SQLite database (every app of the test shares it)."""
    path = tmp_path / "price-runner.db"
    if not path.exists():
        shutil.copyfile(seeded_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(tmp_path, no_vendor_env, encodings_dir, fresh_database, migrated_sqlite):
    """Build an app from the factory with test config: a missing secrets file and the test's own
    seeded database unless given. A test's own MODELS_CSV gets a migrated database without a
    catalog, so that its file is what serves (the ledger still records)."""
    from app import create_app

    counter = itertools.count()

    def factory(**config):
        config.setdefault("SECRETS_FILE", str(tmp_path / "no-secrets.yaml"))
        if "DATABASE_URL" not in config:
            if "MODELS_CSV" in config:
                database = tmp_path / f"catalogless-{next(counter)}.db"
                shutil.copyfile(migrated_sqlite, database)
                config["DATABASE_URL"] = f"sqlite:///{database}"
            else:
                config["DATABASE_URL"] = fresh_database
        config.setdefault("TIKTOKEN_CACHE_DIR", str(encodings_dir))
        config.setdefault("TESTING", True)
        return create_app(config)
    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
