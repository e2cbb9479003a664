"""Budgets through send_prompt: holds before the calls, refusals per item, 402, settling after."""
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.spend.worst_case import worst_case
from app.store.schema import BudgetPeriod, BudgetReservation
from app.tokens.counter import TokenCount
from tests.spend.conftest import ledger

URL = "/api/send_prompt"
SOL, GROQ = "openai/gpt-6.1-sol", "groq/llama-3.1-8b"
PROMPT = "Say hello in French"


def hold_for(app, model_id, max_tokens, prompt=PROMPT):
    """The worst case send_prompt holds for one call (the counter's exact count)."""
    model = app.extensions["catalog"].get(model_id)
    count = app.extensions["tokens"].count(prompt, {model.tokenizer})[model.tokenizer]
    return worst_case(model, TokenCount(count.count, count.tokenizer, count.exact), max_tokens)


def spent_today(app):
    with app.extensions["store"].engine.connect() as conn:
        return conn.scalar(select(BudgetPeriod.spent).where(BudgetPeriod.period == "day")) or Decimal(0)


def holds(app):
    with app.extensions["store"].engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(BudgetReservation))


def test_a_model_that_does_not_fit_is_refused_the_others_are_called(spend_app, fake):
    probe = spend_app()
    budget = hold_for(probe, GROQ, 100) * 2   # room for the cheap model, not for the dear one
    assert hold_for(probe, SOL, 100) > budget
    app = spend_app(BUDGET_DAILY_USD=str(budget))
    body = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL, GROQ], "max_tokens": 100}).get_json()
    sol, groq = body["data"]
    assert groq["success"] and groq["error"] is None and groq["recorded"]
    assert sol["error"]["type"] == "budget_exceeded" and sol["error"]["retryable"] is False
    assert Decimal(repr(sol["error"]["budget_remaining"])) == budget
    assert "USD left of this day's budget" in sol["error"]["message"] and sol["actual_cost"] == 0
    assert [r.json()["model"] for r in fake.requests] == ["llama-3.1-8b-instant"]   # the refused one was not called
    assert [row["outcome"] for row in ledger(app.extensions["store"].engine)] == ["refused", "ok"]


def test_every_model_refused_is_402_in_the_envelope_and_a_row_each(spend_app, fake):
    app = spend_app(BUDGET_DAILY_USD="0.000001")
    response = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL, GROQ]})
    assert response.status_code == 402
    error = response.get_json()["error"]
    assert response.get_json()["success"] is False and error["code"] == 402
    assert "Budget exceeded: 0.000001 USD left" in error["message"]
    assert fake.requests == [] and holds(app) == 0
    assert [row["error_type"] for row in ledger(app.extensions["store"].engine)] == ["budget_exceeded"] * 2


def test_a_stream_is_refused_with_402_before_any_event(spend_app):
    response = spend_app(BUDGET_DAILY_USD="0").test_client().post(
        URL, json={"prompt": PROMPT, "model_names": [SOL], "stream": True})
    assert response.status_code == 402 and response.mimetype == "application/json"


def test_a_hold_settles_to_the_actual_cost(spend_app):
    app = spend_app(BUDGET_DAILY_USD="5", BUDGET_MONTHLY_USD="50")
    item = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL]}).get_json()["data"][0]
    assert holds(app) == 0 and item["recorded"]
    assert spent_today(app) == ledger(app.extensions["store"].engine)[0]["cost"] > 0
    assert float(spent_today(app)) == item["actual_cost"]


def test_a_failed_call_releases_its_hold(spend_app, fake):
    fake.behave("gpt-6.1-sol", status=500)
    app = spend_app(BUDGET_DAILY_USD="5")
    item = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL]}).get_json()["data"][0]
    assert item["error"]["type"] == "http_error" and holds(app) == 0 and spent_today(app) == 0


def test_budgets_file_gives_a_principal_its_own_budget(spend_app, tmp_path):
    key_a, key_b = "budget-key-a-0123456789", "budget-key-b-0123456789"
    path = tmp_path / "budgets.yaml"
    path.write_text("alice: {daily_usd: 0}\n")   # by the key's name
    client = spend_app(AUTH_MODE="api_key", API_KEYS=(f"alice:{key_a}", f"bob:{key_b}"), BUDGET_DAILY_USD="5",
                       BUDGETS_FILE=str(path)).test_client()
    body = {"prompt": PROMPT, "model_names": [GROQ]}
    assert client.post(URL, json=body, headers={"X-API-Key": key_a}).status_code == 402
    assert client.post(URL, json=body, headers={"X-API-Key": key_b}).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_twenty_concurrent_requests_never_spend_more_than_a_budget_for_five(request, spend_app, fake, backend):
    # The vendor bills every token max_tokens allows, and answers slowly enough for all 20 to overlap.
    fake.behave("gpt-6.1-sol", delay=0.5, text="word " * 200)
    settings = {} if backend == "sqlite" else {"DATABASE_URL": request.getfixturevalue("migrated_postgres")}
    probe = spend_app(**settings)
    budget = hold_for(probe, SOL, 50) * 5
    app = spend_app(BUDGET_DAILY_USD=str(budget), **settings)

    def call(_):
        response = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 50})
        return response.status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(call, range(20)))
    rows = ledger(app.extensions["store"].engine)
    assert statuses.count(200) == 5 and statuses.count(402) == 15
    assert sum(row["cost"] for row in rows) <= budget and holds(app) == 0
    assert [row["outcome"] for row in rows].count("ok") == 5
    assert all(row["output_tokens"] == 50 for row in rows if row["outcome"] == "ok")


LYING_BODY = json.dumps({
    "id": "chatcmpl-lie", "object": "chat.completion", "model": "gpt-6.1-sol",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Bonjour"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 60_000, "total_tokens": 60_012}}).encode()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_vendor_reporting_more_output_than_max_tokens_cannot_spend_past_the_budget(request, spend_app, fake,
                                                                                      backend):
    fake.behave("gpt-6.1-sol", body=LYING_BODY)
    settings = {} if backend == "sqlite" else {"DATABASE_URL": request.getfixturevalue("migrated_postgres")}
    budget = hold_for(spend_app(**settings), SOL, 1000) * 3
    app = spend_app(BUDGET_DAILY_USD=str(budget), **settings)

    def call(_):
        response = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL], "max_tokens": 1000})
        assert response.status_code in (200, 402)
        return response.get_json()["data"][0] if response.status_code == 200 else None

    with ThreadPoolExecutor(8) as pool:
        answered = [found for found in pool.map(call, range(8)) if found and found["success"]]
    rows = ledger(app.extensions["store"].engine)
    assert answered and all(found["cost_basis"] == "estimated" and found["output_tokens"] < 1000
                            for found in answered)
    assert sum(row["cost"] for row in rows) <= budget and spent_today(app) <= budget and holds(app) == 0
    assert {row["cost_basis"] for row in rows if row["outcome"] == "ok"} == {"estimated"}
