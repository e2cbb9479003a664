"""Fixtures for token tests: a tiktoken cache built from the shared offline copies."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.tokens import TokenCounter


@pytest.fixture(scope="session")
def tiktoken_cache(encodings_dir) -> Path:
    """Return a cache dir holding both encodings under their tiktoken cache keys."""
    return encodings_dir


@pytest.fixture(scope="session")
def counter(tiktoken_cache) -> TokenCounter:
    """Return one TokenCounter loaded from the test cache (loading takes ~0.5 s)."""
    return TokenCounter.load(tiktoken_cache)


@pytest.fixture(scope="session")
def reference(reference_encodings):
    """Return stock tiktoken encodings read from the same cache, as the source of truth."""
    return reference_encodings
