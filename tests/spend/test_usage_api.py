"""GET /api/usage: grouped sums of the ledger, the caller's own unless an admin; CSV alike."""
import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.spend import ledger_db
from app.spend.budgets import Periods

KEY_A, KEY_B = "usage-key-a-0123456789", "usage-key-b-0123456789"
ALICE, BOB = "alice", "bob"   # the keys' names: API_KEYS entries name:key
COLUMNS = ["key", "calls", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens", "cost",
           "estimated_input_tokens"]


def row(principal, at, model="openai/gpt-6.1-sol", cost="0.000123456789", tokens=10, outcome="ok"):
    return {"created_at": at, "request_id": "r", "principal": principal, "model_id": model,
            "provider": model.split("/")[0], "price_version_id": None, "estimated_input_tokens": 9,
            "input_tokens": tokens if outcome == "ok" else None, "output_tokens": 5 if outcome == "ok" else None,
            "cached_tokens": 2 if outcome == "ok" else None, "reasoning_tokens": 1 if outcome == "ok" else None,
            "cost": Decimal(cost), "cost_basis": "billed", "latency_ms": 1, "outcome": outcome, "error_type": None}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, spend_app):
    settings = {} if request.param == "sqlite" else {"DATABASE_URL": request.getfixturevalue("migrated_postgres")}
    app = spend_app(AUTH_MODE="api_key", API_KEYS=(f"{ALICE}:{KEY_A}", f"{BOB}:{KEY_B}"), USAGE_ADMIN_KEYS=(BOB,), **settings)
    rows = [row(ALICE, datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)),
            row(ALICE, datetime(2026, 12, 1, tzinfo=UTC)),
            row(ALICE, datetime(2026, 12, 1, 18, tzinfo=UTC), model="groq/llama-3.1-8b", cost="0.000000000001"),
            row(ALICE, datetime(2026, 12, 2, 8, tzinfo=UTC), outcome="timeout", cost="0"),
            row(BOB, datetime(2026, 12, 1, 9, tzinfo=UTC), cost="1.5"),
            row(BOB, datetime(2026, 12, 3, tzinfo=UTC))]   # at `to`: excluded
    ledger_db.write(app.extensions["store"].engine, ledger_db.Entry("x", Periods.at(rows[0]["created_at"]), rows))
    return app


def usage(app, key=KEY_A, status=200, **params):
    response = app.test_client().get("/api/usage", query_string={"from": "2026-12-01", "to": "2026-12-03", **params},
                                     headers={"X-API-Key": key})
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def test_a_caller_sees_its_own_usage_per_model(app):
    body = usage(app, group_by="model").get_json()
    assert (body["principal"], body["group_by"], body["from"], body["to"]) == \
        (ALICE, "model", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z")
    assert body["data"] == [
        {"key": "groq/llama-3.1-8b", "calls": 1, "input_tokens": 10, "output_tokens": 5, "cached_tokens": 2,
         "reasoning_tokens": 1, "cost": 1e-12, "estimated_input_tokens": 9},
        {"key": "openai/gpt-6.1-sol", "calls": 2, "input_tokens": 10, "output_tokens": 5, "cached_tokens": 2,
         "reasoning_tokens": 1, "cost": 0.000123456789, "estimated_input_tokens": 18}]


@pytest.mark.parametrize("group_by,keys", [("provider", ["groq", "openai"]), ("principal", [ALICE]),
                                           ("day", ["2026-12-01", "2026-12-02"])])
def test_other_groupings(app, group_by, keys):
    assert [r["key"] for r in usage(app, group_by=group_by).get_json()["data"]] == keys


def test_an_admin_sees_every_principal(app):
    body = usage(app, key=KEY_B, group_by="principal").get_json()
    assert body["principal"] is None and [r["key"] for r in body["data"]] == sorted([ALICE, BOB])
    assert {r["key"]: r["cost"] for r in body["data"]}[BOB] == 1.5


def test_times_are_utc_from_inclusive_to_exclusive(app):
    data = usage(app, **{"from": "2026-11-30T23:59:59Z", "to": "2026-12-01T00:00:00+00:00"}).get_json()["data"]
    assert [(r["key"], r["calls"]) for r in data] == [("2026-11-30", 1)]
    # 01:00 at +02:00 is 23:00 UTC the day before; a time without an offset is UTC.
    body = usage(app, group_by="day", **{"from": "2026-12-01T01:00:00+02:00", "to": "2026-12-01T00:00:01"}).get_json()
    assert [(r["key"], r["calls"]) for r in body["data"]] == [("2026-11-30", 1), ("2026-12-01", 1)]


def test_csv_has_the_same_columns_with_exact_costs(app):
    response = usage(app, group_by="model", format="csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == COLUMNS
    assert rows[1:] == [["groq/llama-3.1-8b", "1", "10", "5", "2", "1", "0.000000000001", "9"],
                        ["openai/gpt-6.1-sol", "2", "10", "5", "2", "1", "0.000123456789", "18"]]


def test_a_principal_name_cannot_be_a_spreadsheet_formula(spend_app):
    app = spend_app(USAGE_ADMIN_KEYS=("anonymous",))
    at = datetime.now(UTC)
    ledger_db.write(app.extensions["store"].engine, ledger_db.Entry("x", Periods.at(at), [row("=cmd|x", at)]))
    response = app.test_client().get("/api/usage", query_string={"group_by": "principal", "format": "csv"})
    assert response.get_data(as_text=True).splitlines()[1].startswith("'=cmd|x,1,")


@pytest.mark.parametrize("params,field", [
    ({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"), ({"group_by": "colour"}, "group_by"),
    ({"format": "xml"}, "format"), ({"from": "2026-12-03", "to": "2026-12-01"}, "to"), ({"limit": "5"}, "limit"),
    ({"from": "0001-01-01T00:00:00+14:00"}, "from"), ({"to": "9999-12-31T23:59:59-14:00"}, "to"),
])
def test_bad_parameters_are_400_naming_them(spend_app, params, field):
    response = spend_app().test_client().get("/api/usage", query_string=params)
    assert response.status_code == 400 and field in response.get_json()["error"]["fields"]


def test_a_repeated_parameter_is_400(spend_app):
    response = spend_app().test_client().get("/api/usage?group_by=model&group_by=day")
    assert response.status_code == 400 and response.get_json()["error"]["fields"] == {"group_by": ["Give this parameter once."]}


def test_by_default_this_utc_month(spend_app):
    body = spend_app().test_client().get("/api/usage").get_json()
    now = datetime.now(UTC)
    assert body["from"] == f"{now:%Y-%m}-01T00:00:00Z" and body["group_by"] == "day" and body["data"] == []


def test_usage_needs_credentials_like_the_rest_of_the_api(app):
    assert app.test_client().get("/api/usage").status_code == 401
