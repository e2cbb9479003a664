"""/metrics under gunicorn with two workers: prometheus_client's multiprocess mode sums them."""
import glob
import os
import pathlib
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.servers import gunicorn, json_lines, wait_until

pytestmark = pytest.mark.integration
SERIES = 'price_runner_http_requests_total{endpoint="/api/models",method="GET",origin="",status="200"}'


def counter(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_counts_from_both_workers_are_summed(encodings_dir, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by a previous run")
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir), WEB_CONCURRENCY="2",
                  PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as (base, server):
        def hit(_):
            return requests.get(f"{base}/api/models", headers={"Connection": "close"}, timeout=5).status_code

        sent, pids = 0, set()
        with ThreadPoolExecutor(8) as pool:
            while len(pids) < 2 and sent < 400:   # until both workers have served some
                assert set(pool.map(hit, range(40))) == {200}
                sent += 40
                pids = {line["pid"] for line in json_lines(server.log()) if line.get("path") == "/api/models"}
        text = requests.get(f"{base}/metrics", timeout=5).text
        files = sorted(path.name for path in metrics_dir.iterdir())
    assert len(pids) == 2, server.log()[-2000:]
    assert counter(text, SERIES) == sent
    assert "counter_999999.db" not in files                     # cleaned at start-up
    assert {name.rsplit("_", 1)[1] for name in files} == {f"{pid}.db" for pid in pids}   # one set per worker
    assert 'price_runner_http_request_duration_seconds_count{endpoint="/api/models",method="GET",status="200"}' in text


def own_dirs() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "price-runner-metrics-*")))


def test_without_an_ops_directory_gunicorn_makes_one_and_removes_it(encodings_dir):
    before = own_dirs()
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        requests.get(f"{base}/api/models", timeout=5)
        workers = {int(pid) for pid in pathlib.Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
                   .read_text().split()}
        # Ours is the new directory holding our worker's files; other gunicorns on this machine
        # (other test runs) may make and remove theirs meanwhile.
        ours = [d for d in own_dirs() - before
                if any(name.endswith(f"_{pid}.db") for name in os.listdir(d) for pid in workers)]
        assert counter(requests.get(f"{base}/metrics", timeout=5).text, SERIES) == 1
    assert len(ours) == 1 and not os.path.exists(ours[0])


def samples(text: str, name: str) -> dict[str, float]:
    """{label text: value} of every series of name."""
    return {m.group(1): float(m.group(2)) for m in re.finditer(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", text, re.M)}


def test_alerting_series_are_zero_and_process_series_cover_every_process(encodings_dir):
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir), WEB_CONCURRENCY="2") as (base, server):
        master = server.process.pid
        children = pathlib.Path(f"/proc/{master}/task/{master}/children")
        wait_until(lambda: len(children.read_text().split()) == 2, server.process, "the second worker")
        workers = {int(pid) for pid in children.read_text().split()}
        text = requests.get(f"{base}/metrics", timeout=5).text
    # Before any event: the series the docs name for alerting exist, at 0.
    assert counter(text, 'price_runner_ledger_write_failures_total{reason="OperationalError"}') == 0
    assert 'price_runner_ledger_write_failures_total{reason="OperationalError"} 0.0' in text
    assert 'price_runner_stream_refusals_total{endpoint="v1",reason="pool"} 0.0' in text
    assert 'price_runner_stream_refusals_total{endpoint="send_prompt",reason="streams"} 0.0' in text
    assert ('price_runner_http_requests_total{endpoint="/v1/chat/completions",method="POST",origin="vendor",'
            'status="429"} 0.0') in text
    # process_*: one series per process (the master and each live worker), whichever worker answers.
    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"):
        series = samples(text, name)
        pids = {int(re.search(r'pid="(\d+)"', labels).group(1)) for labels in series}
        assert pids == {master} | workers and len(workers) == 2, (name, series)
        assert f'pid="{master}",process="master"' in "".join(series)
        assert all(v > 0 for v in series.values()) or name == "process_cpu_seconds_total"   # a new worker: 0 s
