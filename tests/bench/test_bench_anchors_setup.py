"""The LiteLLM anchor: pinned and hashed in its own file, offline, never in the project's requirements."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench.litellm_proxy import OFFLINE, START_TIMEOUT_S, proxy_command, proxy_config, proxy_env

REPO = Path(__file__).resolve().parents[2]
ANCHORS = REPO / "bench" / "anchors-requirements.txt"


def requirements(path: Path) -> dict[str, list[str]]:
    """Each requirement line of a pip-compile file with the hashes that follow it."""
    found: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            found[current].append(line.removeprefix("--hash=").rstrip(" \\"))
        else:
            current = line.rstrip(" \\")
            found[current] = []
    return found


def test_every_anchor_package_is_pinned_exactly_and_hashed():
    found = requirements(ANCHORS)
    assert "litellm==1.108.7" in found
    for requirement, hashes in found.items():
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", requirement), requirement
        assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), requirement


def test_litellm_is_not_a_project_requirement():
    for path in REPO.glob("requirements*.txt"):
        assert "litellm" not in path.read_text().lower(), path


def test_the_proxy_runs_offline_without_our_vendor_keys():
    env = proxy_env({"OPENAI_API_KEY": "sk-real", "AWS_BEARER_TOKEN_BEDROCK": "t", "AZURE_API_BASE": "x",
                     "PATH": "/bin"}, "sk-master")
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True" and OFFLINE.items() <= env.items()
    assert env["LITELLM_MASTER_KEY"] == "sk-master" and env["PATH"] == "/bin"
    assert set(env) == {"PATH", "LITELLM_MASTER_KEY", *OFFLINE}


def test_the_proxy_config_routes_the_model_to_the_fake():
    [entry] = proxy_config("gpt-6.1-sol", "http://127.0.0.1:9/v1")["model_list"]
    assert entry["model_name"] == "gpt-6.1-sol"
    assert entry["litellm_params"]["model"] == "openai/gpt-6.1-sol"
    assert entry["litellm_params"]["api_base"] == "http://127.0.0.1:9/v1"



def test_the_anchors_venv_gets_a_pinned_hashed_pip_before_the_hashed_install(tmp_path):
    # A fresh venv's bundled pip (23.2 on Python 3.11) refuses anchors-requirements.txt
    # ("httpx[http2]" "not pinned"); the recipe upgrades it first, hashed like everything else.
    venv = tmp_path / "anchors"
    plan = subprocess.run(["make", "-n", "-B", f"ANCHORS_VENV={venv}", "PYTHON=python3", f"{venv}/.installed"],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout
    commands = [line.strip() for line in plan.replace("\\\n", " ").splitlines() if line.strip()]
    steps = [next(i for i, c in enumerate(commands) if needle in c) for needle in
             (f"-m venv {venv}", "-r bench/anchors-pip.txt", "-r bench/anchors-requirements.txt")]
    assert steps == sorted(steps), commands
    upgrade = commands[steps[1]]
    assert upgrade.startswith(f"{venv}/bin/python -m pip install") and "--require-hashes" in upgrade
    assert "--only-binary :all:" in upgrade   # the hashed wheel, never a build from source
    assert commands[steps[2]].startswith(f"{venv}/bin/pip install") and "--require-hashes" in commands[steps[2]]
    [(requirement, hashes)] = requirements(REPO / "bench" / "anchors-pip.txt").items()
    version = re.fullmatch(r"pip==(\d+)\.(\d+)(?:\.\d+)?", requirement)
    assert version and (int(version[1]), int(version[2])) >= (24, 0), requirement
    assert hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes)


def test_litellm_workers_may_take_as_long_to_start_as_the_proxy(tmp_path):
    # uvicorn kills a worker silent for 5 s: on a loaded machine LiteLLM's workers died and
    # restarted until the start timeout ran out.
    command = proxy_command("bench/.anchors-venv/bin/litellm", tmp_path / "config.yaml", 4000, 2)
    assert command[command.index("--num_workers") + 1] == "2"
    assert int(command[command.index("--timeout_worker_healthcheck") + 1]) >= START_TIMEOUT_S
