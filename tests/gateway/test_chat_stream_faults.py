"""Streams that break off after their first tokens, and clients that leave: against the local fake vendor."""
import json
import time

import pytest

from app.spend.money import to_money
from tests.fakes.server import FakeVendorServer
from tests.gateway.conftest import CHAT, HI
from tests.gateway.test_chat_stream import events, text_of
from tests.routing.sse import sse_events
from tests.spend.conftest import ledger

SOL, LUNA = "openai/gpt-6.1-sol", "openai/gpt-6-luna"
TEXT = "one two three four five six"


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture
def app(make_app, tmp_path, fake):
    fake.reset()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-stream-test-0123456789, base_url: "{fake.url}/v1"}}\n')
    return make_app(SECRETS_FILE=str(secrets), PROVIDER_TIMEOUT=10.0, PROVIDER_MAX_RETRIES=0)


def api_model(app, model_id):
    return app.extensions["catalog"].get(model_id).api_model


def rows(app):
    return ledger(app.extensions["store"].engine)


def test_a_failure_after_tokens_is_an_error_event_priced_and_not_retried(app, fake):
    fake.behave(api_model(app, SOL), text=TEXT, tick=0.02, error_after=4)
    client = app.test_client()
    response = client.post(CHAT, json={"model": SOL, "models": [LUNA], "messages": HI, "stream": True,
                                       "stream_options": {"include_usage": True}, })
    assert response.status_code == 200 and response.headers["X-Price-Runner-Model"] == SOL
    found = events(response)
    assert "[DONE]" not in found and TEXT.startswith(text_of(found).strip()) and text_of(found)
    error = found[-1]
    assert set(error["error"]) == {"message", "type", "param", "code"}
    assert error["error"]["type"] == "server_error" and "failed mid-stream" in error["error"]["message"]
    assert len(fake.requests) == 1   # the fallback was not tried
    attempt, = error["price_runner"]["attempts"]
    assert attempt["model"] == SOL and attempt["error"]["type"] == "stream_error" and attempt["cost"] > 0
    row, = rows(app)
    assert row["outcome"] == "failed" and row["cost_basis"] == "estimated"
    assert row["input_tokens"] == row["estimated_input_tokens"] and row["output_tokens"] >= 1
    assert row["cost"] == to_money(attempt["cost"])
    assert app.extensions["routing"].slots.open() == 0


def test_a_failed_stream_frees_its_idempotency_key(app, fake):
    fake.behave(api_model(app, SOL), text=TEXT, tick=0.02, error_after=3)
    client = app.test_client()
    body = {"model": SOL, "messages": HI, "stream": True}
    assert "[DONE]" not in events(client.post(CHAT, json=body, headers={"Idempotency-Key": "s-2"}))
    fake.behave(api_model(app, SOL), text="fine now")
    again = client.post(CHAT, json=body, headers={"Idempotency-Key": "s-2"})
    assert "Idempotent-Replayed" not in again.headers and text_of(events(again)) == "fine now"


def test_a_client_that_leaves_cuts_the_vendor_stream_and_its_tokens_are_recorded(app, fake):
    model = api_model(app, SOL)
    fake.behave(model, text=" ".join(["word"] * 400), tick=0.05)
    client = app.test_client()
    response = client.post(CHAT, json={"model": SOL, "messages": HI, "stream": True}, buffered=False)
    chunks = iter(response.response)
    received = b""
    while received.count(b'"content":"word') < 3:
        received += next(chunks)
    left = time.monotonic()
    response.close()
    while not rows(app) and time.monotonic() - left < 3:
        time.sleep(0.02)
    assert time.monotonic() - left < 2   # cut at once, not when the answer ends (400 words, 20 s)
    row, = rows(app)
    assert row["outcome"] == "cancelled" and row["cost_basis"] == "estimated" and row["output_tokens"] >= 3
    assert row["cost"] > 0
    deadline = time.monotonic() + 2
    while fake.streams_cut(model) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.streams_cut(model) == 1
    assert app.extensions["routing"].slots.open() == 0


def test_send_prompt_records_a_stream_broken_after_tokens_at_its_estimated_cost(app, fake):
    fake.behave(api_model(app, SOL), text=TEXT, tick=0.02, error_after=4)
    response = app.test_client().post("/api/send_prompt", json={"prompt": "hi", "stream": True, "model_names": [SOL]})
    found = sse_events(response)
    assert [name for name, _ in found if name != "delta"] == ["result", "done"]
    item = next(data for name, data in found if name == "result")
    # The contract holds: a failed item with its error; now with the tokens the vendor likely bills.
    assert item["success"] is False and item["error"]["type"] == "stream_error" and item["response"] is None
    assert item["cost_basis"] == "estimated" and item["usage_reported"] is False
    assert item["input_tokens"] == item["estimated_input_tokens"] and item["output_tokens"] >= 1
    assert item["actual_cost"] > 0 and item["recorded"] is True
    assert found[-1][1]["total_cost"] == item["actual_cost"]
    row, = rows(app)
    assert row["outcome"] == "failed" and row["cost"] == to_money(item["actual_cost"])
    assert row["output_tokens"] == item["output_tokens"] and row["cost_basis"] == "estimated"


def test_a_failure_before_the_first_token_still_costs_nothing(app, fake):
    fake.behave(api_model(app, SOL), status=500)
    response = app.test_client().post("/api/send_prompt", json={"prompt": "hi", "stream": True, "model_names": [SOL]})
    item = next(data for name, data in sse_events(response) if name == "result")
    assert item["success"] is False and item["actual_cost"] == 0 and item["cost_basis"] is None
    row, = rows(app)
    assert row["cost"] == 0 and row["output_tokens"] is None


def _tool_flood(pieces: int, name_chars: int) -> list[bytes]:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "n" * name_chars}}
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}
    return [b"data: " + json.dumps(chunk).encode() + b"\n\n"] * pieces + [b"data: [DONE]\n\n"]


@pytest.mark.parametrize("surface", ["v1", "send_prompt"])
def test_a_flood_of_tool_call_names_is_cut_at_the_response_cap(make_app, tmp_path, fake, surface):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-stream-test-0123456789, base_url: "{fake.url}/v1"}}\n')
    app = make_app(SECRETS_FILE=str(secrets), PROVIDER_MAX_RETRIES=0, PROVIDER_MAX_RESPONSE_BYTES=64 * 1024)
    fake.reset()
    fake.behave(api_model(app, SOL), chunks=_tool_flood(200, 4000))   # 800 KB of names, no arguments
    if surface == "v1":
        response = app.test_client().post(CHAT, json={"model": SOL, "messages": HI, "stream": True})
        body = response.get_data()
        assert len(body) < 200 * 1024 and b"[DONE]" not in body
        assert "PROVIDER_MAX_RESPONSE_BYTES" in events(response)[-1]["error"]["message"]
    else:
        response = app.test_client().post("/api/send_prompt",
                                          json={"prompt": "hi", "stream": True, "model_names": [SOL]})
        item = next(data for name, data in sse_events(response) if name == "result")
        assert item["success"] is False and item["error"]["type"] == "response_too_large"
