"""The README documents every command of the CLI, as sqlite-utils' tests check its docs."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from flows.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(typer.main.get_command(app).commands)


def test_the_contract_commands_exist() -> None:
    contract = {"run", "ingest", "groups", "group", "export", "demo", "schedule", "api"}
    assert contract <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_a_readme_section(command: str) -> None:
    assert f"### `wiredupe {command}" in README, f"add a README section for `wiredupe {command}`"


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make demo" in head and "make test" in head
