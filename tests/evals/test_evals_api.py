"""POST /api/evals end to end: vendors faked by the local fake server, every call through send_prompt's
router (ledger rows, budgets), results stored and listed per principal."""
import json
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.store.schema import EvalOutcome, EvalRun
from tests.spend.conftest import ledger

URL = "/api/evals"
SOL, GROQ = "openai/gpt-6.1-sol", "groq/llama-3.1-8b"
GROQ_API = "llama-3.1-8b-instant"   # what the fake sees for GROQ
KEY_A, KEY_B = "eval-key-a-0123456789", "eval-key-b-0123456789"
# The fake echoes "Echo from <model>: <prompt>", so "contains" graders on the prompt's words pass.
PROMPTS = [
    {"id": "fr", "prompt": "Paris", "grader": {"type": "contains", "expected": "paris", "ignore_case": True}},
    {"id": "de", "prompt": "Berlin", "grader": {"type": "regex", "pattern": r"\bBerlin$"}},
    {"id": "json", "prompt": "Rome", "grader": {"type": "json_schema", "schema": {"type": "object"}}},
    {"id": "exact", "prompt": "Madrid", "grader": {"type": "exact", "expected": "Madrid"}},
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, spend_app):
    """The app on SQLite, and on a migrated PostgreSQL database."""
    if request.param == "sqlite":
        return spend_app()
    return spend_app(DATABASE_URL=request.getfixturevalue("migrated_postgres"))


def run(client, status=200, headers=None, **body):
    body = {"name": "capitals", "prompts": PROMPTS, "model_names": [SOL, GROQ], "max_tokens": 50, **body}
    response = client.post(URL, json=body, headers=headers or {})
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def engine_of(app):
    return app.extensions["store"].engine


def by_id(results):
    return {result["id"]: result for result in results}


def test_each_model_is_scored_on_its_graded_answers_and_each_call_is_a_ledger_row(app, fake):
    fake.behave(GROQ_API, text="I do not know")
    body = run(app.test_client())
    results = by_id(body["run"]["results"])
    # SOL echoes: contains and regex pass, the echo is not JSON, and not exactly "Madrid".
    assert (results[SOL]["passed"], results[SOL]["graded"], results[SOL]["score"]) == (2, 4, 50.0)
    assert (results[GROQ]["passed"], results[GROQ]["graded"], results[GROQ]["score"]) == (0, 4, 0.0)
    outcomes = {(o["prompt_id"], o["model_id"]): o for o in body["run"]["outcomes"]}
    assert outcomes[("json", SOL)]["problem"] == "not_json" and outcomes[("fr", SOL)]["passed"] is True
    assert outcomes[("fr", GROQ)]["response"] == "I do not know"
    rows = ledger(engine_of(app))
    assert len(rows) == 8 and {row["outcome"] for row in rows} == {"ok"}
    # The results' costs are the ledger's, exactly.
    for model_id in (SOL, GROQ):
        spent = sum((row["cost"] for row in rows if row["model_id"] == model_id), Decimal(0))
        assert Decimal(repr(results[model_id]["cost"])) == spent and spent > 0
    assert body["run"]["complete"] is True and body["run"]["prompts"] == 4
    assert sorted(r.json()["messages"][-1]["content"] for r in fake.requests) == sorted(
        [p["prompt"] for p in PROMPTS] * 2)


def test_answers_are_not_stored(app, fake):
    run(app.test_client())
    client = app.test_client()
    listed = client.get(f"{URL}/capitals").get_json()
    detail = client.get(f"{URL}/capitals/runs/{listed['runs'][0]['id']}").get_json()
    assert len(detail["run"]["outcomes"]) == 8
    assert {o["response"] for o in detail["run"]["outcomes"]} == {None}
    assert {o["prompt_id"] for o in detail["run"]["outcomes"]} == {"fr", "de", "json", "exact"}


def test_listing_gives_the_latest_graded_result_per_model_and_the_history(app, fake):
    client = app.test_client()
    first = run(client)["run"]
    fake.behave(GROQ_API, text="I do not know")
    second = run(client, model_names=[GROQ])["run"]
    fake.behave(GROQ_API, status=503)
    third = run(client, model_names=[GROQ])["run"]   # no answer graded: the score stays the second run's
    assert by_id(third["results"])[GROQ] == {**by_id(third["results"])[GROQ], "graded": 0, "errors": 4,
                                             "score": None}
    listed = client.get(f"{URL}/capitals").get_json()
    latest = by_id(listed["data"])
    assert (latest[SOL]["run_id"], latest[SOL]["score"]) == (first["id"], 50.0)
    assert (latest[GROQ]["run_id"], latest[GROQ]["score"]) == (second["id"], 0.0)
    assert [r["id"] for r in listed["runs"]] == [third["id"], second["id"], first["id"]]
    assert [r["id"] for r in client.get(f"{URL}/capitals?limit=1").get_json()["runs"]] == [third["id"]]


