"""POST /api/send_prompt through the real adapters, with vendors mocked by `responses`."""
import json
import threading
import time

import pytest
import responses
from tests.routing.sse import sse_events

URL = "/api/send_prompt"
SECRETS = """
openai: {api_key: sk-test-openai-0123456789, base_url: "https://openai.test/v1"}
anthropic: {api_key: sk-ant-test-key, base_url: "https://anthropic.test"}
groq: {api_key: gsk-test-key, base_url: "https://groq.test/openai/v1"}
azure:
  api_key: azure-test-key
  endpoint: https://res.openai.azure.test
  deployments: {gpt-6.1-sol: my-sol-deployment}
"""
ITEM_FIELDS = {"id", "model_name", "provider", "success", "response", "finish_reason", "error", "latency_ms",
               "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "actual_cost",
               "estimated_input_tokens", "cached", "usage_reported", "cost_basis", "predicted_output", "recorded",
               "price_window", "price_changes_at"}


def openai_reply(text="Hello!", prompt_tokens=12, completion_tokens=5, cached=0, reasoning=0):
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": cached},
                      "completion_tokens_details": {"reasoning_tokens": reasoning}}}


def openai_stream(text="Hello there!", prompt_tokens=12, completion_tokens=5):
    """A chat-completions stream body: a chunk per word, the finish reason, the usage chunk, [DONE]."""
    def chunk(delta, reason=None, **extra):
        body = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": reason}], **extra}
        return f"data: {json.dumps(body)}\n\n"

    words = [word + " " for word in text.split(" ")]
    words[-1] = words[-1][:-1]
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    return ("".join(chunk({"content": word}) for word in words) + chunk({}, "stop")
            + f"data: {json.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n")


def stream_mock(mocked, url, body):
    return mocked.post(url, body=body, content_type="text/event-stream")


ANTHROPIC_REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
                   "content": [{"type": "text", "text": "Bonjour"}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": 20, "output_tokens": 7, "cache_read_input_tokens": 0,
                             "cache_creation_input_tokens": 0}}


@pytest.fixture
def app(make_app, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS)
    return make_app(SECRETS_FILE=str(secrets), PROVIDER_TIMEOUT=2.0, PROVIDER_MAX_RETRIES=0)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def send(client, **body):
    response = client.post(URL, json={"prompt": "Say hello", **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_id(body):
    return {item["id"]: item for item in body["data"]}


def test_answers_usage_and_actual_cost(app, client, mocked):
    mocked.post("https://openai.test/v1/chat/completions", json=openai_reply(cached=4, reasoning=2))
    mocked.post("https://anthropic.test/v1/messages", json=ANTHROPIC_REPLY)
    body = send(client, model_names=["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"])
    assert set(body) == {"success", "count", "data", "total_cost", "wall_ms"}
    assert body["success"] is True and body["count"] == 2
    items = by_id(body)
    gpt, claude = items["openai/gpt-6.1-sol"], items["anthropic/claude-haiku-4-5"]
    assert set(gpt) == ITEM_FIELDS
    assert (gpt["success"], gpt["response"], gpt["error"]) == (True, "Hello!", None)
    assert (gpt["input_tokens"], gpt["output_tokens"], gpt["cached_tokens"], gpt["reasoning_tokens"]) == (12, 5, 4, 2)
    assert (gpt["usage_reported"], gpt["cost_basis"]) == (True, "billed")
    catalog = app.extensions["catalog"]
    sol = catalog.get("openai/gpt-6.1-sol")
    expected = (8 * sol.input_price_per_mtok + 4 * sol.cached_input_price_per_mtok + 5 * sol.output_price_per_mtok) / 1e6
    assert gpt["actual_cost"] == pytest.approx(expected, rel=1e-12)
    haiku = catalog.get("anthropic/claude-haiku-4-5")
    assert claude["response"] == "Bonjour" and claude["provider"] == "Anthropic"
    assert claude["actual_cost"] == pytest.approx((20 * haiku.input_price_per_mtok + 7 * haiku.output_price_per_mtok) / 1e6)
    assert body["total_cost"] == pytest.approx(gpt["actual_cost"] + claude["actual_cost"])
    assert gpt["estimated_input_tokens"] == 2 and gpt["latency_ms"] >= 0 and body["wall_ms"] >= 0


def test_request_body_carries_prompt_system_and_capped_max_tokens(app, client, mocked):
    call = mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply())
    model = app.extensions["catalog"].get("groq/llama-3.1-8b")
    send(client, model_names=["groq/llama-3.1-8b"], system="Be brief.", max_tokens=10_000_000, temperature=0.2)
    sent = json.loads(call.calls[0].request.body)
    assert sent["model"] == model.api_model
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
    assert sent["max_completion_tokens"] == model.max_output_tokens and sent["temperature"] == 0.2


def test_providers_alone_use_their_default_models(client, mocked):
    mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply())
    body = send(client, providers=["groq"])
    assert [item["id"] for item in body["data"]] == ["groq/gpt-oss-120b"]


