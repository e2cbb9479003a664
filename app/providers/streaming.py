"""Stream one prompt from one vendor: text deltas as they arrive, then the Completion, under three limits.

- the first token must arrive by ``first_token_deadline`` (PROVIDER_TIMEOUT from the start);
- after it, no gap between chunks may pass ``idle_timeout`` (STREAM_IDLE_TIMEOUT);
- the whole answer must end within ``max_duration`` (STREAM_MAX_DURATION).

One watchdog guard (``watchdog.py``) holds the connection for the stream's life; its deadline
moves on with every chunk, so a vendor that stalls is cut whatever the socket timeouts say.
Until the first token, retryable failures are retried as ``send`` does, and every failure is a
ProviderError raised by ``open_stream`` itself, so a caller can still fall back to another model.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import requests
import urllib3

from .base import Adapter, Choice, Completion, HttpCall, PromptRequest, Usage
from .body import decode_json, read_body, read_error_text
from .errors import (ProviderCancelled, ProviderConnectionError, ProviderError, ProviderResponseError,
                     ProviderResponseTooLarge, ProviderTimeout)
from .failures import http_error
from .sessions import environment_proxies
from .shapes import tool_finish
from .stream_events import (END, ChoiceText, FinishReason, StreamDecoder, StreamEnd, StreamEvent, TextDelta,
                            TierReport, ToolCallsDelta, UsageReport, merge_tool_call)
from .transport import DEFAULT_MAX_RESPONSE_BYTES, retry_policy
from .watchdog import CANCELLED, DEADLINE, WATCHDOG, Guard, bound

READ_SIZE = 16 * 1024
MAX_EVENT_BYTES = 1024 * 1024   # one event (an SSE event's data, an event-stream frame), at most
END_GRACE_S = 1.0   # after the end marker, how long the rest of the body (a usage report) may take


@dataclass(frozen=True)
class StreamLimits:
    first_token_deadline: float          # time.monotonic() by which the first token must arrive
    idle_timeout: float = 30.0           # STREAM_IDLE_TIMEOUT
    max_duration: float = 600.0          # STREAM_MAX_DURATION, from the start
    connect_timeout: float = 3.05
    max_retries: int = 2
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES   # caps the answer's text (characters) too

    @property
    def max_event_bytes(self) -> int:
        return min(MAX_EVENT_BYTES, self.max_response_bytes)


def open_stream(adapter: Adapter, request: PromptRequest, session: requests.Session, limits: StreamLimits,
                cancel: threading.Event | None = None) -> TokenStream:
    """Send the streaming call and wait for the first token (or a complete empty answer).

    Raise ProviderError if none comes: nothing has been shown to anyone yet, so the caller may
    try another model. Iterate the returned TokenStream for the text; close it to cut the call.
    """
    started = time.monotonic()
    call = adapter.build_stream(request)
    end = started + limits.max_duration
    guard = WATCHDOG.open(min(limits.first_token_deadline, end), cancel)
    retrying = retry_policy(guard.deadline, cancel, limits.max_retries)
    try:
        opened = retrying(_open, adapter, call, session, limits, guard, end)
    except ProviderError as exc:
        WATCHDOG.close(guard)
        exc.attempts = retrying.statistics.get("attempt_number", 1)
        exc.redact_secrets(adapter.secrets)
        raise
    except BaseException:
        WATCHDOG.close(guard)
        raise
    return TokenStream(adapter, opened, guard, limits, end, retrying.statistics.get("attempt_number", 1))


class _Opened:
    """One attempt's live response, its decoder, and the events read so far."""

    def __init__(self, response: requests.Response, decoder: StreamDecoder | None):
        self.response, self.decoder = response, decoder
        self.events: deque[StreamEvent] = deque()
        self.chunks: Iterator[bytes] = _chunks(response)
        self.eof = False


