"""The app's side of bounded admission: a request the worker marked refused gets 503 and no view runs."""
import pytest

from app.admission import ENVIRON_KEY, REFUSED

MARKED = {ENVIRON_KEY: REFUSED}


@pytest.fixture
def client(make_app):
    return make_app().test_client()


def test_a_refused_request_gets_503_with_retry_after_in_the_envelope(client):
    response = client.post("/api/send_prompt", json={"prompt": "hi"}, environ_base=MARKED)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["success"] is False and "capacity" in response.get_json()["error"]["message"]
    assert response.headers.get("X-Request-ID")


def test_under_v1_the_refusal_is_in_openais_format(client):
    response = client.post("/v1/chat/completions", json={"model": "x", "messages": []}, environ_base=MARKED)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["type"] == "server_error"
    assert response.get_json()["error"]["code"] == "overloaded"


def test_health_and_ready_are_never_refused(client):
    assert client.get("/health", environ_base=MARKED).status_code == 200
    assert client.get("/ready", environ_base=MARKED).status_code == 200


def test_unmarked_requests_are_served(client):
    assert client.get("/api/models").status_code == 200
