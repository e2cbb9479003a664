"""Failures after the stream's headers, bugs while building one item, and clients that leave."""
import json
import time

import pytest
from prometheus_client import REGISTRY

from app.routing import service
from app.routing.dispatch import Batch
from tests.fakes.server import FakeVendorServer
from tests.routing.sse import sse_events

URL = "/api/send_prompt"
FAST, SLOW = "openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture
def app(make_app, tmp_path, fake):
    fake.reset()
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-stream-test-0123456789, base_url: "{fake.url}/v1"}}\n'
                       f'anthropic: {{api_key: sk-ant-stream-test, base_url: "{fake.url}"}}\n')
    return make_app(SECRETS_FILE=str(secrets), PROVIDER_TIMEOUT=10.0, PROVIDER_MAX_RETRIES=0)


def api_model(app, model_id):
    return app.extensions["catalog"].get(model_id).api_model


def stream(client):
    return client.post(URL, json={"prompt": "hi", "stream": True, "model_names": [FAST, SLOW]})


def test_a_failure_after_the_headers_is_an_error_event_then_done(app, client, fake, monkeypatch):
    fake.behave(api_model(app, SLOW), delay=0.3)
    real = Batch.streamed

    def first_then_break(self, feed, heartbeat):
        for event in real(self, feed, heartbeat):
            yield event
            if event is not None and not isinstance(event[1], str):   # the first whole answer
                raise RuntimeError("something nobody expected")

    monkeypatch.setattr(Batch, "streamed", first_then_break)
    response = stream(client)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = [(name, data) for name, data in sse_events(response) if name != "delta"]
    assert [name for name, _ in events] == ["result", "error", "done"]
    assert events[0][1]["id"] == FAST and events[1][1]["code"] == 500
    assert "nobody expected" not in response.get_data(as_text=True)   # no internals to the client
    assert events[2][1]["count"] == 1 and events[2][1]["total_cost"] == events[0][1]["actual_cost"]


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "sse"])
def test_a_bug_building_one_item_costs_that_item_only(app, client, monkeypatch, streamed):
    real = service.item

    def broken_for_fast(model, provider_name, outcome, *args):
        if model.id == FAST and outcome.completion is not None:   # a bug reading this answer
            raise ValueError("bug")
        return real(model, provider_name, outcome, *args)

    monkeypatch.setattr(service, "item", broken_for_fast)
    if streamed:
        events = [(name, data) for name, data in sse_events(stream(client)) if name != "delta"]
        assert [name for name, _ in events] == ["result", "result", "done"]
        found = {data["id"]: data for name, data in events if name == "result"}
    else:
        response = client.post(URL, json={"prompt": "hi", "model_names": [FAST, SLOW]})
        assert response.status_code == 200
        found = {item["id"]: item for item in response.get_json()["data"]}
    assert found[SLOW]["success"] is True
    assert found[FAST]["success"] is False and found[FAST]["error"]["type"] == "provider_error"


def calls_counted(outcome):
    labels = {"provider": "openai", "model": FAST, "outcome": outcome}
    return REGISTRY.get_sample_value("price_runner_provider_calls_total", labels) or 0.0


def test_calls_cut_because_the_client_left_are_counted_and_logged_as_cancelled(app, client, fake, capsys):
    fake.behave(api_model(app, FAST), hang=True)
    before = calls_counted("cancelled")
    response = client.post(URL, json={"prompt": "hi", "stream": True, "model_names": [FAST, SLOW]},
                           buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    assert b'"id":"anthropic/claude-haiku-4-5"' in first   # the healthy answer arrives, then we leave
    left = time.monotonic()
    response.close()
    while calls_counted("cancelled") == before and time.monotonic() - left < 2:
        time.sleep(0.02)
    assert calls_counted("cancelled") == before + 1
    assert time.monotonic() - left < 1   # cut at once, not at the 10 s deadline
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(line.get("event") == "provider_call" and line["model"] == FAST and line["outcome"] == "cancelled"
               for line in lines)
