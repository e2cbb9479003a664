"""Principals of any length reach the ledger and budgets on every database; a NUL in a subject is a 401."""
import jwt
import pytest

from app.security.base import MAX_NAME, stored_name
from tests.spend.conftest import ledger

SECRET = "principal-test-secret-of-at-least-32-bytes"
URL = "/api/send_prompt"
BODY = {"prompt": "Say hello", "model_names": ["openai/gpt-6.1-sol"], "max_tokens": 20}


def bearer(sub: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode({"sub": sub, "exp": 4102444800}, SECRET, algorithm="HS256")}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, spend_app):
    settings = {"AUTH_MODE": "jwt", "JWT_SECRET": SECRET, "BUDGET_DAILY_USD": "5"}
    if request.param == "postgresql":
        settings["DATABASE_URL"] = request.getfixturevalue("migrated_postgres")
    return spend_app(**settings)


def test_a_long_subject_is_stored_by_a_stable_short_name(app):
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    client = app.test_client()
    for sub in (long_a, long_a, long_b, "short"):
        response = client.post(URL, json=BODY, headers=bearer(sub))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["data"][0]["recorded"] is True
    principals = [row["principal"] for row in ledger(app.extensions["store"].engine)]
    assert principals == [stored_name(long_a), stored_name(long_a), stored_name(long_b), "short"]
    assert stored_name(long_a) != stored_name(long_b) and all(len(p) <= MAX_NAME for p in principals)
    usage = client.get("/api/usage", headers=bearer(long_a))
    assert usage.status_code == 200 and usage.get_json()["principal"] == stored_name(long_a)


def test_a_subject_with_nul_is_a_401_and_calls_nothing(app, fake):
    response = app.test_client().post(URL, json=BODY, headers=bearer("alice\x00"))
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Token 'sub' claim is not accepted."
    assert fake.requests == [] and ledger(app.extensions["store"].engine) == []


def test_a_name_that_fits_is_itself():
    assert stored_name("x" * MAX_NAME) == "x" * MAX_NAME and len(stored_name("x" * (MAX_NAME + 1))) <= MAX_NAME
