"""Small, valid catalogs written to disk for tests."""
from __future__ import annotations

from pathlib import Path

from app.catalog.model import COLUMNS

HEADER = ",".join(COLUMNS)
ROWS = {
    "openai/gpt-4o-mini": "openai/gpt-4o-mini,openai,gpt-4o-mini,gpt-4o-mini,true,0.15,0.6,0.075,,,,128000,16384,82.0,,Unknown,o200k_base,2026-11-27,https://openai.com/api/pricing,",
    "openai/gpt-4o": "openai/gpt-4o,openai,gpt-4o,gpt-4o,false,2.5,10,1.25,,,,128000,16384,88.7,,Unknown,o200k_base,2026-11-27,https://openai.com/api/pricing,",
    "google/gemini-2.5-pro": "google/gemini-2.5-pro,google,gemini-2.5-pro,gemini-2.5-pro,true,1.25,10,0.125,200000,2.5,15,1048576,65536,,,Unknown,gemini,2026-11-27,https://ai.google.dev/gemini-api/docs/pricing,",
    "groq/llama-3.3-70b": "groq/llama-3.3-70b,groq,llama-3.3-70b,llama-3.3-70b-versatile,true,0.59,0.79,,,,,131072,32768,86.0,68.9,70B,llama,2026-11-27,https://groq.com/pricing,",
}


def write_catalog(path: Path, rows: list[str] | None = None, header: str = HEADER) -> Path:
    """Write a catalog CSV (the small valid one unless rows are given) and return its path."""
    lines = [header, *(ROWS.values() if rows is None else rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
