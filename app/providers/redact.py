"""Scrub secrets from text that may reach a user or a log."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"

# Settings fields that hold credentials; their values are scrubbed verbatim.
SECRET_FIELDS = ("api_key", "secret_access_key", "session_token", "bearer_token", "access_key_id")

# Key shapes worth catching even when we were never told the value (a vendor echoing
# another key, a key pasted into a prompt): OpenAI/Anthropic/OpenRouter "sk-...",
# Google "AIza...", AWS access key ids, Bearer tokens, and key=... in query strings.
_PATTERNS = (
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}"), r"\1" + MASK),
    (re.compile(r"(?i)([?&](?:key|api[_-]?key|access_token|token)=)[^&\s\"'#]+"), r"\1" + MASK),
)


def secrets_of(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the secret values held in a vendor's settings, longest first."""
    values = [str(settings[f]) for f in SECRET_FIELDS if settings.get(f)]
    # Very short values would mangle ordinary words; real keys are long.
    return tuple(sorted((v for v in values if len(v) >= 6), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace known secret values and key-shaped strings with a mask."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
