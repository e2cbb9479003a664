"""One JSON object per line: per request, per provider call, and app logs; no prompts, no keys."""
import json
import logging
import sys
import time

import pytest

from app.observability.logs import JsonFormatter, StdoutHandler, configure_logging
from app.observability.prompts import MAX_CHARS, prompt_fields
from app.redaction import Redactor
from app.redaction import _PATTERNS, MASK, redact

PROMPT = "Summarise our secret merger plan with Initech"


def test_each_request_writes_one_json_line_with_the_fields(client, logged):
    client.get("/api/models?key=sk-in-the-query-string-123", headers={"X-Request-ID": "log-1"},
               environ_base={"REMOTE_ADDR": "192.0.2.10"}).get_data()
    (line,) = logged()
    assert line["event"] == "request" and line["level"] == "INFO" and line["time"].endswith("Z")
    assert {k: line[k] for k in ("request_id", "method", "path", "status", "client")} == {
        "request_id": "log-1", "method": "GET", "path": "/api/models", "status": 200, "client": "192.0.2.10"}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert isinstance(line["pid"], int)


def test_errors_are_logged_once_with_their_status(client, logged):
    client.get("/api/nothing").get_data()
    client.post("/api/get_best_price_for_prompt", data="not json", content_type="text/plain").get_data()
    assert [(line["path"], line["status"]) for line in logged("request")] == [
        ("/api/nothing", 404), ("/api/get_best_price_for_prompt", 415)]


def test_an_unexpected_error_logs_its_traceback_in_one_json_line_with_the_request_id(make_app, logged):
    def boom():
        raise RuntimeError("kaboom")
    app = make_app(TESTING=False)   # let the error handler answer, as in production
    app.view_functions["pricing.list_providers"] = boom
    response = app.test_client().get("/api/providers", headers={"X-Request-ID": "err-9"})
    assert response.status_code == 500 and b"kaboom" not in response.data
    error, request = logged()
    assert error["level"] == "ERROR" and error["request_id"] == "err-9" and "RuntimeError: kaboom" in error["exception"]
    assert request["status"] == 500 and request["request_id"] == "err-9"


def test_the_authenticated_caller_is_named_by_fingerprint(make_app, logged):
    key = "pr-log-key-cccccccccccccccc"
    make_app(AUTH_MODE="api_key", API_KEYS=(key,)).test_client().get(
        "/api/models", headers={"X-API-Key": key}).get_data()
    (line,) = logged("request")
    assert line["principal"].startswith("key:") and key not in str(line)


def test_prompts_are_not_logged_by_default(client, logged):
    client.post("/api/get_best_price_for_prompt", json={"prompt": PROMPT, "system": "Be a lawyer"}).get_data()
    output = str(logged())
    assert "Initech" not in output and "lawyer" not in output


def test_prompts_are_logged_with_log_prompts(make_app, logged):
    client = make_app(LOG_PROMPTS=True).test_client()
    client.post("/api/get_best_price_for_prompt", json={"prompt": PROMPT, "system": "Be a lawyer"}).get_data()
    (line,) = logged("request")
    assert line["prompt"] == PROMPT and line["system"] == "Be a lawyer"


def test_prompt_fields_pick_prompts_and_answers_and_clip_long_text():
    body = {"prompt": "p" * (MAX_CHARS + 10), "system": None}
    answer = {"data": [{"id": "openai/gpt-x", "response": "Bonjour"}, {"id": "xai/grok", "response": None}]}
    fields = prompt_fields(body, answer)
    assert fields["responses"] == {"openai/gpt-x": "Bonjour"} and "system" not in fields
    assert fields["prompt"].startswith("p" * MAX_CHARS) and fields["prompt"].endswith("[10 more chars]")
    assert prompt_fields(None, b"not json") == {}


