"""The flask commands: db upgrade (migrate, seed), catalog import/export/sync, keys."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from app.store.engine import reading
from app.store.keys import principal_for
from app.store.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")


@pytest.fixture
def cli_app(make_app, database_url, tmp_path):
    for name in ("models.csv", "price_history.csv"):
        shutil.copy(REPO / name, tmp_path / name)
    app = make_app(DATABASE_URL=database_url, MODELS_CSV=str(tmp_path / "models.csv"))
    yield app
    app.extensions["store"].engine.dispose()


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_db_upgrade_migrates_and_seeds_once(cli_app):
    code, output = run(cli_app, "db", "upgrade")
    assert code == 0 and f"at revision {head_revision()}" in output and "seeded the catalog: 80 models, 101 price versions" in output
    code, output = run(cli_app, "db", "upgrade")
    assert code == 0 and "seeded" not in output


def test_catalog_export_import_round_trip(cli_app, tmp_path):
    run(cli_app, "db", "upgrade")
    out = tmp_path / "out" / "models.csv"
    out.parent.mkdir()
    code, output = run(cli_app, "catalog", "export", "--models", str(out))
    assert code == 0 and "wrote 80 models" in output
    assert out.read_bytes() == (REPO / "models.csv").read_bytes()
    assert out.with_name("price_history.csv").read_bytes() == (REPO / "price_history.csv").read_bytes()
    code, output = run(cli_app, "catalog", "import", "--models", str(out))
    assert code == 0 and "already matches" in output


def test_catalog_import_error_is_one_clear_line(cli_app, tmp_path):
    run(cli_app, "db", "upgrade")
    history = tmp_path / "price_history.csv"
    history.write_text(history.read_text().replace("gemini-4-argon,2026-12-01,4,20", "gemini-4-argon,2026-12-01,5,20"))
    code, output = run(cli_app, "catalog", "import")
    assert code == 1
    assert ("Error: catalog: google/gemini-4-argon: the version from 2026-12-01 has taken effect; "
            "it cannot be changed") in output


def test_catalog_sync_prints_the_difference_and_applies_it(cli_app, tmp_path):
    history = tmp_path / "price_history.csv"
    history.write_text("".join(line for line in history.read_text().splitlines(keepends=True)
                               if not line.startswith("google/gemini-3.8-flash,2027-01-01")))
    run(cli_app, "db", "upgrade")
    code, output = run(cli_app, "catalog", "sync")
    assert code == 0 and "google/gemini-3.8-flash  2027-01-01" in output and "applied" not in output
    code, output = run(cli_app, "catalog", "sync", "--apply")
    assert code == 0 and "applied 1 price changes; catalog version 2" in output
    # The app's own catalog refresher may log (a JSON line) while the command runs: not its output.
    said = [line for line in run(cli_app, "catalog", "sync")[1].splitlines() if not line.startswith('{"time"')]
    # The progress line (on stderr, before the seconds genai-prices takes), then the verdict.
    assert said == [f"comparing the catalog with genai-prices {version('genai-prices')} ...",
                    "The catalog matches genai-prices."]


def test_keys_commands(cli_app):
    run(cli_app, "db", "upgrade")
    code, output = run(cli_app, "keys", "create", "ci-bot")
    key = output.splitlines()[0]
    assert code == 0 and key.startswith("prk_")
    with reading(cli_app.extensions["store"].engine) as session:
        assert principal_for(session, key) == "ci-bot"
    code, output = run(cli_app, "keys", "list")
    assert code == 0 and "ci-bot" in output and "live" in output and key not in output
    assert run(cli_app, "keys", "create", "ci-bot") == (1, "Error: 'ci-bot' already has a live key; revoke it first\n")
    assert run(cli_app, "keys", "revoke", "ci-bot") == (0, "revoked key 'ci-bot'\n")
    assert "revoked 20" in run(cli_app, "keys", "list")[1]
    with reading(cli_app.extensions["store"].engine) as session:
        assert principal_for(session, key) is None


def test_flask_db_upgrade_through_wsgi(tmp_path, encodings_dir):
    """What `make run` does before serving, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'instance' / 'db.sqlite'}", TIKTOKEN_CACHE_DIR=str(encodings_dir),
               SECRETS_FILE="/nonexistent/secrets.yaml")
    done = subprocess.run([str(FLASK), "--app", "wsgi", "db", "upgrade"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "seeded the catalog" in done.stdout and (tmp_path / "instance" / "db.sqlite").is_file()
