"""The flask commands: db upgrade (migrate, seed), catalog import/export/sync, keys."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from app.store.catalog_db import catalog_version
from app.store.engine import reading
from app.store.keys import principal_for
from app.store.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
ROWS = len((REPO / "models.csv").read_text().splitlines()) - 1            # the bundled models
VERSIONS = len((REPO / "price_history.csv").read_text().splitlines()) - 1   # and their price versions


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
    assert code == 0 and f"at revision {head_revision()}" in output and f"seeded the catalog: {ROWS} models, {VERSIONS} price versions" in output
    code, output = run(cli_app, "db", "upgrade")
    assert code == 0 and "seeded" not in output


def test_catalog_export_import_round_trip(cli_app, tmp_path):
    run(cli_app, "db", "upgrade")
    out = tmp_path / "out" / "models.csv"
    out.parent.mkdir()
    code, output = run(cli_app, "catalog", "export", "--models", str(out))
    assert code == 0 and f"wrote {ROWS} models" in output
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
    assert said[:2] == [f"comparing the catalog with genai-prices {version('genai-prices')} ...",
                        f"The catalog matches genai-prices {version('genai-prices')}."]
    assert said[3].endswith("older models of our providers, listed when the catalog was seeded, are not carried.)")


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


GPT_9 = {"id": "gpt-9", "name": "GPT 9", "match": {"equals": "gpt-9"}, "context_window": 400000, "prices": [
    {"prices": {"input_mtok": 1, "output_mtok": 4}},
    {"constraint": {"start_date": "2030-01-01"}, "prices": {"input_mtok": 2, "output_mtok": 8}}]}


def test_catalog_sync_source_adds_a_new_model_that_serves_after_a_restart(cli_app, make_app, database_url, tmp_path):
    source = tmp_path / "prices.json"
    source.write_text(json.dumps([{"id": "openai", "name": "OpenAI", "api_pattern": "x", "models": [GPT_9]}]))
    run(cli_app, "db", "upgrade")
    for _ in range(2):   # shown on every run until it is added
        code, output = run(cli_app, "catalog", "sync", "--source", str(source))
        assert code == 0 and "openai/gpt-9" in output and "2030-01-01" in output and "matches" not in output
    code, output = run(cli_app, "catalog", "sync", "--source", str(source), "--apply", "--add-new")
    assert code == 0 and "applied 0 price changes and added 1 models; catalog version 2" in output
    code, output = run(cli_app, "catalog", "sync", "--source", str(source))
    assert "openai/gpt-9" not in output and "The catalog matches genai-prices data at" in output
    restarted = make_app(DATABASE_URL=database_url).test_client()
    [served] = [m for m in restarted.get("/api/models").get_json()["data"] if m["id"] == "openai/gpt-9"]
    assert (served["input_price_per_mtok"], served["max_output_tokens"], served["tokenizer"]) == (1, 400000, "o200k_base")
    for at, cost in [("2029-12-31T23:59:59Z", 0.4), ("2030-01-01", 0.8)]:
        response = restarted.post("/api/get_best_price_for_prompt", json={
            "prompt": "Hi", "expected_output_tokens": 100_000, "model_names": ["openai/gpt-9"], "at": at})
        assert response.get_json()["data"][0]["output_cost"] == pytest.approx(cost)


@pytest.mark.parametrize("content", [None, "[{]"])
def test_catalog_sync_with_an_unreadable_source_applies_nothing(cli_app, tmp_path, content):
    source = tmp_path / "prices.json"
    if content is not None:
        source.write_text(content)
    run(cli_app, "db", "upgrade")
    code, output = run(cli_app, "catalog", "sync", "--source", str(source), "--apply", "--add-new")
    said = [line for line in output.splitlines() if not line.startswith('{"time"')]
    assert code == 1 and said[0] == f"comparing the catalog with {source} ..."
    assert said[1].startswith(f"Error: nothing applied: cannot read price data from {source}: ")
    with reading(cli_app.extensions["store"].engine) as session:
        assert catalog_version(session) == 1


def test_prices_source_url_is_the_default_source(make_app, database_url, tmp_path):
    app = make_app(DATABASE_URL=database_url, PRICES_SOURCE_URL=str(tmp_path / "absent.json"))
    run(app, "db", "upgrade")
    code, output = run(app, "catalog", "sync")
    assert code == 1 and f"cannot read price data from {tmp_path / 'absent.json'}" in output
