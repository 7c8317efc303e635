"""A service process started for a test suite runs as long as the fixture or test that started
it, not to the end of the whole session: a full run would otherwise end with every earlier
suite's workers still polling NATS and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CONFTEST = """
pytest_plugins = ["wenze_devtools.testing.pytest_plugin", "wenze_devtools.testing.stack_plugin"]
"""

# The inner session's modules run in name order; each records the pids it saw alive.
FIRST_MODULE = """
import pytest
from pathlib import Path

@pytest.fixture(scope="module")
def intake(service_factory):
    return service_factory("intake")

def test_module_fixture_process_runs(intake):
    assert intake.process.poll() is None
    Path("module-pid").write_text(str(intake.process.pid))

def test_body_process_runs(service_factory):
    process = service_factory("intake")
    assert process.process.poll() is None
    Path("body-pid").write_text(str(process.process.pid))

def test_body_process_gone_after_its_test():
    pid = int(Path("body-pid").read_text())
    assert not Path(f"/proc/{pid}").exists(), "a process started in a test body outlived the test"
"""

SECOND_MODULE = """
from pathlib import Path

def test_module_process_gone_after_its_module():
    pid = int(Path("module-pid").read_text())
    assert not Path(f"/proc/{pid}").exists(), "a module fixture's process outlived its module"
"""


def test_processes_end_with_the_fixture_or_test_that_started_them(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_a_first.py").write_text(FIRST_MODULE)
    (tmp_path / "test_b_second.py").write_text(SECOND_MODULE)
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "tmp"), "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert inner.returncode == 0, inner.stdout[-3000:] + inner.stderr[-2000:]
    assert "4 passed" in inner.stdout, inner.stdout[-3000:]
