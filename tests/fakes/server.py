"""A local fake of the vendors' HTTP APIs, on their real paths and in their real formats.

Behaviour per model comes from ``behave(model, ...)`` or from the model name itself:
``slow-0.4`` waits 0.4 s, ``fail-503`` answers 503, ``hang`` never answers, ``garbage`` sends
a non-JSON 200, ``drip-0.05`` sends its answer (status line first) one byte every 0.05 s,
``tick-0.05`` streams its answer one chunk every 0.05 s. A streaming request (``stream: true``,
Gemini's ``:streamGenerateContent``, Bedrock's ``/converse-stream``) is answered in the
dialect's stream format, chunked, one word per event.
``FakeVendorServer(varied=True)`` pads each echo with a number of words drawn from the model
and the prompt (``padding_words``), so that answer lengths differ by model and prompt, always
the same for the same pair.
Run ``python -m tests.fakes.server --port 8900`` to serve it for benchmarks.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.dialects import (Exchange, encode_stream, error, padding_words, reply, route, several, stream_chunks,
                                  stream_error, stream_type, words)
from tests.fakes.tools import final_text, tool_error, tool_reply, tool_stream

AUTH_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")


@dataclass
class Behaviour:
    """How the fake answers one model."""

    delay: float = 0.0            # seconds before answering
    status: int | None = None     # answer with this HTTP error status
    times: int | None = None      # fail only this many times, then succeed
    retry_after: float | None = None
    hang: bool = False            # never answer (until the server stops)
    garbage: bool = False         # 200 with a body that is not JSON
    text: str | None = None       # reply text (default: an echo of the prompt)
    drip: float = 0.0             # send the answer one byte at a time, this many seconds apart
    drip_from: str = "status"     # "status": from the status line on; "body": headers at once, then the body
    body: bytes | None = None     # send these bytes as the 200 JSON body instead of a reply
    chunked: bool = False         # send the body chunked, without Content-Length
    # Streams (requests that ask for one):
    tick: float = 0.0             # seconds between the stream's chunks
    cut_after: int | None = None  # end the body cleanly after this many chunks, without the terminator
    stall_after: int | None = None   # after this many chunks send nothing more (until the server stops)
    error_after: int | None = None   # after this many chunks send an in-stream error and end
    chunks: list[bytes] | None = None   # send exactly these stream chunks


def behaviour_from_name(model: str) -> Behaviour:
    """Read a behaviour from a model name such as ``slow-0.4``, ``fail-429``, ``hang``, ``garbage``."""
    if m := re.search(r"slow-(\d+(?:\.\d+)?)", model):
        return Behaviour(delay=float(m[1]))
    if m := re.search(r"fail-(\d{3})", model):
        return Behaviour(status=int(m[1]))
    if m := re.search(r"drip-(\d+(?:\.\d+)?)", model):
        return Behaviour(drip=float(m[1]))
    if m := re.search(r"tick-(\d+(?:\.\d+)?)", model):
        return Behaviour(tick=float(m[1]))
    return Behaviour(hang="hang" in model, garbage="garbage" in model)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _State:
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    body_bytes_sent: dict[str, int] = field(default_factory=dict)   # model -> bytes of chunked bodies sent
    streams_cut: dict[str, int] = field(default_factory=dict)   # model -> streams the client cut mid-answer
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    require_auth: bool = True
    varied: bool = False          # pad echoes by padding_words(model, prompt)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real vendors offer
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms) on a kept-alive connection. Real vendors don't do that.
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # quiet: tests and benchmarks read stdout
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        state = self.server.state
        with state.lock:
            state.requests.append(Recorded("POST", self.path, dict(self.headers.items()), raw))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._send(400, {"error": {"message": "We could not parse the JSON body of your request."}})
        ex = route(path, body)
        if ex is None:
            return self._send(404, {"error": {"message": f"Unknown path {path}"}})
        if state.require_auth and not any(h in (k.lower() for k in self.headers) for h in AUTH_HEADERS):
            return self._send(401, error(ex.dialect, 401, "Missing API key.")[1])
        self._answer(ex, raw, self._behaviour(ex.model))

    def _behaviour(self, model: str) -> Behaviour:
        state = self.server.state
        with state.lock:
            return state.behaviours.get(model) or state.behaviours.get("*") or behaviour_from_name(model)

    def _answer(self, ex: Exchange, raw: bytes, how: Behaviour) -> None:
        state = self.server.state
        if how.hang:
            state.stopping.wait(60)
            self.close_connection = True
            return
        if how.delay and state.stopping.wait(how.delay):
            return
        sent_hash = self.headers.get("X-Amz-Content-SHA256")
        if sent_hash and sent_hash != hashlib.sha256(raw).hexdigest():
            headers, body = error("bedrock", 403, "The request signature we calculated does not match.")
            return self._send(403, body, headers)
        if how.status and self._should_fail(ex.model, how):
            headers, body = error(ex.dialect, how.status, f"Fake failure {how.status} for {ex.model}")
            if how.retry_after is not None:
                headers["Retry-After"] = f"{how.retry_after:g}"
            return self._send(how.status, body, headers)
        if how.garbage:
            return self._send_raw(200, b"<html><body>not json</body></html>", "text/html")
        sent = json.loads(raw or b"{}")
        if problem := tool_error(ex.dialect, sent):   # tool results must answer the calls made, as upstream
            headers, body = error(ex.dialect, 400, problem)
            return self._send(400, body, headers)
        if ex.stream:
            return self._stream(ex, how, sent)
        agent = tool_reply(ex.dialect, ex.model, sent) if how.body is None else None
        body = how.body if how.body is not None else json.dumps(
            several(ex.dialect, sent, agent or self._reply(ex, how, state.varied))).encode()
        if how.drip:
            return self._drip(body, how)
        if how.chunked:
            return self._send_chunked(ex.model, body)
        self._send_raw(200, body, "application/json")

    def _drip(self, body: bytes, how: Behaviour) -> None:
        """Send a complete, valid answer, but one byte every ``how.drip`` seconds."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        if how.drip_from == "body":
            self.wfile.write(head)
            head = b""
        self.close_connection = True
        stopping = self.server.state.stopping
        try:
            for byte in head + body:
                if stopping.wait(how.drip):
                    return
                self.wfile.write(bytes([byte]))
        except OSError:   # the client cut the connection: what a deadline should do
            return

    def _send_chunked(self, model: str, body: bytes) -> None:
        """Send the body in 64 KiB chunks without Content-Length, counting what got out."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        state = self.server.state
        try:
            for start in range(0, len(body), 65536):
                chunk = body[start:start + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                with state.lock:
                    state.body_bytes_sent[model] = state.body_bytes_sent.get(model, 0) + len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            return

    def _stream(self, ex: Exchange, how: Behaviour, sent: dict) -> None:
        """Send the answer as the dialect streams it, one HTTP chunk per event, ``how.tick`` apart
        (a tool call when the request offers tools, the final text once it carries their results)."""
        agent = tool_stream(ex.dialect, ex.model, sent) if how.chunks is None else None
        if agent is not None:
            chunks = encode_stream(ex.dialect, agent)
        else:
            final = final_text(ex.dialect, sent)
            how = how if final is None else dataclasses.replace(how, text=final)
            chunks = how.chunks if how.chunks is not None else self._stream_chunks(ex, how)
        self.send_response(200)
        self.send_header("Content-Type", stream_type(ex.dialect))
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        state = self.server.state
        try:
            for index, chunk in enumerate(chunks):
                if how.stall_after is not None and index == how.stall_after:
                    state.stopping.wait(60)
                    self.close_connection = True
                    return
                if how.error_after is not None and index == how.error_after:
                    chunk = stream_error(ex.dialect, f"Fake stream failure for {ex.model}")
                elif how.cut_after is not None and index == how.cut_after:
                    break
                if index and how.tick and state.stopping.wait(how.tick):
                    return
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                if how.error_after is not None and index == how.error_after:
                    break
            self.wfile.write(b"0\r\n\r\n")
        except OSError:   # the client cut the stream: what a limit or a disconnect should do
            self.close_connection = True
            with state.lock:
                state.streams_cut[ex.model] = state.streams_cut.get(ex.model, 0) + 1

    @staticmethod
    def _stream_chunks(ex: Exchange, how: Behaviour) -> list[bytes]:
        text = how.text if how.text is not None else f"Echo from {ex.model}: {ex.prompt}"
        tokens = text.split()
        truncated = len(tokens) > ex.max_tokens
        if truncated:
            text = " ".join(tokens[: ex.max_tokens])
        return stream_chunks(ex, text, words(text), truncated)

    def _should_fail(self, model: str, how: Behaviour) -> bool:
        state = self.server.state
        with state.lock:
            done = state.failures.get(model, 0)
            state.failures[model] = done + 1
        return how.times is None or done < how.times

    @staticmethod
    def _reply(ex: Exchange, how: Behaviour, varied: bool = False) -> dict[str, Any]:
        text = how.text if how.text is not None else f"Echo from {ex.model}: {ex.prompt}"
        if varied and how.text is None:
            text += " and" * padding_words(ex.model, ex.prompt)
        tokens = text.split()
        truncated = len(tokens) > ex.max_tokens
        if truncated:
            text = " ".join(tokens[: ex.max_tokens])
        return reply(ex, text, words(text), truncated)

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128   # benchmarks open 32 connections at once; the default backlog is 5
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients (wrk, a test hanging up) close kept-alive connections mid-read: not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeVendorServer:
    """Context manager running the fake on 127.0.0.1 in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, require_auth: bool = True, varied: bool = False):
        self._server = _Server((host, port), _Handler)
        self._server.state = _State(require_auth=require_auth, varied=varied)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-vendors", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[Recorded]:
        with self._server.state.lock:
            return list(self._server.state.requests)

    def body_bytes_sent(self, model: str) -> int:
        """Bytes of chunked bodies sent for a model so far."""
        with self._server.state.lock:
            return self._server.state.body_bytes_sent.get(model, 0)

    def streams_cut(self, model: str) -> int:
        """Streams of a model that the client cut before the answer was sent whole."""
        with self._server.state.lock:
            return self._server.state.streams_cut.get(model, 0)

    def behave(self, model: str = "*", **how: Any) -> None:
        """Set how the fake answers a model ("*" for any model without its own behaviour)."""
        with self._server.state.lock:
            self._server.state.behaviours[model] = Behaviour(**how)
            self._server.state.failures.pop(model, None)

    def reset(self) -> None:
        """Forget behaviours and recorded requests."""
        state = self._server.state
        with state.lock:
            state.behaviours.clear()
            state.failures.clear()
            state.requests.clear()
            state.body_bytes_sent.clear()
            state.streams_cut.clear()

    def start(self) -> "FakeVendorServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.state.stopping.set()  # releases hanging and delayed handlers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeVendorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--no-auth", action="store_true", help="accept requests without an API key header")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds every answer waits")
    args = parser.parse_args(argv)
    fake = FakeVendorServer(args.host, args.port, require_auth=not args.no_auth)
    if args.delay:
        fake.behave("*", delay=args.delay)
    print(f"fake vendors listening on {fake.url}", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake._server.server_close()


if __name__ == "__main__":
    main()