class TokenStream:
    """The deltas of an answer (iterate): ``str`` text, and ``ToolCallsDelta`` when the model calls
    tools; then ``completion`` (usage from the stream's own report, the tool calls assembled, and
    finish_reason ``tool_calls`` when there are any).

    A ProviderError raised while iterating is an in-stream failure: tokens were already read.
    """

    def __init__(self, adapter: Adapter, opened: _Opened, guard: Guard, limits: StreamLimits, end: float,
                 attempts: int):
        self._adapter, self._opened, self._guard = adapter, opened, guard
        self._limits, self._end, self._attempts = limits, end, attempts
        self._parts: list[str] = []
        self._calls: dict[int, dict] = {}   # tool call index -> the call assembled so far
        self._started = False               # a first token (text or tool call) has arrived
        self._size = 0
        self._finish: str | None = None
        self._others: dict[int, list[str]] = {}      # choices after the first (n > 1): their text
        self._other_finish: dict[int, str] = {}
        self._usage: Usage | None = None
        self._tier: str | None = None   # the service tier the vendor reported (OpenAI)
        self._ended = False
        self._closed = False
        self.completion: Completion | None = None

    def __iter__(self) -> TokenStream:
        return self

    def __next__(self) -> str | ToolCallsDelta | ChoiceText:
        opened = self._opened
        while True:
            if opened.events:
                delta = self._apply(opened.events.popleft())
                if delta:
                    return delta
                continue
            if opened.eof or self._closed:
                self._complete()
                raise StopIteration
            held = len(opened.events)
            try:
                _read(self._adapter, opened, self._guard, self._limits, self._end, got_text=True)
            except ProviderTimeout:
                if not self._ended:
                    self.close()
                    raise
                self.close()   # complete, but the body did not end after its end marker: drop the connection
                continue
            except ProviderError as exc:
                exc.redact_secrets(self._adapter.secrets)
                self.close()
                raise
            if self._ended:   # what may follow the end marker (Bedrock's usage) follows at once
                WATCHDOG.reschedule(self._guard, min(time.monotonic() + END_GRACE_S, self._end))
            elif self._started and len(opened.events) > held:
                # From the first token on, the gap between events is what is limited: bytes that
                # decode to none (SSE comments, keep-alives) do not reset it.
                WATCHDOG.reschedule(self._guard, min(time.monotonic() + self._limits.idle_timeout, self._end))

    def _apply(self, event: StreamEvent) -> str | ToolCallsDelta | ChoiceText | None:
        if isinstance(event, TextDelta):
            self._grow(len(event.text))
            if event.index:
                self._others.setdefault(event.index, []).append(event.text)
                return ChoiceText(event.index, event.text)
            self._parts.append(event.text)
            return event.text
        if isinstance(event, ToolCallsDelta):
            self._grow(event.size)
            for call in event.tool_calls:
                merge_tool_call(self._calls, call)
            return event
        if isinstance(event, FinishReason) and event.index:
            self._other_finish[event.index] = event.reason
        elif isinstance(event, FinishReason):
            self._finish = event.reason
        elif isinstance(event, UsageReport):
            self._usage = event.usage
        elif isinstance(event, TierReport):
            self._tier = event.tier
        elif isinstance(event, StreamEnd) and not self._ended:
            self._ended = True
            WATCHDOG.reschedule(self._guard, min(time.monotonic() + END_GRACE_S, self._end))
        return None

    @property
    def partial(self) -> Completion | None:
        """What was streamed so far (None before the first token): the usage known, no end marker."""
        if not self._started:
            return None
        calls = tuple(self._calls[index] for index in sorted(self._calls))
        return Completion("".join(self._parts), tool_finish(calls, self._finish), self._usage, self._attempts,
                          tool_calls=calls, service_tier=self._tier, more=self._more())

    def _grow(self, size: int) -> None:
        """Count a delta against PROVIDER_MAX_RESPONSE_BYTES; the first one starts the idle limit."""
        self._size += size
        if self._size > self._limits.max_response_bytes:
            self.close()
            raise ProviderResponseTooLarge(f"the answer is longer than PROVIDER_MAX_RESPONSE_BYTES "
                                           f"({self._limits.max_response_bytes}); not read further",
                                           vendor=self._adapter.vendor.key)
        if not self._started:
            self._started = True
            WATCHDOG.reschedule(self._guard, min(time.monotonic() + self._limits.idle_timeout, self._end))

    def _complete(self) -> None:
        if self.completion is not None:
            return
        self.close()
        if not self._ended:
            raise ProviderConnectionError("the stream ended before the vendor's end-of-answer event; "
                                          "the answer is incomplete", vendor=self._adapter.vendor.key)
        calls = tuple(self._calls[index] for index in sorted(self._calls))
        self.completion = Completion("".join(self._parts), tool_finish(calls, self._finish), self._usage,
                                     self._attempts, calls, self._tier, more=self._more())

    def _more(self) -> tuple[Choice, ...]:
        """The other choices streamed (n > 1), in index order."""
        return tuple(Choice("".join(self._others.get(index, ())), self._other_finish.get(index))
                     for index in sorted(self._others.keys() | self._other_finish.keys()))

    def close(self) -> None:
        """Stop reading (cutting the connection if the answer is not complete) and release the guard."""
        if self._closed:
            return
        self._closed = True
        if not self._opened.eof:
            self._opened.response.close()   # mid-answer: this connection cannot be reused
        WATCHDOG.close(self._guard)

    def __enter__(self) -> TokenStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(adapter: Adapter, call: HttpCall, session: requests.Session, limits: StreamLimits,
          guard: Guard, end: float) -> _Opened:
    """One attempt: send, check the status and media type, read on to the first token or the end."""
    vendor = adapter.vendor.key
    if guard.cancel is not None and guard.cancel.is_set():
        raise ProviderCancelled("the client went away; call not made", vendor=vendor)
    try:
        with bound(guard):
            response = _post(adapter, call, session, limits, guard)
    except requests.exceptions.RequestException as exc:
        raise _cut(guard, vendor, False, limits, end) or _translated(exc, vendor, limits) from exc
    try:
        opened = _Opened(response, None)
        if response.status_code >= 400:
            raise http_error(adapter, response, read_error_text(response))
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == adapter.stream_media_type:
            opened.decoder = adapter.stream_decoder(limits.max_event_bytes)
        elif kind == "application/json":
            # A vendor (or a proxy) that ignored the stream flag: its whole answer, as one delta.
            opened.events.extend(_whole(adapter, response, limits))
            opened.eof = True
            return opened
        else:
            raise ProviderResponseError(f"expected {adapter.stream_media_type}, got {kind or 'no content type'} "
                                        f"(HTTP {response.status_code})", vendor=vendor)
        while not opened.eof and not any(isinstance(e, (TextDelta, ToolCallsDelta, StreamEnd)) for e in opened.events):
            _read(adapter, opened, guard, limits, end, got_text=False)
        return opened
    except BaseException:
        response.close()
        raise


