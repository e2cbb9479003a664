"""send_prompt and /v1 price each call in the window in force at its start, and the ledger records that."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.pricing.cost import exact_cost
from app.spend.money import to_money
from app.store.catalog_db import seed_if_empty
from app.store.engine import make_engine, writing
from app.store.schema import PriceVersion
from tests.conftest import REPO
from tests.spend.conftest import ledger

PRO = "deepseek/deepseek-v4-pro"
MONDAY_PEAK, MONDAY_OFF_PEAK = datetime(2026, 12, 7, 2, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.fixture
def deepseek_secrets(tmp_path, fake):
    path = tmp_path / "deepseek-secrets.yaml"
    path.write_text(f'deepseek: {{api_key: sk-deepseek-test, base_url: "{fake.url}"}}\n')
    return str(path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, make_app, deepseek_secrets):
    """The app on its seeded SQLite database, and on a seeded PostgreSQL one."""
    if request.param == "sqlite":
        return make_app(SECRETS_FILE=deepseek_secrets, PROVIDER_MAX_RETRIES=0)
    url = request.getfixturevalue("migrated_postgres")
    engine = make_engine(url)
    with writing(engine) as session:
        seed_if_empty(session, REPO / "models.csv", REPO / "price_history.csv", datetime.now(UTC))
    engine.dispose()
    return make_app(SECRETS_FILE=deepseek_secrets, PROVIDER_MAX_RETRIES=0, DATABASE_URL=url)


def window_version(app, window: str) -> int:
    with app.extensions["store"].engine.connect() as conn:
        return conn.scalar(select(PriceVersion.id).where(
            PriceVersion.model_id == PRO, PriceVersion.price_window == window,
            PriceVersion.effective_from == datetime(2026, 8, 22, 16, tzinfo=UTC)))


@pytest.mark.parametrize("moment, window, output_price", [(MONDAY_PEAK, "peak", "3.96"),
                                                          (MONDAY_OFF_PEAK, "off_peak", "1.98")])
def test_send_prompt_items_and_ledger_rows_follow_the_calls_time(app, moment, window, output_price):
    live = app.extensions["catalog"]
    live.clock = lambda: moment
    response = app.test_client().post("/api/send_prompt", json={"prompt": "Hello there", "model_names": [PRO],
                                                              "max_tokens": 50})
    assert response.status_code == 200, response.get_json()
    item = response.get_json()["data"][0]
    assert item["success"] and item["price_window"] == window and item["recorded"] is True
    model = live.get(PRO)
    assert model.output_price_per_mtok == float(output_price)
    expected = to_money(exact_cost(model, item["input_tokens"], item["output_tokens"], item["cached_tokens"] or 0))
    row, = ledger(app.extensions["store"].engine)
    assert row["created_at"] == moment and row["cost"] == expected and float(expected) == item["actual_cost"]
    assert row["price_version_id"] == window_version(app, window)
    # the same prompt costs exactly twice as much at peak as off-peak (DeepSeek halves every rate)
    halves = {"peak": Decimal(1), "off_peak": Decimal(2)}[window]
    peak_model = live.current.versions[PRO][-2].prices
    assert peak_model.output == Decimal("3.96") and Decimal(output_price) * halves == peak_model.output


def test_v1_bills_at_the_calls_window_and_lists_the_window(app):
    app.extensions["catalog"].clock = lambda: MONDAY_OFF_PEAK
    client = app.test_client()
    reply = client.post("/v1/chat/completions", json={"model": PRO, "messages": [{"role": "user", "content": "Hi"}],
                                                       "max_tokens": 50}).get_json()
    assert reply["price_runner"]["price_window"] == "off_peak", reply
    assert reply["price_runner"]["price_changes_at"] == "2026-12-08T01:00:00Z"
    row, = ledger(app.extensions["store"].engine)
    assert float(row["cost"]) == reply["price_runner"]["cost"] and row["created_at"] == MONDAY_OFF_PEAK
    listed = {entry["id"]: entry for entry in client.get("/v1/models").get_json()["data"]}
    assert listed[PRO]["price_runner"]["price_window"] == "off_peak"
    assert listed[PRO]["price_runner"]["output_price_per_mtok"] == 1.98
    assert "price_runner" not in listed["auto"]


@pytest.mark.parametrize("moment, status", [(MONDAY_PEAK, 402), (MONDAY_OFF_PEAK, 200)])
def test_budget_holds_take_the_window_in_force(make_app, deepseek_secrets, moment, status):
    # max_tokens 100,000 holds $0.396 of output at peak, $0.198 off-peak: a $0.30 day fits only the latter
    app = make_app(SECRETS_FILE=deepseek_secrets, PROVIDER_MAX_RETRIES=0, BUDGET_DAILY_USD="0.30")
    app.extensions["catalog"].clock = lambda: moment
    response = app.test_client().post("/api/send_prompt", json={"prompt": "Hello", "model_names": [PRO],
                                                              "max_tokens": 100_000})
    assert response.status_code == status, response.get_json()


def test_the_estimate_at_a_moment_takes_its_window_on_both_stores(app):
    client = app.test_client()

    def priced(at):
        body = client.post("/api/get_best_price_for_prompt", json={
            "prompt": "Hello", "expected_output_tokens": 100_000, "model_names": [PRO], "at": at}).get_json()
        item, = body["data"]
        return item["price_window"], item["output_cost"]
    assert priced("2026-12-05T02:00:00Z") == ("off_peak", 0.198)   # Saturday
    assert priced("2026-12-07T02:00:00Z") == ("peak", 0.396)       # Monday
