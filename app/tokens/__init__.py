"""Token counting: exact tiktoken encodings, labelled estimates for everything else."""
from app.tokens.counter import TokenCount, TokenCounter

__all__ = ["TokenCount", "TokenCounter"]
