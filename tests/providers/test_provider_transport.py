"""Every failure a vendor can produce comes out of ``send`` as the right ProviderError."""
from __future__ import annotations

import email.utils
import time

import pytest
import requests
import responses

from app.providers.errors import (ProviderConnectionError, ProviderError, ProviderHTTPError,
                                  ProviderResponseError, ProviderTimeout)
from app.providers.transport import send
from tests.fakes.dialects import Exchange, error, reply
from tests.providers.cases import ERROR_DIALECT, adapter_for, prompt_for

VENDOR_KEYS = list(ERROR_DIALECT)


class Case:
    """One vendor's adapter, request and URL, with helpers to queue replies on ``responses``."""

    def __init__(self, vendor_key: str, mock: responses.RequestsMock):
        self.key, self.mock = vendor_key, mock
        self.adapter = adapter_for(vendor_key)
        self.request = prompt_for(vendor_key)
        self.url = self.adapter.build(self.request).url
        self.dialect = ERROR_DIALECT[vendor_key]

    def ok(self) -> None:
        ex = Exchange(self.dialect, self.request.model, self.request.prompt, self.request.max_tokens)
        self.mock.add(responses.POST, self.url, json=reply(ex, "2, 3 and 5.", 5, False))

    def fail(self, status: int, message: str = "Something went wrong", headers: dict | None = None) -> None:
        extra, body = error(self.dialect, status, message)
        self.mock.add(responses.POST, self.url, json=body, status=status, headers={**extra, **(headers or {})})

    def send(self, session: requests.Session, **kwargs):
        kwargs.setdefault("deadline", time.monotonic() + 30)
        return send(self.adapter, self.request, session, **kwargs)

    @property
    def calls(self) -> int:
        return len(self.mock.calls)


@pytest.fixture(params=VENDOR_KEYS)
def case(request):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Case(request.param, mock)


def test_success_parses_text_and_usage(case, session):
    case.ok()
    completion = case.send(session)
    assert completion.text == "2, 3 and 5."
    assert completion.usage.output_tokens == 5 and completion.usage.input_tokens > 0


def test_400_is_not_retried_and_keeps_the_vendor_message(case, session, sleeps):
    case.fail(400, "max_tokens: must be at most 8192")
    with pytest.raises(ProviderHTTPError) as info:
        case.send(session)
    err = info.value
    assert (err.status, err.retryable, err.vendor, case.calls, sleeps) == (400, False, case.key, 1, [])
    assert "max_tokens: must be at most 8192" in err.message
    assert err.to_dict() == {"type": "http_error", "message": err.message, "status": 400,
                             "retryable": False, "retry_after": None}


def test_401_never_leaks_the_key_even_when_echoed(case, session, sleeps):
    secret = case.adapter.secrets[0]
    case.fail(401, f"Incorrect API key provided: {secret}. Header was 'Bearer {secret}'.")
    with pytest.raises(ProviderHTTPError) as info:
        case.send(session)
    err = info.value
    for text in (err.message, str(err), repr(err), str(err.to_dict())):
        assert secret not in text
    assert "[REDACTED]" in err.message and err.status == 401 and not err.retryable


def test_429_waits_the_retry_after_then_succeeds(case, session, sleeps):
    case.fail(429, "Rate limit reached", headers={"Retry-After": "2"})
    case.ok()
    completion = case.send(session)
    assert completion.text == "2, 3 and 5."
    assert case.calls == 2 and sleeps == [2.0]
    assert completion.attempts == 2


def test_retry_after_ms_and_http_dates_are_honoured(case, session, sleeps):
    case.fail(429, "slow down", headers={"retry-after-ms": "1500"})
    later = email.utils.formatdate(time.time() + 3, usegmt=True)
    case.fail(503, "unavailable", headers={"Retry-After": later})
    case.ok()
    case.send(session)
    assert sleeps[0] == 1.5 and 1.0 <= sleeps[1] <= 3.0 and case.calls == 3


def test_500_is_retried_with_backoff_then_given_up(case, session, sleeps):
    for _ in range(3):
        case.fail(500, "Internal server error")
    with pytest.raises(ProviderHTTPError) as info:
        case.send(session, max_retries=2)
    assert info.value.status == 500 and info.value.retryable
    assert case.calls == 3 and len(sleeps) == 2 and info.value.attempts == 3
    assert all(0.25 <= s <= 4.25 for s in sleeps)


def test_a_set_cancel_event_stops_retrying(case, session, sleeps):
    import threading

    cancel = threading.Event()
    cancel.set()   # the streaming client has gone
    case.fail(503, "unavailable")
    case.ok()
    with pytest.raises(ProviderError) as info:
        case.send(session, cancel=cancel)
    assert case.calls == 0 and sleeps == [] and info.value.kind == "cancelled"


