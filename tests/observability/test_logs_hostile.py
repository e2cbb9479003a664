"""The JSON log formatter never fails: one JSON line per event, whatever the record holds."""
import io
import json
import logging
import sys

import pytest

from app.observability.logs import MAX_TEXT, JsonFormatter, StdoutHandler


class Unprintable:
    def __str__(self):
        raise RuntimeError("no str for you")

    __repr__ = __str__


class BadError(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def record(msg="event", args=(), exc_info=None, **extra):
    rec = logging.LogRecord("app.hostile", logging.ERROR, __file__, 1, msg, args, exc_info)
    rec.__dict__.update(extra)
    return rec


def failing_exc_info():
    try:
        raise BadError()
    except BadError:
        return sys.exc_info()


HOSTILE = {
    "surrogate in the message": record("prompt \ud800 here"),
    "surrogate in an argument": record("prompt %s", ("\udfff",)),
    "surrogate in a field value": record(fields={"event": "request", "path": "/x\ud800"}),
    "surrogate in a field name": record(fields={"event": "request", "k\ud800": 1}),
    "non-serialisable extras": record(fields={"event": "request", "obj": object(), "set": {1, 2}, 3: "int key"}),
    "an int beyond 64 bits": record(fields={"event": "request", "tokens": 10 ** 30}),
    "deep nesting in a field": record(fields={"event": "request", "body": nested(2000)}),
    "a __str__ that raises, as argument": record("value %s", (Unprintable(),)),
    "a __str__ that raises, as field": record(fields={"event": "request", "x": Unprintable()}),
    "a __str__ that raises, as message": record(Unprintable()),
    "arguments that do not fit the format": record("%d tokens %s", ("many",)),
    "an exception whose __str__ raises": record("call failed", exc_info=failing_exc_info()),
    "fields that are not a mapping": record(fields=["not", "a", "dict"]),
    "a huge message": record("x" * (10 * MAX_TEXT)),
}


@pytest.mark.parametrize("rec", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_hostile_record_is_one_json_line(rec):
    line = JsonFormatter().format(rec)
    assert "\n" not in line and len(line) < 2 * MAX_TEXT
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["time"].endswith("Z") and parsed["logger"] == "app.hostile"
    line.encode("utf-8")   # valid Unicode: any stream can take it


def test_a_surrogate_is_kept_as_its_escape_and_ordinary_fields_survive():
    parsed = json.loads(JsonFormatter().format(record(fields={"event": "request", "path": "/x\ud800", "status": 400})))
    assert parsed["path"] == "/x\\ud800" and parsed["status"] == 400 and parsed["event"] == "request"


def test_a_huge_message_is_cut_and_says_how_much_was_left_out():
    parsed = json.loads(JsonFormatter().format(record("y" * (MAX_TEXT + 5))))
    assert parsed["message"] == "y" * MAX_TEXT + "... [5 more chars]"


def test_a_secret_straddling_the_cut_is_redacted_before_cutting():
    secret = "sk-" + "a" * 40
    message = "x" * (MAX_TEXT - 10) + " " + secret
    assert "aaaaa" not in JsonFormatter().format(record(message))


def test_the_handler_writes_one_line_per_event_and_reports_no_logging_error(monkeypatch, capsys):
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    for rec in HOSTILE.values():
        handler.handle(rec)
    captured = capsys.readouterr()
    assert "Logging error" not in captured.err
    assert len([json.loads(line) for line in captured.out.splitlines()]) == len(HOSTILE)


def test_a_stdout_that_is_not_utf8_gets_ascii_escaped_json(monkeypatch, capsys):
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", ascii_out)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    handler.handle(record("prix: 3 €, café"))
    ascii_out.seek(0)
    (line,) = ascii_out.read().splitlines()
    assert json.loads(line)["message"] == "prix: 3 €, café"
    assert "Logging error" not in capsys.readouterr().err
