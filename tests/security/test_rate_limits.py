"""Flask-Limiter per client and route: 429 in the envelope with Retry-After; ops endpoints exempt."""
import re

import pytest

from app.config import ConfigError
from app.security.rate_limits import duration
from tests.integration.servers import free_port
from tests.security.conftest import KEY_A, KEY_B


def limited(make_app, **config):
    config.setdefault("RATELIMIT_DEFAULT", "2/minute")
    return make_app(**config).test_client()


def statuses(client, path, times, **kwargs):
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def test_over_the_limit_is_a_json_429_with_retry_after(make_app):
    client = limited(make_app)
    assert statuses(client, "/api/models", 2) == [200, 200]
    response = client.get("/api/models")
    assert response.status_code == 429
    body = response.get_json()
    assert body == {"success": False, "error": {
        "code": 429, "message": f"Too many requests: the limit is 2 per 1 minute. "
                                f"Retry after {response.headers['Retry-After']} s."}}
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_limits_are_per_route(make_app):
    client = limited(make_app)
    assert statuses(client, "/api/models", 3)[-1] == 429
    assert client.get("/api/providers").status_code == 200


def test_limits_are_per_client_address(make_app):
    client = limited(make_app)
    assert statuses(client, "/api/models", 3, environ_base={"REMOTE_ADDR": "10.0.0.1"})[-1] == 429
    assert client.get("/api/models", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200


def test_authenticated_clients_are_limited_per_key_not_per_address(make_app):
    client = limited(make_app, AUTH_MODE="api_key", API_KEYS=(KEY_A, KEY_B))
    assert statuses(client, "/api/models", 3, headers={"X-API-Key": KEY_A})[-1] == 429
    assert client.get("/api/models", headers={"X-API-Key": KEY_B}).status_code == 200


def test_failed_authentication_attempts_are_limited_per_address(make_app):
    client = limited(make_app, AUTH_MODE="api_key", API_KEYS=(KEY_A,), RATELIMIT_SEND_PROMPT="2/minute")
    wrong = {"X-API-Key": "pr-test-key-guess-guess-guess"}
    assert statuses(client, "/api/models", 3, headers=wrong) == [401, 401, 429]
    assert [client.post("/api/send_prompt", json={}, headers=wrong).status_code for _ in range(3)] == [401, 401, 429]
    # No route matches (404, 405): those share one limit, else a wrong path would be an unlimited oracle.
    assert statuses(client, "/api/no-such-path", 3, headers=wrong) == [401, 401, 429]
    assert client.get("/api/send_prompt", headers=wrong).status_code == 429


def test_send_prompt_has_its_own_limit_replacing_the_default(make_app):
    client = limited(make_app, RATELIMIT_DEFAULT="5/minute", RATELIMIT_SEND_PROMPT="1/minute")
    assert [client.post("/api/send_prompt", json={}).status_code for _ in range(2)] == [400, 429]
    assert statuses(client, "/api/models", 5) == [200] * 5


def test_send_prompt_falls_back_to_the_default_without_its_own_limit(make_app):
    client = limited(make_app, RATELIMIT_DEFAULT="2/minute", RATELIMIT_SEND_PROMPT="")
    assert [client.post("/api/send_prompt", json={}).status_code for _ in range(3)] == [400, 400, 429]


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics"])
def test_ops_endpoints_are_never_limited(make_app, path):
    client = limited(make_app, RATELIMIT_DEFAULT="1/minute")
    assert statuses(client, path, 4) == [200] * 4


def test_cors_preflights_are_not_counted(make_app):
    client = limited(make_app, RATELIMIT_DEFAULT="1/minute")
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    assert [client.options("/api/send_prompt", headers=preflight).status_code for _ in range(3)] == [200] * 3
    assert client.post("/api/send_prompt", json={}).status_code == 400


def test_defaults_are_120_per_minute_and_20_for_send_prompt_in_memory(make_app):
    app = make_app()
    assert (app.config["RATELIMIT_DEFAULT"], app.config["RATELIMIT_SEND_PROMPT"],
            app.config["RATELIMIT_STORAGE_URI"]) == ("120/minute", "20/minute", "memory://")
    client = app.test_client()
    assert [client.post("/api/send_prompt", json={}).status_code for _ in range(21)][-2:] == [400, 429]


def test_v1_defaults_to_600_per_minute_apart_from_send_prompt(make_app):
    # An agent loop calls /v1 hundreds of times a minute; send_prompt's 20 no longer applies there.
    app = make_app()
    assert app.config["RATELIMIT_V1"] == "600/minute"
    client = app.test_client()
    assert [client.post("/api/send_prompt", json={}).status_code for _ in range(21)][-1] == 429
    codes = [client.post("/v1/chat/completions", json={}).status_code for _ in range(601)]
    assert codes[:600] == [400] * 600 and codes[600] == 429


def test_v1_has_its_own_limit_on_each_of_its_endpoints(make_app):
    client = limited(make_app, RATELIMIT_DEFAULT="5/minute", RATELIMIT_SEND_PROMPT="5/minute", RATELIMIT_V1="2/minute")
    assert [client.post("/v1/chat/completions", json={}).status_code for _ in range(3)] == [400, 400, 429]
    assert statuses(client, "/v1/models", 3) == [200, 200, 429]
    assert [client.post("/api/send_prompt", json={}).status_code for _ in range(3)] == [400] * 3
    assert statuses(client, "/api/models", 3) == [200] * 3


def test_v1_falls_back_to_the_default_without_its_own_limit(make_app):
    client = limited(make_app, RATELIMIT_DEFAULT="2/minute", RATELIMIT_V1="")
    assert statuses(client, "/v1/models", 3) == [200, 200, 429]


RESET = re.compile(r"^(\d+m)?\d+(\.\d+)?s$|^\d+ms$")


@pytest.mark.parametrize("path, code", [("/api/models", 429), ("/v1/models", "rate_limit_exceeded")])
def test_our_429s_carry_openais_ratelimit_headers_and_keep_each_paths_code(make_app, path, code):
    client = limited(make_app, RATELIMIT_DEFAULT="3/minute", RATELIMIT_V1="3/minute")
    assert statuses(client, path, 3) == [200] * 3
    response = client.get(path)
    assert response.status_code == 429 and response.get_json()["error"]["code"] == code
    headers = response.headers
    assert (headers["x-ratelimit-limit-requests"], headers["x-ratelimit-remaining-requests"]) == ("3", "0")
    assert RESET.match(headers["x-ratelimit-reset-requests"]), headers["x-ratelimit-reset-requests"]
    assert 1 <= int(headers["Retry-After"]) <= 60


def test_v1_answers_within_the_limit_say_what_is_left(make_app):
    client = limited(make_app, RATELIMIT_V1="4/minute")
    left = [client.get("/v1/models").headers["x-ratelimit-remaining-requests"] for _ in range(4)]
    assert left == ["3", "2", "1", "0"]
    refused = client.get("/v1/models")
    assert refused.status_code == 429 and refused.headers["x-ratelimit-limit-requests"] == "4"
    assert "x-ratelimit-limit-requests" not in client.get("/api/providers").headers   # /api: on 429s only


@pytest.mark.parametrize("seconds, text", [(0.02, "20ms"), (0, "0ms"), (6, "6s"), (1.5, "1.5s"), (59.9996, "1m0s"),
                                           (360, "6m0s"), (3723, "1h2m3s")])
def test_durations_are_written_as_openai_writes_them(seconds, text):
    assert duration(seconds) == text


def test_limits_can_be_turned_off(make_app):
    assert statuses(limited(make_app, RATELIMIT_ENABLED=False, RATELIMIT_DEFAULT="1/minute"), "/api/models", 3) == \
        [200] * 3
    assert statuses(limited(make_app, RATELIMIT_DEFAULT=""), "/api/models", 3) == [200] * 3


def test_settings_come_from_the_environment(make_app, monkeypatch):
    monkeypatch.setenv("RATELIMIT_DEFAULT", "1/minute")
    monkeypatch.setenv("RATELIMIT_ENABLED", "true")
    assert statuses(make_app().test_client(), "/api/providers", 2) == [200, 429]


def test_unreachable_redis_falls_back_to_counting_in_memory(make_app):
    client = limited(make_app, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    assert statuses(client, "/api/models", 3) == [200, 200, 429]


@pytest.mark.parametrize("config,message", [
    ({"RATELIMIT_DEFAULT": "lots"}, "RATELIMIT_DEFAULT must be a rate limit"),
    ({"RATELIMIT_SEND_PROMPT": "10 per fortnight"}, "RATELIMIT_SEND_PROMPT must be a rate limit"),
    ({"RATELIMIT_V1": "fast"}, "RATELIMIT_V1 must be a rate limit"),
    ({"RATELIMIT_STORAGE_URI": "memcached://localhost"}, "RATELIMIT_STORAGE_URI must start with"),
])
def test_bad_limit_settings_stop_the_factory(make_app, config, message):
    with pytest.raises(ConfigError, match=message):
        make_app(**config)
