"""Registry, configuration checks, per-thread sessions, redaction and Retry-After parsing."""
from __future__ import annotations

import email.utils
import threading
import time

import pytest

from app.providers.errors import ProviderNotConfigured
from app.providers.registry import ADAPTERS, how_to_configure, is_configured, make_adapter
from app.providers.sessions import session_for
from app.providers.failures import is_retryable, retry_after
from app.redaction import redact, secrets_of
from app.providers.sessions import close_sessions
from app.vendors import VENDORS
from tests.providers.cases import SETTINGS


def test_every_vendor_dialect_has_an_adapter():
    assert {v.api for v in VENDORS.values()} <= set(ADAPTERS)


@pytest.mark.parametrize("vendor_key", VENDORS)
def test_make_adapter_picks_the_class_for_the_dialect(vendor_key):
    vendor = VENDORS[vendor_key]
    assert type(make_adapter(vendor, SETTINGS[vendor_key])) is ADAPTERS[vendor.api]


@pytest.mark.parametrize("vendor_key, settings, expected", [
    ("openai", {"api_key": "sk-x"}, True),
    ("openai", {"api_key": ""}, False),
    ("openai", {}, False),
    ("bedrock", {"bearer_token": "ABSK"}, True),
    ("bedrock", {"access_key_id": "AK", "secret_access_key": "SK"}, True),
    ("bedrock", {"access_key_id": "AK"}, False),
    ("bedrock", {"region": "us-east-1"}, False),
    ("azure", {"api_key": "k", "endpoint": "https://r.openai.azure.com"}, True),
    ("azure", {"api_key": "k"}, False),
    ("ollama", {"base_url": "http://localhost:11434/v1"}, True),
    ("ollama", {}, False),
])
def test_is_configured(vendor_key, settings, expected):
    assert is_configured(VENDORS[vendor_key], settings) is expected


@pytest.mark.parametrize("vendor_key, expected", [
    ("openai", "set OPENAI_API_KEY or the 'openai' section of secrets.yaml"),
    ("google", "set GEMINI_API_KEY or the 'google' section of secrets.yaml"),
    ("bedrock", "set AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "or the 'aws' section of secrets.yaml"),
    ("azure", "set AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT or the 'azure' section of secrets.yaml"),
    ("ollama", "set OLLAMA_HOST or the 'ollama' section of secrets.yaml"),
])
def test_how_to_configure_names_env_and_section(vendor_key, expected):
    assert how_to_configure(VENDORS[vendor_key]) == expected


def test_make_adapter_refuses_an_unconfigured_vendor():
    with pytest.raises(ProviderNotConfigured) as info:
        make_adapter(VENDORS["anthropic"], {})
    assert "ANTHROPIC_API_KEY" in info.value.message and info.value.to_dict()["type"] == "not_configured"


def test_sessions_are_per_vendor_and_per_thread():
    mine = session_for("openai")
    assert session_for("openai") is mine and session_for("anthropic") is not mine
    theirs = []
    worker = threading.Thread(target=lambda: theirs.append(session_for("openai")))
    worker.start(), worker.join()
    assert theirs[0] is not mine
    close_sessions()
    assert session_for("openai") is not mine


@pytest.mark.parametrize("text, expected", [
    ("bad key sk-proj-abcdefghijklmnop1234", "bad key [REDACTED]"),
    ("GET https://x.test/v1/models?key=AIzaSyFAKE0123456789012345678&alt=json",
     "GET https://x.test/v1/models?key=[REDACTED]&alt=json"),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [REDACTED]"),
    ("id AKIAIOSFODNN7EXAMPLE used", "id [REDACTED] used"),
    ("nothing secret here", "nothing secret here"),
])
def test_redact_generic_patterns(text, expected):
    assert redact(text) == expected


def test_redact_known_secret_values():
    secrets = secrets_of(SETTINGS["bedrock"])
    text = f"signature for {SETTINGS['bedrock']['secret_access_key']} failed"
    assert redact(text, secrets) == "signature for [REDACTED] failed"


@pytest.mark.parametrize("status, expected", [(400, False), (401, False), (404, False), (408, True), (409, True),
                                              (429, True), (500, True), (502, True), (503, True), (529, True)])
def test_retryable_statuses(status, expected):
    assert is_retryable(status) is expected


def test_retry_after_forms():
    assert retry_after({"Retry-After": "7"}) == 7.0
    assert retry_after({"retry-after-ms": "250", "Retry-After": "7"}) == 0.25
    assert retry_after({}) is None and retry_after({"Retry-After": "soon"}) is None
    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= retry_after({"Retry-After": date}) <= 10
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert retry_after({"Retry-After": past}) == 0.0
