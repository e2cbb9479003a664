"""scripts/tiktoken_cache.py: verified copies under cache keys, idempotent, clear failures."""
from __future__ import annotations

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


def offline(*args, **kwargs):
    raise ConnectionError("offline")


def test_download_mode_fails_cleanly_without_network(tmp_path, monkeypatch, capsys):
    import requests

    monkeypatch.setattr(requests, "get", offline)   # no DNS lookup either
    assert main(["--download", "--to", str(tmp_path / "cache")]) == 1
    assert "tiktoken_cache: download failed: offline" in capsys.readouterr().err


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Serve a directory over loopback HTTP in place of the encodings' public address."""
    import functools
    import http.server
    import threading

    import scripts.tiktoken_cache as script

    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(script, "URL_TEMPLATE", f"http://127.0.0.1:{server.server_port}/{{name}}.tiktoken")
    yield root
    server.shutdown()
    server.server_close()


def test_download_mode_writes_verified_files_under_cache_keys(served, tmp_path):
    for encoding in ENCODINGS.values():
        shutil.copyfile(SHARED_TIKTOKEN / encoding.file_name, served / encoding.file_name)
    assert main(["--download", "--to", str(tmp_path / "cache")]) == 0
    for encoding in ENCODINGS.values():
        assert sha256_of(tmp_path / "cache" / encoding.cache_key) == encoding.sha256


def test_a_downloaded_file_with_the_wrong_hash_is_not_kept(served, tmp_path, capsys):
    for encoding in ENCODINGS.values():
        (served / encoding.file_name).write_bytes(b"not the encoding")
    assert main(["--download", "--to", str(tmp_path / "cache")]) == 1
    assert "does not match" in capsys.readouterr().err and list((tmp_path / "cache").iterdir()) == []


def test_a_cache_that_holds_every_encoding_is_left_alone(tmp_path, monkeypatch, capsys):
    import scripts.tiktoken_cache as script

    target = tmp_path / "cache"
    copy_into_cache(SHARED_TIKTOKEN, target)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the cache was complete: nothing to copy or fetch")

    monkeypatch.setattr(script, "copy_into_cache", must_not_run)
    monkeypatch.setattr(script, "download_into_cache", must_not_run)
    assert main(["--from", str(SHARED_TIKTOKEN), "--download", "--to", str(target)]) == 0
    assert capsys.readouterr().out == f"tiktoken_cache: {target} already holds every encoding\n"


def test_from_and_download_copies_when_the_directory_is_there(tmp_path, monkeypatch):
    import scripts.tiktoken_cache as script

    monkeypatch.setattr(script, "download_into_cache", lambda *a: pytest.fail("copied files are there"))
    assert main(["--from", str(SHARED_TIKTOKEN), "--download", "--to", str(tmp_path / "cache")]) == 0


def test_from_and_download_downloads_when_the_directory_is_missing(tmp_path, monkeypatch):
    import scripts.tiktoken_cache as script

    fetched = []
    monkeypatch.setattr(script, "download_into_cache", lambda target: fetched.append(target) or [])
    assert main(["--from", str(tmp_path / "nowhere"), "--download", "--to", str(tmp_path / "cache")]) == 0
    assert fetched == [tmp_path / "cache"]


def test_optional_means_a_failed_download_is_not_an_error(tmp_path, monkeypatch, capsys):
    import requests

    monkeypatch.setattr(requests, "get", offline)
    assert main(["--from", str(tmp_path / "nowhere"), "--download", "--to", str(tmp_path / "c"), "--optional"]) == 0
    assert "skipped: token counts will be labelled estimates" in capsys.readouterr().err


def test_a_download_that_gets_no_answer_gives_up(tmp_path, monkeypatch, capsys):
    import socket
    import threading

    import scripts.tiktoken_cache as script

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)   # accepts connections (the kernel does) and never answers
    proxy = f"http://127.0.0.1:{silent.getsockname()[1]}"
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    monkeypatch.setattr(script, "CONNECT_TIMEOUT_S", 0.5)   # a proxy tunnel is set up within it
    monkeypatch.setattr(script, "DOWNLOAD_TIMEOUT_S", 0.5)
    result = []
    worker = threading.Thread(target=lambda: result.append(main(["--download", "--to", str(tmp_path / "c")])),
                              daemon=True)
    worker.start()
    worker.join(timeout=10)
    silent.close()
    assert result == [1] and "download failed" in capsys.readouterr().err


def test_from_an_empty_directory_and_download_downloads(tmp_path, monkeypatch):
    import scripts.tiktoken_cache as script

    (tmp_path / "empty").mkdir()   # the Dockerfile's default build context for the encodings
    fetched = []
    monkeypatch.setattr(script, "download_into_cache", lambda target: fetched.append(target) or [])
    assert main(["--from", str(tmp_path / "empty"), "--download", "--to", str(tmp_path / "cache")]) == 0
    assert fetched == [tmp_path / "cache"]
