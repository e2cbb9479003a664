"""Token counting: exact tiktoken encodings, labelled estimates for everything else."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.tokens.counter import TokenCount, TokenCounter

__all__ = ["TokenCount", "TokenCounter", "init_app"]


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """Load the encodings once (shared with workers by fork) into app.extensions["tokens"]."""
    app.extensions["tokens"] = TokenCounter.load(settings["TIKTOKEN_CACHE_DIR"])
