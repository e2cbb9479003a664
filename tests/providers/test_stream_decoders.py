"""Each dialect's stream decoder on vendor-shaped bodies, in any chunking; the SSE reader's edges."""
from __future__ import annotations

import json

import pytest
from botocore.eventstream import EventStreamBuffer

from app.providers.base import Usage
from app.providers.errors import ProviderResponseError, ProviderResponseTooLarge, ProviderStreamError
from app.providers.sse_reader import ServerSentEvent, SSEReader
from app.providers.stream_events import END, FinishReason, TextDelta, UsageReport
from tests.fakes import eventstream
from tests.providers.cases import adapter_for

# Bodies as the vendors document them (abridged ids), not as our fake writes them.
OPENAI = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    '"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    '"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    '"delta":{"content":" world"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    '"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],'
    '"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":4},'
    '"completion_tokens_details":{"reasoning_tokens":0}}}\n\n'
    'data: [DONE]\n\n').encode()

ANTHROPIC = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",'
    '"content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,'
    '"cache_creation_input_tokens":3,"cache_read_input_tokens":10,"output_tokens":1}}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking",'
    '"thinking":""}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta",'
    '"thinking":"Let me think"}}\n\n'
    'event: ping\ndata: {"type": "ping"}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta",'
    '"text":"Hello"}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta",'
    '"text":"!"}}\n\n'
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":1}\n\n'
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
    '"usage":{"output_tokens":15}}\n\n'
    'event: message_stop\ndata: {"type":"message_stop"}\n\n').encode()

GEMINI = (
    'data: {"candidates": [{"content": {"parts": [{"text": "Hel"}],"role": "model"},"index": 0}],'
    '"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7},"modelVersion": "gemini-2.5-flash"}\r\n\r\n'
    'data: {"candidates": [{"content": {"parts": [{"text": "thinking...", "thought": true}, {"text": "lo"}],'
    '"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 7,"totalTokenCount": 7}}\r\n\r\n'
    'data: {"candidates": [{"content": {"parts": [{"text": "!"}],"role": "model"},"finishReason": "STOP","index": 0}],'
    '"usageMetadata": {"promptTokenCount": 7,"candidatesTokenCount": 3,"thoughtsTokenCount": 5,'
    '"totalTokenCount": 15}}\r\n\r\n').encode()


def bedrock_body() -> bytes:
    return b"".join([
        eventstream.event("messageStart", {"role": "assistant", "p": "abcdefgh"}),
        eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}, "p": "ab"}),
        eventstream.event("contentBlockDelta", {"contentBlockIndex": 0,
                                                "delta": {"reasoningContent": {"text": "hmm"}}}),
        eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " there"}}),
        eventstream.event("contentBlockStop", {"contentBlockIndex": 0}),
        eventstream.event("messageStop", {"stopReason": "end_turn"}),
        eventstream.event("metadata", {"usage": {"inputTokens": 11, "outputTokens": 4, "totalTokens": 15,
                                                 "cacheReadInputTokens": 2}, "metrics": {"latencyMs": 120}}),
    ])


def decoder(vendor_key: str, max_event_bytes: int = 65536):
    return adapter_for(vendor_key).stream_decoder(max_event_bytes)


def decode(vendor_key: str, body: bytes, size: int | None = None) -> list:
    """Feed the body in pieces of ``size`` bytes (all at once when None); return every event."""
    dec = decoder(vendor_key)
    size = size or len(body)
    return [event for start in range(0, len(body), size) for event in dec.feed(body[start:start + size])]


EXPECTED = {
    "openai": (OPENAI, ["Hello", " world"], "stop", Usage(9, 2, 4, 0)),
    "anthropic": (ANTHROPIC, ["Hello", "!"], "end_turn", Usage(38, 15, 10, 0)),
    "google": (GEMINI, ["Hel", "lo", "!"], "STOP", Usage(7, 8, 0, 5)),
    "bedrock": (bedrock_body(), ["Hi", " there"], "end_turn", Usage(13, 4, 2, 0)),
}


@pytest.mark.parametrize("size", [None, 1, 7, 64], ids=["whole", "byte-by-byte", "7-bytes", "64-bytes"])
@pytest.mark.parametrize("vendor_key", EXPECTED)
def test_each_dialect_yields_text_reason_usage_and_its_end(vendor_key, size):
    body, texts, reason, usage = EXPECTED[vendor_key]
    events = decode(vendor_key, body, size)
    assert [e.text for e in events if isinstance(e, TextDelta)] == texts
    assert [e.reason for e in events if isinstance(e, FinishReason)] == [reason]
    assert [e.usage for e in events if isinstance(e, UsageReport)][-1] == usage
    assert END in events


