"""Read a vendor's text/event-stream body as it arrives, in bounded memory.

The WHATWG event-stream format: lines end in CRLF, LF or CR; ``field: value`` lines build an
event, a blank line dispatches it, ``:`` lines are comments; ``data`` lines join with newlines.
No maintained SSE parser is pinned here (the ones on PyPI read from their own HTTP client or
grow their buffers without a cap), and the format is a few lines of text handling.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ProviderResponseTooLarge


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    event: str       # "message" when the stream names none
    data: str


class SSEReader:
    """Feed body bytes in, get whole events out; a line or event over ``max_event_bytes`` is an error."""

    def __init__(self, vendor: str, max_event_bytes: int):
        self._vendor, self._limit = vendor, max_event_bytes
        self._pending = b""            # the start of a line whose end has not arrived
        self._after_cr = False         # the last line ended in CR: a LF opening the next chunk belongs to it
        self._event = ""
        self._data: list[str] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Return the events this chunk completes."""
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._after_cr = False
        if not chunk:
            return []
        lines = (self._pending + chunk).splitlines(keepends=True)
        self._pending = b""
        if not lines[-1].endswith((b"\n", b"\r")):
            self._pending = lines.pop()
            if len(self._pending) > self._limit:
                raise self._too_large()
        elif lines[-1].endswith(b"\r"):
            self._after_cr = True
        events = []
        for line in lines:
            event = self._line(line.rstrip(b"\r\n"))
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: bytes) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return None   # a comment (vendors' keep-alive pings)
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            self._size += len(value) + 1
            if self._size > self._limit:
                raise self._too_large()
            self._data.append(value.decode("utf-8", errors="replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", errors="replace")
        return None   # id and retry mean nothing to a one-off request; unknown fields are ignored

    def _dispatch(self) -> ServerSentEvent | None:
        event, data = self._event or "message", self._data
        self._event, self._data, self._size = "", [], 0
        return ServerSentEvent(event, "\n".join(data)) if data else None

    def _too_large(self) -> ProviderResponseTooLarge:
        return ProviderResponseTooLarge(f"a stream event is larger than {self._limit} bytes; not read further",
                                        vendor=self._vendor)
