"""AUTH_MODE=api_key: X-API-Key or Bearer, constant-time comparison, 401 in the envelope."""
import hmac

import pytest

from app.config import ConfigError
from app.security import api_keys
from app.security.api_keys import ApiKeyAuthenticator, read_api_keys
from app.security.base import AuthFailure
from tests.security.conftest import KEY_A, KEY_B, bearer


@pytest.fixture
def secured(make_app):
    return make_app(AUTH_MODE="api_key", API_KEYS=(KEY_A, KEY_B)).test_client()


def test_authenticator_accepts_either_header_and_names_the_caller_by_fingerprint():
    auth = ApiKeyAuthenticator(read_api_keys([KEY_A, KEY_B], None))
    by_header = auth.authenticate({"X-API-Key": KEY_B})
    assert by_header == auth.authenticate(bearer(KEY_B))
    assert by_header.kind == "key" and KEY_B not in str(by_header) and len(by_header.id) == 16
    assert auth.authenticate({"X-API-Key": KEY_A}) != by_header


@pytest.mark.parametrize("headers,error", [
    ({}, None), ({"Authorization": "Basic abc"}, None),
    ({"X-API-Key": "pr-test-key-wrong-wrong-wrong"}, "invalid_token"),
    (bearer(KEY_A + "x"), "invalid_token"), (bearer(KEY_A[:-1]), "invalid_token")])
def test_authenticator_rejects_missing_and_wrong_keys(headers, error):
    with pytest.raises(AuthFailure) as caught:
        ApiKeyAuthenticator(read_api_keys([KEY_A], None)).authenticate(headers)
    assert caught.value.error == error


def test_every_key_is_compared_with_hmac_compare_digest(monkeypatch):
    calls, real = [], hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)
    monkeypatch.setattr(api_keys.hmac, "compare_digest", spy)
    ApiKeyAuthenticator(read_api_keys([KEY_A, KEY_B], None)).authenticate({"X-API-Key": KEY_A})
    assert calls == [(KEY_A.encode(), KEY_A.encode()), (KEY_A.encode(), KEY_B.encode())]


def test_keys_file_adds_keys_skipping_comments_and_blank_lines(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# ops keys\n\n{KEY_B}\n  {KEY_A}  \n")
    assert list(read_api_keys([KEY_A], str(keys)).values()) == [KEY_A, KEY_B]


@pytest.mark.parametrize("keys", [["short"], ["pr-test key with spaces-xx"], ["ci:short"]])
def test_unusable_keys_are_config_errors_that_never_echo_the_key(keys):
    with pytest.raises(ConfigError) as caught:
        read_api_keys(keys, None)
    assert all(key not in str(caught.value) for key in keys if key)


def test_unreadable_keys_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="API_KEYS_FILE"):
        read_api_keys([], str(tmp_path / "missing.txt"))


def test_missing_credentials_are_401_with_a_challenge(secured):
    response = secured.get("/api/models")
    assert response.status_code == 401
    assert response.get_json() == {"success": False, "error": {
        "code": 401, "message": "Authentication required: send an API key in X-API-Key or Authorization: Bearer."}}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="price-runner"'


def test_wrong_key_is_401_invalid_token(secured):
    response = secured.get("/api/models", headers={"X-API-Key": "pr-test-key-wrong-wrong-wrong"})
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "Invalid API key."
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="price-runner", error="invalid_token"'


@pytest.mark.parametrize("headers", [{"X-API-Key": KEY_A}, bearer(KEY_B)])
def test_valid_key_in_either_header_is_served(secured, headers):
    assert secured.get("/api/models", headers=headers).status_code == 200
    assert secured.post("/api/get_best_price_for_prompt", json={"prompt": "hi"}, headers=headers).status_code == 200


def test_unknown_paths_need_credentials_too(secured):
    assert secured.get("/api/nothing-here").status_code == 401
    assert secured.get("/api/nothing-here", headers={"X-API-Key": KEY_A}).status_code == 404


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_and_ready_need_no_credentials(secured, path):
    assert secured.get(path).status_code == 200


def test_cors_preflight_needs_no_credentials(secured):
    response = secured.options("/api/send_prompt", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "X-API-Key, Content-Type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-api-key" in response.headers["Access-Control-Allow-Headers"].lower()


def test_metrics_are_open_unless_metrics_require_auth(make_app):
    assert make_app(AUTH_MODE="api_key", API_KEYS=(KEY_A,)).test_client().get("/metrics").status_code == 200
    client = make_app(AUTH_MODE="api_key", API_KEYS=(KEY_A,), METRICS_REQUIRE_AUTH=True).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"X-API-Key": KEY_A}).status_code == 200


