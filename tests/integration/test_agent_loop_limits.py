"""An agent loop through /v1 under gunicorn with the default limits: 300 calls in a minute all answer."""
import re
import time

import httpx2 as httpx
import openai
import pytest

from tests.integration.servers import gunicorn, json_lines
from tests.integration.test_send_prompt_live import secrets_for

pytestmark = pytest.mark.integration
KEY = "agent-loop-key-0123456789"
CALLS = 300


def test_300_v1_calls_in_a_minute_over_one_connection_all_succeed(fake, tmp_path, encodings_dir):
    (tmp_path / "secrets.yaml").write_text(secrets_for(fake.url))
    # The default limits, switched on as they are outside the tests (RATELIMIT_* left unset).
    with gunicorn(SECRETS_FILE=str(tmp_path / "secrets.yaml"), TIKTOKEN_CACHE_DIR=str(encodings_dir),
                  AUTH_MODE="api_key", API_KEYS=f"agent:{KEY}", RATELIMIT_ENABLED="true",
                  PROVIDER_MAX_RETRIES="0") as (base, server), \
            httpx.Client(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as http:
        client = openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=20, http_client=http)
        messages = [{"role": "user", "content": "Next step?"}]
        started = time.monotonic()
        for step in range(CALLS):
            raw = client.chat.completions.with_raw_response.create(model="openai/gpt-6-luna", messages=messages,
                                                                   max_tokens=20)
            reply = raw.parse()
            messages = [*messages[-4:], {"role": "assistant", "content": reply.choices[0].message.content},
                        {"role": "user", "content": f"Step {step}: next?"}]
        elapsed = time.monotonic() - started
        served_by = {line["pid"] for line in json_lines(server.log()) if line.get("path") == "/v1/chat/completions"}
    assert elapsed < 60
    assert len(served_by) == 1   # one keep-alive connection: one worker counted every call
    # The same worker counted all of them: 600 a minute per worker by default, 300 left.
    assert (raw.headers["x-ratelimit-limit-requests"], raw.headers["x-ratelimit-remaining-requests"]) == ("600", "300")
    assert re.fullmatch(r"(\d+m)?\d+(\.\d+)?s|\d+ms", raw.headers["x-ratelimit-reset-requests"])
