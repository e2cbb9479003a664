"""Database down: the catalog serves from memory, /ready says degraded, send_prompt refuses only
where it would have to spend without a record (budgets, Idempotency-Key)."""
from datetime import UTC, datetime

import pytest
from click.testing import Result

from tests.integration.servers import free_port
from tests.spend.conftest import ledger

URL = "/api/send_prompt"
BODY = {"prompt": "Say hello", "model_names": ["openai/gpt-6.1-sol"]}


@pytest.fixture
def down_url():
    """PostgreSQL on a loopback port where nothing listens: every connection is refused at once."""
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"


def test_ready_stays_200_and_says_why_it_is_degraded(spend_app, down_url):
    body = spend_app(DATABASE_URL=down_url).test_client().get("/ready").get_json()
    assert body["status"] == "degraded" and body["checks"]["database"] == "degraded"
    assert "OperationalError" in body["reasons"]["database"] and "db upgrade" in body["reasons"]["database"]


def test_an_unmigrated_database_is_degraded_too(spend_app, tmp_path):
    body = spend_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}").test_client().get("/ready").get_json()
    assert body["checks"]["database"] == "degraded"


def test_the_catalog_and_estimates_still_serve(spend_app, down_url):
    client = spend_app(DATABASE_URL=down_url).test_client()
    assert client.get("/api/models").status_code == 200
    assert client.post("/api/get_best_price_for_prompt", json={"prompt": "hi"}).status_code == 200


def test_with_a_budget_send_prompt_refuses_with_503_and_calls_nobody(spend_app, down_url, fake):
    response = spend_app(DATABASE_URL=down_url, BUDGET_DAILY_USD="5").test_client().post(URL, json=BODY)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "budgets cannot be checked" in response.get_json()["error"]["message"] and fake.requests == []


def test_without_budgets_it_serves_and_says_nothing_was_recorded(spend_app, down_url, fake):
    body = spend_app(DATABASE_URL=down_url).test_client().post(URL, json=BODY).get_json()
    assert body["data"][0]["success"] and body["data"][0]["recorded"] is False and len(fake.requests) == 1


def test_an_idempotency_key_cannot_be_honoured_without_it(spend_app, down_url, fake):
    response = spend_app(DATABASE_URL=down_url).test_client().post(URL, json=BODY, headers={"Idempotency-Key": "k"})
    assert response.status_code == 503 and fake.requests == []


def test_usage_is_503_in_the_envelope(spend_app, down_url):
    response = spend_app(DATABASE_URL=down_url).test_client().get("/api/usage")
    assert response.status_code == 503 and response.get_json()["success"] is False


def test_the_probe_is_cached_between_checks(spend_app):
    app = spend_app()
    check = app.extensions["spend"].database
    assert check.problem() is None
    app.extensions["store"].engine.dispose()
    with app.extensions["store"].engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE ledger")
    assert check.problem() is None   # within PROBE_EVERY_S: the last answer stands
    check._started_at -= 60
    check.problem()   # due: a probe starts in the background (/ready does not wait for it)
    check._prober.join(5)
    assert "not migrated" in check.problem()


def test_usage_purge_command(spend_app):
    from app.spend import ledger_db
    from app.spend.budgets import Periods
    from tests.spend.test_usage_api import row

    app = spend_app()
    old, new = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    ledger_db.write(app.extensions["store"].engine, ledger_db.Entry("a", Periods.at(old), [row("a", old), row("a", new)]))
    result: Result = app.test_cli_runner().invoke(args=["usage", "purge", "--before", "2026-02-01"])
    assert result.exit_code == 0 and "deleted 1 ledger rows before 2026-02-01" in result.output
    assert [r["created_at"] for r in ledger(app.extensions["store"].engine)] == [new]
    bad = app.test_cli_runner().invoke(args=["usage", "purge", "--before", "last week"])
    assert bad.exit_code != 0 and "last week" in bad.output