def test_azure_uses_the_configured_deployment(client, mocked):
    call = mocked.post("https://res.openai.azure.test/openai/deployments/my-sol-deployment/chat/completions",
                       json=openai_reply())
    item = send(client, model_names=["azure/gpt-6.1-sol"])["data"][0]
    assert item["success"] is True and "api-version=2024-10-21" in call.calls[0].request.url


def test_unconfigured_provider_fails_at_once_without_a_call(client, mocked):
    item = send(client, model_names=["xai/grok-4.7"])["data"][0]
    assert item["success"] is False and item["response"] is None and item["actual_cost"] == 0.0
    assert (item["usage_reported"], item["cost_basis"]) == (False, None)
    assert item["error"]["type"] == "not_configured" and "XAI_API_KEY" in item["error"]["message"]
    assert "'xai' section" in item["error"]["message"]
    assert len(mocked.calls) == 0


def test_one_failure_does_not_sink_the_others(client, mocked):
    mocked.post("https://openai.test/v1/chat/completions", status=500,
                json={"error": {"message": "boom", "type": "server_error"}})
    mocked.post("https://anthropic.test/v1/messages", json=ANTHROPIC_REPLY)
    items = by_id(send(client, model_names=["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"]))
    assert items["anthropic/claude-haiku-4-5"]["success"] is True
    failed = items["openai/gpt-6.1-sol"]
    assert failed["success"] is False and failed["error"]["status"] == 500 and "boom" in failed["error"]["message"]


def test_keys_never_appear_in_the_response(client, mocked):
    mocked.post("https://openai.test/v1/chat/completions", status=401,
                json={"error": {"message": "Incorrect API key provided: sk-test-openai-0123456789."}})
    response = client.post(URL, json={"prompt": "hi", "model_names": ["openai/gpt-6.1-sol"]})
    assert "sk-test-openai-0123456789" not in response.get_data(as_text=True)
    assert response.get_json()["data"][0]["error"]["status"] == 401


def test_a_hanging_vendor_costs_no_more_than_the_deadline(client, mocked):
    release = threading.Event()

    def hang(request):
        release.wait(5)
        return 200, {}, json.dumps(openai_reply())

    mocked.add_callback(responses.POST, "https://openai.test/v1/chat/completions", callback=hang)
    mocked.post("https://anthropic.test/v1/messages", json=ANTHROPIC_REPLY)
    started = time.monotonic()
    body = send(client, model_names=["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"], timeout=0.5)
    elapsed = time.monotonic() - started
    release.set()
    items = by_id(body)
    # The vendor hangs 5 s; the deadline is 0.5 s. The upper bound leaves room for a loaded CI
    # machine (a full run once took 1.53 s here, 0.51 s alone) while still telling the two apart.
    assert 0.5 <= elapsed < 2.5
    assert items["openai/gpt-6.1-sol"]["error"]["type"] == "timeout"
    assert items["anthropic/claude-haiku-4-5"]["success"] is True