def test_a_budget_refuses_calls_the_eval_records_them_and_goes_on(spend_app, fake):
    app = spend_app(BUDGET_DAILY_USD="0.0000001")   # less than any call's worst case
    body = run(app.test_client())
    assert fake.requests == []
    results = by_id(body["run"]["results"])
    assert results[SOL] == {**results[SOL], "graded": 0, "errors": 4, "score": None, "cost": 0.0}
    assert {o["problem"] for o in body["run"]["outcomes"]} == {"budget_exceeded"}
    assert [row["outcome"] for row in ledger(engine_of(app))] == ["refused"] * 8


def test_a_budget_that_fits_some_calls_lets_those_run(spend_app, fake):
    app = spend_app(BUDGET_DAILY_USD="0.0005", EVAL_CONCURRENCY=1)   # room for groq's calls, not sol's
    body = run(app.test_client())
    results = by_id(body["run"]["results"])
    assert results[GROQ]["graded"] == 4 and results[SOL]["graded"] == 0
    assert {row["outcome"] for row in ledger(engine_of(app)) if row["model_id"] == SOL} == {"refused"}


def test_prompts_past_the_deadline_are_not_run_and_the_run_says_incomplete(spend_app, fake):
    app = spend_app(EVAL_CONCURRENCY=1)
    fake.behave("*", delay=0.4)
    body = run(app.test_client(), model_names=[SOL], timeout=0.6)
    problems = [o["problem"] for o in body["run"]["outcomes"]]
    assert problems[-1] == "not_run" and body["run"]["complete"] is False
    assert len(ledger(engine_of(app))) == len([p for p in problems if p != "not_run"])


def test_an_idempotency_key_replays_the_answer_without_calling_again(app, fake):
    client = app.test_client()
    first = client.post(URL, json={"name": "capitals", "prompts": PROMPTS, "model_names": [SOL]},
                        headers={"Idempotency-Key": "eval-1"})
    calls = len(fake.requests)
    again = client.post(URL, json={"name": "capitals", "prompts": PROMPTS, "model_names": [SOL]},
                        headers={"Idempotency-Key": "eval-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and len(fake.requests) == calls
    other = client.post(URL, json={"name": "other", "prompts": PROMPTS, "model_names": [SOL]},
                        headers={"Idempotency-Key": "eval-1"})
    assert other.status_code == 422
    with engine_of(app).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(EvalRun)) == 1


def test_names_are_per_principal(spend_app, fake):
    app = spend_app(AUTH_MODE="api_key", API_KEYS=(f"alice:{KEY_A}", f"bob:{KEY_B}"))
    client = app.test_client()
    run(client, headers={"X-API-Key": KEY_A})
    assert client.get(f"{URL}/capitals", headers={"X-API-Key": KEY_B}).status_code == 404
    mine = client.get(f"{URL}/capitals", headers={"X-API-Key": KEY_A}).get_json()
    assert mine["count"] == 2
    with engine_of(app).connect() as conn:
        assert conn.scalar(select(EvalRun.principal)) == "alice"
    assert {row["principal"] for row in ledger(engine_of(app))} == {"alice"}
    assert client.post(URL, json={"name": "x", "prompts": PROMPTS, "model_names": [SOL]}).status_code == 401


def huge(n):
    return [{"prompt": f"p{i}", "grader": {"type": "contains", "expected": "p"}} for i in range(n)]


@pytest.mark.parametrize("body,field", [
    ({"prompts": huge(51), "model_names": [SOL]}, "prompts"),                     # EVAL_MAX_PROMPTS
    ({"prompts": huge(34), "model_names": [SOL, GROQ, "anthropic/claude-haiku-5-5"]}, "prompts"),   # > 100 calls
    ({"model_names": ["acme/nothing"]}, "model_names"),
    ({"model_names": None}, "model_names"),
    ({"name": "no spaces"}, "name"),
    ({"prompts": []}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "regex", "pattern": "((a{100}){100}){100}"}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "regex", "pattern": "a" * 501}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "regex", "pattern": "("}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "regex", "expected": "x"}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "exact"}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "fuzzy", "expected": "x"}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "json_schema", "schema": {"$ref": "http://x/s.json"}}}]},
     "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "json_schema", "schema": {"type": 3}}}]}, "prompts"),
    ({"prompts": [{"prompt": "x", "grader": {"type": "exact", "expected": "x"}, "extra": 1}]}, "prompts"),
])
def test_bad_requests_are_json_400s_before_any_call(spend_app, fake, body, field):
    app = spend_app()
    response = app.test_client().post(URL, json={"name": "bad", "prompts": PROMPTS, "model_names": [SOL], **body})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == 400 and field in error["fields"]
    assert fake.requests == [] and ledger(engine_of(app)) == []


