"""Drive a URL with wrk (C, no GIL) for a bounded time; read back calls/s and latency percentiles.

wrk counts every answer as a request, 500s included, so `Load.failed` carries the non-2xx/3xx
answers and socket errors: a benchmark refuses to report calls/s when any call failed.
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_STATIC = """wrk.method = "{method}"
{headers}
wrk.body = {body}
"""
# With "@N@" in the body, each request gets a distinct "thread-counter" there, so no server
# can answer from a cache keyed by content. thread_id is a global set in each thread's state.
_VARYING = _STATIC + """local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, (string.gsub(wrk.body, "@N@", thread_id .. "-" .. counter)))
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    calls_per_s: float
    p50_ms: float
    p99_ms: float
    failed: int     # non-2xx/3xx answers plus socket errors


def run(url: str, *, duration: int = 5, connections: int = 32, body: dict | None = None,
        headers: dict[str, str] | None = None, timeout_s: int = 5) -> Load:
    """Load url (GET, or POST of the JSON body) with keep-alive connections for `duration` seconds."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as tmp:
        script = Path(tmp, "request.lua")
        script.write_text(_lua(body, headers or {}))
        command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout_s}s", "--latency",
                   "-s", str(script), url]
        output = subprocess.run(command, capture_output=True, text=True, check=True,
                                timeout=duration + timeout_s + 30).stdout
    return _parse(output)


def _lua(body: dict | None, headers: dict[str, str]) -> str:
    text = json.dumps(body) if body is not None else None
    if text is not None:
        headers = {"Content-Type": "application/json", **headers}
    lines = [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
    template = _VARYING if text and "@N@" in text else _STATIC
    return template.format(method="POST" if text is not None else "GET", headers="\n".join(lines),
                           body=_lua_string(text) if text is not None else "nil")


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal: taken byte for byte, no escapes to translate."""
    if "]==]" in text:
        raise ValueError("text holds the Lua closing bracket ]==]")
    return f"[==[{text}]==]"


def _parse(output: str) -> Load:
    latency = {int(q): float(value) * _UNIT_MS[unit]
               for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)}
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        failed += sum(int(n) for n in errors.groups())
    calls = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return Load(calls, latency[50], latency[99], failed)
