"""AUTH_MODE=jwt: HS256 with JWT_SECRET, RS256/ES256 with JWT_PUBLIC_KEY; exp, aud, iss, alg checked."""
import time

import pytest

from app.config import SETTINGS, ConfigError
from app.security.base import AuthFailure
from app.security.jwt_auth import jwt_authenticator
from tests.security.conftest import HS_SECRET, bearer, pem, token

JWT_DEFAULTS = {name: setting.default for name, setting in SETTINGS.items() if name.startswith("JWT_")}


def verifier(**settings):
    return jwt_authenticator({**JWT_DEFAULTS, **settings})


def reject(auth, headers) -> AuthFailure:
    with pytest.raises(AuthFailure) as caught:
        auth.authenticate(headers)
    return caught.value


@pytest.fixture
def hs_client(make_app):
    return make_app(AUTH_MODE="jwt", JWT_SECRET=HS_SECRET, JWT_AUDIENCE="price-runner",
                    JWT_ISSUER="https://issuer.example").test_client()


def good(**claims):
    return token(HS_SECRET, **{"aud": "price-runner", "iss": "https://issuer.example", **claims})


def test_valid_hs256_token_is_served_and_names_its_subject(hs_client):
    assert hs_client.get("/api/models", headers=bearer(good())).status_code == 200
    auth = verifier(JWT_SECRET=HS_SECRET)
    assert str(auth.authenticate(bearer(token(HS_SECRET, sub="alice")))) == "sub:alice"


@pytest.mark.parametrize("sub", [None, "", "   "])
def test_a_token_without_a_subject_is_refused(sub):
    # a principal per token would escape every budget
    failure = reject(verifier(JWT_SECRET=HS_SECRET), bearer(token(HS_SECRET, sub=sub)))
    assert failure.message == "Token lacks the required 'sub' claim."


@pytest.mark.parametrize("sub", [True, 1234, {"id": "x"}])
def test_a_subject_that_is_not_text_is_refused(sub):
    assert reject(verifier(JWT_SECRET=HS_SECRET), bearer(token(HS_SECRET, sub=sub))).error == "invalid_token"


def test_a_setting_names_another_claim_as_the_subject():
    auth = verifier(JWT_SECRET=HS_SECRET, JWT_SUBJECT_CLAIM="client_id")
    assert auth.authenticate(bearer(token(HS_SECRET, sub=None, client_id="svc-7"))).name == "svc-7"
    assert "'client_id'" in reject(auth, bearer(token(HS_SECRET, sub="alice"))).message


def test_a_subject_with_nul_is_refused():
    failure = reject(verifier(JWT_SECRET=HS_SECRET), bearer(token(HS_SECRET, sub="alice\x00admin")))
    assert failure.message == "Token 'sub' claim is not accepted." and failure.error == "invalid_token"


def test_a_numeric_subject_claim_named_by_the_setting_is_its_decimal_text():
    auth = verifier(JWT_SECRET=HS_SECRET, JWT_SUBJECT_CLAIM="uid")
    assert auth.authenticate(bearer(token(HS_SECRET, uid=1234))).name == "1234"


# Tokens are made when the test runs (lambdas), so a slow suite cannot expire them first.
@pytest.mark.parametrize("headers,message,error", [
    (lambda: {}, "Authentication required: send Authorization: Bearer <JWT>.", None),
    (lambda: {"X-API-Key": "not-a-jwt-at-all-at-all"}, "Authentication required: send Authorization: Bearer <JWT>.",
     None),
    (lambda: bearer("not.a.jwt"), "Token is malformed.", "invalid_token"),
    (lambda: bearer(good(exp=int(time.time()) - 45)), "Token expired.", "invalid_token"),
    (lambda: bearer(good(exp=None)), "Token lacks the required 'exp' claim.", "invalid_token"),
    (lambda: bearer(good(aud="someone-else")), "Token audience is not accepted.", "invalid_token"),
    (lambda: bearer(good(aud=None)), "Token lacks the required 'aud' claim.", "invalid_token"),
    (lambda: bearer(good(iss="https://evil.example")), "Token issuer is not accepted.", "invalid_token"),
    (lambda: bearer(token("another-secret-of-at-least-32-bytes!!", aud="price-runner", iss="https://issuer.example")),
     "Token signature is invalid.", "invalid_token"),
    (lambda: bearer(good(nbf=int(time.time()) + 300)), "Token is not valid yet.", "invalid_token"),
], ids=["missing", "other-header", "malformed", "expired", "no-exp", "wrong-aud", "no-aud", "wrong-iss",
        "bad-signature", "not-yet-valid"])
