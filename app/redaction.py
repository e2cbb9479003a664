"""Scrub secrets from text that may reach a user or a log: the values we hold, and key shapes."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 6   # shorter values would mangle ordinary words; real keys are long

# Settings fields that hold credentials; their values are scrubbed verbatim.
SECRET_FIELDS = ("api_key", "secret_access_key", "session_token", "bearer_token", "access_key_id")

# Key shapes worth catching even when we were never told the value (a vendor echoing
# another key, a key pasted into a prompt): OpenAI/Anthropic/OpenRouter "sk-...",
# Google "AIza...", AWS access key ids, Bearer tokens, and key=... in query strings.
# Each pattern has its literal trigger (lower-cased) so that Redactor can skip the regexes on
# lines that cannot match: tests/observability checks every pattern against its trigger.
_PATTERNS = (
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), MASK, "sk-"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), MASK, "aiza"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK, ("akia", "asia")),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}"), r"\1" + MASK, "bearer"),
    (re.compile(r"(?i)([?&](?:key|api[_-]?key|access_token|token)=)[^&\s\"'#]+"), r"\1" + MASK,
     ("key=", "token=")),
)
PATTERN_TRIGGERS = tuple(t for *_, trig in _PATTERNS for t in ((trig,) if isinstance(trig, str) else trig))


def secrets_of(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the secret values held in a vendor's settings, longest first."""
    values = [str(settings[f]) for f in SECRET_FIELDS if settings.get(f)]
    return tuple(sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace known secret values and key-shaped strings with a mask."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement, _ in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redactor:
    """Replace known secrets (raw or JSON-escaped) and key-shaped strings with a mask (log lines)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Scrub these values too (packages register what they load, after logging is set up)."""
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        values |= {json.dumps(s)[1:-1] for s in values}   # as they appear inside a JSON string
        self._secrets = tuple(sorted(set(self._secrets) | values, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        # The key patterns cost ~35 us per line; a line with none of their literal parts skips them.
        lowered = text.lower()
        if any(secret in text for secret in self._secrets) or any(t in lowered for t in PATTERN_TRIGGERS):
            return redact(text, self._secrets)
        return text


REDACTOR = "redaction"   # app.extensions key: the app's Redactor, which its log lines pass through


def redactor_of(app: Any) -> Redactor:
    """Return the app's Redactor (created on first use)."""
    return app.extensions.setdefault(REDACTOR, Redactor())


def hold(app: Any, values: Iterable[str]) -> None:
    """Register secret values an init_app loaded, so that log lines never show them."""
    redactor_of(app).add(values)