def test_factory_reads_keys_from_the_environment_and_the_keys_file(make_app, monkeypatch, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY_B + "\n")
    monkeypatch.setenv("AUTH_MODE", "API_KEY")
    monkeypatch.setenv("API_KEYS", f" {KEY_A} ,")
    monkeypatch.setenv("API_KEYS_FILE", str(keys))
    client = make_app().test_client()
    assert client.get("/api/providers").status_code == 401
    assert client.get("/api/providers", headers={"X-API-Key": KEY_A}).status_code == 200
    assert client.get("/api/providers", headers={"X-API-Key": KEY_B}).status_code == 200


def test_auth_is_off_by_default(client):
    assert client.get("/api/models").status_code == 200


@pytest.mark.parametrize("config,message", [
    ({"AUTH_MODE": "api_key", "API_KEYS": (f"ci:{KEY_A}", f"ci:{KEY_B}")}, "the name 'ci' is given to two keys"),
    ({"AUTH_MODE": "api_key", "API_KEYS": ("short",)}, "at least 16"),
    ({"AUTH_MODE": "basic"}, "AUTH_MODE must be one of"),
    ({"METRICS_REQUIRE_AUTH": True}, "METRICS_REQUIRE_AUTH needs AUTH_MODE"),
])
def test_misconfiguration_stops_the_factory(make_app, config, message):
    with pytest.raises(ConfigError, match=message):
        make_app(**config)


def test_a_named_key_is_its_name_and_a_bare_key_its_fingerprint():
    auth = ApiKeyAuthenticator(read_api_keys([f"dashboard:{KEY_A}", KEY_B], None))
    assert auth.authenticate({"X-API-Key": KEY_A}).id == "dashboard"
    assert auth.authenticate(bearer(KEY_B)).id == api_keys.fingerprint(KEY_B)
    with pytest.raises(AuthFailure):
        auth.authenticate({"X-API-Key": f"dashboard:{KEY_A}"})   # the name is not part of the key


def test_keys_created_in_the_database_work_and_revoked_ones_stop_without_a_restart(make_app):
    from datetime import UTC, datetime

    from app.store.engine import writing
    from app.store.keys import create_key, revoke_key

    app = make_app(AUTH_MODE="api_key", API_KEYS=(KEY_A,))
    engine, client = app.extensions["store"].engine, app.test_client()
    with writing(engine) as session:
        created = create_key(session, "ci-bot", datetime.now(UTC))
    assert client.get("/api/providers", headers={"X-API-Key": created}).status_code == 401   # not read yet
    ring = app.extensions["price_runner.auth"]._authenticator._ring
    ring.reload()   # what the ring does by itself once older than CATALOG_REFRESH_S
    assert client.get("/api/providers", headers={"X-API-Key": created}).status_code == 200
    with writing(engine) as session:
        revoke_key(session, "ci-bot", datetime.now(UTC))
    ring.reload()
    assert client.get("/api/providers", headers={"X-API-Key": created}).status_code == 401
    assert client.get("/api/providers", headers={"X-API-Key": KEY_A}).status_code == 200   # settings' keys stay


def test_the_key_ring_reloads_in_the_background_without_requests_once_started(make_app):
    import threading
    import time
    from datetime import UTC, datetime

    from app import lifecycle
    from app.store.engine import writing
    from app.store.keys import create_key, revoke_key

    app = make_app(AUTH_MODE="api_key", API_KEYS=(KEY_A,), CATALOG_REFRESH_S=0.1)
    ring = app.extensions["price_runner.auth"]._authenticator.ring
    engine = app.extensions["store"].engine
    assert "key-ring" not in {t.name for t in threading.enumerate()}   # create_app starts no thread
    with writing(engine) as session:
        created = create_key(session, "ci-bot", datetime.now(UTC))

    def waits_for(name):
        deadline = time.monotonic() + 3
        while ring.name_of(created) != name and time.monotonic() < deadline:
            time.sleep(0.02)   # no request: only the background job can reload
        return ring.name_of(created) == name

    lifecycle.start(app)
    try:
        assert waits_for("ci-bot")
        with writing(engine) as session:
            revoke_key(session, "ci-bot", datetime.now(UTC))
        assert waits_for(None)
        assert app.test_client().get("/api/providers", headers={"X-API-Key": created}).status_code == 401
    finally:
        app.extensions[lifecycle.EXTENSION].stop.set()


def test_a_background_job_that_fails_runs_again():
    import time

    from flask import Flask

    from app import lifecycle

    app, runs = Flask(__name__), []

    def flaky():
        runs.append(1)
        raise RuntimeError("database away")

    lifecycle.every(app, "flaky", 0.02, flaky)
    lifecycle.start(app)
    lifecycle.start(app)   # once per process: a second call starts nothing more
    time.sleep(0.2)
    app.extensions[lifecycle.EXTENSION].stop.set()
    assert 3 <= len(runs) <= 15
