"""Server tests skip without nginx/redis-server, except under REQUIRE_SERVERS=1 (CI), where they fail."""
import pytest

from tests.integration import servers


def test_a_missing_binary_skips_with_the_reason(monkeypatch):
    monkeypatch.setattr(servers.shutil, "which", lambda name, path=None: None)
    monkeypatch.delenv("REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nginx is not installed"):
        servers.server_binary("nginx")


def test_a_missing_binary_fails_when_servers_are_required(monkeypatch):
    monkeypatch.setattr(servers.shutil, "which", lambda name, path=None: None)
    monkeypatch.setenv("REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVERS=1 but redis-server is not installed"):
        servers.server_binary("redis-server")


def test_sbin_is_searched_too(monkeypatch):
    seen = {}
    monkeypatch.setattr(servers.shutil, "which", lambda name, path=None: seen.setdefault("path", path))
    servers.server_binary("nginx")
    assert "/usr/sbin" in seen["path"].split(":")
