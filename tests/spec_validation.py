"""Validate request bodies against the vendors' own published specs (see ../shared/specs/README.md)."""
from __future__ import annotations

import copy
import glob
import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"

# vendor key -> (spec file, request schema name); OpenAI-compatible vendors without a spec use OpenAI's.
OPENAPI_REQUESTS = {
    "openai": ("openai/openapi.json", "CreateChatCompletionRequest"),
    "mistral": ("mistral/openapi-public-doc.yaml", "ChatCompletionRequest"),
    "together": ("together/openapi.yaml", "ChatCompletionRequest"),
    "openrouter": ("openrouter/in.openapi.yaml", "ChatRequest"),
    "anthropic": ("anthropic-unofficial/hosted_spec.json", "CreateMessageParams"),
}


def require_specs() -> Path:
    """Return the specs directory, or skip the test when it is not checked out beside the repo."""
    if not SPECS.is_dir():
        pytest.skip(f"vendor specs not found at {SPECS} (expected ../shared/specs beside the repo)")
    return SPECS


@lru_cache(maxsize=None)
def load_document(relative: str) -> dict:
    """Load a spec document once per session; the Anthropic copy's invalid node is dropped."""
    path = require_specs() / relative
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=yaml.CSafeLoader)
    model = doc.get("components", {}).get("schemas", {}).get("Model")
    if relative.startswith("anthropic") and model is not None and model.get("type", "") is None:
        del model["type"]  # components.schemas.Model has "type": null, which no validator accepts
    return doc


@lru_cache(maxsize=None)
def _validator(relative: str, schema: str, drop_model: bool = False) -> Draft202012Validator:
    doc = load_document(relative)
    if drop_model:
        doc = _without_model(doc, schema)
    uri = f"urn:spec:{relative}:{int(drop_model)}"
    registry = Registry().with_resource(uri, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{uri}#/components/schemas/{schema}"}, registry=registry)


def _without_model(doc: dict, schema: str) -> dict:
    """Return a copy of the document whose request schema neither requires nor declares ``model``."""
    doc = copy.deepcopy(doc)
    for part in [doc["components"]["schemas"][schema], *doc["components"]["schemas"][schema].get("allOf", [])]:
        part.get("properties", {}).pop("model", None)
        if "model" in part.get("required", []):
            part["required"] = [r for r in part["required"] if r != "model"]
    return doc


def validate_openapi(vendor: str, body: dict) -> None:
    """Assert the body is valid for the vendor's request schema, has no nulls, and sends only declared keys."""
    relative, schema = OPENAPI_REQUESTS[vendor]
    _check(relative, schema, body)


def validate_azure(body: dict) -> None:
    """Azure's chat body is OpenAI's without ``model`` (the deployment is in the URL)."""
    _check(*OPENAPI_REQUESTS["openai"], body, drop_model=True)


def _check(relative: str, schema: str, body: dict, drop_model: bool = False) -> None:
    assert_no_nulls(body)
    errors = sorted(_validator(relative, schema, drop_model).iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    doc = _without_model(load_document(relative), schema) if drop_model else load_document(relative)
    assert_declared(doc, {"$ref": f"#/components/schemas/{schema}"}, body)


def assert_no_nulls(value: Any, where: str = "body") -> None:
    """Fail on any explicit null: optional fields must be omitted instead."""
    assert value is not None, f"{where} is null"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_nulls(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_nulls(item, f"{where}[{i}]")


def _resolve(doc: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = doc
        for step in node["$ref"][2:].split("/"):
            target = target[step]
        node = target
    return node


def _branches(doc: dict, node: dict) -> list[dict]:
    """Flatten allOf/anyOf/oneOf into the object schemas a value may match."""
    node = _resolve(doc, node)
    found = [node]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            found.extend(_branches(doc, sub))
    return found


def _declared(doc: dict, node: dict) -> dict[str, dict]:
    props: dict[str, dict] = {}
    for branch in _branches(doc, node):
        props.update(branch.get("properties", {}))
    return props


def _role_matches(doc: dict, branch: dict, role: str) -> bool:
    spec = _resolve(doc, branch.get("properties", {}).get("role", {}))
    allowed = set(spec.get("enum", [])) | ({spec["const"]} if "const" in spec else set())
    return role in allowed


def assert_declared(doc: dict, schema: dict, body: dict) -> None:
    """Fail when the body (or a message in it) carries a key its schema does not declare."""
    props = _declared(doc, schema)
    unknown = set(body) - set(props)
    assert not unknown, f"undeclared request keys: {sorted(unknown)}"
    if "messages" not in props:
        return
    items = _resolve(doc, props["messages"]).get("items", {})
    branches = [b for b in _branches(doc, items) if "properties" in b]
    for message in body.get("messages", []):
        matching = [b for b in branches if _role_matches(doc, b, message.get("role"))] or branches
        allowed = set().union(*(b["properties"] for b in matching))
        assert set(message) <= allowed, f"undeclared message keys: {sorted(set(message) - allowed)}"


@lru_cache(maxsize=None)
def _bedrock_operation(operation: str):
    from botocore.model import ServiceModel
    model = ServiceModel(json.loads((require_specs() / "bedrock" / "service-2.json").read_text()))
    return model.operation_model(operation)


def validate_bedrock(body: dict, model_id: str, operation: str = "Converse") -> None:
    """Validate a Converse (or ConverseStream) body with botocore's ParamValidator (modelId is a URI
    member, so add it back)."""
    from botocore.validate import ParamValidator
    assert "modelId" not in body, "modelId belongs in the URL path"
    assert_no_nulls(body)
    report = ParamValidator().validate({**body, "modelId": model_id}, _bedrock_operation(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def bedrock_path(operation: str, model_id: str) -> str:
    """Return the request path the service model gives the operation (modelId URL-encoded, colons too)."""
    from urllib.parse import quote
    http = _bedrock_operation(operation).http
    assert http["method"] == "POST"
    return http["requestUri"].replace("{modelId}", quote(model_id, safe=""))


def gemini_rpc_path(rpc: str) -> str:
    """Return the REST path template the Gemini proto binds an rpc to (e.g. /v1beta/{model=models/*}:...)."""
    import re
    proto = (require_specs() / "gemini" / "googleapis" / "google" / "ai" / "generativelanguage" / "v1beta"
             / "generative_service.proto").read_text()
    match = re.search(rf"rpc {rpc}\(.*?post: \"([^\"]+)\"", proto, re.S)
    assert match, f"no rpc {rpc} in the Gemini proto"
    return match[1]


@lru_cache(maxsize=None)
def _gemini_service():
    """Compile the Gemini v1beta protos once per session and import generative_service_pb2."""
    import grpc_tools
    from grpc_tools import protoc
    root = require_specs() / "gemini" / "googleapis"
    bundled = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    out = tempfile.mkdtemp(prefix="gemini-protos-")
    protos = [os.path.relpath(p, root) for p in glob.glob(str(root / "google" / "**" / "*.proto"), recursive=True)]
    if protoc.main(["protoc", f"-I{root}", f"-I{bundled}", f"--python_out={out}", *protos]) != 0:
        pytest.fail("protoc could not compile the Gemini protos")
    sys.path.insert(0, out)
    from google.ai.generativelanguage.v1beta import generative_service_pb2
    return generative_service_pb2


def validate_gemini(body: dict) -> None:
    """Parse the body with the proto3 JSON mapping of GenerateContentRequest; unknown fields fail."""
    from google.protobuf import json_format
    assert_no_nulls(body)
    json_format.ParseDict(body, _gemini_service().GenerateContentRequest())
