"""/health: liveness, no I/O. /ready: 200 when catalog, encodings and config are fine, else 503 saying why."""
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
        "catalog": "ok", "encodings": "ok", "config": "ok", "auth": "ok"}}


def test_not_ready_without_encodings(make_app, tmp_path):
    response = make_app(TIKTOKEN_CACHE_DIR=str(tmp_path)).test_client().get("/ready")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == 503 and error["message"] == "Not ready: encodings."
    assert "TIKTOKEN_CACHE_DIR" in error["fields"]["encodings"][0]


def test_not_ready_when_the_config_went_bad(app):
    app.config["PROVIDER_TIMEOUT"] = 0
    error = app.test_client().get("/ready").get_json()["error"]
    assert error["fields"] == {"config": ["PROVIDER_TIMEOUT must be positive, got 0"]}


def test_every_problem_is_named():
    app = SimpleNamespace(extensions={"catalog": SimpleNamespace(all=lambda: []),
                                      "tokens": SimpleNamespace(exact_available=False)},
                          config={**build_config(environ={}), "TRUSTED_PROXIES": -1})
    assert set(readiness_problems(app)) == {"catalog", "encodings", "config"}
