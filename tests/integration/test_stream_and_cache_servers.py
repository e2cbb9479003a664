"""Streaming through nginx, and the answer cache shared by two instances through Redis."""
import time

import pytest
import requests

from tests.integration.servers import gunicorn, nginx, redis_server

pytestmark = pytest.mark.integration


@pytest.fixture
def secrets(fake, tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-servers-test, base_url: "{fake.url}/v1"}}\n'
                    f'anthropic: {{api_key: sk-ant-servers-test, base_url: "{fake.url}"}}\n')
    return str(path)


def test_stream_through_nginx_delivers_the_fastest_answer_first(fake, secrets, encodings_dir):
    fake.reset()
    fake.behave("gpt-6.1-sol", delay=0.2)
    fake.behave("*", delay=1.5)
    with gunicorn(SECRETS_FILE=secrets, TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (app_base, _), \
            nginx(app_base.removeprefix("http://")) as (proxy_base, _):
        started, arrivals = time.monotonic(), []
        with requests.post(f"{proxy_base}/api/send_prompt", stream=True, timeout=10,
                           json={"prompt": "hi", "stream": True,
                                 "model_names": ["anthropic/claude-haiku-4-5", "openai/gpt-6.1-sol"]}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith(b"data: "):
                    arrivals.append((time.monotonic() - started, line))
    assert b"openai/gpt-6.1-sol" in arrivals[0][1] and arrivals[0][0] < 1.0, arrivals
    assert arrivals[1][0] >= 1.5 and b"total_cost" in arrivals[-1][1]


def test_two_instances_share_the_answer_cache_through_redis(fake, secrets, encodings_dir):
    fake.reset()
    body = {"prompt": "Cache me", "model_names": ["openai/gpt-6.1-sol"], "cache": True}
    with redis_server() as redis_url:
        settings = {"SECRETS_FILE": secrets, "TIKTOKEN_CACHE_DIR": str(encodings_dir), "CACHE_REDIS_URL": redis_url}
        with gunicorn(**settings) as (first, _), gunicorn(**settings) as (second, _):
            live = requests.post(f"{first}/api/send_prompt", json=body, timeout=10).json()["data"][0]
            hit = requests.post(f"{second}/api/send_prompt", json=body, timeout=10).json()["data"][0]
    assert live["success"] and live["cached"] is False and live["actual_cost"] > 0
    assert hit["cached"] is True and hit["response"] == live["response"] and hit["actual_cost"] == 0.0
    assert len([r for r in fake.requests if r.path.endswith("/chat/completions")]) == 1