@pytest.mark.parametrize("body,field", [
    ({"prompt": "hi"}, "model_names"),
    ({"prompt": "hi", "model_names": ["gpt-0"]}, "model_names"),
    ({"prompt": "hi", "providers": ["acme"]}, "providers"),
    ({"prompt": "", "providers": ["groq"]}, "prompt"),
    ({"prompt": "hi", "providers": ["groq"], "max_tokens": 0}, "max_tokens"),
    ({"prompt": "hi", "providers": ["groq"], "temperature": 3}, "temperature"),
    ({"prompt": "hi", "providers": ["groq"], "timeout": 0}, "timeout"),
    ({"prompt": "hi", "providers": ["groq"], "stream": "maybe"}, "stream"),
])
def test_bad_requests_are_400_naming_the_field(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_more_than_the_model_limit_is_400(make_app):
    client = make_app(SEND_PROMPT_MAX_MODELS=2).test_client()
    response = client.post(URL, json={"prompt": "hi", "model_names": ["gpt-oss-120b"]})
    assert response.status_code == 400 and "at most 2" in response.get_json()["error"]["message"]


def test_stream_sends_deltas_then_one_result_per_model_then_done(client, mocked):
    stream_mock(mocked, "https://openai.test/v1/chat/completions", openai_stream("Hello there!"))
    mocked.post("https://anthropic.test/v1/messages", status=500, json={"type": "error", "error": {
        "type": "api_error", "message": "down"}})
    response = client.post(URL, json={"prompt": "hi", "stream": True,
                                      "model_names": ["openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "xai/grok-4.7"]})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    events = sse_events(response)
    assert [name for name, _ in events if name != "delta"] == ["result", "result", "result", "done"]
    deltas = [data for name, data in events if name == "delta"]
    assert deltas == [{"id": "openai/gpt-6.1-sol", "text": "Hello "}, {"id": "openai/gpt-6.1-sol", "text": "there!"}]
    names = [name if name != "result" else data["id"] for name, data in events]
    assert names.index("openai/gpt-6.1-sol") > names.index("delta")   # the tokens come before the result
    results = {data["id"]: data for name, data in events if name == "result"}
    assert results["openai/gpt-6.1-sol"]["response"] == "Hello there!"
    assert (results["openai/gpt-6.1-sol"]["input_tokens"], results["openai/gpt-6.1-sol"]["output_tokens"]) == (12, 5)
    assert results["openai/gpt-6.1-sol"]["cost_basis"] == "billed"   # the stream's own usage report
    assert set(results) == {"openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "xai/grok-4.7"}
    assert set(results["openai/gpt-6.1-sol"]) == ITEM_FIELDS and results["openai/gpt-6.1-sol"]["success"]
    done = events[-1][1]
    assert done["count"] == 3 and done["total_cost"] == pytest.approx(results["openai/gpt-6.1-sol"]["actual_cost"])
    assert done["wall_ms"] >= 0


def test_accept_header_also_selects_the_stream(client, mocked):
    stream_mock(mocked, "https://groq.test/openai/v1/chat/completions", openai_stream("Hi"))
    response = client.post(URL, json={"prompt": "hi", "providers": ["groq"]},
                           headers={"Accept": "text/event-stream"})
    assert response.mimetype == "text/event-stream"
    assert [name for name, _ in sse_events(response)] == ["delta", "result", "done"]


def test_a_vendor_that_ignores_the_stream_flag_is_one_delta(client, mocked):
    mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply(text="whole"))
    events = sse_events(client.post(URL, json={"prompt": "hi", "providers": ["groq"], "stream": True}))
    assert [name for name, _ in events] == ["delta", "result", "done"]
    assert events[0][1]["text"] == "whole" and events[1][1]["response"] == "whole"


def test_a_stream_without_its_end_marker_is_an_error_not_a_short_answer(client, mocked):
    stream_mock(mocked, "https://groq.test/openai/v1/chat/completions", openai_stream("cut short").split("data: {\"choices\"")[0])
    events = sse_events(client.post(URL, json={"prompt": "hi", "providers": ["groq"], "stream": True}))
    result = next(data for name, data in events if name == "result")
    assert result["success"] is False and result["error"]["type"] == "connection_error"
    assert "incomplete" in result["error"]["message"] and result["response"] is None
    # The words that came are likely billed: counted (2), priced, and said to be estimated.
    assert result["output_tokens"] == 2 and result["actual_cost"] > 0 and result["cost_basis"] == "estimated"


def test_a_cached_answer_streams_as_its_result_without_deltas(client, mocked):
    call = stream_mock(mocked, "https://groq.test/openai/v1/chat/completions", openai_stream("first answer"))
    body = {"prompt": "hi", "providers": ["groq"], "stream": True, "cache": True}
    first = sse_events(client.post(URL, json=body))
    second = sse_events(client.post(URL, json=body))
    assert [name for name, _ in first] == ["delta", "delta", "result", "done"]
    assert [name for name, _ in second] == ["result", "done"] and call.call_count == 1
    assert second[0][1]["cached"] is True and second[0][1]["response"] == "first answer"


def test_cache_hit_returns_the_stored_answer_at_no_cost(client, mocked):
    call = mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply(text="first"))
    first = send(client, providers=["groq"], cache=True)["data"][0]
    second = send(client, providers=["groq"], cache=True)["data"][0]
    assert call.call_count == 1
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["response"] == "first" and second["actual_cost"] == 0.0 and first["actual_cost"] > 0
    assert (second["input_tokens"], second["output_tokens"]) == (first["input_tokens"], first["output_tokens"])


def test_cache_key_covers_every_generation_parameter(client, mocked):
    call = mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply())
    for extra in ({}, {"temperature": 0.5}, {"max_tokens": 10}, {"system": "Be brief."}, {"prompt": "other"}):
        assert send(client, providers=["groq"], cache=True, **extra)["data"][0]["cached"] is False
    assert call.call_count == 5
    assert send(client, providers=["groq"], cache=True, temperature=0.5)["data"][0]["cached"] is True


def test_without_cache_flag_nothing_is_read_or_stored(client, mocked):
    call = mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply())
    send(client, providers=["groq"])
    assert send(client, providers=["groq"], cache=True)["data"][0]["cached"] is False
    assert call.call_count == 2


def test_failed_answers_are_never_cached(client, mocked):
    mocked.post("https://groq.test/openai/v1/chat/completions", status=500, json={"error": {"message": "x"}})
    mocked.post("https://groq.test/openai/v1/chat/completions", json=openai_reply())
    assert send(client, providers=["groq"], cache=True)["data"][0]["success"] is False
    again = send(client, providers=["groq"], cache=True)["data"][0]
    assert again["success"] is True and again["cached"] is False


def test_saturated_pool_is_503_with_retry_after(make_app, tmp_path, mocked):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS)
    app = make_app(SECRETS_FILE=str(secrets), PROVIDER_POOL_SIZE=2)
    release = threading.Event()
    mocked.add_callback(responses.POST, "https://groq.test/openai/v1/chat/completions",
                        callback=lambda request: (release.wait(5), (200, {}, json.dumps(openai_reply())))[1])
    client = app.test_client()
    fan_out = {"prompt": "hi", "model_names": ["groq/llama-3.1-8b", "groq/llama-3.3-70b"]}   # two pool threads
    first = threading.Thread(target=lambda: client.post(URL, json=fan_out))
    first.start()
    deadline = time.monotonic() + 2
    while app.extensions["routing"]._dispatcher.busy() < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    response = app.test_client().post(URL, json=fan_out)
    release.set()
    first.join()
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == 503


