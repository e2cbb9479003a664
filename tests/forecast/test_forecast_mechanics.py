"""Output predictions and calibrated estimates from a ledger made through send_prompt with the fake
vendors (whose answer lengths vary by model and prompt), checked against hand counts."""
import math

import pytest

from app.pricing.cost import price_request
from tests.fakes.server import FakeVendorServer
from tests.openapi.test_openapi import conforms
from tests.spend.conftest import ledger

SEND, PRICE, USAGE = "/api/send_prompt", "/api/get_best_price_for_prompt", "/api/usage?group_by=model"
SOL, GROQ, HAIKU = "openai/gpt-6.1-sol", "groq/llama-3.1-8b", "anthropic/claude-haiku-4-5"
MIN_SAMPLES = 5
WORDS = "river stone lantern harvest copper meadow signal orbit canvas whisper".split()


def prompt(number: int, length: int = 12) -> str:
    """A short prompt (bucket 0: under 256 tokens), different for every number."""
    return " ".join(WORDS[(number * 7 + i * 3) % len(WORDS)] for i in range(length)) + f" question {number}?"


@pytest.fixture
def fake():
    with FakeVendorServer(varied=True) as server:
        yield server


@pytest.fixture
def app(make_app, tmp_path, fake, monkeypatch):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-forecast, base_url: "{fake.url}/v1"}}\n'
                       f'groq: {{api_key: gsk-forecast, base_url: "{fake.url}/v1"}}\n'
                       f'anthropic: {{api_key: sk-ant-forecast, base_url: "{fake.url}"}}\n')
    built = make_app(SECRETS_FILE=str(secrets), PROVIDER_MAX_RETRIES=0, FORECAST_MIN_SAMPLES=MIN_SAMPLES,
                     CALIBRATION_MIN_SAMPLES=6, FORECAST_REFRESH_S=3600)
    # The test refreshes by hand, at known moments, instead of the per-process thread.
    monkeypatch.setattr(built.extensions["forecast"], "watch", lambda: None)
    return built


def send(client, text, models):
    response = client.post(SEND, json={"prompt": text, "model_names": models})
    assert response.status_code == 200, response.get_data(as_text=True)
    items = {item["id"]: item for item in response.get_json()["data"]}
    assert all(item["success"] and item["cost_basis"] == "billed" for item in items.values()), items
    return items


def price(client, text, **body):
    response = client.post(PRICE, json={"prompt": text, "model_names": [SOL, GROQ, HAIKU], **body})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"]: item for item in response.get_json()["data"]}


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent * len(ordered) / 100)) - 1]


def test_fake_answer_lengths_vary_by_model_and_prompt_and_repeat(app):
    client = app.test_client()
    first, again = send(client, prompt(1), [SOL, GROQ]), send(client, prompt(1), [SOL, GROQ])
    other = send(client, prompt(2), [SOL, GROQ])
    lengths = {(model, n): items[model]["output_tokens"] for n, items in ((1, first), (2, other))
               for model in (SOL, GROQ)}
    assert len(set(lengths.values())) == 4
    assert [again[model]["output_tokens"] for model in (SOL, GROQ)] == [lengths[SOL, 1], lengths[GROQ, 1]]


