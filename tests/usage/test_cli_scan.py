"""End to end: `peatmoss scan` and `peatmoss signatures` through the root CLI app."""

from __future__ import annotations

import csv
import io
import json

import pytest

from typer.testing import CliRunner
from usage_markers import FIXTURES, all_markers

from peatmoss.cli import app

runner = CliRunner()


def test_scan_json_on_fixtures():
    result = runner.invoke(app, ["scan", str(FIXTURES), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = {k: v for k, v in all_markers().items() if not v.get("none")}
    assert len(rows) == len(expected)
    for row in rows:
        assert {"file", "line", "library", "api", "model", "candidates", "resolution", "confidence"} <= set(row)
        key = (row["file"], row.get("cell"), row["line"])
        assert key in expected
        model = expected[key]["model"]
        assert row["model"] == (None if model == "None" else model)
        assert ("cell" in row) == (row["file"].endswith(".ipynb") or row["file"].endswith("percent_script.py"))
    notebook = [r for r in rows if r["file"] == "notebooks/finetune.ipynb"]
    assert [(r["cell"], r["line"]) for r in notebook] == [(3, 2), (3, 4)]


def test_scan_table_and_csv(tmp_path):
    (tmp_path / "app.py").write_text("import whisper\nm = whisper.load_model('small')\n")
    table = runner.invoke(app, ["scan", str(tmp_path)])
    assert table.exit_code == 0 and "small" in table.stdout and "1 model loads" in table.stdout
    out = runner.invoke(app, ["scan", str(tmp_path), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["file"], r["line"], r["model"], r["resolution"]) for r in rows] == [("app.py", "2", "small", "literal")]


def test_scan_empty_folder_exits_zero(tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_signatures_command():
    result = runner.invoke(app, ["signatures", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["version"] >= 1 and len(data["signatures"]) >= 474 + 25
    table = runner.invoke(app, ["signatures"])
    assert table.exit_code == 0 and "Signature catalog" in table.stdout


def test_scan_of_a_missing_path_fails_cleanly(tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert not isinstance(result.exception, (AttributeError, TypeError, KeyError))


def test_scan_of_a_bare_git_repository(tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text("import timm\nnet = timm.create_model('vit_small_patch16_224', pretrained=True)\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "x"]):
        subprocess.run(cmd, cwd=work, check=True, env=env)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(tmp_path / "bare.git")], check=True, env=env)
    result = runner.invoke(app, ["scan", str(tmp_path / "bare.git"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(r["file"], r["model"]) for r in json.loads(result.stdout)] == [("train.py", "vit_small_patch16_224")]
