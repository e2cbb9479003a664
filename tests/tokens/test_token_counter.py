"""TokenCounter: exact tiktoken counts, one encode per encoding, labelled estimates, offline loading."""
from __future__ import annotations

import logging
import math
import shutil
import socket
import urllib.request

import pytest
import tiktoken
import tiktoken.load

from app.tokens import TokenCount, TokenCounter
from app.tokens.encodings import SPECS
from app.tokens.families import FAMILY_FACTORS, heuristic_count

SAMPLES = {
    "english": "The quick brown fox jumps over the lazy dog. Prices are per million tokens.",
    "code": "def price(model, tokens):\n    return tokens * model.input_price_per_mtok / 1_000_000\n",
    "cjk": "東京の天気は晴れです。你好，世界！오늘은 좋은 날입니다.",
    "emoji": "Launch day 🚀🦊👍🏽 — café naïve résumé 🇫🇷",
    "special": "ignore <|endoftext|> and <|endofprompt|> and <|fim_prefix|> please",
    "empty": "",
    "whitespace": "   \n\n\t  x  \n",
}
FAMILIES = sorted(FAMILY_FACTORS)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_exact_counts_match_tiktoken(counter, reference, sample, encoding):
    text = SAMPLES[sample]
    expected = len(reference[encoding].encode(text, disallowed_special=()))
    assert counter.count(text, [encoding])[encoding] == TokenCount(expected, encoding, True)


def test_special_token_text_counts_as_text_and_never_raises(counter, reference):
    text = "<|endoftext|>" * 3
    got = counter.count(text, ["o200k_base"])["o200k_base"].count
    assert got == len(reference["o200k_base"].encode_ordinary(text)) > 3


def test_system_prompt_is_encoded_separately_and_added(counter, reference):
    enc = reference["o200k_base"]
    got = counter.count("What does this cost?", ["o200k_base", "claude"], system="You are terse.")
    base = len(enc.encode_ordinary("What does this cost?")) + len(enc.encode_ordinary("You are terse."))
    assert got["o200k_base"].count == base
    assert got["claude"].count == math.ceil(base * FAMILY_FACTORS["claude"])


@pytest.fixture
def encode_calls(counter, monkeypatch) -> list[str]:
    """Record the name of each encoding the counter runs, in order."""
    calls = []
    for name, encoding in counter._encodings.items():
        def spy(text, real=encoding.encode_ordinary, name=name):
            calls.append(name)
            return real(text)
        monkeypatch.setattr(encoding, "encode_ordinary", spy)
    return calls


def test_each_encoding_runs_once_per_call_however_many_tokenizers(counter, encode_calls):
    counter.count("hello world", ["o200k_base", "cl100k_base", *FAMILIES, "o200k_base", "unknown-family"])
    assert sorted(encode_calls) == ["cl100k_base", "o200k_base"]


def test_families_only_encode_o200k(counter, encode_calls):
    counter.count("hello world", FAMILIES)
    assert encode_calls == ["o200k_base"]


@pytest.mark.parametrize("family", FAMILIES)
def test_family_count_is_o200k_times_factor_rounded_up(counter, reference, family):
    text = SAMPLES["english"] * 7
    base = len(reference["o200k_base"].encode_ordinary(text))
    got = counter.count(text, [family])[family]
    assert got == TokenCount(math.ceil(base * FAMILY_FACTORS[family]), family, False)


def test_unknown_family_uses_o200k_count_unscaled(counter, reference):
    got = counter.count("hello there", ["brand-new"])["brand-new"]
    assert got == TokenCount(len(reference["o200k_base"].encode_ordinary("hello there")), "brand-new", False)


def test_every_factor_is_positive_and_documented_families_are_covered():
    assert set(FAMILY_FACTORS) >= {"claude", "gemini", "gemma", "llama", "mistral", "deepseek", "qwen",
                                   "grok", "nova", "kimi", "glm", "phi", "minimax", "nemotron"}
    assert all(factor >= 1.0 for factor in FAMILY_FACTORS.values())


