"""A minimal AWS event-stream frame encoder, for the fake Bedrock only.

No maintained encoder fits: botocore only parses, and AWS's smithy event-stream package needs
Python 3.12. The format is small (prelude of total and header lengths with its CRC32, typed
headers, payload, CRC32 of all before it), and tests prove every frame built here is one
botocore's own parser (``EventStreamBuffer``) accepts, CRCs included.
"""
from __future__ import annotations

import json
import struct
import zlib
from typing import Any

STRING = 7   # the header value type for UTF-8 strings, the only one Bedrock's stream uses


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """Encode one message: prelude, prelude CRC, headers, payload, message CRC."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    head = prelude + struct.pack(">I", zlib.crc32(prelude))
    body = head + encoded + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", STRING, len(raw_value))
            + raw_value)


def event(kind: str, data: dict[str, Any]) -> bytes:
    """Encode a ConverseStream event (messageStart, contentBlockDelta, messageStop, metadata...)."""
    return frame({":event-type": kind, ":content-type": "application/json", ":message-type": "event"},
                 json.dumps(data, separators=(",", ":")).encode())


def exception(kind: str, message: str) -> bytes:
    """Encode a modelled exception frame (throttlingException, modelStreamErrorException...)."""
    return frame({":exception-type": kind, ":content-type": "application/json", ":message-type": "exception"},
                 json.dumps({"message": message}).encode())
