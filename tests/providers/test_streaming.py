"""open_stream against the fake vendors on loopback: every dialect, and each limit of a stream."""
from __future__ import annotations

import json
import threading
import time

import pytest

from app.providers.errors import (ProviderCancelled, ProviderConnectionError, ProviderHTTPError,
                                  ProviderResponseError, ProviderResponseTooLarge, ProviderStreamError,
                                  ProviderTimeout)
from app.providers.sessions import new_session
from app.providers.streaming import StreamLimits, open_stream
from app.providers.watchdog import WATCHDOG
from tests.fakes.dialects import pieces
from tests.fakes.server import FakeVendorServer
from tests.providers.cases import adapter_for, prompt_for

ADDRESS_SETTING = {"openai": "base_url", "mistral": "base_url", "anthropic": "base_url", "google": "base_url",
                   "bedrock": "endpoint_url", "azure": "endpoint"}
TEXT = "one two three four five six"


@pytest.fixture(scope="module")
def fake():
    with FakeVendorServer() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake):
    fake.reset()


def adapter_at(fake, vendor_key):
    suffix = "/v1" if vendor_key in ("openai", "mistral") else ""
    return adapter_for(vendor_key, **{ADDRESS_SETTING[vendor_key]: fake.url + suffix})


def limits(first_token=5.0, **changes):
    return StreamLimits(first_token_deadline=time.monotonic() + first_token, **{"max_retries": 0, **changes})


def stream(fake, vendor_key="openai", model=None, **changes):
    return open_stream(adapter_at(fake, vendor_key), prompt_for(vendor_key, **({"model": model} if model else {})),
                       new_session(), limits(**changes))


@pytest.mark.parametrize("vendor_key", ADDRESS_SETTING)
def test_every_dialect_streams_its_words_then_the_completion_with_the_streams_usage(fake, vendor_key):
    fake.behave("*", text=TEXT)
    tokens = stream(fake, vendor_key)
    assert list(tokens) == pieces(TEXT)
    completion = tokens.completion
    assert completion.text == TEXT and completion.usage.output_tokens == 6 and completion.usage.input_tokens > 0
    assert completion.finish_reason in {"stop", "end_turn", "STOP"}
    recorded = fake.requests[0]
    assert recorded.path.split("?")[0].endswith(("/chat/completions", "/v1/messages", ":streamGenerateContent",
                                                 "/converse-stream"))


def test_tokens_arrive_as_the_vendor_sends_them(fake):
    fake.behave("*", text=TEXT, tick=0.2)
    started = time.monotonic()
    tokens = stream(fake)
    arrivals = [(time.monotonic() - started, text) for text in tokens]
    assert arrivals[0][0] < 0.5 and arrivals[-1][0] >= 1.0   # the first word long before the last
    assert tokens.completion.text == TEXT


def test_no_first_token_within_the_deadline_is_a_timeout_raised_by_open_stream(fake):
    fake.behave("*", stall_after=1)   # headers and the role chunk, then nothing
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match="first token"):
        stream(fake, first_token=0.5)
    assert 0.5 <= time.monotonic() - started < 1.0


def test_a_gap_longer_than_the_idle_timeout_mid_answer_is_cut(fake):
    fake.behave("*", text=TEXT, stall_after=3)
    tokens = stream(fake, idle_timeout=0.4)
    got, started = [], time.monotonic()
    with pytest.raises(ProviderTimeout, match="STREAM_IDLE_TIMEOUT"):
        for text in tokens:
            got.append(text)
    assert got == pieces(TEXT)[:2] and 0.4 <= time.monotonic() - started < 0.9


def test_a_steady_stream_longer_than_the_max_duration_is_cut(fake):
    fake.behave("*", text=" ".join(["word"] * 50), tick=0.05)
    tokens = stream(fake, idle_timeout=1.0, max_duration=0.6)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match="STREAM_MAX_DURATION"):
        list(tokens)
    assert time.monotonic() - started < 0.9


def test_the_first_token_deadline_does_not_cut_a_long_answer(fake):
    fake.behave("*", text=" ".join(["word"] * 12), tick=0.1)
    tokens = stream(fake, first_token=0.5, idle_timeout=0.5)
    assert len(list(tokens)) == 12   # 1.1 s in all: past the first-token deadline, each gap within idle


@pytest.mark.parametrize("vendor_key", ADDRESS_SETTING)
def test_a_stream_that_ends_without_its_terminator_is_an_error_not_a_short_answer(fake, vendor_key):
    fake.behave("*", text=TEXT, cut_after=4)
    tokens = stream(fake, vendor_key)
    with pytest.raises(ProviderConnectionError, match="incomplete"):
        list(tokens)
    assert tokens.completion is None


@pytest.mark.parametrize("vendor_key", ADDRESS_SETTING)
def test_an_error_event_after_tokens_is_raised_in_stream(fake, vendor_key):
    fake.behave("*", text=TEXT, error_after=4)
    tokens = stream(fake, vendor_key)
    with pytest.raises(ProviderStreamError, match="Fake stream failure"):
        list(tokens)


def test_a_retryable_error_before_the_first_token_is_retried(fake, sleeps):
    fake.behave("*", text=TEXT, error_after=1)   # message_start, then "overloaded": every time
    with pytest.raises(ProviderStreamError) as caught:
        open_stream(adapter_at(fake, "anthropic"), prompt_for("anthropic"), new_session(),
                    limits(max_retries=2))
    assert caught.value.attempts == 3 and caught.value.retryable
    assert len(fake.requests) == 3 and len(sleeps) == 2


