"""Shared fixtures: network blocked except loopback, app and client from the factory."""
from __future__ import annotations

import ipaddress
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
    """A migrated, empty SQLite database, made once; each app gets a copy."""
    from app.store.engine import make_engine
    from app.store.migrate import upgrade

    path = tmp_path_factory.mktemp("database") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()   # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def fresh_database(tmp_path, migrated_sqlite):
    """A URL to this test's own migrated SQLite database."""
    import shutil

    path = tmp_path / "price-runner.db"
    if not path.exists():
        shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_app(tmp_path, no_vendor_env, encodings_dir, fresh_database):
    """Build an app from the factory with test config; a missing secrets file unless given;
    the test's own migrated SQLite database unless given."""
    from app import create_app

    def factory(**config):
        config.setdefault("SECRETS_FILE", str(tmp_path / "no-secrets.yaml"))
        config.setdefault("DATABASE_URL", fresh_database)
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
