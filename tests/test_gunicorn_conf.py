"""gunicorn.conf.py reads its values through app/config.py: one parser, one-line errors."""
import runpy
import sys

import pytest

from app.config import SETTINGS
from tests.conftest import REPO

CONF = str(REPO / "gunicorn.conf.py")
GUNICORN_SETTINGS = ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_CONTROL_SOCKET",
                     "PROMETHEUS_MULTIPROC_DIR", "PROVIDER_TIMEOUT", "LOG_LEVEL", "METRICS_ENABLED",
                     "GRACEFUL_TIMEOUT", "DRAIN_FILE")


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """A clean environment for the settings the file reads; metrics files in a temporary dir."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))   # no directory made, no atexit hook
    return monkeypatch


def load(environ, **values) -> dict:
    for name, value in values.items():
        environ.setenv(name, value)
    return runpy.run_path(CONF)


def test_gunicorn_settings_are_in_the_app_settings_table():
    assert set(GUNICORN_SETTINGS) <= set(SETTINGS)


def test_defaults(environ):
    conf = load(environ)
    assert (conf["bind"], conf["workers"], conf["threads"], conf["timeout"], conf["loglevel"]) == (
        "0.0.0.0:3001", 2, 8, 45, "info")
    assert conf["control_socket_disable"] is True and "control_socket" not in conf


def test_values_come_from_the_environment(environ):
    conf = load(environ, PORT="8080", WEB_CONCURRENCY="3", GUNICORN_THREADS="4", PROVIDER_TIMEOUT="12.5",
                LOG_LEVEL="warning", GUNICORN_CONTROL_SOCKET="/run/price-runner/a.ctl")
    assert (conf["bind"], conf["workers"], conf["threads"], conf["timeout"], conf["loglevel"]) == (
        "0.0.0.0:8080", 3, 4, 27, "warning")
    assert conf["control_socket_disable"] is False and conf["control_socket"] == "/run/price-runner/a.ctl"


def test_workers_get_longer_than_the_provider_deadline_to_finish_after_sigterm(environ):
    assert load(environ)["graceful_timeout"] == 45
    assert load(environ, PROVIDER_TIMEOUT="12.5")["graceful_timeout"] == 28
    assert load(environ, GRACEFUL_TIMEOUT="90")["graceful_timeout"] == 90


def test_a_drain_file_left_by_the_last_run_is_removed_at_start(environ, tmp_path):
    drain = tmp_path / "draining"
    drain.touch()
    conf = load(environ, DRAIN_FILE=str(drain))
    conf["on_starting"](None)
    assert not drain.exists()
    conf["on_starting"](None)   # none there: nothing to do


@pytest.mark.parametrize("name", ["PROVIDER_TIMEOUT", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "LOG_LEVEL"])
def test_an_empty_value_means_the_default(environ, name):
    assert load(environ, **{name: ""})["timeout"] == 45


@pytest.mark.parametrize("name,value", [("PROVIDER_TIMEOUT", "soon"), ("PROVIDER_TIMEOUT", "0"), ("PORT", "http"),
                                        ("PORT", "70000"), ("WEB_CONCURRENCY", "0"), ("GUNICORN_THREADS", "many"),
                                        ("LOG_LEVEL", "LOUD"), ("METRICS_ENABLED", "perhaps"),
                                        ("GRACEFUL_TIMEOUT", "20"), ("GRACEFUL_TIMEOUT", "1.5")])
def test_a_bad_value_stops_with_one_line_naming_it(environ, name, value):
    with pytest.raises(SystemExit) as stopped:
        load(environ, **{name: value})
    message = str(stopped.value.code)
    assert message.startswith("price-runner: cannot start: ") and name in message and "\n" not in message


@pytest.mark.parametrize("path", ["wsgi.py", "gunicorn.conf.py"])
def test_an_old_python_is_told_so_before_anything_is_imported(environ, path):
    environ.setattr(sys, "version_info", (3, 10, 14, "final", 0))
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(REPO / path))
    assert stopped.value.code == "price-runner: cannot start: Python 3.11 or newer is needed, this is 3.10.14"
