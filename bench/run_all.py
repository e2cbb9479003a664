"""Run every benchmark in turn (make bench); each prints its own ratios against its baseline.

send_prompt and /v1 figures are printed against the direct call and the proxy floor
(bench/floor_app.py) of the same run; the machine's load is printed before each benchmark.
"""
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.floor import load  # noqa: E402

BENCHES = ["bench_ranking.py", "bench_tokens.py", "bench_send_prompt.py", "bench_gateway.py", "bench_stream_ttft.py",
           "bench_spend.py", "bench_http.py", "bench_memory.py"]

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    failed = 0
    for name in BENCHES:
        print(f"\n=== {name} === {load()}", flush=True)
        failed |= subprocess.run([sys.executable, str(here / name)], cwd=here.parent).returncode
    sys.exit(failed)
