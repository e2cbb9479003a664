"""Pick the adapter class for a vendor and tell whether (and how) it is configured."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .anthropic import AnthropicAdapter
from .base import Adapter, Completion, HttpCall, PromptRequest
from .bedrock import BedrockConverseAdapter
from .errors import ProviderNotConfigured
from .gemini import GeminiAdapter
from .openai_chat import AzureOpenAIAdapter, OpenAIChatAdapter
from app.vendors import VENDORS, Vendor

ADAPTERS: dict[str, type[Adapter]] = {
    "openai_chat": OpenAIChatAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
    "bedrock": BedrockConverseAdapter,
    "azure": AzureOpenAIAdapter,
}

# A local server without keys (Ollama) only needs to be told where it is.
_KEYLESS = (("base_url",),)


def _credential_sets(vendor: Vendor) -> tuple[tuple[str, ...], ...]:
    if not vendor.needs_key:
        return _KEYLESS
    return ADAPTERS[vendor.api].credentials


def is_placeholder(value: Any) -> bool:
    """Tell whether a value is a place for a credential ("sk-...", as in secrets.yaml.example), not one."""
    return isinstance(value, str) and value.strip().endswith("...")


def _given(settings: Mapping[str, Any], field: str) -> bool:
    return bool(settings.get(field)) and not is_placeholder(settings[field])


def is_configured(vendor: Vendor, settings: Mapping[str, Any]) -> bool:
    """Tell whether settings hold one complete set of the vendor's credentials (placeholders do not count)."""
    return any(all(_given(settings, field) for field in fields) for fields in _credential_sets(vendor))


def unconfigured_reason(vendor: Vendor, settings: Mapping[str, Any]) -> str | None:
    """Why the vendor is not configured: "placeholder key", "incomplete key", "no key" or, for a local
    server, "no address"; None when it is."""
    if is_configured(vendor, settings):
        return None
    fields = {field for fields in _credential_sets(vendor) for field in fields}
    if any(is_placeholder(settings.get(field)) for field in fields):
        return "placeholder key"
    if not vendor.needs_key:
        return "no address"
    return "incomplete key" if any(settings.get(field) for field in fields) else "no key"


def how_to_configure(vendor: Vendor) -> str:
    """Name the env variables (or secrets.yaml section) that would configure the vendor."""
    def env_name(field: str) -> str:
        return vendor.env.get(field, (field,))[0]

    options = [" and ".join(env_name(f) for f in fields) for fields in _credential_sets(vendor)]
    return f"set {', or '.join(options)} or the '{vendor.section}' section of secrets.yaml"


class NotConfiguredAdapter(Adapter):
    """A vendor without credentials: every call fails at once, saying how to configure it."""

    def build(self, request: PromptRequest) -> HttpCall:
        """Refuse: there is nothing to call."""
        raise ProviderNotConfigured(f"{self.vendor.name} is not configured: {how_to_configure(self.vendor)}.",
                                    vendor=self.vendor.key)

    def parse(self, payload: Any) -> Completion:
        """Never reached: build always refuses."""
        raise AssertionError("a not-configured vendor has no answers to parse")


def make_adapter(vendor: Vendor, settings: Mapping[str, Any]) -> Adapter:
    """Return the adapter for the vendor's dialect; raise ProviderNotConfigured without credentials."""
    adapter = adapter_for(vendor, settings)
    if isinstance(adapter, NotConfiguredAdapter):
        adapter.build(PromptRequest(""))   # raises, naming the variables to set
    return adapter


def adapter_for(vendor: Vendor, settings: Mapping[str, Any]) -> Adapter:
    """Return the vendor's adapter: its dialect's when configured, else a NotConfiguredAdapter."""
    if vendor.api not in ADAPTERS:
        raise ValueError(f"no adapter for API dialect {vendor.api!r}")
    if not is_configured(vendor, settings):
        return NotConfiguredAdapter(vendor, {})
    return ADAPTERS[vendor.api](vendor, settings)


def configured_vendors(credentials: Any) -> frozenset[str]:
    """Return the keys of the vendors whose credentials are complete."""
    return frozenset(key for key, vendor in VENDORS.items() if is_configured(vendor, credentials.settings(key)))


def unconfigured_reasons(credentials: Any) -> dict[str, str | None]:
    """Every vendor's key -> why it is not configured (None for those that are)."""
    return {key: unconfigured_reason(vendor, credentials.settings(key)) for key, vendor in VENDORS.items()}
