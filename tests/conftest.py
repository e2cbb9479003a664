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
    from app.providers.vendors import VENDORS
    for vendor in VENDORS.values():
        for names in vendor.env.values():
            for name in names:
                monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_app(tmp_path, no_vendor_env):
    """Build an app from the factory with test config; a missing secrets file unless given."""
    from app import create_app

    def factory(**config):
        config.setdefault("SECRETS_FILE", str(tmp_path / "no-secrets.yaml"))
        config.setdefault("TESTING", True)
        return create_app(config)
    return factory


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
