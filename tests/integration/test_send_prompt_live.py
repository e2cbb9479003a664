"""send_prompt through real gunicorn, against a local server speaking the vendors' formats."""
import time
from contextlib import contextmanager

import pytest
import requests

from tests.integration.servers import gunicorn, stream_arrivals

pytestmark = pytest.mark.integration

# One model per dialect (plus Groq); the fake answers each by the api_model it is sent.
MODELS = ("openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "google/gemini-3.8-flash",
          "bedrock/claude-haiku-5-5", "azure/gpt-6.1-sol", "groq/llama-3.1-8b")


def secrets_for(url: str) -> str:
    return f"""
openai: {{api_key: sk-live-test-openai, base_url: "{url}/v1"}}
anthropic: {{api_key: sk-ant-live-test, base_url: "{url}"}}
google: {{api_key: google-live-test, base_url: "{url}"}}
aws: {{access_key_id: AKIALIVETEST, secret_access_key: live-test-secret, region: us-east-1, endpoint_url: "{url}"}}
azure: {{api_key: azure-live-test, endpoint: "{url}"}}
groq: {{api_key: gsk-live-test, base_url: "{url}/v1"}}
"""


@contextmanager
def live_service(fake, tmp_path_factory, encodings_dir, **settings):
    """gunicorn with every dialect's credentials pointing at the fake."""
    secrets = tmp_path_factory.mktemp("live") / "secrets.yaml"
    secrets.write_text(secrets_for(fake.url))
    with gunicorn(SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir), **settings) as (base, _):
        yield base


@pytest.fixture(scope="module")
def service(fake, tmp_path_factory, encodings_dir):
    with live_service(fake, tmp_path_factory, encodings_dir, PROVIDER_TIMEOUT="2", PROVIDER_MAX_RETRIES="0") as base:
        yield base


@pytest.fixture(autouse=True)
def fresh(fake):
    fake.reset()
    yield


def api_models(base):
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{base}/api/models", timeout=5).json()["data"]}
    return {model_id: catalog[model_id] for model_id in MODELS}