def _post(adapter: Adapter, call: HttpCall, session: requests.Session, limits: StreamLimits,
          guard: Guard) -> requests.Response:
    remaining = guard.deadline - time.monotonic()
    if remaining <= 0:
        raise ProviderTimeout("deadline passed before the request could be sent", vendor=adapter.vendor.key)
    # The watchdog enforces the limits; the socket timeout is only a backstop past them.
    read = max(remaining, limits.idle_timeout) + 1
    return session.request(call.method, call.url, headers=call.headers, data=call.body, stream=True,
                           proxies=environment_proxies(call.url),
                           timeout=(min(limits.connect_timeout, remaining), read))


def _whole(adapter: Adapter, response: requests.Response, limits: StreamLimits) -> list[StreamEvent]:
    vendor = adapter.vendor.key
    completion = adapter.parse(decode_json(read_body(response, limits.max_response_bytes, vendor), response, vendor))
    events: list[StreamEvent] = [TextDelta(completion.text)] if completion.text else []
    if completion.tool_calls:
        events.append(ToolCallsDelta([{"index": i, **call} for i, call in enumerate(completion.tool_calls)]))
    if completion.finish_reason:
        events.append(FinishReason(completion.finish_reason))
    for index, choice in enumerate(completion.more, start=1):
        events += [TextDelta(choice.text, index)] if choice.text else []
        events += [FinishReason(choice.finish_reason, index)] if choice.finish_reason else []
    return events + [UsageReport(completion.usage), END]


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """Yield body bytes as soon as any arrive (chunked or not), decoded if the vendor compressed them."""
    raw = response.raw
    while True:
        data = raw.read1(READ_SIZE, decode_content=True)
        if not data:
            return
        yield data


def _read(adapter: Adapter, opened: _Opened, guard: Guard, limits: StreamLimits, end: float,
          got_text: bool) -> None:
    """Read one chunk and decode it into opened.events; at the end of the body set opened.eof."""
    vendor = adapter.vendor.key
    try:
        chunk = next(opened.chunks, b"")
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise _cut(guard, vendor, got_text, limits, end) or _lost(exc, vendor) from exc
    cut = _cut(guard, vendor, got_text, limits, end)
    if cut is not None:
        raise cut   # a shut-down socket can look like a clean end of the body
    if not chunk:
        opened.eof = True
        return
    opened.events.extend(opened.decoder.feed(chunk))


def _cut(guard: Guard, vendor: str, got_text: bool, limits: StreamLimits, end: float) -> ProviderError | None:
    """The error for a stream the watchdog cut, naming the limit it passed; None if it was not cut."""
    if guard.reason == CANCELLED:
        return ProviderCancelled("the client went away; stream cut", vendor=vendor)
    if guard.reason != DEADLINE:
        return None
    if not got_text:
        return ProviderTimeout("no first token before the deadline (PROVIDER_TIMEOUT or the request's timeout)",
                               vendor=vendor)
    if guard.deadline >= end:
        return ProviderTimeout(f"the answer took longer than STREAM_MAX_DURATION ({limits.max_duration:g} s)",
                               vendor=vendor)
    return ProviderTimeout(f"no data from the vendor for STREAM_IDLE_TIMEOUT ({limits.idle_timeout:g} s) "
                           "mid-answer", vendor=vendor)


def _translated(exc: requests.exceptions.RequestException, vendor: str, limits: StreamLimits) -> ProviderError:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ProviderTimeout(f"could not connect within {limits.connect_timeout:g}s", vendor=vendor,
                               retryable=True)
    if isinstance(exc, requests.exceptions.Timeout):
        return ProviderTimeout("no data from the vendor within the read timeout", vendor=vendor)
    return _lost(exc, vendor)


def _lost(exc: BaseException, vendor: str) -> ProviderError:
    if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, requests.exceptions.Timeout)):
        return ProviderTimeout("no data from the vendor within the read timeout", vendor=vendor)
    detail = " ".join(str(exc).split())[:200]
    return ProviderConnectionError(f"connection lost mid-stream: {type(exc).__name__}"
                                   + (f" ({detail})" if detail else ""), vendor=vendor)
