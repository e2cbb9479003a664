"""send_prompt's ledger: one committed row per item, before the answer (or its event) leaves."""
import logging
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.pricing.cost import exact_cost
from app.spend.money import to_money
from tests.spend.conftest import ledger

URL = "/api/send_prompt"
SOL, GROQ, XAI = "openai/gpt-6.1-sol", "groq/llama-3.1-8b", "xai/grok-4.7"
PROMPT = "Tell me the secret plan"


def engine_of(app):
    return app.extensions["store"].engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, spend_app):
    """The app on SQLite, and on a migrated PostgreSQL database."""
    if request.param == "sqlite":
        return spend_app()
    return spend_app(DATABASE_URL=request.getfixturevalue("migrated_postgres"))


def send(client, status=200, **body):
    response = client.post(URL, json={"prompt": PROMPT, **body})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_every_item_is_one_committed_row_with_its_exact_cost(app):
    body = send(app.test_client(), model_names=[SOL, GROQ, XAI], max_tokens=20)
    assert [item["recorded"] for item in body["data"]] == [True, True, True]
    rows = {row["model_id"]: row for row in ledger(engine_of(app))}
    assert set(rows) == {SOL, GROQ, XAI}
    catalog = app.extensions["catalog"]
    for item in body["data"][:2]:
        row = rows[item["id"]]
        expected = exact_cost(catalog.get(item["id"]), item["input_tokens"], item["output_tokens"], 0)
        assert row["cost"] == to_money(expected) and float(row["cost"]) == item["actual_cost"]
        assert (row["input_tokens"], row["output_tokens"], row["outcome"], row["cost_basis"]) == \
            (item["input_tokens"], item["output_tokens"], "ok", "billed")
        assert row["estimated_input_tokens"] == item["estimated_input_tokens"] and row["principal"] == "anonymous"
    failed = rows[XAI]
    assert (failed["outcome"], failed["error_type"], failed["cost"], failed["input_tokens"]) == \
        ("failed", "not_configured", Decimal(0), None)
    assert len({row["request_id"] for row in rows.values()}) == 1 and failed["provider"] == "xai"


def test_no_prompt_or_answer_text_is_stored(spend_app, tmp_path):
    app = spend_app()
    body = send(app.test_client(), model_names=[SOL])
    assert PROMPT in body["data"][0]["response"]   # the fake echoes it
    engine_of(app).dispose()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("price-runner.db*"))
    assert b"secret plan" not in stored and len(ledger(engine_of(app))) == 1


def test_each_event_is_recorded_before_it_is_sent(spend_app, fake):
    app = spend_app()
    fake.behave("llama-3.1-8b-instant", delay=0.3)
    response = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL, GROQ], "stream": True},
                                      buffered=False)
    seen = []
    for chunk in response.response:
        if chunk.startswith(b"event: result"):
            seen.append(len(ledger(engine_of(app))))   # what was committed when the event went out
    response.close()
    assert seen == [1, 2]


def test_a_cache_hit_is_a_row_that_cost_nothing(spend_app):
    client = spend_app().test_client()
    send(client, model_names=[SOL], cache=True)
    hit = send(client, model_names=[SOL], cache=True)["data"][0]
    assert hit["cached"] and hit["recorded"]
    row = ledger(engine_of(client.application))[-1]
    assert (row["outcome"], row["cost"], row["input_tokens"], row["output_tokens"]) == ("cache_hit", 0, 0, 0)


def test_a_timed_out_call_is_a_timeout_row(spend_app, fake):
    fake.behave("gpt-6.1-sol", delay=2)
    client = spend_app().test_client()
    item = send(client, model_names=[SOL], timeout=0.3)["data"][0]
    assert item["error"]["type"] == "timeout" and item["recorded"]
    row = ledger(engine_of(client.application))[0]
    assert (row["outcome"], row["error_type"], row["cost"]) == ("timeout", "timeout", 0)


def test_calls_cut_when_the_stream_client_leaves_are_recorded_as_cancelled(spend_app, fake):
    import time

    app = spend_app()
    fake.behave("llama-3.1-8b-instant", hang=True)
    response = app.test_client().post(URL, json={"prompt": PROMPT, "model_names": [SOL, GROQ], "stream": True},
                                      buffered=False)
    for chunk in response.response:
        if chunk.startswith(b"event: result"):
            break
    response.close()   # the client goes away with one model still running
    deadline = time.monotonic() + 5
    while len(ledger(engine_of(app))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(row["outcome"] for row in ledger(engine_of(app))) == ["cancelled", "ok"]


def test_a_failed_write_says_recorded_false_logs_an_error_and_is_counted(spend_app, caplog):
    app = spend_app()
    with engine_of(app).begin() as conn:
        conn.execute(text("DROP TABLE ledger"))
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="app.spend.accountant"):
        body = send(client, model_names=[SOL])
    assert body["data"][0]["success"] and body["data"][0]["recorded"] is False
    assert any("ledger write failed" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'price_runner_ledger_write_failures_total{reason="OperationalError"}' in metrics


def test_a_stored_cache_item_does_not_carry_recorded_into_a_failed_write(spend_app):
    app = spend_app()
    client = app.test_client()
    send(client, model_names=[SOL], cache=True)
    with engine_of(app).begin() as conn:
        conn.execute(text("DROP TABLE ledger"))
    assert send(client, model_names=[SOL], cache=True)["data"][0]["recorded"] is False
