"""GET /v1/models and /v1/models/<name or id>: every name chat accepts, with release date, context and prices."""
import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.gateway.listing import per_token
from tests.gateway.conftest import CHAT, HI, OPENAI_URL
from tests.routing.test_send_prompt_api import openai_reply

REPO = Path(__file__).resolve().parents[2]


def catalog_rows():
    with open(REPO / "models.csv", newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def midnight(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def test_every_entry_carries_created_context_length_and_pricing(client):
    rows = catalog_rows()
    data = client.get("/v1/models").get_json()["data"]
    assert data[0]["id"] == "auto" and len(data) > 1
    for entry in data[1:]:
        row = rows[entry["id"]]
        assert entry["created"] == midnight(row["released"]) > 0
        assert entry["context_length"] == int(row["context_window"])
        # USD per token, exactly the catalog's per-million figure over a million.
        assert Decimal(entry["pricing"]["prompt"]) * 1_000_000 == Decimal(row["input_price_per_mtok"])
        assert Decimal(entry["pricing"]["completion"]) * 1_000_000 == Decimal(row["output_price_per_mtok"])
        if row["cached_input_price_per_mtok"]:
            assert Decimal(entry["pricing"]["input_cache_read"]) * 1_000_000 == Decimal(
                row["cached_input_price_per_mtok"])
        else:
            assert "input_cache_read" not in entry["pricing"]
    auto = data[0]
    assert auto["pricing"] == {"prompt": "-1", "completion": "-1"}
    assert auto["context_length"] == max(e["context_length"] for e in data[1:])
    assert auto["created"] == max(e["created"] for e in data[1:])


@pytest.mark.parametrize("per_million, per_token_text", [(0.1, "0.0000001"), (2.5, "0.0000025"), (10.0, "0.00001"),
                                                         (0.075, "0.000000075"), (0.0, "0")])
def test_prices_per_token_are_exact_decimal_strings(per_million, per_token_text):
    assert per_token(per_million) == per_token_text


def test_every_name_chat_accepts_is_retrievable(client, mocked):
    listed = {entry["id"] for entry in client.get("/v1/models").get_json()["data"]}
    rows = catalog_rows()
    names = {row["model_name"] for row in rows.values() if row["id"] in listed}
    mocked.post(OPENAI_URL, json=openai_reply())
    for name in sorted(listed | names):
        entry = client.get(f"/v1/models/{name}")
        assert entry.status_code == 200, (name, entry.get_data(as_text=True))
        assert entry.get_json()["id"] == name


def test_a_name_several_providers_serve_answers_with_the_model_chat_picks(client, mocked):
    # gpt-6-luna: OpenAI and Azure (and more) serve it; the entry is the one chat would call.
    mocked.post(OPENAI_URL, json=openai_reply())
    mocked.post("https://res.openai.azure.test/openai/deployments/gpt-6-luna/chat/completions?api-version=2024-10-21",
                json=openai_reply())
    served = client.post(CHAT, json={"model": "gpt-6-luna", "messages": HI}).get_json()["price_runner"]["model"]
    entry = client.get("/v1/models/gpt-6-luna").get_json()
    chosen = next(e for e in client.get("/v1/models").get_json()["data"] if e["id"] == served)
    assert entry == {**chosen, "id": "gpt-6-luna"}


def test_unknown_and_unconfigured_names_are_404(client):
    for name in ("no-such-model", "acme/nothing", "google/gemini-3.8-flash"):   # Google: no key in this app
        response = client.get(f"/v1/models/{name}")
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "model_not_found"
