"""bench/procs.py: a process's children and its memory, read from /proc."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.procs import children, command_line, memory


def test_memory_of_a_child_shows_what_it_wrote():
    # 40 MB the child writes (not just reserves): its private memory, PSS and RSS must hold them.
    child = subprocess.Popen([sys.executable, "-c", "import sys; b = b'x' * 40_000_000; print(flush=True); "
                              "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()
        used = memory(child.pid)
        assert child.pid in children(os.getpid())
        assert "40_000_000" in command_line(child.pid)
        assert 40 < used.private_mb <= used.pss_mb <= used.rss_mb
    finally:
        child.communicate(b"")


def test_a_process_without_children_has_none():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.1)
        assert children(child.pid) == []
    finally:
        child.kill()
        child.wait()
