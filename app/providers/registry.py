"""Pick the adapter class for a vendor and tell whether (and how) it is configured."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .anthropic import AnthropicAdapter
from .base import Adapter
from .bedrock import BedrockConverseAdapter
from .errors import ProviderNotConfigured
from .gemini import GeminiAdapter
from .openai_chat import AzureOpenAIAdapter, OpenAIChatAdapter
from .vendors import Vendor

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


def is_configured(vendor: Vendor, settings: Mapping[str, Any]) -> bool:
    """Tell whether settings hold one complete set of the vendor's credentials."""
    return any(all(settings.get(field) for field in fields) for fields in _credential_sets(vendor))


def how_to_configure(vendor: Vendor) -> str:
    """Name the env variables (or secrets.yaml section) that would configure the vendor."""
    def env_name(field: str) -> str:
        return vendor.env.get(field, (field,))[0]

    options = [" and ".join(env_name(f) for f in fields) for fields in _credential_sets(vendor)]
    return f"set {', or '.join(options)} or the '{vendor.section}' section of secrets.yaml"


def make_adapter(vendor: Vendor, settings: Mapping[str, Any]) -> Adapter:
    """Return the adapter for the vendor's dialect; raise ProviderNotConfigured without credentials."""
    if vendor.api not in ADAPTERS:
        raise ValueError(f"no adapter for API dialect {vendor.api!r}")
    if not is_configured(vendor, settings):
        raise ProviderNotConfigured(f"{vendor.name} is not configured: {how_to_configure(vendor)}",
                                    vendor=vendor.key)
    return ADAPTERS[vendor.api](vendor, settings)
