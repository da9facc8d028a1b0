"""Every command answers --help; init, status and demo work end to end."""

from __future__ import annotations

import json

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from peatmoss.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def _commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, prefix + (name,))


COMMANDS = sorted(_commands(get_command(app)))


def test_expected_commands_exist():
    names = {" ".join(c) for c in COMMANDS}
    assert {"init", "status", "demo", "collect huggingface", "collect pytorch-hub"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_everywhere(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_init_and_status_json(tmp_path):
    db = tmp_path / "x.db"
    assert runner.invoke(app, ["--db", str(db), "init"]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "status", "--json"])
    info = json.loads(result.output)
    assert info["tables"]["model"] == 0 and info["runs"] == [] and db.exists()


def test_replay_of_missing_recording_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "collect", "huggingface", "--replay", str(tmp_path)])
    assert result.exit_code == 2 and "holds no recording" in result.output
