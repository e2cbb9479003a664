"""Read a vendor's body with a byte cap, and decode its JSON without trusting its size or depth."""
from __future__ import annotations

import codecs
import json
from typing import Any

import requests

from .errors import ProviderResponseError, ProviderResponseTooLarge

CHUNK = 64 * 1024
ERROR_BODY_BYTES = 64 * 1024   # an error body is read only for its message


def read_body(response: requests.Response, limit: int, vendor: str) -> bytes:
    """Return the (decoded) body; past ``limit`` bytes raise ProviderResponseTooLarge, reading no further."""
    declared = _declared_length(response)
    if declared is not None and declared > limit:
        raise ProviderResponseTooLarge(f"the answer is {declared} bytes, more than PROVIDER_MAX_RESPONSE_BYTES "
                                       f"({limit}); not read", vendor=vendor)
    body = _read_up_to(response, limit + 1)
    if len(body) > limit:
        raise ProviderResponseTooLarge(f"the answer is larger than PROVIDER_MAX_RESPONSE_BYTES ({limit} bytes); "
                                       "not read further", vendor=vendor)
    return body


def read_error_text(response: requests.Response) -> str:
    """Return the start of an error body as text (enough for the vendor's message)."""
    body = _read_up_to(response, ERROR_BODY_BYTES)
    encoding = response.encoding or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:   # a charset we do not know: the message may come out garbled, never fail
        encoding = "utf-8"
    return body.decode(encoding, errors="replace")


def decode_json(body: bytes, response: requests.Response, vendor: str) -> Any:
    """Decode a success body; anything but JSON of a sane depth is ProviderResponseError."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ProviderResponseError("response is nested too deeply to read", vendor=vendor) from None
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "unknown content type")
        raise ProviderResponseError(f"response is not JSON (HTTP {response.status_code}, {kind})",
                                    vendor=vendor) from exc


def _declared_length(response: requests.Response) -> int | None:
    try:
        return int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None


def _read_up_to(response: requests.Response, limit: int) -> bytes:
    buffer = bytearray()
    for chunk in response.iter_content(CHUNK):
        buffer += chunk
        if len(buffer) >= limit:
            break
    return bytes(buffer)
