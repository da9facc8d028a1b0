"""Every command answers --help; init and status work end to end; one CLI policy for every stage."""

from __future__ import annotations

import json
from pathlib import Path

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
    for flag in (["--json"], ["--format", "json"]):
        result = runner.invoke(app, ["--db", str(db), "status", *flag])
        info = json.loads(result.stdout)
        assert info["tables"]["model"] == 0 and info["runs"] == [] and db.exists()


def test_replay_of_missing_recording_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "collect", "huggingface", "--replay", str(tmp_path)])
    assert result.exit_code == 2 and "holds no recording" in result.output


def test_no_stage_imports_the_top_level_cli():
    src = Path(__file__).resolve().parents[1] / "src" / "peatmoss"
    for path in src.glob("*/*cli.py"):
        text = path.read_text()
        assert "from peatmoss.cli import" not in text and "from ..cli import" not in text, path


def _options(command: tuple[str, ...]) -> dict:
    group = get_command(app)
    for name in command:
        group = group.commands[name]
    return {p.name: p for p in group.params}


def test_every_data_command_takes_the_same_format_option(tmp_path):
    printing = [("status",), ("scan", str(tmp_path)), ("signatures",), ("query", "I-1"), ("collect", "huggingface"),
                ("collect", "pytorch-hub", "--source", str(tmp_path)), ("licenses", "check", str(tmp_path)),
                ("eval", "extraction")]
    for command in printing:
        names = [n for n in command if not n.startswith(("-", "/")) and n != "I-1"]
        assert _options(tuple(names))["fmt"].opts == ["--format", "-f"], command
        result = runner.invoke(app, ["--db", str(tmp_path / "x.db"), *command, "--format", "xml"])
        assert result.exit_code == 2 and "'table'" in result.output and "'json'" in result.output, result.output


def test_llm_options_are_declared_once_and_shared():
    from dataclasses import fields

    from peatmoss.cards.cli import LlmOptions

    names = {f.name for f in fields(LlmOptions)}
    extract, evaluate = _options(("extract",)), _options(("eval", "extraction"))
    assert names <= set(extract) and names <= set(evaluate)
    for name in names:
        assert extract[name].opts == evaluate[name].opts and extract[name].default == evaluate[name].default


def test_tables_keep_long_ids_whole_when_piped(tmp_path):
    long_id = "an-organisation-with-a-long-name/" + "a-model-whose-name-is-long-" * 4 + "v2"
    (tmp_path / "app.py").write_text(f"from transformers import AutoModel\nAutoModel.from_pretrained('{long_id}')\n")
    result = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"}).invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert long_id in result.output  # on one line: not wrapped, not cut with an ellipsis
    for fmt in ("json", "jsonl", "csv"):
        out = runner.invoke(app, ["scan", str(tmp_path), "--format", fmt]).output
        assert long_id in out, fmt
    rows = [json.loads(line) for line in runner.invoke(app, ["scan", str(tmp_path), "-f", "jsonl"]).output.splitlines()]
    assert [r["model"] for r in rows] == [long_id]