def test_azure_and_the_compatible_vendors_read_openai_chunks():
    for vendor_key in ("azure", "mistral", "groq", "together"):
        assert [e.text for e in decode(vendor_key, OPENAI) if isinstance(e, TextDelta)] == ["Hello", " world"]


def test_groq_usage_in_x_groq_is_read():
    chunk = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
             "x_groq": {"usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}}
    events = decode("groq", f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
    assert UsageReport(Usage(3, 2)) in events


@pytest.mark.parametrize("chunk", [{"choices": [None, 3, "x"]}, {"choices": [{"delta": "text", "finish_reason": 5}]},
                                   {"choices": [{"index": 0, "delta": {"content": ["a"]}}]}])
def test_odd_but_valid_json_chunks_carry_nothing(chunk):
    assert decode("openai", f"data: {json.dumps(chunk)}\n\n".encode()) == []


def test_untrusted_usage_in_a_stream_is_reported_as_unusable_not_zero():
    chunk = {"choices": [], "usage": {"prompt_tokens": -5, "completion_tokens": "two"}}
    assert decode("openai", f"data: {json.dumps(chunk)}\n\n".encode()) == [UsageReport(None)]


@pytest.mark.parametrize("vendor_key, body, retryable", [
    ("openai", b'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n', True),
    ("anthropic", b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
     True),
    ("anthropic", b'event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"no"}}\n\n',
     False),
    ("google", b'data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}\r\n\r\n',
     True),
    ("bedrock", eventstream.exception("throttlingException", "Too many tokens"), True),
    ("bedrock", eventstream.exception("validationException", "Bad input"), False),
])
def test_errors_inside_a_stream_are_the_vendors_own_message(vendor_key, body, retryable):
    with pytest.raises(ProviderStreamError) as caught:
        decode(vendor_key, body)
    assert caught.value.retryable is retryable and caught.value.kind == "stream_error"
    assert caught.value.message.split(": ", 1)[-1] in body.decode("utf-8", "replace")


@pytest.mark.parametrize("vendor_key, body", [
    ("openai", b"data: {not json\n\n"),
    ("openai", b"data: [1, 2]\n\n"),
    ("openai", b'data: {"choices": "none"}\n\n'),
    ("anthropic", b"event: content_block_delta\ndata: <html>\n\n"),
    ("google", b'data: {"candidates": {"a": 1}}\n\n'),
    ("bedrock", eventstream.event("contentBlockDelta", {"delta": {"text": "x"}})[:-1] + b"\x00"),   # CRC broken
    ("bedrock", eventstream.frame({":event-type": "contentBlockDelta", ":message-type": "event"}, b"not json")),
    ("bedrock", b"\x00\x00\x00\x10\x00\x00\x00\x00garbage!garbage!"),
])
def test_malformed_events_are_bad_responses(vendor_key, body):
    with pytest.raises(ProviderResponseError):
        decode(vendor_key, body)


def test_an_event_over_the_cap_is_refused_before_it_is_whole():
    dec = decoder("openai", max_event_bytes=1000)
    dec.feed(b"data: " + b"x" * 900)
    with pytest.raises(ProviderResponseTooLarge):
        dec.feed(b"x" * 200)   # no line end yet: the reader stops buffering here


def test_many_data_lines_count_towards_the_cap():
    reader = SSEReader("v", 100)
    with pytest.raises(ProviderResponseTooLarge):
        reader.feed(b"data: " + b"y" * 40 + b"\n" + b"data: " + b"y" * 40 + b"\n" + b"data: " + b"y" * 40 + b"\n")


def test_a_bedrock_frame_over_the_cap_is_refused():
    frame = eventstream.event("contentBlockDelta", {"delta": {"text": "z" * 5000}})
    dec = decoder("bedrock", max_event_bytes=4096)
    with pytest.raises(ProviderResponseTooLarge):
        dec.feed(frame[:4500])


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_sse_reader_takes_every_line_ending_comments_and_multiline_data(newline):
    body = newline.join([b": keep-alive", b"event: greeting", b"data: one", b"data:two", b"id: 7", b"", b"data: x",
                         b"", b"event: empty", b"", b""])
    reader = SSEReader("v", 1000)
    events = [e for i in range(len(body)) for e in reader.feed(body[i:i + 1])]
    assert events == [ServerSentEvent("greeting", "one\ntwo"), ServerSentEvent("message", "x")]


def test_the_fake_bedrock_frames_are_ones_botocore_parses_with_their_crcs():
    buffer = EventStreamBuffer()
    buffer.add_data(bedrock_body())
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == [
        "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
        "messageStop", "metadata"]
    assert json.loads(messages[1].payload)["delta"]["text"] == "Hi"
