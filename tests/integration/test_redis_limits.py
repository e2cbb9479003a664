"""Two gunicorn instances sharing RATELIMIT_STORAGE_URI=redis://... enforce one limit together."""
import pytest
import requests

from tests.integration.servers import gunicorn, redis_server, server_binary

pytestmark = pytest.mark.integration
LIMIT = 6


def test_two_instances_count_one_limit_in_redis(encodings_dir):
    server_binary("redis-server")
    with redis_server() as uri:
        settings = {"TIKTOKEN_CACHE_DIR": str(encodings_dir), "RATELIMIT_ENABLED": "true",
                    "RATELIMIT_DEFAULT": f"{LIMIT}/minute", "RATELIMIT_STORAGE_URI": uri}
        with gunicorn(**settings) as (first, _), gunicorn(**settings) as (second, _):
            # Alternate instances, and a new connection each time so both workers of each serve too.
            answers = [requests.get(f"{base}/api/providers", headers={"Connection": "close"}, timeout=5)
                       for base in [first, second] * LIMIT]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * LIMIT
    refused = answers[-1]
    assert refused.json()["error"]["code"] == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith(f"Too many requests: the limit is {LIMIT} per 1 minute.")


def test_v1_answers_say_exactly_what_is_left_across_instances(encodings_dir):
    server_binary("redis-server")
    with redis_server() as uri:
        settings = {"TIKTOKEN_CACHE_DIR": str(encodings_dir), "RATELIMIT_ENABLED": "true",
                    "RATELIMIT_V1": f"{LIMIT}/minute", "RATELIMIT_STORAGE_URI": uri}
        with gunicorn(**settings) as (first, _), gunicorn(**settings) as (second, _):
            answers = [requests.get(f"{base}/v1/models", headers={"Connection": "close"}, timeout=5)
                       for base in [first, second] * LIMIT]
    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * LIMIT
    assert [a.headers["x-ratelimit-remaining-requests"] for a in answers] == \
        [str(left) for left in range(LIMIT - 1, -1, -1)] + ["0"] * LIMIT
    assert {a.headers["x-ratelimit-limit-requests"] for a in answers} == {str(LIMIT)}
    assert answers[-1].json()["error"]["code"] == "rate_limit_exceeded"


def test_the_same_instances_on_memory_storage_count_per_worker(encodings_dir):
    # The contrast that shows why Redis is needed: each process keeps its own count.
    settings = {"TIKTOKEN_CACHE_DIR": str(encodings_dir), "RATELIMIT_ENABLED": "true",
                "RATELIMIT_DEFAULT": "1/minute", "WEB_CONCURRENCY": "1"}
    with gunicorn(**settings) as (first, _), gunicorn(**settings) as (second, _):
        codes = [requests.get(f"{base}/api/providers", timeout=5).status_code for base in (first, second)]
    assert codes == [200, 200]
