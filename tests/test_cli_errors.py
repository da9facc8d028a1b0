"""Every bad input gives one short message and a non-zero exit, never a traceback (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "PEATMOSS_MIRRORS": None, "PEATMOSS_DEBUG": None})
UNREACHABLE_PG = "postgresql+psycopg://nobody@127.0.0.1:1/x"


@pytest.fixture
def files(tmp_path):
    """Bad inputs on disk: a non-database file, bad JSON, a repository folder, an empty recording folder."""
    (tmp_path / "notdb.db").write_text("hello, I am no database\n")
    (tmp_path / "bad.json").write_text('{"bert-base-uncased": {"license": ')
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "app.py").write_text("from transformers import AutoModel\nAutoModel.from_pretrained('x/y')\n")
    (tmp_path / "recording").mkdir()
    (tmp_path / "empty.db").touch()
    return tmp_path


# (arguments with {tmp} for the temporary folder, expected exit code, a word the message must hold)
CASES = {
    "db-unreachable-postgresql": (["--db", UNREACHABLE_PG, "status"], 2, "cannot connect"),
    "db-missing-directory": (["--db", "{tmp}/no/such/dir/x.db", "init"], 2, "does not exist"),
    "db-non-database-file": (["--db", "{tmp}/notdb.db", "status"], 2, "not a SQLite database"),
    "db-unknown-url-scheme": (["--db", "foo://bar/x", "status"], 2, "cannot use database URL"),
    "db-is-a-folder": (["--db", "{tmp}", "status"], 2, "is a folder"),
    "check-bad-hub-data-json": (["licenses", "check", "{tmp}/repo", "--hub-data", "{tmp}/bad.json", "--no-db"], 2,
                                "not valid JSON"),
    "bom-bad-hub-data-json": (["bom", "{tmp}/repo", "--hub-data", "{tmp}/bad.json", "--no-db"], 2, "not valid JSON"),
    "mine-list-missing-file": (["--db", "{tmp}/x.db", "mine", "--list", "{tmp}/missing.txt"], 2, "does not exist"),
    "mine-nothing-to-mine": (["--db", "{tmp}/x.db", "mine"], 2, "at least one repository"),
    "extract-replay-missing-file": (["--db", "{tmp}/x.db", "extract", "--pipeline", "cheap", "--llm-model", "m",
                                     "--replay", "{tmp}/missing.jsonl"], 2, "does not exist"),
    "extract-llm-without-model": (["--db", "{tmp}/x.db", "extract", "--pipeline", "cheap"], 2, "--llm-model"),
    "extract-unknown-pipeline": (["--db", "{tmp}/x.db", "extract", "--pipeline", "best"], 2, "--pipeline"),
    "analyze-paper-matrix-missing-file": (["licenses", "analyze", "--rules", "paper", "--paper-matrix",
                                           "{tmp}/missing.csv", "--paper-data"], 2, "does not exist"),
    "eval-detection-without-arguments": (["licenses", "eval-detection"], 2, "--mirrors"),
    "github-search-replay-missing-folder": (["github-search", "q", "--replay", "{tmp}/missing"], 2, "does not exist"),
    "github-search-replay-without-recording": (["github-search", "q", "--replay", "{tmp}/recording"], 2,
                                               "holds no recording"),
    "github-meta-list-missing-file": (["--db", "{tmp}/x.db", "github-meta", "--list", "{tmp}/missing.txt"], 2,
                                      "does not exist"),
    "collect-hf-replay-without-recording": (["--db", "{tmp}/x.db", "collect", "huggingface", "--replay",
                                             "{tmp}/recording"], 2, "holds no recording"),
    "collect-pytorch-hub-missing-source": (["--db", "{tmp}/x.db", "collect", "pytorch-hub", "--source",
                                            "{tmp}/missing"], 2, "does not exist"),
    "scan-missing-path": (["scan", "{tmp}/missing"], 2, "cannot scan"),
    "scan-unknown-format": (["scan", "{tmp}/repo", "--format", "xml"], 2, "--format"),
    "check-path-is-a-file": (["licenses", "check", "{tmp}/bad.json", "--no-db"], 2, "is a file"),
    "verdict-missing-argument": (["licenses", "verdict", "mit"], 2, "Missing argument"),
    "verdict-paper-rules": (["licenses", "verdict", "mit", "gpl-3.0", "--rules", "paper"], 2, "analyze"),
    "normalize-without-values": (["licenses", "normalize"], 2, "Missing argument"),
    "review-import-missing-file": (["--db", "{tmp}/x.db", "review", "import", "{tmp}/missing.csv"], 2,
                                   "does not exist"),
    "eval-extraction-missing-cards": (["eval", "extraction", "--cards", "{tmp}/missing"], 2, "does not exist"),
    "demo-missing-pytorch-hub": (["--db", "{tmp}/x.db", "demo", "--pytorch-hub", "{tmp}/missing"], 2,
                                 "does not exist"),
    "export-unknown-format": (["--db", "{tmp}/x.db", "export", "--format", "xml"], 2, "--format"),
    "bom-output-in-missing-folder": (["bom", "{tmp}/repo", "--no-db", "-o", "{tmp}/no/dir/bom.json"], 2,
                                     "No such file"),
    "unknown-command": (["nosuch"], 2, "No such command"),
    "negative-limit": (["--db", "{tmp}/x.db", "extract", "--limit", "-1"], 2, "--limit"),
    "bad-dask-address": (["--db", "{tmp}/x.db", "mine", "{tmp}/repo", "--dask", "nowhere"], 2, "--dask"),
    "unknown-distribution": (["licenses", "check", "{tmp}/repo", "--no-db", "--distribution", "secret"], 2,
                             "--distribution"),
    "port-out-of-range": (["--db", "{tmp}/x.db", "browse", "--port", "99999"], 2, "--port"),
    "eval-extraction-bad-gold-json": (["eval", "extraction", "--gold", "{tmp}/bad.json", "--cards", "{tmp}/repo"], 2,
                                      "not valid JSON"),
    # commands that read a database never create one: they say how to get data (exit 1)
    "status-without-database": (["--db", "{tmp}/x.db", "status"], 1, "peatmoss demo"),
    "report-without-database": (["--db", "{tmp}/x.db", "report", "--out", "{tmp}/out"], 1, "peatmoss demo"),
    "query-without-database": (["--db", "{tmp}/x.db", "query", "I-1"], 1, "peatmoss demo"),
    "query-on-empty-file": (["--db", "{tmp}/empty.db", "query", "I-1"], 1, "lacks tables"),
    "export-without-database": (["--db", "{tmp}/x.db", "export", "--out", "{tmp}/out"], 1, "peatmoss demo"),
}


def _args(args: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in args]


def _assert_short(output: str, code: int, expected: int, word: str) -> None:
    assert code == expected, output
    assert "Traceback" not in output and len(output.strip().splitlines()) <= 3, output
    assert word in output, output


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_one_line(case, files):
    args, code, word = CASES[case]
    result = runner.invoke(app, _args(args, files))
    _assert_short(result.output, result.exit_code, code, word)
    assert result.output.startswith("error: ")
    assert not (files / "x.db").exists()  # refused before any database file was created


def test_reading_commands_on_an_initialised_empty_database(files):
    db = str(files / "x.db")
    assert runner.invoke(app, ["--db", db, "init"]).exit_code == 0
    for args in (["query", "I-1"], ["report", "--out", str(files / "out")]):
        result = runner.invoke(app, ["--db", db, *args])
        _assert_short(result.output, result.exit_code, 1, "holds no data yet")
    result = runner.invoke(app, ["--db", db, "status", "--format", "json"])
    assert result.exit_code == 0 and "The database is empty" in result.stderr  # status tells what there is


def test_failed_items_exit_1_with_a_summary(files):
    result = runner.invoke(app, ["--db", str(files / "x.db"), "mine", str(files / "missing"), "--no-progress"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == \
        "error: 1 repositories failed, 1 error rows in run 1; see `peatmoss status` (table collection_error)"


def test_debug_shows_the_traceback(files):
    result = runner.invoke(app, ["--debug", "--db", str(files / "notdb.db"), "status"])
    assert result.exit_code != 0 and result.exception is not None
    assert "not a SQLite database" in str(result.exception)


def _peatmoss(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PEATMOSS_DEBUG", "PEATMOSS_DB")}
    return subprocess.run([sys.executable, "-m", "peatmoss", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("case", ["db-unreachable-postgresql", "check-bad-hub-data-json",
                                  "extract-replay-missing-file"])
def test_bad_input_through_the_installed_command(case, files):
    args, code, word = CASES[case]
    proc = _peatmoss(*_args(args, files))
    _assert_short(proc.stdout + proc.stderr, proc.returncode, code, word)
    assert proc.stdout == ""  # the message goes to stderr


def test_debug_through_the_installed_command(files):
    proc = _peatmoss("--debug", "--db", "foo://bar/x", "status")
    assert proc.returncode != 0 and "Traceback" in proc.stderr
