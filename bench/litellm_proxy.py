"""Run LiteLLM's proxy (from its own venv, see `make bench-anchors`) offline on a loopback port.

Its config routes one model to a local OpenAI-dialect server. Every remote fetch LiteLLM knows
(cost map, beta headers, blog posts, router presets, policy templates) is switched to the
copy bundled with the package, so nothing leaves the machine.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.integration.servers import free_port, wait_until

OFFLINE = {name: "True" for name in ("LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS",
                                     "LITELLM_LOCAL_BLOG_POSTS", "LITELLM_LOCAL_AUTOROUTER_PRESETS",
                                     "LITELLM_LOCAL_POLICY_TEMPLATES")}
# LiteLLM reads many vendors' variables by itself (OPENAI_API_KEY, AWS_*, ...): pass only these.
KEPT_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
START_TIMEOUT_S = 180   # it imports for ~20 s on a quiet 2-core machine
WORKER_HEALTHCHECK_S = START_TIMEOUT_S   # time a worker may take to start (uvicorn's default: 5 s)


@dataclass(frozen=True)
class Proxy:
    """A running proxy: where to call it and with which key."""

    base: str
    headers: dict[str, str]
    process: subprocess.Popen
    log: Path


@contextmanager
def litellm_proxy(litellm: str, model: str, api_base: str, workers: int):
    """Serve `model` (OpenAI dialect at api_base) through `litellm --num_workers workers`; yield a Proxy."""
    port = free_port()
    # LiteLLM refuses to start without a master key; a fresh one per run, never written anywhere.
    key = f"sk-bench-{secrets.token_hex(16)}"
    with tempfile.TemporaryDirectory(prefix="litellm-") as tmp:
        config_file, log = Path(tmp, "config.yaml"), Path(tmp, "litellm.log")
        config_file.write_text(json.dumps(proxy_config(model, api_base)))   # JSON is YAML
        with log.open("w") as output:
            process = subprocess.Popen(proxy_command(litellm, config_file, port, workers),
                                       cwd=tmp, env=proxy_env(os.environ, key), stdout=output,
                                       stderr=subprocess.STDOUT)
        proxy = Proxy(f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}, process, log)
        try:
            try:
                wait_until(lambda: _alive(proxy.base), process, "litellm", START_TIMEOUT_S)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"litellm did not start ({exc}):\n{log.read_text()[-4000:]}") from None
            yield proxy
        finally:
            _stop(process)


def proxy_command(litellm: str, config_file: Path, port: int, workers: int) -> list[str]:
    """The proxy's command line. uvicorn's supervisor kills a worker that has not answered its
    health check within 5 s; LiteLLM's import alone takes longer on a loaded machine, so with
    several workers they were killed and restarted until START_TIMEOUT_S ran out."""
    return [os.path.abspath(litellm), "--config", str(config_file), "--host", "127.0.0.1", "--port", str(port),
            "--num_workers", str(workers), "--timeout_worker_healthcheck", str(WORKER_HEALTHCHECK_S)]


def proxy_config(model: str, api_base: str) -> dict:
    """LiteLLM's config: one model, OpenAI dialect, at api_base (the fake wants any key)."""
    return {"model_list": [{"model_name": model, "litellm_params": {
        "model": f"openai/{model}", "api_base": api_base, "api_key": "sk-bench"}}]}


def proxy_env(environ: Mapping[str, str], master_key: str) -> dict[str, str]:
    """A few basics of our environment (no credential of any kind), the offline switches, the master key."""
    env = {name: environ[name] for name in KEPT_ENV if name in environ}
    return {**env, **OFFLINE, "LITELLM_MASTER_KEY": master_key}


def _alive(base: str) -> bool:
    try:
        return requests.get(f"{base}/health/liveliness", timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()   # uvicorn's supervisor stops its workers on SIGTERM
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