def send(base, **body):
    response = requests.post(f"{base}/api/send_prompt", json={"prompt": "Say hello", **body}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_five_providers_answering_in_400ms_come_back_well_under_a_second(fake, service):
    fake.behave("*", delay=0.4)
    ids = ["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "google/gemini-3.8-flash",
           "bedrock/claude-haiku-5-5", "azure/gpt-6.1-sol"]
    send(service, model_names=ids)   # warm the keep-alive pools
    started = time.monotonic()
    body = send(service, model_names=ids)
    elapsed = time.monotonic() - started
    assert [item["success"] for item in body["data"]] == [True] * 5, body
    assert all(item["output_tokens"] > 0 and item["actual_cost"] > 0 for item in body["data"])
    assert 0.4 <= elapsed < 0.8, elapsed
    paths = {r.path.split("?")[0] for r in fake.requests}
    assert {"/v1/chat/completions", "/v1/messages", "/openai/deployments/gpt-6.1-sol/chat/completions"} <= paths
    assert any(p.startswith("/model/") and p.endswith("/converse") for p in paths)
    assert any(p.startswith("/v1beta/models/") for p in paths)
    bedrock = next(r for r in fake.requests if r.path.endswith("/converse"))
    headers = {key.lower(): value for key, value in bedrock.headers.items()}
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIALIVETEST/")


def test_a_hanging_vendor_costs_no_more_than_the_deadline(fake, service):
    models = api_models(service)
    fake.behave(models["groq/llama-3.1-8b"], hang=True)
    started = time.monotonic()
    body = send(service, model_names=["groq/llama-3.1-8b", "openai/gpt-6.1-sol"], timeout=1)
    elapsed = time.monotonic() - started
    items = {item["id"]: item for item in body["data"]}
    assert items["groq/llama-3.1-8b"]["error"]["type"] == "timeout"
    assert items["openai/gpt-6.1-sol"]["success"] is True
    assert 1.0 <= elapsed < 1.6, elapsed


def test_healthy_vendors_answer_while_others_fail(fake, service):
    models = api_models(service)
    fake.behave(models["anthropic/claude-haiku-4-5"], status=500)
    fake.behave(models["google/gemini-3.8-flash"], garbage=True)
    body = send(service, model_names=["anthropic/claude-haiku-4-5", "google/gemini-3.8-flash",
                                      "openai/gpt-6.1-sol"])
    items = {item["id"]: item for item in body["data"]}
    assert items["anthropic/claude-haiku-4-5"]["error"]["status"] == 500
    assert items["google/gemini-3.8-flash"]["error"]["type"] == "bad_response"
    assert items["openai/gpt-6.1-sol"]["success"] is True
    assert "sk-ant-live-test" not in str(body) and "google-live-test" not in str(body)


def test_stream_delivers_the_fastest_answer_first_through_gunicorn(fake, service):
    models = api_models(service)
    fake.behave(models["openai/gpt-6.1-sol"], delay=0.2)
    fake.behave(models["anthropic/claude-haiku-4-5"], delay=1.5)
    arrivals = stream_arrivals(f"{service}/api/send_prompt", {
        "prompt": "hi", "stream": True, "model_names": ["anthropic/claude-haiku-4-5", "openai/gpt-6.1-sol"]})
    first_at, first = arrivals[0]
    assert b'"id":"openai/gpt-6.1-sol"' in first
    assert first_at < 1.0, arrivals        # when the fast vendor answered, not the slow one
    assert arrivals[1][0] >= 1.5 and b'"claude-haiku-4-5"' in arrivals[1][1]
    assert b'"total_cost"' in arrivals[-1][1] and len(arrivals) == 3


def test_tokens_stream_from_every_dialect_through_gunicorn_before_each_result(fake, service):
    models = api_models(service)
    ids = ["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "google/gemini-3.8-flash",
           "bedrock/claude-haiku-5-5", "azure/gpt-6.1-sol", "groq/llama-3.1-8b"]
    for model_id in ids:
        fake.behave(models[model_id], text="first second third", tick=0.3)
    arrivals = stream_arrivals(f"{service}/api/send_prompt", {"prompt": "hi", "stream": True, "model_names": ids},
                               skip=(), named=True)
    for model_id in ids:
        tag = f'"id":"{model_id}"'.encode()
        mine = [(at, name, data) for at, name, data in arrivals if tag in data]
        assert [name for _, name, _ in mine] == ["delta", "delta", "delta", "result"], (model_id, mine)
        assert mine[2][0] - mine[0][0] >= 0.5, mine   # word by word as the vendor sends them (0.3 s apart)
        assert b'"text":"first "' in mine[0][2] and b'"response":"first second third"' in mine[3][2]
        assert b'"cost_basis":"billed"' in mine[3][2]   # usage from the stream's own report
    assert arrivals[-1][1] == "done"
    paths = {r.path.split("?")[0] for r in fake.requests}
    assert any(p.endswith(":streamGenerateContent") for p in paths) and any(p.endswith("/converse-stream") for p in paths)


def test_a_stream_cut_when_the_client_leaves_mid_answer(fake, service):
    models = api_models(service)
    fake.behave(models["openai/gpt-6.1-sol"], text=" ".join(["word"] * 40), tick=0.2)
    with requests.post(f"{service}/api/send_prompt", stream=True, timeout=10,
                       json={"prompt": "hi", "stream": True, "model_names": ["openai/gpt-6.1-sol"]}) as response:
        lines = response.iter_lines()
        assert next(line for line in lines if line.startswith(b"event: delta"))
    left = time.monotonic()
    while not fake.streams_cut(models["openai/gpt-6.1-sol"]) and time.monotonic() - left < 3:
        time.sleep(0.05)
    # The vendor stream is cut with the client, long before the 8 s the whole answer takes.
    assert fake.streams_cut(models["openai/gpt-6.1-sol"]) == 1 and time.monotonic() - left < 2
    again = stream_arrivals(f"{service}/api/send_prompt", {"prompt": "hi", "stream": True,
                                                           "model_names": ["anthropic/claude-haiku-4-5"]})
    assert b'"total_cost"' in again[-1][1]


@pytest.fixture(scope="module")
def retrying_service(fake, tmp_path_factory, encodings_dir):
    with live_service(fake, tmp_path_factory, encodings_dir, PROVIDER_TIMEOUT="10", PROVIDER_MAX_RETRIES="2") as base:
        yield base


def test_a_disconnected_stream_stops_calling_vendors(fake, retrying_service):
    models = api_models(retrying_service)
    groq = models["groq/llama-3.1-8b"]
    # 503 with Retry-After 1.5: a client that stays sees attempts at 0, 1.5 and 3.0 s.
    fake.behave(groq, status=503, retry_after=1.5)
    with requests.post(f"{retrying_service}/api/send_prompt", stream=True, timeout=10,
                       json={"prompt": "hi", "stream": True,
                             "model_names": ["groq/llama-3.1-8b", "openai/gpt-6.1-sol"]}) as response:
        next(response.iter_lines())   # the fast answer arrives; then we hang up
    time.sleep(4.0)
    attempts = [r for r in fake.requests if r.json().get("model") == groq]
    assert 1 <= len(attempts) < 3, len(attempts)   # heartbeats reveal the hang-up; retries stop
