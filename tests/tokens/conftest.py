"""Fixtures for token tests: a tiktoken cache built from the shared offline copies."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.tokens import TokenCounter
from scripts.tiktoken_cache import copy_into_cache

SHARED_TIKTOKEN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tiktoken"


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory) -> Path:
    """Return a cache dir holding both encodings under their tiktoken cache keys."""
    if not SHARED_TIKTOKEN.is_dir():
        pytest.skip(f"offline tiktoken files not found at {SHARED_TIKTOKEN}")
    cache = tmp_path_factory.mktemp("tiktoken_cache")
    copy_into_cache(SHARED_TIKTOKEN, cache)
    return cache


@pytest.fixture(scope="session")
def counter(tiktoken_cache) -> TokenCounter:
    """Return one TokenCounter loaded from the test cache (loading takes ~0.5 s)."""
    return TokenCounter.load(tiktoken_cache)


@pytest.fixture(scope="session")
def reference(tiktoken_cache):
    """Return stock tiktoken encodings read from the same cache, as the source of truth."""
    import tiktoken

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
        return {name: tiktoken.get_encoding(name) for name in ("o200k_base", "cl100k_base")}
