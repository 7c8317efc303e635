"""CPU time the processes of a run used, from ``/proc`` (Linux): what a figure's seconds went on.

A process's time is its own, that of its children it has waited for (``cutime``/``cstime`` in
``/proc/<pid>/stat``) and that of its descendants still running: intake's import job processes
count towards its worker (through the fork server that starts them), and PostgreSQL's backends
that ended during the run towards the postmaster. Taken as the change between two readings, so
whatever ran before the run does not count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, parent, …), or None
    for a process that is gone. The name, in parentheses, may hold spaces."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def process_seconds(pid: int, *, with_children: bool = True) -> float:
    """CPU seconds ``pid`` has used; 0 for a process that is gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + (cutime + cstime if with_children else 0)) / TICKS


def _comm(pid: int) -> str | None:
    try:
        return (PROC / str(pid) / "comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def postgres_seconds() -> float:
    """CPU seconds of every PostgreSQL process: the postmaster with the backends it has reaped,
    and each backend still running."""
    total = 0.0
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or _comm(int(entry.name)) != "postgres":
            continue
        parent = _parent(int(entry.name))
        is_postmaster = parent is not None and _comm(parent) != "postgres"
        total += process_seconds(int(entry.name), with_children=is_postmaster)
    return total


def tree_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and of every descendant of it, running or waited for."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (parent := _parent(int(entry.name))) is not None:
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += process_seconds(current)
        todo.extend(children.get(current, []))
    return total


@dataclass
class CpuClock:
    """CPU seconds by name (a service's processes with their descendants, PostgreSQL) since
    the clock was started."""

    pids: Mapping[str, list[int]]
    started: dict[str, float]

    @classmethod
    def start(cls, pids: Mapping[str, list[int]]) -> CpuClock:
        return cls(pids, cls._reading(pids))

    @staticmethod
    def _reading(pids: Mapping[str, list[int]]) -> dict[str, float]:
        reading = {name: sum(tree_seconds(pid) for pid in group) for name, group in pids.items()}
        reading["postgresql"] = postgres_seconds()
        return reading

    def spent(self) -> dict[str, float]:
        now = self._reading(self.pids)
        return {name: round(now[name] - self.started[name], 1) for name in now}