def test_each_failure_is_a_401_saying_why(hs_client, headers, message, error):
    response = hs_client.get("/api/models", headers=headers())
    assert response.status_code == 401
    assert response.get_json() == {"success": False, "error": {"code": 401, "message": message}}
    challenge = 'Bearer realm="price-runner"' + (f', error="{error}"' if error else "")
    assert response.headers["WWW-Authenticate"] == challenge


def test_audience_and_issuer_are_not_checked_when_unset():
    auth = verifier(JWT_SECRET=HS_SECRET)
    assert auth.authenticate(bearer(token(HS_SECRET, aud="anyone", iss="anywhere"))).id == "user-1"


def test_rs256_token_is_verified_with_the_public_key(rsa_key):
    auth = verifier(JWT_PUBLIC_KEY=pem(rsa_key.public_key()))
    assert auth.authenticate(bearer(token(rsa_key, "RS256"))).id == "user-1"


def test_es256_token_is_verified_with_the_public_key(ec_key):
    auth = verifier(JWT_PUBLIC_KEY=pem(ec_key.public_key()), JWT_ALGORITHM="ES256")
    assert auth.authenticate(bearer(token(ec_key, "ES256"))).id == "user-1"


def test_wrong_algorithm_is_refused(rsa_key, ec_key):
    public = pem(rsa_key.public_key())
    auth = verifier(JWT_PUBLIC_KEY=public)
    # The classic confusion: an HS256 token "signed" with the public key as the HMAC secret.
    forged = token("x" * 40, "HS256")
    assert reject(auth, bearer(forged)).message == "Token algorithm is not accepted."
    assert reject(auth, bearer(token(ec_key, "ES256"))).message == "Token algorithm is not accepted."
    unsigned = token(None, "none")
    assert reject(auth, bearer(unsigned)).message == "Token algorithm is not accepted."
    assert reject(verifier(JWT_SECRET=HS_SECRET), bearer(token(rsa_key, "RS256"))).message == \
        "Token algorithm is not accepted."


def test_public_key_from_a_file_or_with_escaped_newlines(rsa_key, tmp_path):
    public = pem(rsa_key.public_key())
    path = tmp_path / "jwt.pub"
    path.write_text(public)
    for value in (str(path), public.replace("\n", "\\n")):
        assert verifier(JWT_PUBLIC_KEY=value).authenticate(bearer(token(rsa_key, "RS256"))).id == "user-1"


def test_factory_honours_jwt_settings_from_the_environment(make_app, monkeypatch, rsa_key):
    monkeypatch.setenv("AUTH_MODE", "jwt")
    monkeypatch.setenv("JWT_PUBLIC_KEY", pem(rsa_key.public_key()).replace("\n", "\\n"))
    monkeypatch.setenv("JWT_AUDIENCE", "price-runner")
    monkeypatch.setenv("JWT_ISSUER", "https://issuer.example")
    client = make_app().test_client()
    ok = token(rsa_key, "RS256", aud="price-runner", iss="https://issuer.example")
    assert client.get("/api/providers", headers=bearer(ok)).status_code == 200
    assert client.get("/api/providers", headers=bearer(token(rsa_key, "RS256", aud="price-runner"))).status_code == 401
    assert client.get("/health").status_code == 200 and client.get("/ready").status_code == 200


