"""Request ids: taken from X-Request-ID when it is short and printable, else generated."""
from __future__ import annotations

import os
import re

from flask import g, has_app_context

HEADER = "X-Request-ID"
ENVIRON_KEY = "price_runner.request_id"
MAX_LENGTH = 128
_PRINTABLE = re.compile(rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}")   # visible ASCII, no spaces or controls


def accept_or_generate(candidate: str | None) -> str:
    """Return the client's id when it is valid, else a new one (32 hex digits, like nginx's)."""
    if candidate is not None and _PRINTABLE.fullmatch(candidate):
        return candidate
    return os.urandom(16).hex()


def current_request_id() -> str | None:
    """Return the id of the request being served (views only; pass it to worker threads)."""
    return g.get("request_id") if has_app_context() else None
