"""The fake vendor server, driven through the real adapters and ``send`` on loopback."""
from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app.providers.errors import ProviderHTTPError, ProviderResponseError, ProviderTimeout
from app.providers.sessions import session_for
from app.providers.transport import send
from tests.fakes.server import FakeVendorServer
from tests.providers.cases import adapter_for, prompt_for

# Point each dialect at the fake: the setting that holds its address.
ADDRESS_SETTING = {"openai": "base_url", "ollama": "base_url", "anthropic": "base_url", "google": "base_url",
                   "bedrock": "endpoint_url", "azure": "endpoint"}


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.reset()


def adapter_at(fake: FakeVendorServer, vendor_key: str):
    suffix = "/v1" if vendor_key in ("openai", "ollama") else ""
    return adapter_for(vendor_key, **{ADDRESS_SETTING[vendor_key]: fake.url + suffix})


@pytest.mark.parametrize("vendor_key", [k for k in ADDRESS_SETTING if k != "ollama"])
def test_every_dialect_round_trips(fake, vendor_key):
    completion = send(adapter_at(fake, vendor_key), prompt_for(vendor_key), requests.Session(),
                      deadline=time.monotonic() + 5)
    assert completion.text.startswith(f"Echo from {prompt_for(vendor_key).model}")
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert completion.finish_reason in {"stop", "end_turn", "STOP"}
    assert len(fake.requests) == 1


def test_fake_records_exact_requests_and_checks_the_bedrock_body_hash(fake):
    adapter = adapter_at(fake, "bedrock")
    send(adapter, prompt_for("bedrock"), requests.Session(), deadline=time.monotonic() + 5)
    recorded = fake.requests[0]
    assert recorded.path == "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    assert recorded.body == adapter.build(prompt_for("bedrock")).body
    assert recorded.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")


def test_fan_out_runs_in_parallel_and_times_out_per_vendor(fake):
    fake.behave(model="slow", delay=0.6)
    fake.behave(model="stuck", hang=True)
    jobs = [("openai", "slow"), ("anthropic", "slow"), ("google", "slow"), ("bedrock", "stuck")]

    def run(job):
        vendor_key, model = job
        try:
            return send(adapter_at(fake, vendor_key), prompt_for(vendor_key, model=model),
                        session_for(vendor_key), deadline=time.monotonic() + 1.0)
        except ProviderTimeout as exc:
            return exc

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, jobs))
    elapsed = time.monotonic() - started
    # In sequence this would take 3 x 0.6 s + 1 s; in parallel about 1 s (the hung call's deadline).
    assert elapsed < 2.2, f"took {elapsed:.2f}s: calls ran one after another, or the deadline was ignored"
    assert [type(r).__name__ for r in results] == ["Completion"] * 3 + ["ProviderTimeout"]


def test_failures_then_recovery_through_retries(fake, sleeps):
    fake.behave(model="flaky", status=429, times=1, retry_after=0.01)
    completion = send(adapter_at(fake, "anthropic"), prompt_for("anthropic", model="flaky"), requests.Session(),
                      deadline=time.monotonic() + 5)
    assert completion.text.startswith("Echo from flaky") and sleeps == [0.01] and len(fake.requests) == 2


def test_model_names_select_failures(fake):
    with pytest.raises(ProviderHTTPError) as info:
        send(adapter_at(fake, "google"), prompt_for("google", model="fail-403"), requests.Session(),
             deadline=time.monotonic() + 5)
    assert info.value.status == 403 and info.value.message.startswith("PERMISSION_DENIED: Fake failure 403")
    with pytest.raises(ProviderResponseError):
        send(adapter_at(fake, "openai"), prompt_for("openai", model="garbage"), requests.Session(),
             deadline=time.monotonic() + 5)


def test_keyless_ollama_against_an_open_server():
    with FakeVendorServer(require_auth=False) as open_fake:
        completion = send(adapter_at(open_fake, "ollama"), prompt_for("ollama"), requests.Session(),
                          deadline=time.monotonic() + 5)
        assert completion.text.startswith("Echo from llama3.2")
        assert "Authorization" not in open_fake.requests[0].headers


def test_missing_key_is_rejected_like_a_vendor_would(fake):
    with pytest.raises(ProviderHTTPError) as info:
        send(adapter_at(fake, "ollama"), prompt_for("ollama"), requests.Session(), deadline=time.monotonic() + 5)
    assert info.value.status == 401


def test_max_tokens_truncates_with_the_dialect_finish_reason(fake):
    fake.behave(model="*", text="one two three four five six")
    completion = send(adapter_at(fake, "bedrock"), prompt_for("bedrock", max_tokens=3), requests.Session(),
                      deadline=time.monotonic() + 5)
    assert completion.text == "one two three" and completion.finish_reason == "max_tokens"
    assert completion.usage.output_tokens == 3


def test_cli_serves_on_the_given_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.server", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == f"fake vendors listening on http://127.0.0.1:{port}"
        reply = requests.post(f"http://127.0.0.1:{port}/v1/chat/completions", timeout=5,
                              headers={"Authorization": "Bearer sk-test"},
                              json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"].endswith("hi")
    finally:
        proc.terminate()
        proc.wait(timeout=5)
