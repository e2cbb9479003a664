"""JWKS key sources (a Keycloak-style URL served on loopback, a file): kid, rotation, bounded refetches."""
import json
import socket
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.config import ConfigError
from app.security import jwks
from app.security.base import AuthFailure
from app.security.gate import EXTENSION
from app.security.jwks import ASYMMETRIC, NO_KEYS, JwksKeys
from tests.integration.servers import free_port
from tests.security.conftest import bearer, token
from tests.security.jwks_server import JwksServer, jwk


@pytest.fixture(scope="module")
def rsa_key_b():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def served(rsa_key):
    """A JWKS URL serving key "a"."""
    with JwksServer([jwk(rsa_key, "a")]) as server:
        yield server


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jwks_app(make_app, url: str, **settings):
    return make_app(AUTH_MODE="jwt", JWT_JWKS_URL=url, **settings).test_client()


def message(response) -> str:
    return response.get_json()["error"]["message"]


def test_a_token_is_verified_with_the_key_its_kid_names(make_app, served, rsa_key, rsa_key_b):
    client = jwks_app(make_app, served.url)
    ok = client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid="a", sub="alice")))
    assert ok.status_code == 200
    forged = client.get("/api/models", headers=bearer(token(rsa_key_b, "RS256", kid="a")))
    assert forged.status_code == 401 and message(forged) == "Token signature is invalid."
    no_kid = client.get("/api/models", headers=bearer(token(rsa_key, "RS256")))
    assert no_kid.status_code == 401 and message(no_kid) == "Token names no signing key (no 'kid' header)."
    assert served.requests == 1   # fetched once, at start


def app_keys(client) -> JwksKeys:
    return client.application.extensions[EXTENSION]._authenticator._keys


def test_a_rotated_key_is_picked_up_without_restart(make_app, served, rsa_key, rsa_key_b):
    client = jwks_app(make_app, served.url)
    served.keys.append(jwk(rsa_key_b, "b"))   # the identity provider rotates after our start
    # The first token naming the new key starts a fetch in the background and gets 401 at once.
    assert client.get("/api/models", headers=bearer(token(rsa_key_b, "RS256", kid="b"))).status_code == 401
    app_keys(client).wait(5)
    for _ in range(3):
        assert client.get("/api/models", headers=bearer(token(rsa_key_b, "RS256", kid="b"))).status_code == 200
    assert client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid="a"))).status_code == 200
    assert served.requests == 2   # start, then one refetch for the new kid


def test_random_kids_cause_at_most_one_refetch(make_app, served, rsa_key):
    client = jwks_app(make_app, served.url)
    for _ in range(20):
        response = client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid=uuid.uuid4().hex)))
        assert response.status_code == 401 and message(response) == "Token signing key is unknown."
    app_keys(client).wait(5)
    assert served.requests == 2


def test_unknown_kids_refetch_once_a_minute(served, rsa_key):
    clock = Clock()
    keys = JwksKeys(served.url, ASYMMETRIC, clock=clock)
    keys.problem()   # the first check fetches
    for step in (0, 30, 29):
        clock.now += step
        with pytest.raises(AuthFailure):
            keys.find({"kid": uuid.uuid4().hex})
        keys.wait(5)
    assert served.requests == 2
    clock.now += 2   # 61 s after the first refetch
    with pytest.raises(AuthFailure):
        keys.find({"kid": "nope"})
    keys.wait(5)
    assert served.requests == 3


def test_keys_are_refreshed_when_old_and_kept_when_the_refresh_fails(served, rsa_key, rsa_key_b):
    clock = Clock()
    keys = JwksKeys(served.url, ASYMMETRIC, clock=clock)
    keys.problem()
    served.status, served.body = 503, b"down"
    clock.now += jwks.MAX_AGE_S
    for _ in range(5):   # the identity provider is down: the keys we hold still verify
        assert keys.find({"kid": "a"})[1] == "RS256"
        keys.wait(5)
    assert served.requests == 2 and keys.problem() is None
    served.status, served.body, served.keys = 200, None, [jwk(rsa_key_b, "b")]
    clock.now += jwks.RETRY_INTERVAL_S
    keys.find({"kid": "a"})   # still held: the refresh runs in the background
    keys.wait(5)
    with pytest.raises(AuthFailure, match="unknown"):
        keys.find({"kid": "a"})   # the refresh succeeded: a key removed upstream is no longer accepted
    assert keys.find({"kid": "b"})[1] == "RS256" and served.requests == 3


