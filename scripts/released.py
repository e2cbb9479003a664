"""Fill models.csv's ``released`` column (added if missing): each model's release date, from its
maker's announcement or genai-prices' notes (SOURCES), else the date git history shows the catalog
first listing the row. Cells already filled are kept. Run: python -m scripts.released [models.csv]
"""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from app.catalog.model import COLUMNS

# model_name -> (release date, where it is stated). Dates are the public release (a limited
# preview counts); Bedrock-only rows give the Bedrock launch where that is all that is stated.
SOURCES: dict[str, tuple[str, str]] = {
    "gpt-6.2-sol": ("2026-11-17", "genai-prices 0.2.5 (openai gpt-6.2-sol: 'Released 2026-11-17')"),
    "gpt-6.2-astra": ("2026-11-17", "genai-prices 0.2.5 (openai gpt-6.2-astra: 'Released 2026-11-17')"),
    "gemini-4-neon": ("2026-11-18", "genai-prices 0.2.5 (google gemini-4-neon: tier rates 'verified on "
                                    "2026-11-19, the day after launch')"),
    "gemini-4-neon:batch": ("2026-11-18", "genai-prices 0.2.5 (google gemini-4-neon: launched 2026-11-18)"),
    "gpt-6.1-sol": ("2026-09-29", "genai-prices 0.2.3 (openai gpt-6.1-sol: 'Released 2026-09-29')"),
    "gpt-5.6-sol": ("2026-06-26", "https://openai.com/index/previewing-gpt-5-6-sol/ (limited preview, 2026-06-26)"),
    "gpt-5.6-terra": ("2026-06-26", "https://openai.com/index/previewing-gpt-5-6-sol/"),
    "gpt-5.6-luna": ("2026-06-26", "https://openai.com/index/previewing-gpt-5-6-sol/"),
    "claude-haiku-4-5": ("2025-10-15", "Claude (language model), Wikipedia: Haiku 4.5 October 15, 2025"),
    "gemini-3.5-flash": ("2026-05-19", "https://www.devclubhouse.com/models/gemini (Google I/O, May 19, 2026)"),
    "nova-2-lite": ("2025-12-02", "https://grokipedia.com/page/Amazon_Nova_2_Lite (released December 2, 2025)"),
    "kimi-k3.1": ("2026-11-04", "genai-prices 0.2.3 (aws kimi-k3.1: 'Launched on Bedrock 2026-11-04')"),
    "gpt-oss-120b": ("2025-08-05", "https://yourstory.com/ai-story/openai-gpt-oss-120b-20b-models-release"),
    "gpt-oss-20b": ("2025-08-05", "https://yourstory.com/ai-story/openai-gpt-oss-120b-20b-models-release"),
    "llama-3.1-8b": ("2024-07-23", "https://aiwiki.ai/wiki/llama_3_1 (released by Meta on July 23, 2024)"),
    "llama-4-scout": ("2025-04-05", "https://aiwiki.ai/wiki/llama_4 (released on April 5, 2025)"),
    "llama-4-maverick": ("2025-04-05", "https://aiwiki.ai/wiki/llama_4"),
    "qwen3-32b": ("2025-04-29", "https://grokipedia.com/page/Qwen3-32B (officially released on April 29, 2025)"),
    "qwen3-8b": ("2025-04-29", "https://grokipedia.com/page/Qwen3-32B (the Qwen3 family announcement)"),
    "deepseek-flash": ("2026-09-10", "genai-prices 0.2.3 (deepseek-flash: 'Released 2026-09-10', "
                                     "api-docs.deepseek.com/updates)"),
    "deepseek-v4-pro": ("2026-04-24", "https://deepseekai.guide/news/deepseek-v4-release-date/ "
                                      "(V4 Preview, April 24, 2026)"),
    "deepseek-v4-flash": ("2026-04-24", "https://deepseekai.guide/news/deepseek-v4-release-date/"),
    "mistral-large-3": ("2025-12-02", "https://www.theregister.com/2025/12/02/mistral_3/ (Mistral 3, 2025-12-02)"),
    "ministral-14b": ("2025-12-02", "https://www.theregister.com/2025/12/02/mistral_3/"),
    "ministral-8b": ("2025-12-02", "https://www.theregister.com/2025/12/02/mistral_3/"),
    "ministral-3b": ("2025-12-02", "https://www.theregister.com/2025/12/02/mistral_3/"),
    "grok-code-fast-1": ("2025-08-26", "xAI model page as mirrored at glama.ai (grok-api-mcp "
                                       "model-grok-code-fast-1.md: Release Date August 26, 2025)"),
    "grok-4-1-fast-reasoning": ("2025-11-17", "xAI model page as mirrored at glama.ai (grok-api-mcp "
                                             "model-grok-4-1-fast-reasoning.md: November 17, 2025; Vercel's gateway "
                                             "lists 2025-11-19 for Vertex)"),
}


def first_listed(models_csv: Path, model_id: str, provider: str) -> str | None:
    """The date of the first commit whose models.csv holds the row (git log -S on its id and provider)."""
    try:
        dates = subprocess.run(
            ["git", "log", "--reverse", "--format=%ad", "--date=short", "-S", f"{model_id},{provider},",
             "--", models_csv.name], cwd=models_csv.parent, capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    found = dates.stdout.split()
    return found[0] if found else None


def fill(models_csv: Path) -> list[tuple[str, str, str]]:
    """Add and fill the released column; return (id, date, basis) for each cell filled."""
    with open(models_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    if "released" not in header:
        header = [*header, "released"]
    # Rows written without the column (a file from before it, or rows appended since) get it empty.
    body = [[*row, ""] if any(row) and len(row) == len(header) - 1 else row for row in body]
    if tuple(header) != COLUMNS:
        raise SystemExit(f"{models_csv}: header is not {','.join(COLUMNS)}")
    at = {name: index for index, name in enumerate(header)}
    filled = []
    for row in body:
        if not any(row) or row[at["released"]]:
            continue
        known = SOURCES.get(row[at["model_name"]])
        if known:
            row[at["released"]] = known[0]
            filled.append((row[at["id"]], known[0], known[1]))
        elif listed := first_listed(models_csv, row[at["id"]], row[at["provider"]]):
            row[at["released"]] = listed
            filled.append((row[at["id"]], listed, "first listed in models.csv (git history)"))
    with open(models_csv, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *body])
    return filled


def main(argv: list[str]) -> None:
    path = Path(argv[0] if argv else "models.csv").resolve()
    for model_id, day, basis in fill(path):
        print(f"{model_id},{day},{basis}")


if __name__ == "__main__":
    main(sys.argv[1:])
