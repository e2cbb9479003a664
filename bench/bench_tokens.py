"""Benchmark TokenCounter.count over all catalog tokenizers against one raw tiktoken o200k encode.

Run from the repo root with a cache built by scripts/tiktoken_cache.py:
    TIKTOKEN_CACHE_DIR=.tiktoken_cache python bench/bench_tokens.py [--csv models.csv]
Target: little more than 1x the raw o200k encode, plus one cl100k encode if the catalog uses it.
"""
from __future__ import annotations

import argparse
import random
import sys
import timeit
from pathlib import Path

import tiktoken

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalog.csv_loader import load_models  # noqa: E402
from app.vendors import VENDORS  # noqa: E402
from app.tokens import TokenCounter  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
WORDS = ("the price of a prompt depends on tokens models vendors cache context window output "
         "input request def return import class 42 3.14 {} [] () == != -> => 東京 価格 🦊 "
         "naïve café résumé über señor").split()


def prompt_of(tokens: int, encode) -> str:
    """Build a deterministic mixed prose/code/unicode text of about `tokens` o200k tokens."""
    rng = random.Random(tokens)
    words = []
    while True:
        words.extend(rng.choice(WORDS) for _ in range(tokens))
        text = " ".join(words)
        if len(encode(text)) >= tokens:
            return text


def main() -> int:
    """Time counting at three prompt sizes and print ratios against raw encodes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="models.csv")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    counter = TokenCounter.load()
    if not counter.exact_available:
        print("bench_tokens: encodings not loaded; set TIKTOKEN_CACHE_DIR to a cache built by "
              "scripts/tiktoken_cache.py", file=sys.stderr)
        return 1
    tokenizers = sorted({model.tokenizer for model in load_models(args.csv, VENDORS)})
    # The baseline is stock tiktoken reading the same cache (counter.exact_available proved it is there).
    o200k, cl100k = tiktoken.get_encoding("o200k_base"), tiktoken.get_encoding("cl100k_base")
    uses_cl100k = "cl100k_base" in tokenizers
    print(f"catalog tokenizers ({len(tokenizers)}): {', '.join(tokenizers)}")
    print(f"{'tokens':>8} {'o200k us':>10} {'o200k+cl100k us':>16} {'count() us':>11} "
          f"{'vs o200k':>9} {'vs baseline':>12}")
    for size in SIZES:
        text = prompt_of(size, o200k.encode_ordinary)
        number = max(3, 200_000 // size)
        raw = _best_us(lambda: len(o200k.encode_ordinary(text)), number, args.repeat)
        both = _best_us(lambda: (len(o200k.encode_ordinary(text)), len(cl100k.encode_ordinary(text))),
                        number, args.repeat)
        ours = _best_us(lambda: counter.count(text, tokenizers), number, args.repeat)
        baseline = both if uses_cl100k else raw
        assert counter.count(text, ["o200k_base"])["o200k_base"].count == len(o200k.encode_ordinary(text))
        print(f"{size:>8} {raw:>10.0f} {both:>16.0f} {ours:>11.0f} {ours / raw:>8.2f}x {ours / baseline:>11.2f}x")
    print("baseline = raw o200k encode" + (" + raw cl100k encode (catalog has cl100k models)" if uses_cl100k else ""))
    return 0


def _best_us(func, number: int, repeat: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number * 1e6


if __name__ == "__main__":
    sys.exit(main())