def test_unreachable_jwks_at_start_gives_401_and_ready_degraded_until_keys_arrive(make_app, monkeypatch, rsa_key):
    monkeypatch.setattr(jwks, "RETRY_INTERVAL_S", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}/certs"
    client = jwks_app(make_app, url)   # starts although nothing listens there
    good = bearer(token(rsa_key, "RS256", kid="a"))
    refused = client.get("/api/models", headers=good)
    assert refused.status_code == 401 and message(refused) == NO_KEYS
    app_keys(client).wait(5)
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["auth"] == "degraded"
    reason = ready.get_json()["reasons"]["auth"]
    assert reason.startswith("no usable signing keys from JWT_JWKS_URL: cannot reach the JWKS URL")
    with JwksServer([jwk(rsa_key, "a")], port=port):
        client.get("/ready")   # starts the fetch; /ready never waits for it
        app_keys(client).wait(5)
        assert client.get("/ready").get_json()["checks"]["auth"] == "ok"
        assert client.get("/api/models", headers=good).status_code == 200


def test_failed_fetches_are_retried_only_after_an_interval(served):
    clock = Clock()
    served.status, served.body = 500, b"<html>oops</html>"
    keys = JwksKeys(served.url, ASYMMETRIC, clock=clock)
    keys.problem()
    for _ in range(5):
        with pytest.raises(AuthFailure, match="not loaded"):
            keys.find({"kid": "a"})
    assert keys.problem().endswith("the JWKS URL answered HTTP 500") and served.requests == 1
    clock.now += jwks.RETRY_INTERVAL_S
    served.status, served.body = 200, b"not json"
    keys.problem()
    keys.wait(5)
    assert keys.problem().endswith("did not answer with a JWKS") and served.requests == 2


def test_a_silent_jwks_url_times_out(monkeypatch):
    monkeypatch.setattr(jwks, "JWKS_TIMEOUT_S", 0.3)
    with socket.socket() as silent:   # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        keys = JwksKeys(f"http://127.0.0.1:{silent.getsockname()[1]}/certs", ASYMMETRIC)
        started = time.monotonic()
        keys.problem()
        assert time.monotonic() - started < 2
    assert keys.problem() is not None


def test_jwks_holding_a_shared_secret_or_encryption_key_is_not_used_for_signatures(make_app, rsa_key):
    oct_key = {"kty": "oct", "kid": "h", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", "alg": "HS256"}
    with JwksServer([oct_key, jwk(rsa_key, "e", use="enc"), jwk(rsa_key, "a")]) as server:
        client = jwks_app(make_app, server.url)
        forged = token(b"secret-secret-secret-secret-secret", "HS256", kid="h")
        assert message(client.get("/api/models", headers=bearer(forged))) == "Token signing key is unknown."
        encryption = token(rsa_key, "RS256", kid="e")
        assert message(client.get("/api/models", headers=bearer(encryption))) == "Token signing key is unknown."
        # The classic confusion: an HS256 token naming the RSA key (PyJWT will not even sign with a PEM).
        confused = token("x" * 40, "HS256", kid="a")
        assert message(client.get("/api/models", headers=bearer(confused))) == "Token algorithm is not accepted."


def test_es256_keys_from_a_jwks_file(make_app, ec_key, tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(ec_key, "ec-1")]}))
    client = make_app(AUTH_MODE="jwt", JWT_JWKS_FILE=str(path)).test_client()
    assert client.get("/api/models", headers=bearer(token(ec_key, "ES256", kid="ec-1"))).status_code == 200
    unknown = client.get("/api/models", headers=bearer(token(ec_key, "ES256", kid="ec-2")))
    assert unknown.status_code == 401 and message(unknown) == "Token signing key is unknown."
    assert client.get("/ready").status_code == 200