def test_a_hostile_regex_costs_one_failed_grade_not_the_request(spend_app, fake):
    app = spend_app()
    fake.behave("*", text="a" * 60 + "!")
    prompts = [{"prompt": "x", "grader": {"type": "regex", "pattern": r"^(a|aa)+$"}}]
    body = run(app.test_client(), prompts=prompts, model_names=[SOL])
    assert [(o["passed"], o["problem"]) for o in body["run"]["outcomes"]] == [(False, "regex_timeout")]
    assert body["run"]["results"][0]["score"] == 0.0


def test_unknown_names_and_runs_are_404(spend_app):
    client = spend_app().test_client()
    assert client.get(f"{URL}/nothing").status_code == 404
    run(client, model_names=[SOL])
    assert client.get(f"{URL}/capitals/runs/999").status_code == 404
    assert client.get(f"{URL}/capitals/runs/abc").status_code == 404
    assert client.get(f"{URL}/capitals?limit=0").status_code == 400
    assert client.post(URL, data="x", content_type="text/plain").status_code == 415


def test_a_failed_call_is_an_error_not_a_failed_grade(spend_app, fake):
    app = spend_app()
    fake.behave(GROQ_API, status=500)
    body = run(app.test_client())
    groq = by_id(body["run"]["results"])[GROQ]
    assert (groq["graded"], groq["errors"], groq["score"]) == (0, 4, None)
    assert {o["problem"] for o in body["run"]["outcomes"] if o["model_id"] == GROQ} == {"http_error"}
    with engine_of(app).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(EvalOutcome).where(EvalOutcome.passed.is_(None))) == 4


def test_an_eval_waits_for_a_full_pool_instead_of_failing(spend_app, fake):
    import threading
    import time

    app = spend_app(PROVIDER_POOL_SIZE=2)
    fake.behave("*", delay=0.5)
    busy = threading.Thread(target=lambda: app.test_client().post(
        "/api/send_prompt", json={"prompt": "hold", "model_names": [SOL, GROQ]}))
    busy.start()
    deadline = time.monotonic() + 5
    while len(fake.requests) < 2 and time.monotonic() < deadline:   # both pool threads taken
        time.sleep(0.01)
    started = time.monotonic()
    body = run(app.test_client(), prompts=PROMPTS[:1])
    busy.join()
    assert time.monotonic() - started > 0.3   # it waited for the send_prompt's calls
    assert body["run"]["complete"] and [r["graded"] for r in body["run"]["results"]] == [1, 1]


def test_an_eval_takes_at_most_half_the_pool():
    from app.evals.runner import EvalRunner

    runner = EvalRunner(router=None, concurrency=4, deadline_s=30, pool_size=40)
    assert runner.prompts_at_once(models=2, prompts=50) == 4
    assert runner.prompts_at_once(models=10, prompts=50) == 2
    assert runner.prompts_at_once(models=10, prompts=1) == 1
    assert EvalRunner(None, 4, 30, pool_size=4).prompts_at_once(models=10, prompts=5) == 1


def test_with_the_database_down_nothing_is_called_and_the_answers_are_503(spend_app, fake):
    from tests.integration.servers import free_port

    client = spend_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone").test_client()
    response = client.post(URL, json={"name": "down", "prompts": PROMPTS, "model_names": [SOL]})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert fake.requests == []
    assert client.get(f"{URL}/down").status_code == 503
    priced = client.post("/api/get_best_price_for_prompt", json={"prompt": "hi", "benchmark": "eval:down"})
    assert priced.status_code == 503 and priced.get_json()["success"] is False
    assert client.post("/api/get_best_price_for_prompt", json={"prompt": "hi", "sort": "value"}).status_code == 200


