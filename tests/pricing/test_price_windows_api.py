"""Time-of-day prices through the API: the estimate at `at`, the catalog now, ETags, `at` before the history."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

PRICE = "/api/get_best_price_for_prompt"
PRO = "deepseek/deepseek-v4-pro"
OUTPUT = 100_000   # tokens: a tenth of the per-million price


def estimate(client, model_id, **body):
    response = client.post(PRICE, json={"prompt": "Hello", "expected_output_tokens": OUTPUT,
                                        "model_names": [model_id], **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"][0]


# Saturday 2026-12-05 all day, and Monday 2026-12-07 outside 01:00-04:00 and 06:00-10:00 UTC: off-peak.
DONE_WHEN = [("2026-12-05T02:00:00Z", "off_peak", 0.198, "2026-12-07T01:00:00Z"),
             ("2026-12-05T12:00:00Z", "off_peak", 0.198, "2026-12-07T01:00:00Z"),
             ("2026-12-07T02:00:00Z", "peak", 0.396, "2026-12-07T04:00:00Z"),
             ("2026-12-07T12:00:00Z", "off_peak", 0.198, "2026-12-08T01:00:00Z")]


@pytest.mark.parametrize("source", ["database", "files"])
@pytest.mark.parametrize("at, window, output_cost, changes_at", DONE_WHEN)
def test_the_estimate_prices_deepseek_in_the_window_of_at(make_app, source, at, window, output_cost, changes_at):
    config = {} if source == "database" else {
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"}
    app = make_app(**config)
    assert app.extensions["catalog"].current.source == source
    item = estimate(app.test_client(), PRO, at=at)
    assert (item["price_window"], item["output_cost"], item["price_changes_at"]) == (window, output_cost, changes_at)
    assert item["price_effective_from"] == "2026-08-22T16:00:00Z"


def test_openrouter_keeps_its_one_price(client):
    item = estimate(client, "openrouter/deepseek-v4-pro", at="2026-12-07T02:00:00Z")
    assert item["price_window"] is None and item["output_cost"] == 0.198


def test_before_the_windows_began_deepseek_had_one_price(client):
    item = estimate(client, PRO, at="2026-08-03T02:00:00Z")   # a Monday, in what became peak hours
    assert item["price_window"] is None and item["output_cost"] == 0.087
    assert item["price_changes_at"] == "2026-08-17T00:00:00Z"


@pytest.mark.parametrize("at", ["1969-12-31", "1969-12-31T23:59:59Z", "1970-01-01T00:59:59+01:00",
                                "0001-01-01T00:00:00+01:00"])
def test_a_moment_before_the_price_history_is_a_400_naming_its_start(client, at):
    response = client.post(PRICE, json={"prompt": "Hello", "at": at})
    body = response.get_json()
    assert response.status_code == 400 and "at" in body["error"]["fields"], body
    if not at.startswith("0001"):   # year 1 with an offset is not a moment at all
        assert "1970-01-01" in body["error"]["message"]


def test_the_first_moment_of_the_history_is_priced(client):
    assert estimate(client, PRO, at="1970-01-01")["output_cost"] == 0.087


def test_the_catalog_follows_the_clock_and_its_etag_changes_when_a_window_opens(app):
    live, client = app.extensions["catalog"], app.test_client()
    clock = [datetime(2026, 12, 7, 0, 59, 59, tzinfo=UTC)]   # Monday, a second before peak
    live.clock = lambda: clock[0]   # re-prices at once
    before = client.get("/api/models")
    model = next(m for m in before.get_json()["data"] if m["id"] == PRO)
    assert (model["price_window"], model["output_price_per_mtok"], model["price_changes_at"]) == (
        "off_peak", 1.98, "2026-12-07T01:00:00Z")
    clock[0] += timedelta(seconds=1)   # no refresher thread here: the read itself re-prices
    after = client.get("/api/models")
    model = next(m for m in after.get_json()["data"] if m["id"] == PRO)
    assert (model["price_window"], model["output_price_per_mtok"]) == ("peak", 3.96)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert estimate(client, PRO)["output_cost"] == 0.396   # the estimate "now" too
    one_price = next(m for m in after.get_json()["data"] if m["id"] == "openrouter/deepseek-v4-pro")
    assert one_price["price_window"] is None and one_price["price_changes_at"] is None


def test_catalog_answers_are_cached_no_longer_than_the_window_lasts(app):
    live, client = app.extensions["catalog"], app.test_client()
    live.clock = lambda: datetime(2026, 12, 7, 0, 59, 30, tzinfo=UTC)   # peak opens in 30 seconds
    assert client.get("/api/models").headers["Cache-Control"] == "public, max-age=30"
    live.clock = lambda: datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    assert client.get("/api/models").headers["Cache-Control"] == "public, max-age=60"
