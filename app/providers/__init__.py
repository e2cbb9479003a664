"""Vendor adapters: build each vendor's HTTP request, send it, read its reply and usage."""
from .base import Adapter, Completion, HttpCall, PromptRequest, Usage
from .errors import (ProviderConnectionError, ProviderError, ProviderHTTPError, ProviderNotConfigured,
                     ProviderResponseError, ProviderTimeout)
from .registry import ADAPTERS, how_to_configure, is_configured, make_adapter
from .sessions import session_for
from .transport import send
from .vendors import VENDORS, Vendor, find_vendor

__all__ = [
    "ADAPTERS", "Adapter", "Completion", "HttpCall", "PromptRequest", "ProviderConnectionError",
    "ProviderError", "ProviderHTTPError", "ProviderNotConfigured", "ProviderResponseError",
    "ProviderTimeout", "Usage", "VENDORS", "Vendor", "find_vendor", "how_to_configure",
    "is_configured", "make_adapter", "send", "session_for",
]
