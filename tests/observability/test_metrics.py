"""Prometheus: HTTP series by endpoint, method and status; provider series per provider and model."""
import json
import logging

import pytest
from prometheus_client import REGISTRY

from app.observability import observe_call
from app.routing.records import CallRecord


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def http(endpoint, method="GET", status="200", suffix="_total", origin=None):
    if suffix != "_total":
        return sample("price_runner_http_request_duration_seconds" + suffix, endpoint=endpoint, method=method,
                      status=status)
    origin = origin if origin is not None else ("" if int(status) < 400 else "price_runner")
    return sample("price_runner_http_requests_total", endpoint=endpoint, method=method, status=status, origin=origin)


def test_requests_are_counted_and_timed_by_route_method_and_status(client):
    # No rule matched a 404 or a 405: one label value for both, whatever the path; odd methods are "other".
    before = (http("/api/models/provider/<provider>"), http("/api/models/provider/<provider>", suffix="_count"),
              http("<unmatched>", status="404"), http("<unmatched>", "other", "405"))
    for name in ("openai", "anthropic", "groq"):
        client.get(f"/api/models/provider/{name}").get_data()
    client.get("/no/such/path").get_data()
    client.open("/api/models", method="BREW").get_data()
    after = (http("/api/models/provider/<provider>"), http("/api/models/provider/<provider>", suffix="_count"),
             http("<unmatched>", status="404"), http("<unmatched>", "other", "405"))
    assert [b - a for a, b in zip(before, after)] == [3, 3, 1, 1]


def test_metrics_endpoint_serves_the_text_format_with_the_series(client):
    client.get("/api/providers").get_data()
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    text = response.get_data(as_text=True)
    assert 'price_runner_http_requests_total{endpoint="/api/providers",method="GET",origin="",status="200"}' in text
    assert "price_runner_http_request_duration_seconds_bucket" in text
    assert "price_runner_http_requests_in_flight" in text


def record(**fields):
    base = dict(request_id="req-5", provider="openai", model="openai/gpt-test-metrics", outcome="ok", status=None,
                latency_ms=640.0, retries=1, input_tokens=14, output_tokens=4, cost_usd=0.000068, cost_basis="billed")
    return CallRecord(**{**base, **fields})


def test_observe_call_counts_outcomes_latency_retries_tokens_and_cost(client):
    labels = {"provider": "openai", "model": "openai/gpt-test-metrics"}
    observe_call(record())
    observe_call(record(outcome="http_error", status=429, latency_ms=80.0, retries=2, input_tokens=0,
                        output_tokens=0, cost_usd=0.0, cost_basis=None))
    observe_call(record(outcome="timeout", latency_ms=30000.0, retries=0, input_tokens=0, output_tokens=0,
                        cost_usd=0.0, cost_basis=None))
    assert [sample("price_runner_provider_calls_total", **labels, outcome=o) for o in ("ok", "http_error", "timeout")] \
        == [1, 1, 1]
    assert sample("price_runner_provider_call_duration_seconds_count", **labels) == 3
    assert sample("price_runner_provider_call_duration_seconds_sum", **labels) == pytest.approx(30.72)
    assert sample("price_runner_provider_call_duration_seconds_bucket", **labels, le="1.0") == 2
    assert sample("price_runner_provider_retries_total", **labels) == 3
    assert sample("price_runner_provider_tokens_total", **labels, direction="input", basis="billed") == 14
    assert sample("price_runner_provider_tokens_total", **labels, direction="output", basis="billed") == 4
    assert sample("price_runner_provider_cost_usd_total", **labels, basis="billed") == pytest.approx(0.000068)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'price_runner_provider_calls_total{model="openai/gpt-test-metrics",outcome="timeout",provider="openai"}' \
        in text


def test_estimated_usage_is_counted_apart_from_billed_usage(client):
    labels = {"provider": "openai", "model": "openai/gpt-test-basis"}
    observe_call(record(model=labels["model"], input_tokens=10, output_tokens=3, cost_usd=0.5, cost_basis="billed"))
    observe_call(record(model=labels["model"], input_tokens=7, output_tokens=2, cost_usd=0.25, cost_basis="estimated"))
    assert sample("price_runner_provider_tokens_total", **labels, direction="input", basis="billed") == 10
    assert sample("price_runner_provider_tokens_total", **labels, direction="input", basis="estimated") == 7
    assert sample("price_runner_provider_cost_usd_total", **labels, basis="estimated") == 0.25


def test_observe_call_writes_one_json_line_per_call(app, capsys):
    capsys.readouterr()
    observe_call(record(model="openai/gpt-test-log", request_id="req-77"))
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {k: line[k] for k in ("event", "request_id", "provider", "model", "outcome", "status", "latency_ms",
                                 "retries", "input_tokens", "output_tokens", "cost_usd", "cost_basis")} == {
        "event": "provider_call", "request_id": "req-77", "provider": "openai", "model": "openai/gpt-test-log",
        "outcome": "ok", "status": None, "latency_ms": 640.0, "retries": 1, "input_tokens": 14,
        "output_tokens": 4, "cost_usd": 0.000068, "cost_basis": "billed"}
    assert line["level"] == "INFO" and line["logger"] == "app.calls"


def test_an_observer_failure_is_logged_not_raised(app, monkeypatch, caplog):
    from app.observability import calls
    monkeypatch.setattr(calls, "metrics", lambda: (_ for _ in ()).throw(RuntimeError("registry broke")))
    with caplog.at_level(logging.ERROR, logger="app.calls"):
        observe_call(record())
    assert "recording metrics for a provider call failed" in caplog.text


def test_metrics_can_be_turned_off(make_app, monkeypatch):
    client = make_app(METRICS_ENABLED=False).test_client()
    before = http("/api/providers")
    client.get("/api/providers").get_data()
    assert client.get("/metrics").status_code == 404 and http("/api/providers") == before
    assert "/metrics" not in client.get("/api/openapi.json").get_json()["paths"]
    monkeypatch.setenv("METRICS_ENABLED", "false")
    assert make_app().test_client().get("/metrics").status_code == 404
