"""The published OpenAPI document: complete, valid, and true to what the API answers."""
import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def conforms(document, schema_name, body):
    """Validate a response body against a component schema of the document."""
    resource = Resource(contents=document, specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    errors = list(Draft202012Validator(schema, registry=registry).iter_errors(body))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_is_openapi_3_1_with_every_route(app, document):
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == "Price Runner"
    documented = {(path.replace("{", "<").replace("}", ">"), method.upper())
                  for path, ops in document["paths"].items() for method in ops}
    # Static files (the page's assets, Swagger UI's) are not API operations.
    served = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[-1] != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served <= documented, served - documented


def test_request_schemas_are_the_validating_schemas(document):
    price = document["components"]["schemas"]["PriceRequest"]
    assert price["required"] == ["prompt"] and price["additionalProperties"] is False
    assert set(price["properties"]) >= {"prompt", "system", "expected_output_tokens", "sort", "limit",
                                        "include_self_hosted"}
    # expected_output_tokens is a count or "auto" (the default), and the document says both.
    output = price["properties"]["expected_output_tokens"]
    assert Draft202012Validator(output).is_valid("auto") and Draft202012Validator(output).is_valid(300)
    assert not Draft202012Validator(output).is_valid("AUTO") and not Draft202012Validator(output).is_valid(-1)
    send = document["components"]["schemas"]["SendPromptRequest"]
    assert set(send["properties"]) >= {"prompt", "model_names", "providers", "stream", "cache", "timeout"}


@pytest.mark.parametrize("method,path,body,status,schema", [
    ("get", "/health", None, 200, "Health"),
    ("get", "/api/models", None, 200, "ModelsResponse"),
    ("get", "/api/models/provider/OpenAI", None, 200, "ModelsResponse"),
    ("get", "/api/models/provider/acme", None, 404, "ErrorEnvelope"),
    ("get", "/api/providers", None, 200, "ProvidersResponse"),
    ("post", "/api/get_best_price_for_prompt", {"prompt": "Hello", "expected_output_tokens": 10}, 200, "PriceResponse"),
    ("post", "/api/get_best_price_for_prompt", {"prompt": ""}, 400, "ErrorEnvelope"),
    ("post", "/api/send_prompt", {"prompt": "Hello", "providers": ["openai", "groq"]}, 200, "SendResponse"),
    ("post", "/api/send_prompt", {"prompt": "Hello"}, 400, "ErrorEnvelope"),
    ("post", "/api/nowhere", {"prompt": "Hello"}, 404, "ErrorEnvelope"),
    ("get", "/api/usage?group_by=model", None, 200, "UsageResponse"),
    ("get", "/api/usage?group_by=nothing", None, 400, "ErrorEnvelope"),
])
def test_responses_conform_to_the_document(client, document, method, path, body, status, schema):
    response = getattr(client, method)(path, json=body) if body is not None else getattr(client, method)(path)
    assert response.status_code == status
    conforms(document, schema, response.get_json())


def test_stream_events_carry_documented_items(client, document):
    response = client.post("/api/send_prompt", json={"prompt": "Hi", "providers": ["xai"], "stream": True})
    blocks = [block for block in response.get_data(as_text=True).split("\n\n") if block.startswith("event:")]
    event, data = blocks[0].split("\n")
    assert event == "event: result"
    conforms(document, "SendItem", json.loads(data.removeprefix("data: ")))


def test_docs_page(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "openapi.json" in response.get_data(as_text=True)


def test_conformance_check_rejects_undocumented_fields(document):
    with pytest.raises(AssertionError):
        conforms(document, "Health", {"status": "ok", "extra": 1})


RESPONSE_SCHEMAS = ("ErrorEnvelope", "Health", "CatalogModel", "QualityScore", "ModelsResponse", "Provider",
                    "ProvidersResponse", "Excluded", "PriceItem", "PriceResponse", "ItemError", "SendItem", "SendResponse",
                    "UsageRow", "UsageResponse", "OutputBasis", "CostRange", "PredictedOutput", "EstimateAccuracy")


def test_usage_rows_and_refused_items_conform(app, client, document):
    client.post("/api/send_prompt", json={"prompt": "Hi", "providers": ["openai", "groq"], "max_tokens": 1})
    body = client.get("/api/usage?group_by=model").get_json()
    assert body["count"] == 2
    conforms(document, "UsageResponse", body)
    from app.routing.items import refused_item
    model = app.extensions["catalog"].get("openai/gpt-6.1-sol")
    conforms(document, "SendItem", refused_item(model, "OpenAI", 3, 0.25, "Budget exceeded"))


def test_send_prompt_documents_its_spend_answers(document):
    operation = document["paths"]["/api/send_prompt"]["post"]
    assert {"402", "409", "422", "503"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["Idempotency-Key"]
    assert {p["name"] for p in document["paths"]["/api/usage"]["get"]["parameters"]} == {"from", "to", "group_by", "format"}


@pytest.mark.parametrize("name", RESPONSE_SCHEMAS)
def test_response_schemas_pin_every_field_both_ways(document, name):
    # One source per shape: with every property required and nothing else allowed, the conformance
    # tests above fail when a payload builder adds, drops or renames a field the schema does not.
    schema = document["components"]["schemas"][name]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])


def undescribed(node, where=""):
    """Every property, anywhere in the document, that has no description."""
    if isinstance(node, list):
        return [miss for i, item in enumerate(node) for miss in undescribed(item, f"{where}/{i}")]
    if not isinstance(node, dict):
        return []
    missing = [f"{where}.{name}" for name, spec in (node.get("properties") or {}).items()
               if isinstance(spec, dict) and not spec.get("description")]
    return missing + [miss for key, value in node.items() for miss in undescribed(value, f"{where}/{key}")]


def test_every_field_is_described(document):
    assert undescribed(document) == []
    assert undescribed({"properties": {"a": {"type": "string"}}}) == [".a"]   # the check can fail


def test_security_schemes_are_declared_whatever_the_mode(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["ApiKeyAuth"] == {**schemes["ApiKeyAuth"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert "security" not in document   # AUTH_MODE=none: nothing is required


@pytest.mark.parametrize("mode,settings,required", [
    ("api_key", {"API_KEYS": ["openapi-test-key-012345"]}, [{"BearerAuth": []}, {"ApiKeyAuth": []}]),
    ("jwt", {"JWT_SECRET": "s" * 32}, [{"BearerAuth": []}]),
])
def test_with_auth_on_every_operation_but_the_open_ones_requires_credentials(make_app, mode, settings, required):
    client = make_app(AUTH_MODE=mode, **settings).test_client()
    credential = settings.get("API_KEYS", [None])[0] or _jwt(settings["JWT_SECRET"])
    document = client.get("/api/openapi.json", headers={"Authorization": f"Bearer {credential}"}).get_json()
    assert document["security"] == required
    open_paths = {path for path, ops in document["paths"].items() if ops["get" if "get" in ops else "post"].get("security") == []}
    assert open_paths == {"/health", "/ready", "/", "/api/docs", "/metrics"}   # METRICS_REQUIRE_AUTH is off
    for path in open_paths:
        assert client.get(path).status_code == 200, path   # the document tells the truth


def _jwt(secret: str) -> str:
    import time

    import jwt
    return jwt.encode({"sub": "docs-test", "exp": int(time.time()) + 60}, secret, algorithm="HS256")
