"""Fixtures for the page's browser tests: the fake vendors, gunicorn, one Chromium per module."""
import pytest

from tests.fakes.server import FakeVendorServer


@pytest.fixture(scope="module")
def fake():
    """A local server speaking the vendors' formats, one per test module."""
    with FakeVendorServer() as server:
        yield server
