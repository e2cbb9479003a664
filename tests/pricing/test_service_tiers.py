"""Service tiers: the bundled tier prices, their parity with genai-prices, and `service_tier` on the estimate."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.catalog import CatalogError, load_models
from app.catalog.service_tiers import read_service_tiers
from app.store.price_versions import price_in_force
from app.store.upstream import find_model, to_prices
from app.vendors import VENDORS

REPO = Path(__file__).resolve().parents[2]
PRICE = "/api/get_best_price_for_prompt"
ARGON, SOL, HAIKU = "google/gemini-4-argon", "openai/gpt-6.2-sol", "anthropic/claude-haiku-5-5"


@pytest.fixture(scope="module")
def bundled():
    models = load_models(REPO / "models.csv", VENDORS.keys())
    return models, read_service_tiers(REPO / "service_tiers.csv", [model.id for model in models])


def test_the_bundled_tiers_match_genai_prices_on_every_dated_change(bundled):
    models, tiers = bundled
    by_id = {model.id: model for model in models}
    checked = 0
    for tier, per_model in tiers.versions.items():
        for model_id, history in per_model.items():
            info = find_model(by_id[model_id].provider, by_id[model_id].api_model)
            days = {v.effective_from for v in history} | {datetime.now(UTC).replace(microsecond=0)}
            for moment in sorted(days | {day - timedelta(seconds=1) for day in days}):
                in_force = price_in_force(history, moment)
                if in_force is None:   # before the data prices this tier: no tier price at all
                    assert moment < history[0].effective_from
                    continue
                expected = to_prices(info.get_prices(moment, {"service_tier": tier}), info.id)
                assert in_force.prices == expected, (model_id, tier, moment)
                checked += 1
    assert checked > 60
    assert tiers.offered(ARGON) == ("default", "flex", "priority")
    assert "priority" in tiers.offered(SOL) and "ultrafast" in tiers.offered(SOL)
    assert tiers.offered(HAIKU) == ("default",)


def output_costs(client, tier, at, names=(ARGON, SOL), output=1_000_000):
    response = client.post(PRICE, json={"prompt": "Hi", "expected_output_tokens": output, "model_names": list(names),
                                        "service_tier": tier, "at": at})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {item["id"]: item["output_cost"] for item in body["data"]}, body


@pytest.mark.parametrize("tier, at, argon, sol", [
    (None, "2026-12-05", 20.0, 10.0),
    ("default", "2026-12-05", 20.0, 10.0),
    ("priority", "2026-11-30", 18.0, 20.0),       # Argon's introductory priority rate
    ("priority", "2026-12-01", 36.0, 20.0),       # doubled with the standard rate
    ("flex", "2026-12-05", 10.0, None),           # gpt-6.2-sol has no flex price
    ("ultrafast", "2027-02-28", None, 30.0),
    ("ultrafast", "2027-03-01", None, 60.0),      # gpt-6.2-sol's dated ultrafast change
])
def test_each_model_is_priced_at_the_tier_in_force(client, tier, at, argon, sol):
    costs, body = output_costs(client, tier, at)
    expected = {model_id: cost for model_id, cost in ((ARGON, argon), (SOL, sol)) if cost is not None}
    assert costs == pytest.approx(expected)
    assert body["excluded"]["service_tier"] == 2 - len(expected)
    assert body["service_tier"] == (tier or "default")


def test_a_model_without_the_tier_is_counted_not_priced(client):
    costs, body = output_costs(client, "priority", "2026-12-05", names=(ARGON, HAIKU))
    assert list(costs) == [ARGON] and body["excluded"]["service_tier"] == 1 and body["count"] == 1
    before, body = output_costs(client, "flex", "2026-10-13", names=(ARGON,))   # flex is priced from 2026-10-14
    assert before == {} and body["excluded"]["service_tier"] == 1


def test_an_unknown_tier_is_a_400_listing_the_known_ones(client):
    response = client.post(PRICE, json={"prompt": "Hi", "service_tier": "batch"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"] == "Unknown service_tier 'batch'; known tiers: default, fast, flex, priority, ultrafast."
    assert "service_tier" in error["fields"]


@pytest.mark.parametrize("content, message", [
    ("model_id,service_tier\n", "header must be exactly"),
    ("{header}\nacme/none,flex,2026-01-01,1,2,,,,,s,2026-01-01\n", "'acme/none' is not a catalog model"),
    ("{header}\ngoogle/gemini-4-argon,default,2026-01-01,1,2,,,,,s,2026-01-01\n", "other than default"),
    ("{header}\ngoogle/gemini-4-argon,flex,2026-01-01,x,2,,,,,s,2026-01-01\n", "decimal number"),
])
def test_a_bad_tiers_file_names_the_problem(tmp_path, content, message):
    header = (REPO / "service_tiers.csv").read_text().splitlines()[0]
    path = tmp_path / "service_tiers.csv"
    path.write_text(content.format(header=header))
    with pytest.raises(CatalogError, match=message):
        read_service_tiers(path, ["google/gemini-4-argon"])


def test_the_factory_honours_service_tiers_csv(make_app, tmp_path):
    path = tmp_path / "tiers.csv"
    header = (REPO / "service_tiers.csv").read_text().splitlines()[0]
    path.write_text(f"{header}\n{HAIKU},priority,1970-01-01,2,10,,,,,test,2026-12-08\n")
    client = make_app(SERVICE_TIERS_CSV=str(path)).test_client()
    costs, body = output_costs(client, "priority", "2026-12-05", names=(ARGON, HAIKU), output=100_000)
    assert costs == {HAIKU: pytest.approx(1.0)} and body["excluded"]["service_tier"] == 1


def test_the_catalog_lists_each_models_tiers(client):
    models = {model["id"]: model for model in client.get("/api/models").get_json()["data"]}
    assert models[ARGON]["service_tiers"] == ["default", "flex", "priority"]
    assert models[SOL]["service_tiers"] == ["default", "fast", "priority", "ultrafast"]
    assert models[HAIKU]["service_tiers"] == ["default"]
