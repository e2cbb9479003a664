"""Why a request failed, in its access log line and in the HTTP metrics: ours or a vendor's."""
import json

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

from app.errors import field_paths
from app.observability.access import error_fields
from app.observability.metrics import LEDGER_FAILURE_REASONS, STREAM_REFUSALS, WATCHED_STATUSES, Metrics
from app.observability.processes import ServerProcesses
from tests.gateway.conftest import CHAT, HI, OPENAI_URL, gateway_app, mocked  # noqa: F401 (fixtures)

SECRET = "sk-proj-value-that-must-stay-out-of-logs-0123456789"


def requests_total(endpoint, method, status, origin):
    labels = {"endpoint": endpoint, "method": method, "status": status, "origin": origin}
    return REGISTRY.get_sample_value("price_runner_http_requests_total", labels) or 0.0


def test_a_400_names_its_code_and_fields_never_their_values(client, logged, capsys):
    client.post("/api/get_best_price_for_prompt", json={"prompt": [SECRET], "max_tokens": SECRET}).get_data()
    (line,) = logged("request")
    assert line["status"] == 400 and line["error_code"] == "bad_request" and line["error_origin"] == "price_runner"
    assert set(line["error_fields"]) >= {"prompt"}
    assert "error_message" not in line   # built from the request: not one of our fixed texts
    assert "value-that-must-stay" not in json.dumps(line)


def test_a_v1_400_names_the_unknown_parameter_but_not_its_value(gateway_app, logged):
    client = gateway_app().test_client()
    client.post(CHAT, json={"model": "auto", "messages": HI, "made_up_option": SECRET}).get_data()
    (line,) = logged("request")
    assert line["error_fields"] == ["made_up_option"] and "value-that-must-stay" not in json.dumps(line)


def test_fixed_messages_are_logged(client, logged):
    client.get("/api/nothing").get_data()
    (line,) = logged("request")
    assert (line["error_code"], line["error_message"]) == ("not_found", "No such resource.")


def test_a_vendors_429_and_ours_differ_in_the_log_and_the_metric(gateway_app, mocked, logged):
    mocked.post(OPENAI_URL, status=429, json={"error": {"message": f"slow down {SECRET}"}})
    before = (requests_total(CHAT, "POST", "429", "vendor"), requests_total(CHAT, "POST", "429", "price_runner"))
    client = gateway_app(RATELIMIT_V1="1/minute").test_client()
    for _ in range(2):
        response = client.post(CHAT, json={"model": "openai/gpt-6-luna", "messages": HI})
        assert response.status_code == 429
        response.get_data()   # the line is written once the body is sent
    vendors, ours = logged("request")
    assert (vendors["error_code"], vendors["error_origin"]) == ("vendor_rate_limited", "vendor")
    assert "error_message" not in vendors and "slow down" not in json.dumps(vendors)
    assert (ours["error_code"], ours["error_origin"]) == ("rate_limit_exceeded", "price_runner")
    assert ours["error_message"].startswith("Too many requests: the limit is 1 per 1 minute.")
    after = (requests_total(CHAT, "POST", "429", "vendor"), requests_total(CHAT, "POST", "429", "price_runner"))
    assert [b - a for a, b in zip(before, after)] == [1, 1]


def test_successes_have_an_empty_origin(client):
    before = requests_total("/api/providers", "GET", "200", "")
    client.get("/api/providers").get_data()
    assert requests_total("/api/providers", "GET", "200", "") == before + 1


def test_field_paths_walk_nested_messages_and_stop_at_a_bound():
    assert field_paths({"messages": {1: {"content": ["bad"]}, 0: {"role": ["worse"]}}, "model": ["x"]}) == [
        "messages[0].role", "messages[1].content", "model"]
    assert field_paths({"_schema": ["whole body"]}) == []
    assert len(field_paths({f"f{i}": ["x"] for i in range(50)})) == 20
    assert field_paths({"x" * 500: ["unknown"]}) == ["x" * 64]


def test_the_alerting_series_exist_at_zero_before_any_event():
    registry = CollectorRegistry()
    metrics = Metrics.create(registry)
    assert registry.get_sample_value("price_runner_stream_refusals_total", {"endpoint": "v1", "reason": "pool"}) is None
    metrics.precreate()
    for reason in LEDGER_FAILURE_REASONS:
        assert registry.get_sample_value("price_runner_ledger_write_failures_total", {"reason": reason}) == 0
    for endpoint, reason in STREAM_REFUSALS:
        assert registry.get_sample_value("price_runner_stream_refusals_total",
                                         {"endpoint": endpoint, "reason": reason}) == 0
    for endpoint, method, status, origin in WATCHED_STATUSES:
        assert registry.get_sample_value("price_runner_http_requests_total", {
            "endpoint": endpoint, "method": method, "status": status, "origin": origin}) == 0
    assert ("/v1/chat/completions", "POST", "429", "vendor") in WATCHED_STATUSES


def test_the_app_creates_them(client):
    text = client.get("/metrics").get_data(as_text=True)
    assert 'price_runner_ledger_write_failures_total{reason="OperationalError"}' in text
    assert 'price_runner_stream_refusals_total{endpoint="send_prompt",reason="streams"}' in text


@pytest.mark.parametrize("name", ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"])
def test_process_series_of_a_lone_process_carry_its_pid(name):
    import os

    samples = {s.name: s for family in ServerProcesses(os.getpid()).collect() for s in family.samples}
    assert samples[name].labels == {"pid": str(os.getpid()), "process": "master"} and samples[name].value > 0


def test_a_status_answered_outside_the_error_handler_still_gets_a_code():
    assert error_fields(503, None, "price_runner") == {"error_code": "service_unavailable",
                                                      "error_origin": "price_runner"}
    assert error_fields(418, None, "price_runner")["error_code"] == "im_a_teapot"


def test_werkzeug_descriptions_are_logged_only_when_nobody_rewrote_them(make_app, logged):
    from werkzeug.exceptions import RequestURITooLarge, abort

    app = make_app()

    @app.get("/own-words")
    def own_words():
        abort(RequestURITooLarge.code, description=f"the path held {SECRET}")

    @app.get("/default-words")
    def default_words():
        abort(RequestURITooLarge.code)

    client = app.test_client()
    client.get("/own-words").get_data()
    client.get("/default-words").get_data()
    rewritten, default = logged("request")
    assert "error_message" not in rewritten and rewritten["error_code"] == "request_uri_too_long"
    assert default["error_message"] == RequestURITooLarge.description
