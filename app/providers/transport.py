"""Send one prompt to one vendor: deadline-bound timeouts, tenacity retries, error translation."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import requests
import tenacity
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from .base import Adapter, Completion, HttpCall, PromptRequest
from .errors import (ProviderCancelled, ProviderConnectionError, ProviderError, ProviderResponseError,
                     ProviderTimeout)
from .failures import http_error


class _VendorWait(wait_base):
    """Wait as long as the vendor asked (Retry-After), else back off exponentially with jitter."""

    def __init__(self) -> None:
        self.backoff = wait_exponential_jitter(multiplier=0.25, max=4, jitter=0.25)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        asked = getattr(retry_state.outcome.exception(), "retry_after", None)
        return asked if asked is not None else self.backoff(retry_state)


class _StopBeforeDeadline(stop_base):
    """Stop when the coming wait would end past the deadline (tenacity computes the wait first),
    or when the caller has gone (a streaming client disconnected)."""

    def __init__(self, deadline: float, cancel: threading.Event | None) -> None:
        self.deadline = deadline
        self.cancel = cancel

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            return True
        return time.monotonic() + (retry_state.upcoming_sleep or 0.0) >= self.deadline


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _sleep(seconds: float) -> None:
    # Looked up at call time so tests can patch tenacity.nap.sleep.
    tenacity.nap.sleep(seconds)


def send(adapter: Adapter, request: PromptRequest, session: requests.Session, *, deadline: float,
         connect_timeout: float = 3.05, max_retries: int = 2, read_timeout: float | None = None,
         cancel: threading.Event | None = None) -> Completion:
    """Send the request, retrying retryable failures while the deadline allows; raise ProviderError.

    The Completion (or the ProviderError) carries ``attempts``, the HTTP attempts made. A set
    ``cancel`` event stops further retries.
    """
    call = adapter.build(request)
    retrying = Retrying(
        retry=retry_if_exception(_is_retryable),
        wait=_VendorWait(),
        stop=stop_after_attempt(max_retries + 1) | _StopBeforeDeadline(deadline, cancel),
        # A backoff sleep ends early when the caller goes away; the next attempt then refuses.
        sleep=cancel.wait if cancel is not None else _sleep,
        reraise=True,  # the caller wants the last ProviderError, not tenacity's RetryError
    )
    try:
        completion = retrying(_attempt, adapter, call, session, deadline, connect_timeout, read_timeout, cancel)
    except ProviderError as exc:
        exc.attempts = retrying.statistics.get("attempt_number", 1)
        raise
    return replace(completion, attempts=retrying.statistics.get("attempt_number", 1))


def _attempt(adapter: Adapter, call: HttpCall, session: requests.Session, deadline: float,
             connect_timeout: float, read_timeout: float | None, cancel: threading.Event | None) -> Completion:
    if cancel is not None and cancel.is_set():
        raise ProviderCancelled("the client went away; call not made", vendor=adapter.vendor.key)
    try:
        response = _post(adapter, call, session, deadline, connect_timeout, read_timeout)
        if response.status_code >= 400:
            raise http_error(adapter, response)
        return adapter.parse(_json(adapter, response))
    except ProviderError as exc:
        exc.redact_secrets(adapter.secrets)  # vendors sometimes echo the key they rejected
        raise


def _post(adapter: Adapter, call: HttpCall, session: requests.Session, deadline: float,
          connect_timeout: float, read_timeout: float | None) -> requests.Response:
    vendor = adapter.vendor.key
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderTimeout("deadline passed before the request could be sent", vendor=vendor)
    read = min(read_timeout or remaining, remaining)
    try:
        return session.request(call.method, call.url, headers=call.headers, data=call.body,
                               timeout=(min(connect_timeout, remaining), read))
    except requests.exceptions.ConnectTimeout as exc:
        # Nothing reached the vendor, so trying again cannot bill twice.
        raise ProviderTimeout(f"could not connect within {connect_timeout:g}s", vendor=vendor,
                              retryable=True) from exc
    except requests.exceptions.Timeout as exc:
        raise ProviderTimeout(f"no response within {read:.1f}s", vendor=vendor) from exc
    except requests.exceptions.RequestException as exc:
        raise ProviderConnectionError(_reason(exc), vendor=vendor) from exc


def _json(adapter: Adapter, response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError as exc:
        kind = response.headers.get("Content-Type", "unknown content type")
        raise ProviderResponseError(f"response is not JSON (HTTP {response.status_code}, {kind})",
                                    vendor=adapter.vendor.key) from exc


def _reason(exc: requests.exceptions.RequestException) -> str:
    detail = " ".join(str(exc).split())[:200]
    return f"connection failed: {type(exc).__name__}" + (f" ({detail})" if detail else "")
