"""The eval endpoints' answers conform to the published document, every field pinned and described."""
import pytest

from tests.openapi.test_openapi import conforms

PROMPTS = [{"id": "a", "prompt": "Paris", "grader": {"type": "contains", "expected": "Paris"}},
           {"prompt": "Rome", "grader": {"type": "json_schema", "schema": {"type": "object"}}}]


@pytest.fixture
def client(spend_app):
    return spend_app().test_client()


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


def test_run_listing_and_detail_conform(client, document):
    ran = client.post("/api/evals", json={"name": "doc", "prompts": PROMPTS,
                                          "model_names": ["openai/gpt-6.1-sol", "xai/grok-4.7"]})
    assert ran.status_code == 200
    conforms(document, "EvalRunResponse", ran.get_json())
    listed = client.get("/api/evals/doc")
    conforms(document, "EvalListResponse", listed.get_json())
    detail = client.get(f"/api/evals/doc/runs/{ran.get_json()['run']['id']}")
    conforms(document, "EvalRunResponse", detail.get_json())
    conforms(document, "ErrorEnvelope", client.get("/api/evals/none").get_json())
    priced = client.post("/api/get_best_price_for_prompt", json={"prompt": "Hi", "benchmark": "eval:doc"})
    conforms(document, "PriceResponse", priced.get_json())


@pytest.mark.parametrize("name", ["EvalRunResponse", "EvalListResponse", "EvalRunDetail", "EvalRun",
                                  "EvalResult", "EvalLatest", "EvalOutcome"])
def test_eval_schemas_pin_every_field(document, name):
    schema = document["components"]["schemas"][name]
    assert schema["additionalProperties"] is False and set(schema["required"]) == set(schema["properties"])


def test_the_request_schemas_are_documented(document):
    schemas = document["components"]["schemas"]
    assert schemas["EvalRequest"]["required"] == ["name", "prompts"]
    assert set(schemas["PriceRequest"]["properties"]) >= {"benchmark", "min_quality", "sort"}
    assert "quality" in schemas["PriceRequest"]["properties"]["sort"]["enum"]
    operation = document["paths"]["/api/evals"]["post"]
    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key"]
