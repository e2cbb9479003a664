"""Fixtures for the provider tests: a recorded (instant) retry sleep, a session, a deadline."""
from __future__ import annotations

import time

import pytest
import requests
import tenacity


@pytest.fixture
def sleeps(monkeypatch):
    """Record tenacity's sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(tenacity.nap, "sleep", recorded.append)
    return recorded


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


@pytest.fixture
def deadline():
    return time.monotonic() + 30
