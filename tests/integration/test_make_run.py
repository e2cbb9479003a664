"""The newcomer's path, literally: `make run` offline with no ../shared, encodings fetched once, Python checked."""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import SHARED
from tests.integration.servers import REPO, free_port, wait_for

pytestmark = pytest.mark.integration
VENV = Path(sys.prefix)   # the venv running the tests stands in for the checkout's .venv
# The venv is built and the price-runner command installed (editable) already: make must not redo either.
MAKE = ["make", "--no-print-directory", "-o", f"{VENV}/bin/.runtime", "-o", f"{VENV}/bin/.installed", f"VENV={VENV}"]


@pytest.fixture
def checkout(tmp_path) -> Path:
    """What `make run` needs, copied to tmp_path/repo: nothing at ../shared beside it."""
    target = tmp_path / "repo"
    target.mkdir()
    for name in ("Makefile", "pyproject.toml", "wsgi.py", "gunicorn.conf.py", "models.csv", "quality.csv",
                 "price_history.csv", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(REPO / name, target / name)
    for folder in ("app", "scripts"):
        shutil.copytree(REPO / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def offline_env(**settings: str) -> dict[str, str]:
    """This environment without keys or make's own variables; every download goes to a closed port."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(("_API_KEY", "_TOKEN", "_SECRET_ACCESS_KEY"))
           and k not in {"TIKTOKEN_CACHE_DIR", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    nowhere = f"http://127.0.0.1:{free_port()}"
    env.update(HTTPS_PROXY=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere, http_proxy=nowhere,
               NO_PROXY="", no_proxy="", SECRETS_FILE="/nonexistent/secrets.yaml", RATELIMIT_ENABLED="false")
    env.update(settings)
    return env


def test_make_run_starts_without_encodings_and_says_it_is_degraded(checkout, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "make.log", "w+") as log:
        # The editable install's instance folder is another checkout's: the database goes to tmp_path.
        env = offline_env(PORT=str(port), WEB_CONCURRENCY="1", DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}")
        process = subprocess.Popen([*MAKE, "run"], cwd=checkout, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                wait_for(f"{base}/health", process, timeout=30)
            except (RuntimeError, TimeoutError):
                log.seek(0)
                pytest.fail(f"make run did not serve:\n{log.read()}")
            ready = requests.get(f"{base}/ready", timeout=5)
            price = requests.post(f"{base}/api/get_best_price_for_prompt", json={"prompt": "Hello"}, timeout=5)
        finally:
            os.killpg(process.pid, signal.SIGTERM)   # make and the gunicorn it started, nothing else
            process.wait(timeout=15)
        log.seek(0)
        output = log.read()
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert price.json()["data"][0]["tokenizer"] == "heuristic"
    assert "skipped: token counts will be labelled estimates" in output
    # The fresh database: one line, and no warning with SQL before it was migrated.
    assert output.count("created the database at revision ") == 1 and "no such table" not in output
    # Without encodings the service warns once, in the process that serves (db upgrade does not load them).
    assert output.count("token counts will be estimates") == 1
    assert f"cl100k_base, o200k_base: not in {checkout}/.tiktoken_cache (`make encodings` fills it)" in output


def test_make_fills_the_encodings_once_then_leaves_them(checkout, tmp_path):
    source = SHARED / "data" / "tiktoken"
    if not source.is_dir():
        pytest.skip(f"offline tiktoken encodings not found at {source}")
    shutil.copytree(source, tmp_path / "shared" / "data" / "tiktoken")   # ../shared beside the checkout

    def make_encodings() -> str:
        done = subprocess.run([*MAKE, "encodings"], cwd=checkout, env=offline_env(), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    first, second = make_encodings(), make_encodings()
    assert first.count("tiktoken_cache: ok ") == 2
    assert second.strip() == f"tiktoken_cache: {checkout}/.tiktoken_cache already holds every encoding"


def test_an_old_python_is_named_before_any_venv_is_built(checkout, tmp_path):
    old_python = tmp_path / "python3.10"
    old_python.write_text('#!/bin/sh\n[ "$1" = "--version" ] && { echo "Python 3.10.12"; exit 0; }\nexit 1\n')
    old_python.chmod(0o755)
    venv = tmp_path / "venv"
    done = subprocess.run(["make", f"PYTHON={old_python}", f"VENV={venv}", "run"], cwd=checkout,
                          env=offline_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "price-runner needs Python 3.11 or newer;" in done.stderr and "Python 3.10.12" in done.stderr
    assert not venv.exists()
