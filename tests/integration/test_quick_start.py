"""README's quick start, run as written: `make run` with one vendor key, then each command of the second
terminal, against the fake vendors (OPENAI_BASE_URL points there) instead of api.openai.com."""
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app.store.engine import make_engine
from app.store.schema import LedgerEntry

from tests.integration.servers import REPO, free_port, wait_for
from tests.integration.test_make_run import MAKE, checkout, offline_env  # noqa: F401 (checkout: a fixture)

pytestmark = pytest.mark.integration
QUICK_START = REPO.joinpath("README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```$", QUICK_START, re.MULTILINE | re.DOTALL)
KEY = "sk-quickstart-test-0123456789"


def json_values(text: str) -> list:
    """The JSON documents printed one after another (curl -s prints no separator)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (at := len(text) - len(text[at:].lstrip())) < len(text):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
    return values


def test_the_quick_start_has_the_steps_this_test_runs():
    languages = [language for language, _ in BLOCKS]
    assert languages == ["sh", "sh", "sh", "python", "sh"]
    assert BLOCKS[0][1] == "export OPENAI_API_KEY=sk-...   # your key\nmake run\n"
    assert BLOCKS[2][1].strip() == "pip install openai"
    assert BLOCKS[4][1].strip() == ".venv/bin/price-runner usage report --group-by model --format csv"


@pytest.fixture
def quick_start(checkout, fake, tmp_path):  # noqa: F811 (the fixture imported above)
    """The first terminal: the README's export and `make run`, the key replaced by a test key."""
    port = free_port()
    (checkout / ".venv").symlink_to(Path(sys.prefix))   # the checkout's venv: the one running the tests
    # The editable install's instance folder is another checkout's: both terminals name the database.
    shared = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
              "DATABASE_URL": f"sqlite:///{tmp_path / 'price-runner.db'}"}
    env = offline_env(PORT=str(port), WEB_CONCURRENCY="1", OPENAI_BASE_URL=f"{fake.url}/v1", **shared)
    env.pop("HOST", None)
    first = BLOCKS[0][1].replace("sk-...", KEY).replace("make run", " ".join([*MAKE, "run"]))
    log = open(tmp_path / "make.log", "w+")
    process = subprocess.Popen(["bash", "-ec", first], cwd=checkout, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for(f"http://127.0.0.1:{port}/health", process, timeout=60)
        except (RuntimeError, TimeoutError):
            log.seek(0)
            pytest.fail(f"make run did not serve:\n{log.read()}")
        yield port, {**offline_env(**shared)}, log, checkout
    finally:
        os.killpg(process.pid, signal.SIGTERM)   # make and the gunicorn it started, nothing else
        process.wait(timeout=15)
        log.close()


def totals(report: list[dict]) -> dict[str, tuple[int, int, int, Decimal]]:
    """model -> (calls, input tokens, output tokens, cost) as the report printed them."""
    return {row["key"]: (int(row["calls"]), int(row["input_tokens"]), int(row["output_tokens"]),
                         Decimal(row["cost"])) for row in report}


def ledger_totals(url: str) -> dict[str, tuple[int, int, int, Decimal]]:
    """The same, added up here from the ledger's rows."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(LedgerEntry.model_id, LedgerEntry.input_tokens, LedgerEntry.output_tokens,
                                   LedgerEntry.cost)).all()
    engine.dispose()
    found: dict[str, tuple[int, int, int, Decimal]] = {}
    for model, given, taken, cost in rows:
        calls, inputs, outputs, spent = found.get(model, (0, 0, 0, Decimal(0)))
        found[model] = (calls + 1, inputs + (given or 0), outputs + (taken or 0), spent + cost)
    return found


def second_terminal(block: str, port: int, env: dict, cwd: Path, language: str = "sh") -> str:
    """Run one README block in the checkout against the service on port; return what it printed."""
    text = block.replace("localhost:3001", f"127.0.0.1:{port}")
    command = ["bash", "-ec", text] if language == "sh" else [sys.executable, "-c", text]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_quick_start_command_succeeds_as_written(quick_start):
    port, env, log, checkout = quick_start
    estimate, answers = json_values(second_terminal(BLOCKS[1][1], port, env, checkout))
    assert estimate["success"] and estimate["count"] == 3
    assert {item["provider"] for item in estimate["data"]} == {"OpenAI"}
    assert [item["success"] for item in answers["data"]] == [True, True], answers
    assert all(item["response"] and item["cost_basis"] == "billed" for item in answers["data"])

    import openai  # noqa: F401  (what `pip install openai` gives; a test requirement here)
    printed = second_terminal(BLOCKS[3][1], port, env, checkout, "python")
    model, text, cost = printed.split(" ", 1)[0], printed, printed.split()[-1]
    assert model.startswith("openai/") and "Say hello in French." in text and float(cost) > 0

    report = list(csv.DictReader(io.StringIO(second_terminal(BLOCKS[4][1], port, env, checkout))))
    assert {row["key"] for row in report} == {"openai/gpt-6.1-sol", "openai/gpt-6-luna", model}
    assert totals(report) == ledger_totals(env["DATABASE_URL"])

    log.seek(0)
    assert f"Listening at: http://127.0.0.1:{port}" in log.read()   # make run serves this machine only
