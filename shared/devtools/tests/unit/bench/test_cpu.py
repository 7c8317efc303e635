"""CPU time read from /proc: a process's own, and its children's once it has waited for them."""

from __future__ import annotations

import os
import subprocess
import sys

from wenze_devtools.bench.cpu import CpuClock, process_seconds, tree_seconds

BURN = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"


def test_a_childs_cpu_counts_towards_its_parent_once_waited_for() -> None:
    clock = CpuClock.start({"this process": [os.getpid()]})
    child = subprocess.Popen([sys.executable, "-c", BURN])
    child.wait()
    spent = clock.spent()
    assert spent["this process"] >= 0.5
    assert set(spent) == {"this process", "postgresql"}


def test_a_running_descendants_cpu_counts_before_it_is_waited_for() -> None:
    # A child that burns, then waits for its own stdin: still running when it is read.
    child = subprocess.Popen(
        [sys.executable, "-c", BURN + "\nimport sys\nprint(flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        child.stdout.readline()
        assert tree_seconds(os.getpid()) - process_seconds(os.getpid()) >= 0.5
    finally:
        child.communicate(b"")


def test_a_process_that_is_gone_has_used_nothing() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_seconds(child.pid) == 0.0
