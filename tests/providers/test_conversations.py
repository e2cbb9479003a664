"""Conversations and the newer parameters, translated into every dialect and checked against its spec."""
from __future__ import annotations

import json

import pytest

from app.providers.messages import Message, TextPart
from app.vendors import VENDORS
from tests.providers.cases import adapter_for, prompt_for
from tests.spec_validation import (OPENAPI_REQUESTS, validate_azure, validate_bedrock, validate_gemini,
                                   validate_openapi)

CONVERSATION = (
    Message.text("system", "Answer briefly."),
    Message.text("user", "Name a prime."),
    Message.text("assistant", "Seven."),
    Message("user", (TextPart("Another"), TextPart(" one?"))),
    Message.text("user", "Odd, please."),
)
OPENAI_COMPATIBLE = [k for k, v in VENDORS.items() if v.api == "openai_chat"]


def body_of(vendor_key: str, **changes) -> dict:
    request = prompt_for(vendor_key, **{"prompt": "", "system": None, "messages": CONVERSATION, **changes})
    return json.loads(adapter_for(vendor_key).build(request).body)


def test_openai_keeps_every_message_in_place_and_parts_as_text_parts():
    body = body_of("openai", top_p=0.5, stop=("\n\n",), seed=7)
    assert body["messages"] == [
        {"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "Seven."},
        {"role": "user", "content": [{"type": "text", "text": "Another"}, {"type": "text", "text": " one?"}]},
        {"role": "user", "content": "Odd, please."}]
    assert (body["top_p"], body["stop"], body["seed"]) == (0.5, ["\n\n"], 7)


def test_mistral_takes_its_seed_as_random_seed_and_deepseek_none():
    assert body_of("mistral", seed=3)["random_seed"] == 3
    assert adapter_for("deepseek").unsupported(prompt_for("deepseek", seed=3)) == "seed"
    assert adapter_for("openai").unsupported(prompt_for("openai", seed=3, top_p=0.1)) is None


def test_anthropic_system_top_level_and_turns_alternate():
    body = body_of("anthropic", top_p=0.5, stop=("END",))
    assert body["system"] == "Answer briefly."
    assert body["messages"] == [
        {"role": "user", "content": "Name a prime."}, {"role": "assistant", "content": "Seven."},
        {"role": "user", "content": [{"type": "text", "text": "Another"}, {"type": "text", "text": " one?"},
                                     {"type": "text", "text": "Odd, please."}]}]
    assert (body["top_p"], body["stop_sequences"]) == (0.5, ["END"])


def test_gemini_system_instruction_and_model_role():
    body = body_of("google", top_p=0.5, stop=("END",), seed=9)
    assert body["systemInstruction"] == {"parts": [{"text": "Answer briefly."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][2]["parts"] == [{"text": "Another"}, {"text": " one?"}, {"text": "Odd, please."}]
    assert body["generationConfig"] == {"maxOutputTokens": 64, "temperature": 0.2, "topP": 0.5,
                                        "stopSequences": ["END"], "seed": 9}


def test_bedrock_system_and_alternating_messages():
    body = body_of("bedrock", top_p=0.5, stop=("END",))
    assert body["system"] == [{"text": "Answer briefly."}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["inferenceConfig"] == {"maxTokens": 64, "temperature": 0.2, "topP": 0.5, "stopSequences": ["END"]}


@pytest.mark.parametrize("vendor_key, parameter", [("anthropic", "seed"), ("bedrock", "seed"), ("deepseek", "seed")])
def test_what_a_vendor_cannot_honour_is_named(vendor_key, parameter):
    assert adapter_for(vendor_key).unsupported(prompt_for(vendor_key, seed=1, top_p=0.3)) == parameter


def test_a_best_effort_seed_is_dropped_where_the_vendor_has_none():
    lenient = {"seed": 1, "best_effort": frozenset({"seed"})}
    for vendor_key in ("anthropic", "bedrock", "deepseek"):
        assert adapter_for(vendor_key).unsupported(prompt_for(vendor_key, **lenient)) is None
        assert "seed" not in json.dumps(body_of(vendor_key, **lenient))


SAMPLING = {"presence_penalty": 0.5, "frequency_penalty": -0.5, "logit_bias": {"50256": -100}, "logprobs": True,
            "top_logprobs": 3, "n": 2}


@pytest.mark.parametrize("vendor_key", [*OPENAI_COMPATIBLE, "azure", "google", "anthropic", "bedrock"])
def test_sampling_parameters_go_where_the_vendor_takes_them_and_are_named_where_not(vendor_key):
    adapter = adapter_for(vendor_key)
    for name in ("presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "n"):
        one = {name: SAMPLING[name], **({"top_logprobs": 3} if name == "logprobs" else {})}
        refused = adapter.unsupported(prompt_for(vendor_key, **one))
        assert refused in (None, name)
        if refused is None:   # sent, in the vendor's own field
            body = json.dumps(body_of(vendor_key, **one))
            field = {"google": {"presence_penalty": "presencePenalty", "frequency_penalty": "frequencyPenalty",
                                "logprobs": "responseLogprobs", "n": "candidateCount"}}.get(vendor_key, {})
            assert f'"{field.get(name, name)}"' in body
    expected = {"anthropic": set(), "bedrock": set(),
                "google": {"presence_penalty", "frequency_penalty", "logprobs", "n"}}
    takes = expected.get(vendor_key, VENDORS[vendor_key].takes)
    assert {n for n in SAMPLING if n != "top_logprobs" and adapter.unsupported(
        prompt_for(vendor_key, **{n: SAMPLING[n]})) is None} == set(takes)


def test_defaults_send_nothing():
    for vendor_key in (*OPENAI_COMPATIBLE, "azure", "google", "anthropic", "bedrock"):
        body = json.dumps(body_of(vendor_key))
        for field in ("penalty", "Penalty", "logprobs", "Logprobs", "logit_bias", '"n"', "candidateCount"):
            assert field not in body


def test_a_single_prompt_still_builds_the_same_conversation():
    request = prompt_for("openai")
    same = prompt_for("openai", prompt="", system=None, messages=request.conversation())
    for vendor_key in ("openai", "anthropic", "google", "bedrock", "azure"):
        adapter = adapter_for(vendor_key)
        assert adapter.build(prompt_for(vendor_key)).body == adapter.build(
            prompt_for(vendor_key, prompt="", system=None, messages=same.messages)).body


PARAMS = {"top_p": 0.9, "stop": ("END", "STOP")}


@pytest.mark.parametrize("vendor_key", OPENAI_COMPATIBLE)
def test_openai_compatible_conversations_match_their_spec(vendor_key):
    spec = vendor_key if vendor_key in OPENAPI_REQUESTS else "openai"
    seed = {"seed": 5} if VENDORS[vendor_key].seed_field else {}
    validate_openapi(spec, body_of(vendor_key, **PARAMS, **seed))
    taken = {name: value for name, value in SAMPLING.items() if name in VENDORS[vendor_key].takes}
    if "logprobs" in taken:
        taken["top_logprobs"] = 3
    validate_openapi(spec, body_of(vendor_key, **PARAMS, **seed, **taken))


def test_anthropic_conversation_matches_create_message_params():
    validate_openapi("anthropic", body_of("anthropic", **PARAMS))
    validate_openapi("anthropic", body_of("anthropic", messages=CONVERSATION + (Message.text("system", "More."),)))


def test_azure_conversation_is_openai_without_model():
    validate_azure(body_of("azure", **PARAMS, seed=5))
    validate_azure(body_of("azure", **PARAMS, seed=5, **SAMPLING))


def test_gemini_conversation_parses_as_generate_content_request():
    validate_gemini(body_of("google", **PARAMS, seed=5))
    sampling = {k: v for k, v in SAMPLING.items() if k != "logit_bias"}
    body = body_of("google", **PARAMS, seed=5, **sampling)
    validate_gemini(body)
    assert body["generationConfig"].items() >= {"presencePenalty": 0.5, "frequencyPenalty": -0.5,
                                                 "responseLogprobs": True, "logprobs": 3, "candidateCount": 2}.items()


def test_bedrock_conversation_matches_converse_input():
    validate_bedrock(body_of("bedrock", **PARAMS), prompt_for("bedrock").model)