def test_evals_share_the_send_prompt_rate_limit_counted_on_their_own(spend_app, fake):
    client = spend_app(RATELIMIT_SEND_PROMPT="2/minute", RATELIMIT_DEFAULT="100/minute").test_client()
    statuses = [client.post(URL, json={"name": "rl", "prompts": PROMPTS[:1], "model_names": [SOL]}).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.post("/api/send_prompt", json={"prompt": "hi", "model_names": [SOL]}).status_code == 200


def test_no_prompt_or_answer_text_reaches_the_database_file(spend_app, fake, tmp_path):
    app = spend_app()
    body = run(app.test_client(), prompts=[{"prompt": "the secret plan", "grader": {"type": "contains",
                                                                                      "expected": "plan"}}])
    assert "secret plan" in body["run"]["outcomes"][0]["response"]
    engine_of(app).dispose()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("price-runner.db*"))
    assert b"secret plan" not in stored and b"Echo from" not in stored
    assert len(ledger(engine_of(app))) == 2


def test_a_grader_that_breaks_costs_one_grade_not_the_run(spend_app, fake, monkeypatch):
    import app.evals.runner as runner

    def broken(spec, answer, timeout_s):
        raise RuntimeError("bug")

    monkeypatch.setattr(runner, "grade", broken)
    body = run(spend_app().test_client(), prompts=PROMPTS[:1], model_names=[SOL])
    assert [(o["passed"], o["problem"]) for o in body["run"]["outcomes"]] == [(False, "grader_error")]


def test_a_huge_set_is_refused_before_its_graders_are_checked(spend_app, monkeypatch):
    import app.evals.schemas as schemas

    checked = []
    monkeypatch.setattr(schemas, "compile_pattern", lambda *args: checked.append(args))
    prompts = [{"prompt": "x", "grader": {"type": "regex", "pattern": "x"}}] * 10_000
    response = spend_app(EVAL_MAX_PROMPTS=5).test_client().post(
        URL, json={"name": "huge", "prompts": prompts, "model_names": [SOL]})
    assert response.status_code == 400 and "at most 5 per eval" in response.get_json()["error"]["fields"]["prompts"][0]
    assert checked == []


# 20,000 distinct objects (~230 KB): jsonschema's own uniqueItems compares them pairwise (minutes).
# Without spaces, so the fake (which cuts answers at max_tokens words) returns it whole.
MANY_OBJECTS = json.dumps([{"a": i} for i in range(20_000)], separators=(",", ":"))


def test_a_unique_items_grade_of_twenty_thousand_objects_ends_in_seconds(spend_app, fake):
    fake.behave("*", text=MANY_OBJECTS)
    prompts = [{"prompt": "x", "grader": {"type": "json_schema",
                                          "schema": {"type": "array", "uniqueItems": True}}}]
    started = time.monotonic()
    body = run(spend_app().test_client(), prompts=prompts, model_names=[SOL])
    assert time.monotonic() - started < 10
    assert [(o["passed"], o["problem"]) for o in body["run"]["outcomes"]] == [(True, None)]


def test_a_grade_past_its_time_bound_is_a_grader_timeout(spend_app, fake):
    fake.behave("*", text=MANY_OBJECTS)
    item = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}}}
    schema = {"type": "array", "items": {"allOf": [item] * 8}}
    prompts = [{"prompt": "x", "grader": {"type": "json_schema", "schema": schema}}]
    started = time.monotonic()
    body = run(spend_app(EVAL_GRADE_TIMEOUT_S=0.2).test_client(), prompts=prompts, model_names=[SOL])
    assert time.monotonic() - started < 10
    assert [(o["passed"], o["problem"]) for o in body["run"]["outcomes"]] == [(False, "grader_timeout")]
    assert body["run"]["results"][0]["graded"] == 1


def test_the_grades_of_one_eval_share_a_cpu_budget(spend_app, fake):
    fake.behave("*", text=MANY_OBJECTS)
    item = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}}}
    prompts = [{"prompt": f"x{n}", "grader": {"type": "json_schema", "schema": {"items": {"allOf": [item] * 8}}}}
               for n in range(4)]
    app = spend_app(EVAL_GRADE_TIMEOUT_S=30, EVAL_GRADE_BUDGET_S=0.3, EVAL_CONCURRENCY=1)
    started = time.monotonic()
    body = run(app.test_client(), prompts=prompts, model_names=[SOL])
    assert time.monotonic() - started < 10   # each grade alone would take seconds of CPU
    assert [(o["passed"], o["problem"]) for o in body["run"]["outcomes"]] == [(False, "grader_timeout")] * 4
