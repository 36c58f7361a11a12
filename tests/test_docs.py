"""The README is the user's manual: it must stay true to the code and to CI."""

from __future__ import annotations

import re
from pathlib import Path

import click

from entretien_forms.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{path} "))
    return found


def test_every_command_has_help_and_is_in_the_readme() -> None:
    for path, command in _commands(cli):
        assert command.help, f"entretien {path} has no help text"
        assert f"entretien {path}" in README, f"README does not mention 'entretien {path}'"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci_script.splitlines()


def test_readme_starts_with_the_two_setup_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert "entretien demo" in blocks[0]
    assert "pytest" in blocks[1]