def test_loaded_counter_reports_readiness(counter):
    assert counter.exact_available
    assert counter.encodings == {"o200k_base", "cl100k_base"}


def test_encoding_specs_match_tiktoken_ext(reference):
    for name, spec in SPECS.items():
        assert reference[name]._pat_str == spec.pat_str
        assert reference[name]._special_tokens == spec.special_tokens


def test_heuristic_mode_with_empty_cache_dir_warns_once(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="app.tokens")
    counter = TokenCounter.load(tmp_path)
    text = "Hello, world! " * 10
    first = counter.count(text, ["o200k_base", "cl100k_base", "claude", "gemini"])
    counter.count(text, ["o200k_base", "claude"])
    warnings = [r for r in caplog.records if r.name == "app.tokens" and r.levelno == logging.WARNING]
    assert warnings[0].getMessage() == (f"token counts will be estimates for cl100k_base, o200k_base: "
                                        f"not in {tmp_path} (`make encodings` fills it)")
    assert len(warnings) == 1
    assert not counter.exact_available and counter.encodings == frozenset()
    base = heuristic_count(text)
    assert first["o200k_base"] == TokenCount(base, "heuristic", False)
    assert first["cl100k_base"] == TokenCount(base, "heuristic", False)
    assert first["claude"] == TokenCount(math.ceil(base * FAMILY_FACTORS["claude"]), "heuristic", False)
    assert first["gemini"].tokenizer == "heuristic"


def test_no_cache_dir_at_all_is_heuristic(monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    counter = TokenCounter.load()
    assert counter.count("abcd" * 10, ["o200k_base"])["o200k_base"] == TokenCount(10, "heuristic", False)


def test_a_reason_shared_by_every_encoding_is_said_once(monkeypatch, caplog):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    caplog.set_level(logging.WARNING, logger="app.tokens")
    TokenCounter.load()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "app.tokens"]
    assert warning == ("token counts will be estimates for cl100k_base, o200k_base: "
                       "no cache directory (set TIKTOKEN_CACHE_DIR)")


def test_env_variable_names_the_cache(tiktoken_cache, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
    assert TokenCounter.load().exact_available


def test_missing_cl100k_falls_back_to_o200k_count(tiktoken_cache, tmp_path, reference):
    key = SPECS["o200k_base"].cache_key
    shutil.copyfile(tiktoken_cache / key, tmp_path / key)
    counter = TokenCounter.load(tmp_path)
    assert counter.encodings == {"o200k_base"} and not counter.exact_available
    expected = len(reference["o200k_base"].encode_ordinary("hello world"))
    assert counter.count("hello world", ["cl100k_base"])["cl100k_base"] == TokenCount(expected, "o200k_base", False)


def test_corrupt_cache_file_is_treated_as_missing(tiktoken_cache, tmp_path):
    for spec in SPECS.values():
        (tmp_path / spec.cache_key).write_bytes(b"not a rank file")
    counter = TokenCounter.load(tmp_path)
    assert counter.encodings == frozenset()
    assert (tmp_path / SPECS["o200k_base"].cache_key).read_bytes() == b"not a rank file"   # left alone


def test_loading_never_touches_the_network(tiktoken_cache, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    import requests
    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(tiktoken.load, "read_file", refuse)
    monkeypatch.setattr(tiktoken.load, "read_file_cached", refuse)
    assert TokenCounter.load(tiktoken_cache).exact_available
    assert TokenCounter.load(tmp_path).encodings == frozenset()   # a miss does not fetch either
    assert list(tmp_path.iterdir()) == []                        # nor write into the cache


@pytest.mark.parametrize("text, low, high", [
    ("The quick brown fox jumps over the lazy dog. " * 20, 0.7, 1.5),
    ("東京の天気は晴れです。今日は公園へ行きます。" * 20, 0.7, 1.5),
])
def test_heuristic_is_within_reason_of_o200k(reference, text, low, high):
    exact = len(reference["o200k_base"].encode_ordinary(text))
    assert low * exact <= heuristic_count(text) <= high * exact
