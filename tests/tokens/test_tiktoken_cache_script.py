"""scripts/tiktoken_cache.py: verified copies under cache keys, idempotent, clear failures."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from app.tokens.encodings import SPECS
from scripts.tiktoken_cache import ENCODINGS, copy_into_cache, main, sha256_of

SHARED_TIKTOKEN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tiktoken"
pytestmark = pytest.mark.skipif(not SHARED_TIKTOKEN.is_dir(), reason="offline tiktoken files not present")


def test_script_and_app_agree_on_names_hashes_and_cache_keys():
    assert set(ENCODINGS) == set(SPECS)
    for name, spec in SPECS.items():
        assert (ENCODINGS[name].sha256, ENCODINGS[name].cache_key) == (spec.sha256, spec.cache_key)


def test_cache_keys_are_tiktokens():
    assert ENCODINGS["o200k_base"].cache_key == "fb374d419588a4632f3f557e76b4b70aebbca790"
    assert ENCODINGS["cl100k_base"].cache_key == "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"


def test_copy_writes_verified_files_under_cache_keys_and_is_idempotent(tmp_path, capsys):
    target = tmp_path / "cache"
    assert main(["--from", str(SHARED_TIKTOKEN), "--to", str(target)]) == 0
    assert main(["--from", str(SHARED_TIKTOKEN), "--to", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(e.cache_key for e in ENCODINGS.values())
    for encoding in ENCODINGS.values():
        assert sha256_of(target / encoding.cache_key) == encoding.sha256


def test_hash_mismatch_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    source = tmp_path / "src"
    source.mkdir()
    shutil.copyfile(SHARED_TIKTOKEN / "cl100k_base.tiktoken", source / "o200k_base.tiktoken")
    assert main(["--from", str(source), "--to", str(tmp_path / "cache")]) == 1
    assert "does not match" in capsys.readouterr().err
    assert not (tmp_path / "cache" / ENCODINGS["o200k_base"].cache_key).exists()


def test_a_corrupt_cached_copy_is_replaced(tmp_path):
    target = tmp_path / "cache"
    copy_into_cache(SHARED_TIKTOKEN, target)
    (target / ENCODINGS["o200k_base"].cache_key).write_bytes(b"junk")
    copy_into_cache(SHARED_TIKTOKEN, target)
    assert sha256_of(target / ENCODINGS["o200k_base"].cache_key) == ENCODINGS["o200k_base"].sha256


def test_missing_source_fails_unless_optional(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["--from", str(missing), "--to", str(tmp_path / "cache")]) == 1
    assert main(["--from", str(missing), "--to", str(tmp_path / "cache"), "--optional"]) == 0
    assert "skipped" in capsys.readouterr().err


def test_missing_file_in_source_is_reported(tmp_path, capsys):
    (tmp_path / "src").mkdir()
    assert main(["--from", str(tmp_path / "src"), "--to", str(tmp_path / "cache")]) == 1
    assert "missing" in capsys.readouterr().err


def test_download_mode_fails_cleanly_without_network(tmp_path, monkeypatch, capsys):
    import tiktoken.load

    def offline(url):
        raise ConnectionError(f"offline: {url}")

    monkeypatch.setattr(tiktoken.load, "read_file", offline)   # no DNS lookup either
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/somewhere/else")
    assert main(["--download", "--to", str(tmp_path / "cache")]) == 1
    assert "tiktoken_cache:" in capsys.readouterr().err
    assert os.environ["TIKTOKEN_CACHE_DIR"] == "/somewhere/else"
