"""bench/wrk.py: failed calls are counted, varying bodies really vary, numbers are read right."""
from __future__ import annotations

import shutil

import pytest

from bench import wrk
from tests.fakes.server import FakeVendorServer

BODY = {"model": "gpt-6.1-sol", "messages": [{"role": "user", "content": "hi"}]}
OUTPUT = """Running 5s test @ http://127.0.0.1:8000/api/send_prompt
  2 threads and 32 connections
  Latency Distribution
     50%  583.54ms
     75%  645.08ms
     90%  727.71ms
     99%    1.01s
  316 requests in 5.08s, 557.32KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:     62.21
"""

needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


def test_parse_reads_rate_percentiles_in_ms_and_every_failure():
    load = wrk._parse(OUTPUT)
    assert load == wrk.Load(calls_per_s=62.21, p50_ms=583.54, p99_ms=1010.0, failed=12)


def test_lua_literals_take_any_text_byte_for_byte():
    script = wrk._lua({"prompt": 'quote " backslash \\ é [[x]]'}, {"Authorization": "Bearer k"})
    assert 'wrk.headers[ [==[Authorization]==] ] = [==[Bearer k]==]' in script
    assert '[==[{"prompt": "quote \\" backslash \\\\ \\u00e9 [[x]]"}]==]' in script
    with pytest.raises(ValueError):
        wrk._lua({"prompt": "]==]"}, {})


@needs_wrk
def test_answers_that_are_errors_count_as_failed():
    with FakeVendorServer() as fake:   # no API key header: every answer is a 401
        load = wrk.run(f"{fake.url}/v1/chat/completions", duration=1, connections=2, body=BODY)
    assert load.calls_per_s > 0 and load.failed > 0


@needs_wrk
def test_a_body_with_the_marker_differs_on_every_request():
    body = {**BODY, "messages": [{"role": "user", "content": "hi @N@"}]}
    with FakeVendorServer() as fake:
        load = wrk.run(f"{fake.url}/v1/chat/completions", duration=1, connections=2, body=body,
                       headers={"Authorization": "Bearer sk-test"})
        prompts = [sent.json()["messages"][0]["content"] for sent in fake.requests]
    assert load.failed == 0 and len(prompts) > 10
    assert len(set(prompts)) == len(prompts) and "@N@" not in "".join(prompts)


@needs_wrk
def test_a_body_without_the_marker_is_sent_as_is():
    with FakeVendorServer() as fake:
        wrk.run(f"{fake.url}/v1/chat/completions", duration=1, connections=2, body=BODY,
                headers={"Authorization": "Bearer sk-test"})
        bodies = {sent.body for sent in fake.requests}
    assert len(bodies) == 1 and fake.requests[0].json() == BODY