@pytest.mark.parametrize("content,message_part", [
    (None, "cannot read it"), ("{not json", "not JSON"), ('["a list"]', "no signing key"),
    ('{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}', "no signing key with a kid for RS256, ES256"),
])
def test_an_unusable_jwks_file_stops_the_start(make_app, tmp_path, content, message_part):
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message_part):
        make_app(AUTH_MODE="jwt", JWT_JWKS_FILE=str(path))


@pytest.mark.parametrize("settings,message_part", [
    ({"JWT_SECRET": "s" * 40, "JWT_JWKS_URL": "http://127.0.0.1:9/certs"}, "got JWT_SECRET, JWT_JWKS_URL"),
    ({"JWT_JWKS_URL": "http://127.0.0.1:9/certs", "JWT_JWKS_FILE": "/x.json"}, "exactly one of"),
    ({"JWT_JWKS_URL": "file:///etc/passwd"}, "http:// or https://"),
    ({"JWT_JWKS_URL": "http://127.0.0.1:9/certs", "JWT_ALGORITHM": "HS256"}, "needs JWT_SECRET"),
    ({"JWT_SECRET": "s" * 40, "JWT_LEEWAY": -1.0}, "JWT_LEEWAY"),
])
def test_jwks_misconfiguration_stops_the_start(make_app, settings, message_part):
    with pytest.raises(ConfigError, match=message_part) as caught:
        make_app(AUTH_MODE="jwt", **settings)
    assert "s" * 40 not in str(caught.value)


def test_a_dripping_jwks_url_is_cut_at_its_total_deadline(served, monkeypatch):
    monkeypatch.setattr(jwks, "JWKS_TIMEOUT_S", 0.5)
    served.drip = 0.05   # every byte inside any per-read timeout: the whole answer would take 20 s+
    keys = JwksKeys(served.url, ASYMMETRIC)
    started = time.monotonic()
    assert keys.problem().endswith("the JWKS URL did not answer within 0.5 s")
    assert time.monotonic() - started < 1.5


def test_requests_never_wait_for_a_fetch_and_known_keys_keep_working(served, rsa_key):
    keys = JwksKeys(served.url, ASYMMETRIC)
    keys.problem()
    served.drip = 0.2   # from now on the identity provider takes minutes per answer
    started = time.monotonic()
    for _ in range(20):
        with pytest.raises(AuthFailure, match="unknown"):
            keys.find({"kid": uuid.uuid4().hex})
        assert keys.find({"kid": "a"})[1] == "RS256"
    assert time.monotonic() - started < 0.5
    while served.requests < 2 and time.monotonic() - started < 3:   # the background fetch arrives
        time.sleep(0.05)
    time.sleep(0.2)
    assert served.requests == 2   # one fetch at a time, however many unknown kids


def test_a_key_without_its_material_is_skipped_and_the_others_verify(make_app, rsa_key, caplog):
    broken = [{"kty": "oct", "kid": "no-k"}, {"kty": "RSA", "kid": "no-n", "e": "AQAB"}]
    with JwksServer([*broken, jwk(rsa_key, "a")]) as server:
        client = jwks_app(make_app, server.url)
        good = client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid="a")))
        assert good.status_code == 200
        bad = client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid="no-k")))
        assert bad.status_code == 401 and message(bad) == "Token signing key is unknown."
        assert client.get("/ready").get_json()["checks"]["auth"] == "ok"
    assert "'no-k' skipped" in caplog.text and "'no-n' skipped" in caplog.text


def test_ready_is_degraded_when_no_usable_key_remains(make_app, rsa_key):
    with JwksServer([{"kty": "oct", "kid": "no-k"}]) as server:
        client = jwks_app(make_app, server.url)
        refused = client.get("/api/models", headers=bearer(token(rsa_key, "RS256", kid="no-k")))
        assert refused.status_code == 401
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
        assert "no usable signing key" in ready.get_json()["reasons"]["auth"]
