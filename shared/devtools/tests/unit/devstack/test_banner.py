from __future__ import annotations

import re
import subprocess
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console

from wenze_devtools.devstack import EXAMPLE_MATTER, _demo_users_table
from wenze_devtools.testing.issuer.realms import load_demo_users

REPOSITORY = Path(__file__).resolve().parents[5]


def test_demo_users_fit_an_80_column_terminal_with_their_office_codes() -> None:
    console = Console(width=80, record=True, color_system=None)
    console.print(_demo_users_table())
    lines = console.export_text().splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for _, users in load_demo_users().values():
        for user in users:
            # Whole on one line, not folded: usernames and codes are typed back in.
            assert re.search(rf"\b{re.escape(user.username)}\s+{re.escape(user.office or '')}", text), user.username


def test_the_readme_example_and_the_printed_one_are_different_matters() -> None:
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    printed = re.search(r'"source_reference": "([^"]+)"', EXAMPLE_MATTER)
    assert printed is not None
    documented = re.findall(r'"source_reference": "([^"]+)"', readme)
    assert documented, "the README shows an example submission"
    assert printed.group(1) not in documented


def test_make_run_passes_ports_through() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORTS=intake=8101,issuer=8180"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--port 'intake=8101,issuer=8180'" in dry_run
