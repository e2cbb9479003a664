"""/health: liveness, no I/O. /ready: 200 ready or degraded (serving with less), 503 when it cannot serve."""
from types import SimpleNamespace

from app.config import build_config
from app.health import readiness_problems


def test_health_is_unchanged(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_when_catalog_encodings_and_config_are_fine(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {
        "catalog": "ok", "encodings": "ok", "config": "ok", "auth": "ok", "database": "ok", "draining": "ok"}}


def test_without_encodings_the_service_is_ready_but_degraded(make_app, tmp_path):
    response = make_app(TIKTOKEN_CACHE_DIR=str(tmp_path)).test_client().get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"catalog": "ok", "encodings": "degraded", "config": "ok", "auth": "ok",
                              "database": "ok", "draining": "ok"}
    assert set(body["reasons"]) == {"encodings"} and "TIKTOKEN_CACHE_DIR" in body["reasons"]["encodings"]


def test_a_degraded_service_still_serves_labelled_estimates(make_app, tmp_path):
    client = make_app(TIKTOKEN_CACHE_DIR=str(tmp_path)).test_client()
    item = client.post("/api/get_best_price_for_prompt", json={"prompt": "Hello, world"}).get_json()["data"][0]
    assert item["token_count_exact"] is False and item["tokenizer"] == "heuristic"


def test_a_failure_is_503_and_names_the_degraded_checks_too(make_app, tmp_path):
    app = make_app(TIKTOKEN_CACHE_DIR=str(tmp_path))
    app.config["PROVIDER_TIMEOUT"] = 0
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["message"] == "Not ready: config."
    assert set(error["fields"]) == {"config", "encodings"}


def test_not_ready_when_the_config_went_bad(app):
    app.config["PROVIDER_TIMEOUT"] = 0
    error = app.test_client().get("/ready").get_json()["error"]
    assert error["fields"] == {"config": ["PROVIDER_TIMEOUT must be positive, got 0"]}


def test_every_problem_is_named_with_its_severity():
    app = SimpleNamespace(extensions={"catalog": SimpleNamespace(all=lambda: []),
                                      "tokens": SimpleNamespace(exact_available=False)},
                          config={**build_config(environ={}), "TRUSTED_PROXIES": -1})
    problems = readiness_problems(app)
    assert {name: severity for name, (severity, _) in problems.items()} == {
        "catalog": "failed", "encodings": "degraded", "config": "failed"}


def test_the_documented_ready_schema_accepts_both_answers(make_app, tmp_path):
    from jsonschema import validate

    from app.health import OPENAPI_PATHS
    schema = OPENAPI_PATHS["/ready"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    validate(make_app().test_client().get("/ready").get_json(), schema)
    validate(make_app(TIKTOKEN_CACHE_DIR=str(tmp_path)).test_client().get("/ready").get_json(), schema)


def test_ready_turns_503_while_the_drain_file_exists_and_health_stays_200(make_app, tmp_path):
    drain = tmp_path / "draining"
    client = make_app(DRAIN_FILE=str(drain)).test_client()
    assert client.get("/ready").status_code == 200
    drain.touch()   # what the preStop hook does
    response = client.get("/ready")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["message"] == "Not ready: draining." and "DRAIN_FILE" in error["fields"]["draining"][0]
    assert client.get("/health").status_code == 200   # liveness: Kubernetes must not restart it
    drain.unlink()
    assert client.get("/ready").status_code == 200
