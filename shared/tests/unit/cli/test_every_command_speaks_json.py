"""The README promises `--json` on every command; scripts rely on it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from wenze.cli.main import app


def _leaf_commands(command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, object]]:
    children = getattr(command, "commands", None)
    if children:
        for name, child in children.items():
            yield from _leaf_commands(child, (*path, name))
    else:
        yield " ".join(path), command


def test_every_command_takes_json() -> None:
    commands = dict(_leaf_commands(typer.main.get_command(app)))
    assert {"submit", "rules list", "rules lint", "audit verify", "db roles"} <= commands.keys()
    missing = [name for name, command in commands.items() if not any("--json" in p.opts for p in command.params)]
    assert missing == []


def test_rules_commands_print_one_json_document() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["rules", "list", "--tenant", "kunshan", "--json"])
    assert listed.exit_code == 0, listed.output
    (pack,) = json.loads(listed.stdout)
    assert pack["tenant"] == "kunshan" and pack["decisions"] and pack["documents"][0]["id"]

    linted = runner.invoke(app, ["rules", "lint", "--tenant", "kunshan", "--json"])
    assert json.loads(linted.stdout) == {"issues": {"kunshan": []}, "total": 0}

    tested = runner.invoke(app, ["rules", "test", "--tenant", "kunshan", "--json"])
    result = json.loads(tested.stdout)
    assert tested.exit_code == 0 and result["failed"] == 0 and result["passed"] > 0
