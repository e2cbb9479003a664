"""`price-runner`, the installed console script: one-line errors with exit 2, a quiet fresh database,
and the ledger's totals from `usage report`."""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.cli import main
from app.spend import ledger_db
from app.spend.budgets import Periods
from app.store.engine import make_engine
from app.store.migrate import head_revision
from tests.conftest import REPO

PRICE_RUNNER = Path(sys.executable).with_name("price-runner")
CATALOG_ROWS = len((REPO / "models.csv").read_text().splitlines()) - 1    # the bundled models
VERSIONS = len((REPO / "price_history.csv").read_text().splitlines()) - 1   # and their price versions


def price_runner(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the console script as a user would, outside make (no TIKTOKEN_CACHE_DIR)."""
    if not PRICE_RUNNER.exists():
        pytest.fail(f"{PRICE_RUNNER} is missing: `make` installs it (pip install --no-deps -e .)")
    return subprocess.run([str(PRICE_RUNNER), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A shell without encodings or vendor keys, on a database of its own (not yet created)."""
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR" and not k.endswith("_API_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh' / 'price-runner.db'}", SECRETS_FILE="/nonexistent.yaml")
    (tmp_path / "fresh").mkdir()
    return env


@pytest.mark.parametrize("args", [
    ["usage", "report", "--group-by", "vendor"],
    ["usage", "report", "--format", "xml"],
    ["usage", "report", "--from", "2026-13-01"],
    ["usage", "report", "--from", "2026-12-02", "--to", "2026-12-01"],
    ["usage", "purge"],
    ["keys", "create"],
    ["catalog", "sink"],
    ["serve", "--port", "70000"],
    ["nonsense"],
])
def test_bad_arguments_are_one_line_and_exit_2(args, capsys):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("price-runner"), err


def test_a_fresh_database_is_created_with_one_line_and_no_warning(env):
    done = price_runner("db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""   # no WARNING with SQL, no word about token encodings it does not use
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith(f"created the database at revision {head_revision()}; "
                                  f"seeded the catalog: {CATALOG_ROWS} models, {VERSIONS} price versions (sqlite:///")
    again = price_runner("db", "upgrade", env=env)
    assert again.stdout.startswith(f"the database is at revision {head_revision()}, the newest") and again.stderr == ""


def test_a_command_on_an_unmigrated_database_says_what_to_do(env):
    done = price_runner("keys", "list", env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("price-runner: the database failed: no such table: api_keys; "
                           "is it migrated? (price-runner db upgrade)\n")


def ledger_row(principal: str, at: datetime, model: str, cost: str, tokens: int) -> dict:
    return {"created_at": at, "request_id": "r", "principal": principal, "model_id": model,
            "provider": model.split("/")[0], "price_version_id": None, "estimated_input_tokens": tokens - 1,
            "input_tokens": tokens, "output_tokens": 5, "cached_tokens": 2, "reasoning_tokens": 1,
            "cost": Decimal(cost), "cost_basis": "billed", "latency_ms": 1, "outcome": "ok", "error_type": None}


ROWS = [("alice", datetime(2026, 12, 1, 9, tzinfo=UTC), "openai/gpt-6.1-sol", "0.000123456789", 10),
        ("bob", datetime(2026, 12, 1, 10, tzinfo=UTC), "openai/gpt-6.1-sol", "1.5", 20),
        ("alice", datetime(2026, 12, 2, 8, tzinfo=UTC), "groq/llama-3.1-8b", "0.000000000001", 30),
        ("alice", datetime(2026, 11, 30, 23, tzinfo=UTC), "groq/llama-3.1-8b", "7", 40)]   # before --from


@pytest.fixture
def ledger(env):
    assert price_runner("db", "upgrade", env=env).returncode == 0
    engine = make_engine(env["DATABASE_URL"])
    rows = [ledger_row(*row) for row in ROWS]
    ledger_db.write(engine, ledger_db.Entry("x", Periods.at(rows[0]["created_at"]), rows))
    engine.dispose()
    return env


def test_usage_report_prints_the_ledgers_totals_as_csv(ledger):
    done = price_runner("usage", "report", "--group-by", "model", "--format", "csv",
                        "--from", "2026-12-01", "--to", "2027-01-01", env=ledger)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["key"], r["calls"], r["input_tokens"], r["cost"]) for r in rows] == [
        ("groq/llama-3.1-8b", "1", "30", "0.000000000001"),
        ("openai/gpt-6.1-sol", "2", "30", "1.500123456789")]   # exact, as the ledger holds it


def test_usage_report_as_a_table_and_as_json_with_totals(ledger):
    by_day = price_runner("usage", "report", "--from", "2026-11-01", "--to", "2026-12-03", env=ledger).stdout
    lines = by_day.splitlines()
    assert lines[0] == "usage from 2026-11-01T00:00:00Z to 2026-12-03T00:00:00Z by day (cost in USD)"
    assert [line.split()[:2] for line in lines[2:]] == [["2026-11-30", "1"], ["2026-12-01", "2"],
                                                        ["2026-12-02", "1"], ["total", "4"]]
    assert lines[-1].split()[6] == "8.50012345679"   # 7 + 1.5 + 0.000123456789 + 0.000000000001
    report = json.loads(price_runner("usage", "report", "--group-by", "principal", "--format", "json",
                                     "--from", "2026-12-01", "--to", "2026-12-03", env=ledger).stdout)
    assert [(row["key"], row["calls"], row["cost"]) for row in report["data"]] == [
        ("alice", 2, "0.00012345679"), ("bob", 1, "1.5")]
    assert report["total"] == {"calls": 3, "input_tokens": 60, "output_tokens": 15, "cached_tokens": 6,
                               "reasoning_tokens": 3, "cost": "1.50012345679", "estimated_input_tokens": 57}
    mine = price_runner("usage", "report", "--group-by", "model", "--format", "csv", "--principal", "bob",
                        "--from", "2026-12-01", env=ledger).stdout
    assert mine.splitlines()[1:] == ["openai/gpt-6.1-sol,1,20,5,2,1,1.5,19"]


def test_the_flask_alias_runs_the_same_commands(ledger):
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "--app", "wsgi", "usage", "report", "--group-by", "provider", "--format",
                           "csv", "--from", "2026-12-01", "--to", "2026-12-03"], env=ledger, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stdout.splitlines() if not line.startswith('{"time"')]   # the app's JSON log
    assert said[1:] == ["groq,1,30,5,2,1,0.000000000001,29",
                                            "openai,2,30,10,4,2,1.500123456789,28"]


