"""The proxy floor (bench/floor_app.py) relays the fake vendor's bytes, whole and streamed, and makes our call."""
from __future__ import annotations

import re

import pytest
import requests

from bench.floor_app import create_floor
from tests.fakes.server import FakeVendorServer

MODEL = "openai/gpt-6-luna"
HELLO = [{"role": "user", "content": "Say hello to the floor"}]


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture
def floor(fake):
    return create_floor(fake.url, "sk-floor-test", (3.05, 10.0)).test_client()


def same(data: bytes) -> bytes:
    """The bytes without the second the fake stamped them with."""
    return re.sub(rb'"created": ?\d+', b'"created": 0', data)


def direct(fake, body: dict) -> bytes:
    response = requests.post(f"{fake.url}/v1/chat/completions", json=body, timeout=10,
                             headers={"Authorization": "Bearer sk-direct"})
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("stream", [False, True])
def test_v1_relays_the_vendors_bytes(fake, floor, stream):
    answer = floor.post("/v1/chat/completions", json={"model": MODEL, "messages": HELLO, "max_tokens": 40,
                                                      "stream": stream})
    vendor_body = {"model": "gpt-6-luna", "messages": HELLO, "max_completion_tokens": 40}
    if stream:
        vendor_body.update(stream=True, stream_options={"include_usage": True})
    assert answer.status_code == 200
    assert answer.mimetype == ("text/event-stream" if stream else "application/json")
    assert same(answer.get_data()) == same(direct(fake, vendor_body))
    assert fake.requests[-2].json() == vendor_body   # the floor's call, then ours: the same JSON


@pytest.mark.parametrize("stream", [False, True])
def test_send_prompt_relays_the_vendors_bytes(fake, floor, stream):
    answer = floor.post("/api/send_prompt", json={"prompt": "Say hello to the floor", "model_names": [MODEL],
                                                  "stream": stream})
    vendor_body = {"model": "gpt-6-luna", "messages": HELLO, "max_completion_tokens": 1024}
    if stream:
        vendor_body.update(stream=True, stream_options={"include_usage": True})
    assert answer.status_code == 200
    data = answer.get_data()
    assert same(data) == same(direct(fake, vendor_body))
    assert (b"data: [DONE]" in data) == stream


def test_the_floor_sends_what_price_runner_sends(fake, floor, make_app, tmp_path):
    # The same body to our send_prompt and to the floor's: the vendor receives the same JSON.
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-ours, base_url: "{fake.url}/v1"}}\n')
    ours = make_app(SECRETS_FILE=str(secrets), RATELIMIT_ENABLED=False).test_client()
    body = {"prompt": "Say hello to the floor", "model_names": [MODEL]}
    assert ours.post("/api/send_prompt", json=body).status_code == 200
    sent_by_us = fake.requests[-1].json()
    assert floor.post("/api/send_prompt", json=body).status_code == 200
    assert fake.requests[-1].json() == sent_by_us
