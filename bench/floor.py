"""The proxy floor (bench/floor_app.py) in a benchmark: start it, and print figures against it.

Every send_prompt and /v1 figure is printed three ways, from the same run: what Price Runner
adds over calling the vendor directly, what it adds over the floor (a bare Flask proxy making
the same call), and its calls/s as a ratio to the floor's; with the machine's load (``uptime``),
since these machines are shared and a figure means little without it.
"""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

from tests.integration.servers import gunicorn

RATIO_GOAL = 0.8   # issue 24: calls/s at least 0.8x the floor's


@contextmanager
def floor_server(vendor_url: str, api_key: str = "sk-bench", **settings: str):
    """Run bench.floor_app under gunicorn.conf.py against vendor_url; yield its base URL."""
    with gunicorn("bench.floor_app:app", FLOOR_VENDOR_URL=vendor_url, FLOOR_API_KEY=api_key, **settings) \
            as (base, _):
        yield base


def load() -> str:
    """The machine's load as `uptime` prints it (the load averages from /proc without it)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def added(label: str, q: int, direct: float, floor: float, ours: float) -> str:
    """One percentile: ours over the direct call and over the floor (ms)."""
    return (f"{label} p{q}: direct {direct:7.2f} ms  floor {floor:7.2f} ms ({floor - direct:+6.2f})  "
            f"price-runner {ours:7.2f} ms: {ours - direct:+6.2f} over direct, {ours - floor:+6.2f} over the floor")


def rate(label: str, ours: float, floor: float, workers: int) -> str:
    """Calls/s per worker of ours and of the floor, and their ratio."""
    return (f"{label}: {ours / workers:7.0f} calls/s per worker; floor {floor / workers:7.0f}; "
            f"ratio to the floor {ours / floor:.2f} (goal >= {RATIO_GOAL})")
