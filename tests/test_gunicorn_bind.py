"""gunicorn.conf.py binds to loopback behind a trusted proxy, so X-Forwarded-For cannot be forged."""
import runpy

import pytest

from tests.integration.servers import REPO


@pytest.mark.parametrize("env,bind", [
    ({}, "0.0.0.0:3001"),
    ({"TRUSTED_PROXIES": "0", "PORT": "8000"}, "0.0.0.0:8000"),
    ({"TRUSTED_PROXIES": "1"}, "127.0.0.1:3001"),
    ({"TRUSTED_PROXIES": "2", "HOST": "0.0.0.0"}, "0.0.0.0:3001"),
    ({"HOST": "10.0.0.5"}, "10.0.0.5:3001"),
])
def test_bind_address(monkeypatch, env, bind):
    for name in ("TRUSTED_PROXIES", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("METRICS_ENABLED", "false")   # no metrics directory made for this read
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert runpy.run_path(str(REPO / "gunicorn.conf.py"))["bind"] == bind
