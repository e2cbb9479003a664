"""The Dockerfile, read as docker would (no Docker engine here): encodings before the app code, offline from ../shared."""
import fnmatch
import os
import re
import shlex
import subprocess
import sys

import pytest

from scripts.tiktoken_cache import ENCODINGS, sha256_of
from tests.conftest import REPO, SHARED

OFFLINE_BUILD = "docker build --build-context tiktoken=../shared/data/tiktoken -t price-runner ."


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order; continuation lines joined, comments dropped."""
    joined, pending = [], ""
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line
        if not line.rstrip().endswith("\\"):
            joined.append(pending)
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in joined]


def fetch_index(steps) -> int:
    (index,) = [i for i, (op, args) in enumerate(steps) if op == "RUN" and "tiktoken_cache.py" in args]
    return index


def test_buildkit_syntax_and_an_empty_default_source_for_the_encodings():
    assert (REPO / "Dockerfile").read_text().startswith("# syntax=docker/dockerfile:1\n")
    assert instructions()[0] == ("FROM", "scratch AS tiktoken")


def test_encodings_are_fetched_before_any_app_code_is_copied():
    steps = instructions()
    fetch = fetch_index(steps)
    copied_before = [args for op, args in steps[:fetch] if op == "COPY"]
    assert copied_before == ["requirements.txt .", "scripts/tiktoken_cache.py scripts/"]
    assert any(op == "COPY" and args.startswith("app/") for op, args in steps[fetch:])


def test_the_fetch_reads_the_tiktoken_context_and_downloads_only_without_it():
    op, args = instructions()[fetch_index(instructions())]
    assert "--mount=type=bind,from=tiktoken,target=/tiktoken" in args
    command = shlex.split(args.split(None, 1)[1])
    assert command[:2] == ["python", "scripts/tiktoken_cache.py"] and "--optional" not in command
    assert command[command.index("--from") + 1] == "/tiktoken" and "--download" in command


def test_every_copied_path_exists_and_is_not_docker_ignored():
    ignored = [p.strip().rstrip("/") for p in (REPO / ".dockerignore").read_text().splitlines() if p.strip()]
    for op, args in instructions():
        if op == "COPY":
            for source in args.split()[:-1]:
                assert (REPO / source).exists(), source
                assert not any(fnmatch.fnmatch(source.rstrip("/"), pattern) for pattern in ignored), source


def test_the_offline_build_command_is_documented():
    assert OFFLINE_BUILD in (REPO / "Dockerfile").read_text()
    assert OFFLINE_BUILD in (REPO / "docs" / "deployment.md").read_text()


def test_the_fetch_step_fills_the_cache_from_the_context_without_a_network(tmp_path):
    source = SHARED / "data" / "tiktoken"
    if not source.is_dir():
        pytest.skip(f"offline tiktoken encodings not found at {source}")
    command = shlex.split(instructions()[fetch_index(instructions())][1].split(None, 1)[1])
    cache = tmp_path / "cache"
    command = [sys.executable if part == "python" else str(source) if part == "/tiktoken"
               else str(cache) if part == "$TIKTOKEN_CACHE_DIR" else part for part in command]
    nowhere = "http://127.0.0.1:9"   # a download attempt would fail
    env = {**os.environ, "HTTPS_PROXY": nowhere, "https_proxy": nowhere, "NO_PROXY": "", "no_proxy": ""}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for encoding in ENCODINGS.values():
        assert sha256_of(cache / encoding.cache_key) == encoding.sha256


def test_the_image_listens_on_every_interface_explicitly():
    # make run binds 127.0.0.1 by default; a container is reached through its own interface.
    assert re.search(r"^\s+HOST=0\.0\.0\.0 \\$", (REPO / "Dockerfile").read_text(), re.MULTILINE)
