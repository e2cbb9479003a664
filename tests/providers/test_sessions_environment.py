"""Sessions read the environment once: proxies per vendor address, CA bundle, never ~/.netrc."""
from unittest import mock

import pytest

from app.providers import sessions
from app.providers.sessions import environment_proxies, new_session
from app.providers.transport import send
from tests.providers.cases import adapter_for, prompt_for


@pytest.fixture(autouse=True)
def fresh_proxy_cache():
    sessions._proxies_for.cache_clear()
    yield
    sessions._proxies_for.cache_clear()


def test_proxies_come_from_the_environment_and_no_proxy_exempts_a_host(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,.openai.azure.com")
    assert environment_proxies("https://api.openai.com/v1/chat/completions")["https"] == "http://proxy.internal:3128"
    assert environment_proxies("https://res.openai.azure.com/openai/deployments/x") == {}


def test_without_proxy_variables_there_are_no_proxies(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxies("https://api.anthropic.com/v1/messages") == {}


def test_a_session_does_not_rescan_the_environment_per_call(monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corporate.pem")
    session = new_session()
    assert session.trust_env is False and session.verify == "/etc/ssl/certs/corporate.pem"


def test_the_transport_sends_through_the_environment_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = new_session()
    with mock.patch.object(session, "request", side_effect=RuntimeError("stop here")) as request:
        with pytest.raises(Exception):
            send(adapter_for("openai"), prompt_for("openai"), session, deadline=float("inf"), max_retries=0)
    assert request.call_args.kwargs["proxies"]["https"] == "http://proxy.internal:3128"