def documented_commands() -> list[list[str]]:
    """Every `.venv/bin/price-runner ...` line of the docs' sh blocks, in the order shown (serve aside)."""
    commands = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for block in re.findall(r"^```sh\n(.*?)^```$", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
            for line in block.splitlines():
                words = shlex.split(line, comments=True) if line.startswith(".venv/bin/price-runner ") else []
                if words and words[1] != "serve":
                    commands.append(words[1:])
    return commands


@pytest.fixture
def quiet_root():
    """main() points the root logger at stderr, as the console script does; put pytest's back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_every_command_the_docs_show_runs_as_written(tmp_path, quiet_root, capsys):
    for name in ("models.csv", "price_history.csv"):   # catalog export writes beside MODELS_CSV
        shutil.copy(REPO / name, tmp_path / name)
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'docs.db'}", "MODELS_CSV": str(tmp_path / "models.csv")}
    commands = documented_commands()
    assert {tuple(words[:2]) for words in commands} >= {
        ("db", "upgrade"), ("catalog", "sync"), ("catalog", "import"), ("catalog", "export"), ("keys", "create"),
        ("keys", "list"), ("keys", "revoke"), ("usage", "report"), ("usage", "purge")}
    for words in [["db", "upgrade"], *commands]:   # on a database that `make run` has set up
        status = main(words, config=config)
        assert status == 0, (words, capsys.readouterr())


def test_a_command_run_in_process_logs_to_the_stderr_of_the_moment(tmp_path, monkeypatch):
    """The command's log handler follows sys.stderr: a stream swapped in (and closed) by the caller
    of one command is never written to by later log lines of the same process."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'first.db'}")
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    assert main(["db", "upgrade"]) == 0
    first.close()
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    logging.getLogger("app.access").warning("a later line")
    assert "Logging error" not in later.getvalue()
    assert "price-runner: a later line" in later.getvalue().splitlines()
