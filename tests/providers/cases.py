"""Shared test data for the provider tests: fake credentials, model ids, adapters, requests."""
from __future__ import annotations

from app.providers.base import PromptRequest
from app.providers.registry import make_adapter
from app.vendors import VENDORS

# Fake credentials shaped like real ones, so redaction is tested on realistic values.
OPENAI_KEY = "sk-proj-FAKEfakeFAKEfake0123456789abcdef"
SETTINGS = {
    "openai": {"api_key": OPENAI_KEY},
    "mistral": {"api_key": "mistral-FAKE-0123456789abcdef"},
    "groq": {"api_key": "gsk_FAKEfakeFAKE0123456789"},
    "deepseek": {"api_key": "sk-deepseekFAKE0123456789"},
    "xai": {"api_key": "xai-FAKEfakeFAKE0123456789"},
    "together": {"api_key": "tgp_v1_FAKEfakeFAKE0123456789"},
    "openrouter": {"api_key": "sk-or-v1-FAKEfakeFAKE0123456789"},
    "ollama": {"base_url": "http://localhost:11434/v1"},
    "anthropic": {"api_key": "sk-ant-api03-FAKEfakeFAKE0123456789"},
    "google": {"api_key": "AIzaSyFAKEfakeFAKEfakeFAKEfake0123456"},
    "bedrock": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "region": "us-east-1"},
    "azure": {"api_key": "0123456789abcdef0123456789abcdef", "endpoint": "https://example-resource.openai.azure.com",
              "api_version": "2024-10-21"},
}

# A model id per vendor, as the catalog would send it.
MODELS = {
    "openai": "gpt-4o-mini", "mistral": "mistral-small-latest", "groq": "llama-3.3-70b-versatile",
    "deepseek": "deepseek-chat", "xai": "grok-3-mini", "together": "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "openrouter": "openai/gpt-4o-mini", "ollama": "llama3.2", "anthropic": "claude-sonnet-4-5",
    "google": "gemini-2.5-flash", "bedrock": "anthropic.claude-3-5-sonnet-20240620-v1:0", "azure": "my-gpt4o-deploy",
}


def prompt_for(vendor_key: str, **changes) -> PromptRequest:
    """Return a typical request for the vendor's model."""
    fields = dict(model=MODELS[vendor_key], prompt="Name three primes.", system="Answer briefly.",
                  max_tokens=64, temperature=0.2)
    fields.update(changes)
    return PromptRequest(**fields)


def adapter_for(vendor_key: str, **settings):
    """Return the real adapter for a vendor with fake credentials (overridable)."""
    return make_adapter(VENDORS[vendor_key], {**SETTINGS[vendor_key], **settings})


# Vendor key -> the dialect whose error shapes it uses (tests.fakes.dialects.error).
ERROR_DIALECT = {"openai": "openai", "mistral": "openai", "azure": "openai", "anthropic": "anthropic",
                 "google": "gemini", "bedrock": "bedrock"}