def test_one_model_runs_in_the_request_thread_under_the_vendor_cap(make_app, tmp_path, mocked):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(SECRETS)
    app = make_app(SECRETS_FILE=str(secrets), PROVIDER_POOL_SIZE=1, PROVIDER_MAX_CONCURRENCY=1)
    release, threads = threading.Event(), []
    mocked.add_callback(responses.POST, "https://groq.test/openai/v1/chat/completions",
                        callback=lambda request: (threads.append(threading.current_thread().name), release.wait(5),
                                                  (200, {}, json.dumps(openai_reply())))[2])
    one = {"prompt": "hi", "model_names": ["groq/llama-3.1-8b"]}
    results = []
    first = threading.Thread(target=lambda: results.append(app.test_client().post(URL, json=one)), name="request-1")
    first.start()
    deadline = time.monotonic() + 2
    while not threads and time.monotonic() < deadline:
        time.sleep(0.01)
    # The vendor's one slot is taken by a call that holds no pool thread (the pool stays free)...
    assert threads == ["request-1"] and app.extensions["routing"]._dispatcher.busy() == 0
    busy = app.test_client().post(URL, json=one).get_json()["data"][0]
    assert busy["error"]["type"] == "vendor_busy"   # ...and the per-vendor cap still holds
    release.set()
    first.join()
    assert results[0].get_json()["data"][0]["success"] is True