def test_cancel_during_a_backoff_ends_the_wait_and_the_retries(case, session):
    import threading

    cancel = threading.Event()
    case.fail(503, "unavailable", headers={"Retry-After": "30"})
    case.ok()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        case.send(session, cancel=cancel, deadline=time.monotonic() + 60)
    assert time.monotonic() - started < 2 and case.calls == 1
    assert info.value.kind == "cancelled" and info.value.attempts == 2


def test_first_try_success_counts_one_attempt(case, session):
    case.ok()
    assert case.send(session).attempts == 1


def test_529_overloaded_is_retryable(case, session, sleeps):
    case.fail(529, "Overloaded")
    case.ok()
    assert case.send(session).text == "2, 3 and 5."
    assert case.calls == 2


def test_no_retry_when_the_wait_would_cross_the_deadline(case, session, sleeps):
    case.fail(429, "Rate limit reached", headers={"Retry-After": "60"})
    with pytest.raises(ProviderHTTPError) as info:
        case.send(session, deadline=time.monotonic() + 5)
    assert info.value.retry_after == 60.0 and case.calls == 1 and sleeps == []


def test_read_timeout_becomes_provider_timeout_without_retry(case, session, sleeps):
    case.mock.add(responses.POST, case.url, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderTimeout) as info:
        case.send(session)
    assert isinstance(info.value.__cause__, requests.exceptions.ReadTimeout)
    assert case.calls == 1 and info.value.to_dict()["type"] == "timeout"


def test_connect_timeout_is_retried(case, session, sleeps):
    case.mock.add(responses.POST, case.url, body=requests.exceptions.ConnectTimeout("connect timed out"))
    case.ok()
    assert case.send(session).text == "2, 3 and 5." and case.calls == 2


def test_connection_reset_is_retryable(case, session, sleeps):
    for _ in range(3):
        case.mock.add(responses.POST, case.url,
                      body=requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104))"))
    with pytest.raises(ProviderConnectionError) as info:
        case.send(session)
    assert info.value.retryable and case.calls == 3
    assert isinstance(info.value.__cause__, requests.exceptions.ConnectionError)


def test_malformed_json_is_a_response_error(case, session, sleeps):
    case.mock.add(responses.POST, case.url, body='{"choices": [', content_type="application/json")
    with pytest.raises(ProviderResponseError) as info:
        case.send(session)
    assert "not JSON" in info.value.message and case.calls == 1 and not info.value.retryable


def test_html_error_page_gives_a_short_clean_message(case, session, sleeps):
    page = ("<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>"
            "<body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>")
    case.mock.add(responses.POST, case.url, body=page, status=502, content_type="text/html")
    with pytest.raises(ProviderHTTPError) as info:
        case.send(session, max_retries=0)
    assert info.value.message == "502 Bad Gateway" and info.value.status == 502 and info.value.retryable


def test_json_of_the_wrong_shape_is_a_response_error(case, session, sleeps):
    case.mock.add(responses.POST, case.url, json={"result": "ok", "data": [1, 2]})
    with pytest.raises(ProviderResponseError) as info:
        case.send(session)
    assert info.value.message.startswith("unexpected response shape") and case.calls == 1


def test_sends_exactly_the_built_request(case, session):
    case.ok()
    case.send(session)
    sent = case.mock.calls[0].request
    built = case.adapter.build(case.request)
    assert sent.body == built.body and sent.url == built.url
    for name, value in built.headers.items():
        assert sent.headers[name] == value


class _RecordingSession(requests.Session):
    def request(self, *args, **kwargs):
        self.timeout = kwargs["timeout"]
        raise requests.exceptions.ReadTimeout("stop here")


def test_timeouts_never_exceed_the_remaining_time():
    session = _RecordingSession()
    adapter = adapter_for("openai")
    with pytest.raises(ProviderTimeout):
        send(adapter, prompt_for("openai"), session, deadline=time.monotonic() + 1.5, connect_timeout=3.05)
    connect, read = session.timeout
    assert connect <= 1.5 and read <= 1.5


def test_passed_deadline_fails_without_sending():
    session = _RecordingSession()
    with pytest.raises(ProviderTimeout):
        send(adapter_for("openai"), prompt_for("openai"), session, deadline=time.monotonic() - 1)
    assert not hasattr(session, "timeout")


def test_errors_are_provider_errors_with_the_vendor(case, session, sleeps):
    case.fail(404, "The model does not exist")
    with pytest.raises(ProviderError) as info:
        case.send(session)
    assert info.value.vendor == case.key and str(info.value).startswith(f"{case.key}: ")
