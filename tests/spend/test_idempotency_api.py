"""Idempotency-Key on send_prompt: a retry never pays twice."""
import threading
import time

import pytest

from tests.routing.sse import sse_events
from tests.spend.conftest import ledger

URL = "/api/send_prompt"
BODY = {"prompt": "Say hello", "model_names": ["openai/gpt-6.1-sol"]}


@pytest.fixture
def client(spend_app):
    return spend_app().test_client()


def post(client, body=BODY, key="retry-key-1", **kwargs):
    return client.post(URL, json=body, headers={"Idempotency-Key": key} if key else {}, **kwargs)


def test_a_retry_gets_the_recorded_answer_without_calling_the_vendor(client, fake):
    first = post(client)
    assert first.status_code == 200 and len(fake.requests) == 1
    again = post(client, body={"model_names": ["openai/gpt-6.1-sol"], "prompt": "Say hello"})   # keys reordered
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and again.get_json()["data"][0]["recorded"] is True
    assert len(fake.requests) == 1 and len(ledger(client.application.extensions["store"].engine)) == 1


def test_a_streamed_answer_replays_as_json_and_as_events(client, fake):
    streamed = sse_events(post(client, body={**BODY, "stream": True}))
    replayed = post(client)
    assert replayed.headers["Idempotent-Replayed"] == "true" and len(fake.requests) == 1
    assert replayed.get_json()["data"] == [data for name, data in streamed if name == "result"]
    events = sse_events(post(client, body={**BODY, "stream": True}))
    # A replay sends the stored results whole: the deltas were the first answer's only.
    assert [name for name, _ in streamed].count("delta") > 0 and "delta" not in [name for name, _ in events]
    assert events == [(name, data) for name, data in streamed if name != "delta"] and len(fake.requests) == 1


def test_the_same_key_with_another_body_is_422(client):
    post(client)
    response = post(client, body={**BODY, "max_tokens": 5})
    assert response.status_code == 422 and response.get_json()["success"] is False
    assert "different request body" in response.get_json()["error"]["message"]


def test_a_duplicate_while_the_first_runs_is_409(client, fake):
    fake.behave("gpt-6.1-sol", delay=0.6)
    first = {}
    thread = threading.Thread(target=lambda: first.setdefault("response", post(client)))
    thread.start()
    time.sleep(0.3)
    response = post(client)
    thread.join()
    assert response.status_code == 409 and "still running" in response.get_json()["error"]["message"]
    assert first["response"].status_code == 200 and len(fake.requests) == 1


def test_keys_belong_to_their_principal(spend_app, fake):
    keys = ("idem-key-a-0123456789", "idem-key-b-0123456789")
    client = spend_app(AUTH_MODE="api_key", API_KEYS=keys).test_client()
    for api_key in keys:
        response = client.post(URL, json=BODY, headers={"Idempotency-Key": "shared", "X-API-Key": api_key})
        assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers
    assert len(fake.requests) == 2


def test_a_refused_request_frees_its_key(spend_app, fake):
    assert post(spend_app(BUDGET_DAILY_USD="0").test_client()).status_code == 402
    # Another worker on the same database, whose budget now allows it: the key is free to run.
    assert post(spend_app().test_client()).status_code == 200 and len(fake.requests) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
def test_a_malformed_key_is_400(client, key):
    response = client.post(URL, json=BODY, headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
    assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"]["fields"]


def test_without_a_key_every_request_calls(client, fake):
    post(client, key=None)
    post(client, key=None)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_request_whose_every_item_failed_may_be_retried_at_once(client, fake, stream):
    fake.behave("*", status=500)
    failed = post(client, body={**BODY, "stream": stream})
    assert failed.status_code == 200 and len(fake.requests) == 1
    if stream:
        assert [data["success"] for name, data in sse_events(failed) if name == "result"] == [False]
    else:
        assert failed.get_json()["data"][0]["success"] is False
    fake.behave("*")   # the vendor is back: the retry runs, it does not replay the failure
    retried = post(client)
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert retried.get_json()["data"][0]["success"] is True and len(fake.requests) == 2
    assert post(client).headers["Idempotent-Replayed"] == "true" and len(fake.requests) == 2
    assert [row["outcome"] for row in ledger(client.application.extensions["store"].engine)] == ["failed", "ok"]


def test_a_partly_failed_request_is_replayed(spend_app, fake):
    fake.behave("llama-3.1-8b-instant", status=500)
    client = spend_app().test_client()
    body = {**BODY, "model_names": ["openai/gpt-6.1-sol", "groq/llama-3.1-8b"]}
    first = post(client, body=body)
    assert [item["success"] for item in first.get_json()["data"]] == [True, False]
    assert post(client, body=body).headers["Idempotent-Replayed"] == "true" and len(fake.requests) == 2
