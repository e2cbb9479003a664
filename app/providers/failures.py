"""Translate an HTTP error response into a ProviderHTTPError."""
from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

import requests

from .base import Adapter
from .errors import ProviderHTTPError

# Worth another try: timeout, conflict, rate limit, and any server-side failure
# (Anthropic's 529 "overloaded" included).
RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable(status: int) -> bool:
    """Tell whether a request that failed with this status may succeed if sent again."""
    return status in RETRYABLE_STATUS or status >= 500


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the wait the vendor asked for, in seconds: retry-after-ms, or Retry-After (seconds or HTTP date)."""
    millis = _number(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("Retry-After")
    seconds = _number(value)
    if seconds is not None or not value:
        return seconds
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _number(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def http_error(adapter: Adapter, response: requests.Response, body_text: str) -> ProviderHTTPError:
    """Build the error for a response with status >= 400, keeping the vendor's own message."""
    status = response.status_code
    message = adapter.error_message(status, response.headers, body_text)
    return ProviderHTTPError(message, vendor=adapter.vendor.key, status=status,
                             retryable=is_retryable(status), retry_after=retry_after(response.headers))