def test_an_error_after_the_first_token_is_not_retried(fake, sleeps):
    fake.behave("*", text=TEXT, error_after=5)
    tokens = open_stream(adapter_at(fake, "anthropic"), prompt_for("anthropic"), new_session(),
                         limits(max_retries=2))
    with pytest.raises(ProviderStreamError):
        list(tokens)
    assert len(fake.requests) == 1 and sleeps == []


def test_http_errors_before_the_stream_keep_the_vendors_message(fake):
    fake.behave("*", status=429, retry_after=0)
    with pytest.raises(ProviderHTTPError) as caught:
        stream(fake, "anthropic")
    assert caught.value.status == 429 and "rate_limit_error" in caught.value.message


@pytest.mark.parametrize("chunks, error", [
    ([b"data: {not json}\n\n"], ProviderResponseError),
    ([b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n', b"data: " + b"x" * 5000 + b"\n\n"],
     ProviderResponseTooLarge),
])
def test_malformed_and_oversized_events_are_errors(fake, chunks, error):
    fake.behave("*", chunks=chunks)
    with pytest.raises(error):
        list(stream(fake, max_response_bytes=4096))


def test_an_answer_longer_than_the_response_cap_stops(fake):
    fake.behave("*", text=" ".join(["w" * 30] * 60))   # 60 words (max_tokens is 64), 1860 characters
    with pytest.raises(ProviderResponseTooLarge, match="PROVIDER_MAX_RESPONSE_BYTES"):
        list(stream(fake, max_response_bytes=1000))


def test_a_non_stream_content_type_is_a_bad_response(fake):
    fake.behave("*", garbage=True)
    with pytest.raises(ProviderResponseError, match="expected text/event-stream"):
        stream(fake)


def test_cancelling_cuts_a_running_stream_at_once(fake):
    fake.behave("*", text=TEXT, stall_after=2)
    cancel = threading.Event()
    tokens = open_stream(adapter_at(fake, "openai"), prompt_for("openai"), new_session(),
                         limits(idle_timeout=10), cancel)
    threading.Timer(0.2, lambda: (cancel.set(), WATCHDOG.cancel(cancel))).start()
    started = time.monotonic()
    with pytest.raises(ProviderCancelled):
        list(tokens)
    assert time.monotonic() - started < 1.0


def test_closing_a_stream_early_releases_it(fake):
    fake.behave("*", text=" ".join(["word"] * 100), tick=0.05)
    tokens = stream(fake)
    next(tokens)
    tokens.close()
    assert tokens.completion is None and fake.requests


def test_a_body_that_stays_open_after_its_end_marker_completes_after_a_short_grace(fake):
    from tests.fakes.dialects import Exchange, stream_chunks
    chunks = stream_chunks(Exchange("openai", "m", "hi", 64, True, True), TEXT, 6, False) + [b": never sent\n\n"]
    fake.behave("*", chunks=chunks, stall_after=len(chunks) - 1)
    started = time.monotonic()
    tokens = stream(fake, idle_timeout=10)
    assert "".join(tokens) == TEXT and tokens.completion.usage.output_tokens == 6
    assert time.monotonic() - started < 2   # END_GRACE_S, not the 10 s idle timeout


def _tool_chunk(call: dict) -> bytes:
    return b"data: " + json.dumps({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}).encode() + b"\n\n"


def test_tool_call_names_and_ids_count_against_the_response_cap(fake):
    # Each piece repeats a long name and id with no arguments: only these fill the answer.
    flood = [_tool_chunk({"index": 0, "id": "i" * 900, "type": "function", "function": {"name": "n" * 900}})] * 20
    fake.behave("*", chunks=flood + [b"data: [DONE]\n\n"])
    with pytest.raises(ProviderResponseTooLarge, match="PROVIDER_MAX_RESPONSE_BYTES"):
        list(stream(fake, max_response_bytes=8192))


def test_streamed_tool_arguments_that_are_not_text_become_json_text(fake):
    fake.behave("*", chunks=[
        _tool_chunk({"index": 0, "id": "c1", "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}),
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n', b"data: [DONE]\n\n"])
    tokens = stream(fake)
    deltas = list(tokens)
    assert deltas[0].tool_calls[0]["function"]["arguments"] == '{"city":"Paris"}'
    assert tokens.completion.tool_calls[0]["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}


def test_a_streamed_tool_name_that_is_not_text_is_an_error(fake):
    fake.behave("*", chunks=[_tool_chunk({"index": 0, "id": "c1", "type": "function", "function": {"name": 7}}),
                             b"data: [DONE]\n\n"])
    with pytest.raises(ProviderResponseError, match="name is not a string"):
        list(stream(fake))


def test_keep_alive_comments_after_the_first_token_do_not_reset_the_idle_timer(fake):
    token = b'data: {"choices":[{"index":0,"delta":{"content":"one"}}]}\n\n'
    fake.behave("*", chunks=[token] + [b": keep-alive\n\n"] * 30 + [b"data: [DONE]\n\n"], tick=0.1)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match="STREAM_IDLE_TIMEOUT"):
        list(stream(fake, idle_timeout=0.5))
    assert time.monotonic() - started < 1.5