def test_predictions_ranges_and_their_measured_accuracy(app):
    client = app.test_client()
    history = app.extensions["forecast"]
    outputs = {SOL: [], GROQ: []}
    for number in range(MIN_SAMPLES):
        for model, item in send(client, prompt(number), [SOL, GROQ]).items():
            outputs[model].append(item["output_tokens"])
    # Nothing learned until the refresher runs: input only, and the basis says so.
    before = price(client, prompt(100))
    assert before[SOL]["output_basis"] == {"kind": "none", "samples": 0} and before[SOL]["output_cost"] == 0.0

    history.refresh()
    ranked = price(client, prompt(100))
    catalog = app.extensions["catalog"]
    for model in (SOL, GROQ):
        item, median = ranked[model], nearest_rank(outputs[model], 50)
        low, high = nearest_rank(outputs[model], 25), nearest_rank(outputs[model], 75)
        assert item["output_basis"] == {"kind": "history", "samples": MIN_SAMPLES}
        assert item["expected_output_tokens"] == median
        priced = price_request(catalog.get(model), item["estimated_tokens"], median)
        assert (item["output_cost"], item["total_cost"]) == (priced.output_cost, priced.total_cost)
        assert item["output_cost_range"] == {"low": price_request(catalog.get(model), 0, low).output_cost,
                                             "high": price_request(catalog.get(model), 0, high).output_cost}
    # A model without billed calls, and a prompt of another length, have no prediction.
    assert ranked[HAIKU]["output_basis"] == {"kind": "none", "samples": 0}
    assert ranked[HAIKU]["output_cost_range"] is None and ranked[HAIKU]["expected_output_tokens"] == 0
    long = price(client, prompt(101, length=400))
    assert long[SOL]["output_basis"] == {"kind": "none", "samples": 0} and long[SOL]["output_cost"] == 0.0
    given = price(client, prompt(100), expected_output_tokens=7)
    assert given[SOL]["output_basis"] == {"kind": "given", "samples": 0} and given[SOL]["expected_output_tokens"] == 7

    # Calls made now carry the prediction in force, and the ledger keeps it beside the bill.
    later = [send(client, prompt(200 + number), [SOL, GROQ]) for number in range(4)]
    for items in later:
        for model in (SOL, GROQ):
            assert items[model]["predicted_output"] == {
                "tokens": nearest_rank(outputs[model], 50), "low": nearest_rank(outputs[model], 25),
                "high": nearest_rank(outputs[model], 75), "samples": MIN_SAMPLES}
    rows = ledger(app.extensions["store"].engine)
    assert sum(row["predicted_output_tokens"] is not None for row in rows) == 8

    estimates = {entry["model"]: entry for entry in client.get(USAGE).get_json()["estimates"]}
    for model in (SOL, GROQ):
        billed = [item[model] for item in later]
        inside = sum(item["predicted_output"]["low"] <= item["output_tokens"] <= item["predicted_output"]["high"]
                     for item in billed)
        assert (estimates[model]["predicted_calls"], estimates[model]["output_in_range"]) == (4, inside)
        assert estimates[model]["output_in_range_rate"] == inside / 4
        assert estimates[model]["billed_calls"] == MIN_SAMPLES + 4
    # The hand count is not trivially all or nothing on this ledger.
    assert 0 < sum(entry["output_in_range"] for entry in estimates.values()) < 8
    # What the document promises, with every new field filled in.
    document = client.get("/api/openapi.json").get_json()
    conforms(document, "UsageResponse", client.get(USAGE).get_json())
    conforms(document, "SendItem", later[0][SOL])
    conforms(document, "PriceResponse", client.post(PRICE, json={"prompt": prompt(100)}).get_json())


def test_input_estimate_error_per_model_matches_a_hand_count(app):
    client = app.test_client()
    items = [send(client, prompt(number), [SOL, HAIKU]) for number in range(3)]
    estimates = {entry["model"]: entry for entry in client.get(USAGE).get_json()["estimates"]}
    for model in (SOL, HAIKU):
        errors = [(item[model]["estimated_input_tokens"] - item[model]["input_tokens"]) / item[model]["input_tokens"]
                  for item in items]
        assert estimates[model]["input_error_mean"] == pytest.approx(sum(errors) / 3)
        assert estimates[model]["input_error_p90"] == pytest.approx(nearest_rank([abs(e) for e in errors], 90))
        assert estimates[model]["predicted_calls"] == 0 and estimates[model]["output_in_range_rate"] is None


def test_bills_calibrate_a_family_once_it_has_enough_samples(app):
    client = app.test_client()
    tokens, history = app.extensions["tokens"], app.extensions["forecast"]
    base_counts, billed = [], []
    for number in range(6):
        text = prompt(number)
        items = send(client, text, [GROQ, HAIKU])
        base_counts.append(tokens.count(text, {"o200k_base"})["o200k_base"].count)
        billed.append(items[GROQ]["input_tokens"])
        if number == 4:   # one short of CALIBRATION_MIN_SAMPLES: the fixed factors stay
            history.refresh()
            assert (tokens.factor("llama"), tokens.factor("claude")) == (1.0, 1.2)
    rows = ledger(app.extensions["store"].engine)
    assert sorted(row["base_input_tokens"] for row in rows if row["model_id"] == GROQ) == sorted(base_counts)

    outlook = history.refresh()
    measured = round(sum(billed) / sum(base_counts), 4)
    assert outlook.calibrations["llama"] == (measured, 6, True) and tokens.factor("llama") == measured
    assert measured != 1.0   # the fake bills words, not o200k tokens: there is something to learn
    # Haiku's calls are as many, but its family is calibrated the same way, on its own bills.
    assert outlook.calibrations["claude"].calibrated and outlook.calibrations["claude"].samples == 6
    # Exact tokenizers are never calibrated.
    assert "o200k_base" not in outlook.calibrations
    text = prompt(300)
    ranked = price(client, text, expected_output_tokens=0)
    base = tokens.count(text, {"o200k_base"})["o200k_base"].count
    assert ranked[GROQ]["estimated_tokens"] == math.ceil(base * measured)
