"""A total deadline and a byte cap on real sockets: what a dripping or oversized vendor costs."""
from __future__ import annotations

import json
import threading
import time

import pytest

from app.providers.errors import (ProviderCancelled, ProviderResponseError, ProviderResponseTooLarge,
                                  ProviderTimeout)
from app.providers.sessions import new_session
from app.providers.transport import send
from app.providers.watchdog import WATCHDOG
from tests.fakes.server import FakeVendorServer
from tests.providers.cases import adapter_for, prompt_for


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.reset()


@pytest.fixture
def openai(fake):
    return adapter_for("openai", base_url=fake.url + "/v1")


def call(adapter, model, **kwargs):
    kwargs.setdefault("deadline", time.monotonic() + 5)
    return send(adapter, prompt_for("openai", model=model), new_session(), max_retries=0, **kwargs)


@pytest.mark.parametrize("drip_from", ["status", "body"])
def test_a_dripping_answer_is_cut_at_the_deadline(fake, openai, drip_from):
    # Each byte comes 20 ms after the last, far inside any read timeout: the whole answer
    # (about 500 bytes) would take some 10 s.
    fake.behave("dripper", drip=0.02, drip_from=drip_from)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as info:
        call(openai, "dripper", deadline=started + 0.5)
    assert 0.5 <= time.monotonic() - started < 0.9
    assert "deadline" in info.value.message and not info.value.retryable


def test_a_drip_is_a_complete_answer_for_whoever_waits(fake, openai):
    fake.behave("patient", drip=0.001)   # the double's drip is slow, not broken
    completion = call(openai, "patient", deadline=time.monotonic() + 10)
    assert completion.text == "Echo from patient: Answer briefly. Name three primes." and completion.usage


def test_a_call_that_finishes_is_left_alone(fake, openai):
    session = new_session()
    for _ in range(2):   # the second call reuses the kept-alive connection after the first deadline
        completion = send(openai, prompt_for("openai", model="quick"), session,
                          deadline=time.monotonic() + 0.2, max_retries=0)
        assert completion.text.startswith("Echo from quick")
        time.sleep(0.3)


def test_cancel_cuts_a_running_call_at_once(fake, openai):
    fake.behave("hanger", hang=True)
    cancel, raised = threading.Event(), []

    def run():
        try:
            call(openai, "hanger", deadline=time.monotonic() + 10, cancel=cancel)
        except Exception as exc:   # noqa: BLE001 - the test inspects it
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    cancel.set()
    WATCHDOG.cancel(cancel)
    worker.join(2)
    assert not worker.is_alive() and time.monotonic() - started < 0.5
    assert isinstance(raised[0], ProviderCancelled)


def test_a_body_past_the_cap_is_refused_by_its_content_length(fake, openai):
    fake.behave("big", body=b'{"pad": "' + b"x" * 200_000 + b'"}')
    with pytest.raises(ProviderResponseTooLarge) as info:
        call(openai, "big", max_response_bytes=100_000)
    assert info.value.kind == "response_too_large" and "200011 bytes" in info.value.message


def test_a_chunked_body_past_the_cap_is_read_no_further(fake, openai):
    fifty_mb = b'{"pad": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    fake.behave("huge", body=fifty_mb, chunked=True)
    started = time.monotonic()
    with pytest.raises(ProviderResponseTooLarge):
        call(openai, "huge", max_response_bytes=1024 * 1024)
    assert time.monotonic() - started < 2
    time.sleep(0.2)
    assert fake.body_bytes_sent("huge") < 20 * 1024 * 1024   # the rest never left the fake


def test_a_body_at_the_cap_is_read(fake, openai):
    body = json.dumps({"choices": [{"message": {"content": "fits"}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 1, "completion_tokens": 1}}).encode()
    fake.behave("exact", body=body, chunked=True)
    assert call(openai, "exact", max_response_bytes=len(body)).text == "fits"


@pytest.mark.parametrize("body,message", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"choices": [' * 1, "not JSON"),
    (b"\xff\xfe not utf-8", "not JSON"),
])
def test_a_body_we_cannot_read_is_a_bad_response(fake, openai, body, message):
    fake.behave("odd", body=body)
    with pytest.raises(ProviderResponseError) as info:
        call(openai, "odd")
    assert info.value.kind == "bad_response" and message in info.value.message