def test_prompt_fields_read_a_v1_conversation_and_its_answer():
    body = {"model": "auto", "messages": [{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}
    answer = {"object": "chat.completion", "model": "groq/x", "choices": [{"message": {"content": "Hello"}}]}
    assert prompt_fields(body, answer) == {"messages": [{"role": "system", "content": "Be brief."},
                                                        {"role": "user", "content": "Hi"}],
                                           "responses": {"groq/x": "Hello"}}


def format_line(redactor, message, *args, exc_info=None):
    record = logging.LogRecord("app.test", logging.ERROR, __file__, 1, message, args, exc_info)
    return JsonFormatter(redactor).format(record)


def test_known_secrets_and_key_shaped_strings_are_redacted():
    held = "vendor-held-secret-value"
    quoted = 'secret"with\\quotes-12345'
    line = format_line(Redactor([held, quoted]), "vendor said %s / %s / %s / %s / Bearer abcdefghijklmnop",
                       held, quoted, "sk-proj-abcdefghijklmnopqrstuvwx", "AIzaSyA1234567890abcdefghijklmnop")
    for secret in (held, "abcdefghijklmnop", "sk-proj-", "AIzaSy", "with\\\\quotes"):
        assert secret not in line
    assert line.count(MASK) == 5


@pytest.mark.parametrize("text", ["sk-abcdefgh12345678", "AIza" + "B" * 30, "AKIA" + "C" * 16, "ASIA" + "D" * 16,
                                  "bearer abcdefghijk", "BEARER abcdefghijk", "/x?key=abc", "/x?Api-Key=abc",
                                  "&access_token=abc", "?TOKEN=abc"])
def test_every_key_pattern_still_redacts_behind_the_quick_check(text):
    assert Redactor()(f"before {text} after") == redact(f"before {text} after") != f"before {text} after"


def test_every_pattern_carries_the_trigger_its_matches_contain():
    # The quick check skips the regexes on lines without a trigger: a pattern must never match
    # text that lacks all of its own triggers.
    examples = ["sk-abcdefgh12345678", "AIza" + "B" * 30, "AKIA" + "C" * 16, "ASIA" + "D" * 16,
                "bearer abcdefghijk", "/x?key=abc", "/x?Api-Key=abc", "&access_token=abc", "?TOKEN=abc"]
    for pattern, _, triggers in _PATTERNS:
        triggers = (triggers,) if isinstance(triggers, str) else triggers
        matched = [text for text in examples if pattern.search(text)]
        assert matched, pattern.pattern
        assert all(any(t in text.lower() for t in triggers) for text in matched), pattern.pattern


def test_a_line_without_secrets_is_left_as_it_is():
    line = '{"path":"/api/models","client":"127.0.0.1"}'
    assert Redactor(["held-secret-1"])(line) is line


def test_secrets_in_a_traceback_are_redacted_too():
    try:
        raise ValueError("upstream echoed key sk-live-0123456789abcdef")
    except ValueError:
        line = format_line(Redactor(), "call failed", exc_info=sys.exc_info())
    assert "0123456789abcdef" not in line and MASK in line


def test_the_factory_redacts_the_keys_it_holds(make_app, monkeypatch, logged):
    vendor_key = "plainvendorkey-without-a-known-shape"
    client_key = "pr-client-key-dddddddddddddddd"
    monkeypatch.setenv("MISTRAL_API_KEY", vendor_key)
    make_app(AUTH_MODE="api_key", API_KEYS=(client_key,))
    logging.getLogger("app.providers.mistral").warning("vendor answered: bad key %s (client %s)",
                                                       vendor_key, client_key)
    (line,) = logged()
    assert vendor_key not in str(line) and client_key not in str(line) and str(line).count(MASK) == 2


def test_the_handler_follows_sys_stdout(monkeypatch, capsys):
    handler = StdoutHandler()
    assert handler.stream is sys.stdout
    handler.stream = None   # what StreamHandler.setStream would do: ignored
    assert handler.stream is sys.stdout


def test_configure_logging_is_idempotent():
    configure_logging("INFO")
    configure_logging("DEBUG", ["some-secret-value"])
    app_logger = logging.getLogger("app")
    assert sum(isinstance(h, StdoutHandler) for h in app_logger.handlers) == 1
    assert app_logger.level == logging.DEBUG
    assert logging.getLogger("flask-limiter").level == logging.WARNING
    configure_logging("INFO")


@pytest.mark.parametrize("level", ["WARNING", "ERROR"])
def test_log_level_above_info_silences_request_lines(make_app, logged, level):
    make_app(LOG_LEVEL=level).test_client().get("/api/models").get_data()
    assert logged("request") == []
    configure_logging("INFO")


def test_batched_lines_are_written_in_order_off_the_calling_thread(capsys):
    from app.observability.logs import LineWriter, StdoutHandler

    handler = StdoutHandler()
    writer = LineWriter(handler, interval_s=0.05)
    capsys.readouterr()
    for n in range(100):
        writer.put(f'{{"n":{n}}}\n')
    assert capsys.readouterr().out == ""            # nothing written by the logging thread
    deadline = time.monotonic() + 2
    out = ""
    while out.count("\n") < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
        out += capsys.readouterr().out
    assert [json.loads(line)["n"] for line in out.splitlines()] == list(range(100))


def test_flush_writes_what_is_queued_at_once(capsys):
    from app.observability.logs import LineWriter, StdoutHandler, flush_lines

    writer = LineWriter(StdoutHandler(), interval_s=60)   # its thread would wait a minute
    capsys.readouterr()
    writer.put('{"last":"words"}\n')
    flush_lines()   # what the atexit hook does when a worker stops
    assert capsys.readouterr().out == '{"last":"words"}\n'


def test_a_forked_child_logs_even_when_the_parent_writer_held_its_lock_at_the_fork():
    import os

    from app.observability.logs import LineWriter, StdoutHandler

    writer = LineWriter(StdoutHandler(), interval_s=0.01)
    writer._lock.acquire()   # the parent's writer thread is mid-write when gunicorn forks
    try:
        pid = os.fork()
        if pid == 0:   # the child: a put and a flush must not wait on the parent's lock
            try:
                writer.put('{"child":1}\n')
                writer.flush()
            finally:
                os._exit(0)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the child hung on the lock it inherited")
        assert os.WEXITSTATUS(status) == 0
    finally:
        writer._lock.release()
