"""The answer cache shared by two instances through Redis (streaming through nginx: test_nginx.py)."""
import pytest
import requests

from tests.integration.servers import gunicorn, redis_server

pytestmark = pytest.mark.integration


@pytest.fixture
def secrets(fake, tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(f'openai: {{api_key: sk-servers-test, base_url: "{fake.url}/v1"}}\n'
                    f'anthropic: {{api_key: sk-ant-servers-test, base_url: "{fake.url}"}}\n')
    return str(path)


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