@pytest.mark.parametrize("settings,message", [
    ({"AUTH_MODE": "jwt"}, "exactly one of JWT_SECRET"),
    ({"AUTH_MODE": "jwt", "JWT_SECRET": HS_SECRET, "JWT_PUBLIC_KEY": "x"}, "exactly one of JWT_SECRET"),
    ({"AUTH_MODE": "jwt", "JWT_SECRET": "too-short"}, "at least 32 bytes"),
    ({"AUTH_MODE": "jwt", "JWT_SECRET": HS_SECRET, "JWT_ALGORITHM": "RS256"}, "needs JWT_PUBLIC_KEY"),
    ({"AUTH_MODE": "jwt", "JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"},
     "not a PEM public key"),
    ({"AUTH_MODE": "jwt", "JWT_PUBLIC_KEY": "/nonexistent/jwt.pub"}, "neither a PEM key nor a readable file"),
    ({"AUTH_MODE": "jwt", "JWT_SECRET": HS_SECRET, "JWT_ALGORITHM": "HS512"}, "JWT_ALGORITHM must be one of"),
])
def test_misconfiguration_stops_the_factory_without_echoing_secrets(make_app, settings, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make_app(**settings)
    assert HS_SECRET not in str(caught.value) and "too-short" not in str(caught.value)


def test_algorithm_must_match_the_public_key(make_app, rsa_key, ec_key):
    with pytest.raises(ConfigError, match="does not match"):
        make_app(AUTH_MODE="jwt", JWT_PUBLIC_KEY=pem(rsa_key.public_key()), JWT_ALGORITHM="ES256")
    other_curve = __import__("cryptography.hazmat.primitives.asymmetric.ec", fromlist=["ec"])
    p384 = other_curve.generate_private_key(other_curve.SECP384R1())
    with pytest.raises(ConfigError, match="P-256"):
        make_app(AUTH_MODE="jwt", JWT_PUBLIC_KEY=pem(p384.public_key()))


def test_leeway_allows_thirty_seconds_of_clock_skew_by_default(make_app, monkeypatch):
    now = int(time.time())
    skewed = bearer(token(HS_SECRET, exp=now - 10, nbf=now + 10))
    default = make_app(AUTH_MODE="jwt", JWT_SECRET=HS_SECRET).test_client()
    assert default.get("/api/models", headers=skewed).status_code == 200
    assert default.get("/api/models", headers=bearer(token(HS_SECRET, exp=now - 45))).status_code == 401
    monkeypatch.setenv("JWT_LEEWAY", "0")
    strict = make_app(AUTH_MODE="jwt", JWT_SECRET=HS_SECRET).test_client()
    response = strict.get("/api/models", headers=skewed)
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "Token is not valid yet."


@pytest.mark.parametrize("azp,message", [
    ("price-runner-web", None), ("another-client", "Token authorized party (azp) is not accepted."),
    (None, "Token lacks the required 'azp' claim."),
])
def test_authorized_party_is_checked_against_azp(make_app, azp, message):
    # Keycloak puts the client id in azp; aud is often just "account".
    client = make_app(AUTH_MODE="jwt", JWT_SECRET=HS_SECRET, JWT_AUDIENCE="account",
                      JWT_AUTHORIZED_PARTY="price-runner-web").test_client()
    response = client.get("/api/models", headers=bearer(token(HS_SECRET, aud="account", azp=azp)))
    if message is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 401 and response.get_json()["error"]["message"] == message


def test_azp_is_not_checked_when_unset():
    assert verifier(JWT_SECRET=HS_SECRET).authenticate(bearer(token(HS_SECRET, azp="anyone"))).id == "user-1"


@pytest.mark.parametrize("exp", [lambda: str(int(time.time()) + 60), lambda: "tomorrow", lambda: True,
                                 lambda: [int(time.time()) + 60], lambda: {"at": int(time.time()) + 60}],
                         ids=["numeric-string", "word", "boolean", "list", "object"])
def test_an_exp_that_is_not_a_number_is_refused(hs_client, exp):
    response = hs_client.get("/api/models", headers=bearer(good(exp=exp())))
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] in {"Token 'exp' claim is not a number.", "Token is malformed.",
                                                       "Token expired."}


def test_a_numeric_string_nbf_is_refused_too():
    auth = verifier(JWT_SECRET=HS_SECRET)
    assert reject(auth, bearer(token(HS_SECRET, nbf=str(int(time.time()))))).message == \
        "Token 'nbf' claim is not a number."