def test_every_call_is_reported_to_the_observer(app, client, mocked):
    records = []
    app.extensions["routing"]._observer = records.append
    mocked.post("https://openai.test/v1/chat/completions", json=openai_reply(prompt_tokens=12, completion_tokens=5))
    client.post(URL, json={"prompt": "hi", "model_names": ["openai/gpt-6.1-sol", "xai/grok-4.7"]},
                headers={"X-Request-ID": "req-123"})
    by_model = {record.model: record for record in records}
    ok, missing = by_model["openai/gpt-6.1-sol"], by_model["xai/grok-4.7"]
    assert (ok.outcome, ok.input_tokens, ok.output_tokens, ok.retries, ok.request_id) == ("ok", 12, 5, 0, "req-123")
    assert ok.cost_usd > 0 and ok.provider == "openai"
    assert missing.outcome == "not_configured" and missing.cost_usd == 0.0


@pytest.mark.parametrize("body,field", [
    ({"prompt": "hi", "providers": ["groq"], "max_tokens": 10**30}, "max_tokens"),
    ({"prompt": "hi", "providers": [""]}, "providers"),
    ({"prompt": "hi", "providers": ["groq"], "timeout": 1e300}, "timeout"),
])
def test_out_of_range_values_are_400_not_500(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]


def metric(client, name):
    """The value of one series on /metrics (0 when absent); the registry lives as long as the process."""
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_calls_show_up_in_metrics_and_the_json_log(client, mocked, capsys):
    mocked.post("https://openai.test/v1/chat/completions", json=openai_reply(prompt_tokens=12, completion_tokens=5))
    labels = 'model="openai/gpt-6.1-sol",provider="openai"'
    calls = f'price_runner_provider_calls_total{{{labels.split(",")[0]},outcome="ok",{labels.split(",")[1]}}}'
    tokens_in = f'price_runner_provider_tokens_total{{basis="billed",direction="input",{labels}}}'
    before = metric(client, calls), metric(client, tokens_in)
    client.post(URL, json={"prompt": "hi", "model_names": ["openai/gpt-6.1-sol"]}, headers={"X-Request-ID": "req-789"})
    assert (metric(client, calls), metric(client, tokens_in)) == (before[0] + 1, before[1] + 12)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    call = next(line for line in lines if line.get("event") == "provider_call" and line["request_id"] == "req-789")
    assert (call["outcome"], call["input_tokens"], call["output_tokens"]) == ("ok", 12, 5)
    assert "sk-test-openai" not in json.dumps(lines)
