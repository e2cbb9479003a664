"""What a browser app needs: CORS it can read (exposed headers, cached preflights, Vary: Origin)
and catalog responses no shared cache hands to another caller."""
import pytest

from tests.security.conftest import HS_SECRET, KEY_A, bearer, token

CATALOG = ("/api/models", "/api/providers", "/api/models/provider/openai")
ORIGIN = {"Origin": "https://app.example"}


def vary(response) -> set[str]:
    return {value.strip() for line in response.headers.getlist("Vary") for value in line.split(",")}


def test_cors_exposes_request_id_retry_after_and_etag(make_app):
    client = make_app(RATELIMIT_DEFAULT="1/minute").test_client()
    ok, limited = (client.get("/api/models", headers=ORIGIN) for _ in range(2))
    for response in (ok, limited):
        exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert exposed >= {"X-Request-ID", "Retry-After", "ETag"}
    assert limited.status_code == 429 and limited.headers["Access-Control-Allow-Origin"] == "*"


def test_preflights_are_cached_for_cors_max_age(make_app, monkeypatch):
    preflight = {**ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "Authorization, Content-Type"}
    response = make_app().test_client().options("/api/send_prompt", headers=preflight)
    assert response.status_code == 200 and response.headers["Access-Control-Max-Age"] == "600"
    monkeypatch.setenv("CORS_MAX_AGE", "30")
    assert make_app().test_client().options("/api/send_prompt", headers=preflight) \
        .headers["Access-Control-Max-Age"] == "30"


def test_an_allow_list_varies_on_origin_even_for_one_origin(make_app):
    client = make_app(CORS_ORIGINS=["https://app.example"]).test_client()
    for headers in (ORIGIN, {"Origin": "https://evil.example"}, {}):
        assert "Origin" in vary(client.get("/api/models", headers=headers))
    assert "Origin" in vary(client.post("/api/get_best_price_for_prompt", json={}, headers=ORIGIN))   # a 400
    assert "Origin" not in vary(make_app().test_client().get("/api/models", headers=ORIGIN))   # "*"


@pytest.mark.parametrize("path", CATALOG)
def test_without_auth_the_catalog_is_publicly_cacheable(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "public, max-age=60" and "Authorization" not in vary(response)


@pytest.mark.parametrize("path", CATALOG)
@pytest.mark.parametrize("mode,credentials,varies", [
    ("jwt", lambda: bearer(token(HS_SECRET)), {"Authorization"}),
    ("api_key", lambda: {"X-API-Key": KEY_A}, {"Authorization", "X-API-Key"}),
])
def test_with_auth_the_catalog_is_private_and_varies_on_credentials_also_on_304(make_app, path, mode,
                                                                                 credentials, varies):
    client = make_app(AUTH_MODE=mode, JWT_SECRET=HS_SECRET if mode == "jwt" else None, API_KEYS=(KEY_A,),
                      CORS_ORIGINS=["https://app.example"]).test_client()
    first = client.get(path, headers={**credentials(), **ORIGIN})
    again = client.get(path, headers={**credentials(), **ORIGIN, "If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    for response in (first, again):
        assert response.headers["Cache-Control"] == "private, max-age=60"
        assert vary(response) == varies | {"Origin"}


def test_if_none_match_compares_weakly(client):
    etag = client.get("/api/models").headers["ETag"]
    # nginx's gzip weakens the ETag it passes on; the browser sends that one back.
    assert client.get("/api/models", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get("/api/models", headers={"If-None-Match": '"other", ' + etag}).status_code == 304


def test_a_preflight_names_the_route_methods_and_echoes_the_requested_headers(client):
    response = client.options("/api/send_prompt", headers={
        **ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "X-API-Key, Content-Type, Idempotency-Key"})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")} >= {"POST", "OPTIONS"}
    assert response.headers["Access-Control-Allow-Headers"] == "X-API-Key, Content-Type, Idempotency-Key"
    assert "Access-Control-Expose-Headers" not in response.headers   # only on actual answers


def test_an_origin_outside_the_allow_list_gets_no_cors_headers_even_on_a_preflight(make_app):
    client = make_app(CORS_ORIGINS=["https://app.example"]).test_client()
    response = client.options("/api/send_prompt", headers={"Origin": "https://evil.example",
                                                           "Access-Control-Request-Method": "POST"})
    assert not [name for name in response.headers.keys() if name.startswith("Access-Control-")]
    allowed = client.options("/api/send_prompt", headers={**ORIGIN, "Access-Control-Request-Method": "POST"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
