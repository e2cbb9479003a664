"""The answer cache: scoped by caller unless shared, and bounded in bytes."""
import pytest
import responses

from app.providers.base import PromptRequest
from app.routing.answer_cache import AnswerCache, MemoryBackend

URL = "/api/send_prompt"
GROQ_URL = "https://groq.test/openai/v1/chat/completions"
KEY_A, KEY_B = "caller-a-key-0123456789", "caller-b-key-0123456789"


def reply(text="cached answer"):
    return {"id": "c", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}}


@pytest.fixture
def make(make_app, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text('groq: {api_key: gsk-cache-test, base_url: "https://groq.test/openai/v1"}\n')

    def build(**settings):
        return make_app(SECRETS_FILE=str(secrets), PROVIDER_MAX_RETRIES=0, **settings).test_client()
    return build


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def ask(client, key=None):
    headers = {"X-API-Key": key} if key else {}
    response = client.post(URL, json={"prompt": "What did A ask?", "providers": ["groq"], "cache": True},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["data"][0]


def test_by_default_one_callers_answers_never_reach_another(make, mocked):
    call = mocked.post(GROQ_URL, json=reply())
    client = make(AUTH_MODE="api_key", API_KEYS=(KEY_A, KEY_B))
    assert ask(client, KEY_A)["cached"] is False
    assert ask(client, KEY_A)["cached"] is True      # A's own answer comes back from the cache
    assert ask(client, KEY_B)["cached"] is False     # B asks the vendor: A's answer stays A's
    assert call.call_count == 2


def test_a_shared_cache_serves_every_caller(make, mocked):
    call = mocked.post(GROQ_URL, json=reply())
    client = make(AUTH_MODE="api_key", API_KEYS=(KEY_A, KEY_B), ANSWER_CACHE_SCOPE="shared")
    assert ask(client, KEY_A)["cached"] is False
    hit = ask(client, KEY_B)
    assert hit["cached"] is True and hit["response"] == "cached answer" and call.call_count == 1


def test_an_answer_larger_than_the_item_cap_is_not_stored(make, mocked):
    call = mocked.post(GROQ_URL, json=reply("word " * 400))
    client = make(ANSWER_CACHE_MAX_ITEM_BYTES=1000)
    assert ask(client)["cached"] is False
    assert ask(client)["cached"] is False and call.call_count == 2


def test_the_in_process_store_is_bounded_in_bytes():
    backend = MemoryBackend(max_bytes=1000, ttl_s=60)
    for key in ("a", "b", "c"):
        backend.set(key, b"x" * 400)
    assert backend.get("a") is None and backend.get("b") and backend.get("c")   # 1200 bytes do not fit


def test_the_cache_round_trips_items_and_scopes_keys():
    cache = AnswerCache(MemoryBackend(10_000, 60), 60)
    request = PromptRequest("hi", model="m")
    cache.set("groq", request, "key:a", {"response": "hello", "n": 1})
    assert cache.get("groq", request, "key:a") == {"response": "hello", "n": 1}
    assert cache.get("groq", request, "key:b") is None
    shared = AnswerCache(MemoryBackend(10_000, 60), 60, scope="shared")
    assert shared.key("groq", request, "key:a") == shared.key("groq", request, "key:b")
