"""Send one prompt to one vendor: a total deadline, a capped body, tenacity retries, error translation."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import requests
import tenacity
import urllib3
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from .base import Adapter, Completion, HttpCall, PromptRequest
from .body import decode_json, read_body, read_error_text
from .errors import ProviderCancelled, ProviderConnectionError, ProviderError, ProviderTimeout
from .failures import http_error
from .sessions import environment_proxies
from .watchdog import CANCELLED, DEADLINE, WATCHDOG, Guard

DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024   # PROVIDER_MAX_RESPONSE_BYTES' default


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
         cancel: threading.Event | None = None,
         max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> Completion:
    """Send the request, retrying retryable failures while the deadline allows; raise ProviderError.

    The deadline is total: the watchdog cuts the connection when it passes (or when ``cancel``
    is cut by the dispatcher), however slowly the vendor sends. The Completion (or the
    ProviderError) carries ``attempts``, the HTTP attempts made. A set ``cancel`` event stops
    further retries.
    """
    call = adapter.build(request)
    retrying = retry_policy(deadline, cancel, max_retries)
    limits = _Limits(deadline, connect_timeout, read_timeout, max_response_bytes)
    try:
        with WATCHDOG.guard(deadline, cancel) as guard:
            completion = retrying(_attempt, adapter, call, session, limits, guard)
    except ProviderError as exc:
        exc.attempts = retrying.statistics.get("attempt_number", 1)
        raise
    return replace(completion, attempts=retrying.statistics.get("attempt_number", 1))


def retry_policy(deadline: float, cancel: threading.Event | None, max_retries: int) -> Retrying:
    """Retry retryable ProviderErrors, waiting as the vendor asks, never past the deadline or a cancel."""
    return Retrying(
        retry=retry_if_exception(_is_retryable),
        wait=_VendorWait(),
        stop=stop_after_attempt(max_retries + 1) | _StopBeforeDeadline(deadline, cancel),
        # A backoff sleep ends early when the caller goes away; the next attempt then refuses.
        sleep=cancel.wait if cancel is not None else _sleep,
        reraise=True,  # the caller wants the last ProviderError, not tenacity's RetryError
    )


@dataclass(frozen=True)
class _Limits:
    deadline: float
    connect_timeout: float
    read_timeout: float | None
    max_response_bytes: int


def _attempt(adapter: Adapter, call: HttpCall, session: requests.Session, limits: _Limits,
             guard: Guard) -> Completion:
    vendor = adapter.vendor.key
    if guard.cancel is not None and guard.cancel.is_set():
        raise ProviderCancelled("the client went away; call not made", vendor=vendor)
    try:
        try:
            with _post(adapter, call, session, limits) as response:
                if response.status_code >= 400:
                    raise http_error(adapter, response, read_error_text(response))
                body = read_body(response, limits.max_response_bytes, vendor)
        except requests.exceptions.RequestException as exc:
            raise _cut(guard, vendor) or _translated(exc, vendor, limits) from exc
        # A cut mid-headers can still parse as a short, "complete" answer: it is not one.
        cut = _cut(guard, vendor)
        if cut is not None:
            raise cut
        return adapter.parse(decode_json(body, response, vendor))
    except ProviderError as exc:
        exc.redact_secrets(adapter.secrets)  # vendors sometimes echo the key they rejected
        raise


def _post(adapter: Adapter, call: HttpCall, session: requests.Session, limits: _Limits) -> requests.Response:
    """Send the call and return once the headers are in; the body is read by the caller, capped."""
    remaining = limits.deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderTimeout("deadline passed before the request could be sent", vendor=adapter.vendor.key)
    read = min(limits.read_timeout or remaining, remaining)
    return session.request(call.method, call.url, headers=call.headers, data=call.body, stream=True,
                           proxies=environment_proxies(call.url),
                           timeout=(min(limits.connect_timeout, remaining), read))


def _cut(guard: Guard, vendor: str) -> ProviderError | None:
    """The error for a call the watchdog cut, or None if it was not cut."""
    if guard.reason == DEADLINE:
        return ProviderTimeout("no complete answer before the request deadline", vendor=vendor)
    if guard.reason == CANCELLED:
        return ProviderCancelled("the client went away; call cut", vendor=vendor)
    return None


def _translated(exc: requests.exceptions.RequestException, vendor: str, limits: _Limits) -> ProviderError:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        # Nothing reached the vendor, so trying again cannot bill twice.
        return ProviderTimeout(f"could not connect within {limits.connect_timeout:g}s", vendor=vendor,
                               retryable=True)
    if isinstance(exc, requests.exceptions.Timeout) or _is_read_timeout(exc):
        return ProviderTimeout("no data from the vendor within the read timeout", vendor=vendor)
    return ProviderConnectionError(_reason(exc), vendor=vendor)


def _is_read_timeout(exc: requests.exceptions.RequestException) -> bool:
    # While the body is read, requests reports urllib3's ReadTimeoutError as a ConnectionError.
    return isinstance(exc.args[0] if exc.args else None, urllib3.exceptions.ReadTimeoutError)


def _reason(exc: requests.exceptions.RequestException) -> str:
    detail = " ".join(str(exc).split())[:200]
    return f"connection failed: {type(exc).__name__}" + (f" ({detail})" if detail else "")
