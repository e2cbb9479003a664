"""Helpers for observability tests: the JSON lines an app wrote to (captured) stdout."""
from __future__ import annotations

import json

import pytest


def lines(output: str, event: str | None = None) -> list[dict]:
    """Parse every JSON line; keep one event kind if asked."""
    parsed = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in parsed if event is None or line.get("event") == event]


@pytest.fixture
def logged(capsys):
    """Return a function that yields the JSON lines written since the last call."""
    capsys.readouterr()
    return lambda event=None: lines(capsys.readouterr().out, event)
