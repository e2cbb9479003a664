"""The provider layer's exception tree: every vendor failure becomes one of these."""
from __future__ import annotations

from typing import Any

from app.redaction import redact


class ProviderError(Exception):
    """A call to a vendor failed; ``message`` is safe to show (keys redacted)."""

    kind = "provider_error"
    default_retryable = False
    # What a stream had sent when it broke off (a Completion): the vendor likely bills those tokens.
    partial: Any = None

    def __init__(self, message: str, *, vendor: str, status: int | None = None,
                 retryable: bool | None = None, retry_after: float | None = None):
        self.vendor = vendor
        self.status = status
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.attempts = 1  # set by the transport: HTTP attempts made before giving up
        self.message = redact(message)
        super().__init__(self.message)

    def redact_secrets(self, secrets: tuple[str, ...]) -> None:
        """Scrub the given secret values from the message (vendors sometimes echo keys)."""
        self.message = redact(self.message, secrets)
        self.args = (self.message,)

    def to_dict(self) -> dict[str, Any]:
        """Return the API's per-item ``error`` object."""
        return {"type": self.kind, "message": self.message, "status": self.status,
                "retryable": self.retryable, "retry_after": self.retry_after}

    def __str__(self) -> str:
        return f"{self.vendor}: {self.message}"


class ProviderHTTPError(ProviderError):
    """The vendor answered with an HTTP error status."""

    kind = "http_error"


class ProviderTimeout(ProviderError):
    """The vendor did not answer before the deadline."""

    kind = "timeout"


class ProviderConnectionError(ProviderError):
    """The connection failed or was reset before a complete answer arrived."""

    kind = "connection_error"
    default_retryable = True


class ProviderResponseError(ProviderError):
    """The vendor answered 2xx, but with a body we cannot read."""

    kind = "bad_response"


class ProviderResponseTooLarge(ProviderResponseError):
    """The vendor's answer is larger than PROVIDER_MAX_RESPONSE_BYTES; the rest was not read."""

    kind = "response_too_large"


class ProviderStreamError(ProviderError):
    """The vendor reported an error inside its stream (after a 2xx status), e.g. overloaded."""

    kind = "stream_error"


class ProviderCancelled(ProviderError):
    """The caller went away (a streaming client disconnected) before this attempt."""

    kind = "cancelled"


class ProviderNotConfigured(ProviderError):
    """The vendor has no credentials (or address) configured."""

    kind = "not_configured"
