"""send_prompt's token stream over the fake vendors: deltas before results, limits, the stream slots."""
import time

import pytest
from prometheus_client import REGISTRY

from app.routing.capacity import streams_per_instance, streams_per_worker
from tests.fakes.server import FakeVendorServer
from tests.routing.sse import sse_events

URL = "/api/send_prompt"
SOL, HAIKU = "openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


def secrets(tmp_path, fake):
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-stream-test-0123456789, base_url: "{fake.url}/v1"}}\n'
                    f'anthropic: {{api_key: sk-ant-stream-test, base_url: "{fake.url}"}}\n')
    return str(path)


@pytest.fixture
def app(make_app, tmp_path, fake):
    fake.reset()
    return make_app(SECRETS_FILE=secrets(tmp_path, fake), PROVIDER_TIMEOUT=5.0, PROVIDER_MAX_RETRIES=0,
                    STREAM_IDLE_TIMEOUT=0.5)


def api_model(app, model_id):
    return app.extensions["catalog"].get(model_id).api_model


def test_deltas_arrive_as_the_vendor_sends_them_and_before_the_result(app, client, fake):
    fake.behave(api_model(app, SOL), text="alpha beta gamma delta", tick=0.25)
    response = client.post(URL, json={"prompt": "hi", "stream": True, "model_names": [SOL]}, buffered=False)
    started, arrivals = time.monotonic(), []
    for chunk in response.response:
        arrivals.append((time.monotonic() - started, chunk))
    response.close()
    deltas = [(at, chunk) for at, chunk in arrivals if chunk.startswith(b"event: delta")]
    result_at = next(at for at, chunk in arrivals if chunk.startswith(b"event: result"))
    assert [chunk for _, chunk in deltas][0] == b'event: delta\ndata: {"id":"openai/gpt-6.1-sol","text":"alpha "}\n\n'
    assert len(deltas) == 4 and deltas[0][0] < 0.5 <= deltas[-1][0] <= result_at   # token by token, then the result


def test_an_idle_vendor_mid_answer_is_a_timeout_item_naming_the_setting(app, client, fake):
    fake.behave(api_model(app, SOL), text="one two three four", stall_after=3)
    events = sse_events(client.post(URL, json={"prompt": "hi", "stream": True, "model_names": [SOL, HAIKU]}))
    results = {data["id"]: data for name, data in events if name == "result"}
    assert results[SOL]["success"] is False and results[SOL]["error"]["type"] == "timeout"
    assert "STREAM_IDLE_TIMEOUT" in results[SOL]["error"]["message"] and results[HAIKU]["success"] is True
    assert [data["text"] for name, data in events if name == "delta" and data["id"] == SOL] == ["one ", "two "]


def refusals(reason):
    return REGISTRY.get_sample_value("price_runner_stream_refusals_total",
                                     {"endpoint": "send_prompt", "reason": reason}) or 0.0


def test_streams_beyond_the_workers_share_are_refused_at_once(make_app, tmp_path, fake):
    fake.reset()
    app = make_app(SECRETS_FILE=secrets(tmp_path, fake), GUNICORN_THREADS=2, PROVIDER_MAX_RETRIES=0)
    assert streams_per_worker(app.config) == 1 and streams_per_instance(app.config) == app.config["WEB_CONCURRENCY"]
    fake.behave(api_model(app, SOL), text="slow answer here", tick=0.3)
    client, before = app.test_client(), refusals("streams")
    body = {"prompt": "hi", "stream": True, "model_names": [SOL]}
    first = client.post(URL, json=body, buffered=False)
    started = time.monotonic()
    refused = client.post(URL, json=body)
    assert time.monotonic() - started < 0.5   # at once, not after the open stream
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.get_json()["error"]["code"] == 503 and "streams" in refused.get_json()["error"]["message"]
    assert refusals("streams") == before + 1
    assert client.post(URL, json={"prompt": "hi", "model_names": [SOL]}).status_code == 200   # JSON calls still run
    list(first.response)
    first.close()
    assert client.post(URL, json=body).status_code == 200   # the slot came back


def test_a_stream_closed_before_it_was_read_gives_its_slot_back(make_app, tmp_path, fake):
    fake.reset()
    app = make_app(SECRETS_FILE=secrets(tmp_path, fake), GUNICORN_THREADS=2, PROVIDER_MAX_RETRIES=0)
    client = app.test_client()
    for _ in range(3):
        client.post(URL, json={"prompt": "hi", "stream": True, "model_names": [SOL]}, buffered=False).close()
    assert app.extensions["routing"].slots.open() == 0
