"""gunicorn as `make run` starts it: settings through app/config.py, a control socket per instance or none."""
import stat
import time

import pytest
import requests

from tests.integration.servers import gunicorn

pytestmark = pytest.mark.integration


def wait_for_path(path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not path.exists():
        time.sleep(0.05)
    return path.exists()


def test_an_empty_provider_timeout_starts_with_the_default(encodings_dir):
    with gunicorn(PROVIDER_TIMEOUT="", WEB_CONCURRENCY="1", TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        assert requests.get(f"{base}/ready", timeout=5).json()["status"] == "ready"


def test_no_control_socket_by_default(tmp_path, encodings_dir):
    # gunicorn's own default is $HOME/.gunicorn/gunicorn.ctl, shared by every instance of a user.
    with gunicorn(HOME=str(tmp_path), XDG_RUNTIME_DIR="", WEB_CONCURRENCY="1",
                  TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        requests.get(f"{base}/health", timeout=5)
        time.sleep(0.5)   # the control server starts in a thread beside the workers
        assert not (tmp_path / ".gunicorn").exists(), server.log()


def test_a_control_socket_at_the_path_given_for_this_instance(tmp_path, encodings_dir):
    socket_path = tmp_path / "price-runner-a.ctl"
    with gunicorn(HOME=str(tmp_path), GUNICORN_CONTROL_SOCKET=str(socket_path), WEB_CONCURRENCY="1",
                  TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        assert wait_for_path(socket_path), server.log()
        assert stat.S_ISSOCK(socket_path.stat().st_mode)
        assert not (tmp_path / ".gunicorn").exists()
