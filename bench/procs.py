"""Memory of a server's processes, read from /proc (Linux): PSS, RSS and private bytes per process.

PSS charges each shared page to its sharers in equal parts, so the master's and workers' PSS
add up to what the server really holds; pages shared by fork (preloaded encodings) count once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Memory:
    """One process's memory, in MB (10^6 bytes)."""

    pid: int
    pss_mb: float
    rss_mb: float
    private_mb: float


def children(pid: int) -> list[int]:
    """The direct children of pid (needs CONFIG_PROC_CHILDREN, on in every common kernel)."""
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(child) for child in (task / "children").read_text().split()]
    return sorted(pids)


def command_line(pid: int) -> str:
    """The process's arguments joined by spaces."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()


def memory(pid: int) -> Memory:
    """Read /proc/<pid>/smaps_rollup (values in kB)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) * 1024 / 1e6
    return Memory(pid, fields["Pss"], fields["Rss"], fields["Private_Clean"] + fields["Private_Dirty"])
