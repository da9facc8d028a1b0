"""Untrusted strings (model ids from analysed code, paths, stored server messages) reach the terminal as text:
no escape byte, no Rich markup interpreted, no line break that fakes a row. JSON output stays exact."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.core.cli import clean, emit
from peatmoss.db import dispose_all, session_scope
from peatmoss.db.models import CollectionError, CollectionRun

runner = CliRunner()
HOSTILE = "\x1b]0;pwned\x07[bold]x[/bold]\nfake"
SOURCE = 'from transformers import AutoModel\nAutoModel.from_pretrained("\\x1b]0;pwned\\x07[bold]x[/bold]\\nfake")\n'


def _safe(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text
    assert not any(line.lstrip("│ ").startswith("fake") for line in text.splitlines())


def test_clean():
    assert clean(HOSTILE, markup=False) == "\\x1b]0;pwned\\x07[bold]x[/bold]\\nfake"
    assert clean("a\u202eb\x9bc\x7f") == "a\\u202eb\\x9bc\\x7f"
    assert clean("[red]x[/red]") == "\\[red]x\\[/red]"  # printed by Rich as the literal text
    assert clean("org/model-1.0") == "org/model-1.0"


def test_scan_table_and_json(tmp_path):
    (tmp_path / "a.py").write_text(SOURCE)
    out = runner.invoke(app, ["scan", str(tmp_path)])
    assert out.exit_code == 0, out.output
    _safe(out.output)
    assert "\\x1b]0;pwned\\x07[bold]x[/bold]\\nfake" in out.output  # shown, markup as text
    data = json.loads(runner.invoke(app, ["scan", str(tmp_path), "--format", "json"]).output)
    assert [f["model"] for f in data] == [HOSTILE]  # exact


def test_emit_table_and_error_line(capsys, tmp_path):
    emit([{"id": HOSTILE, "n": 1}], "table", ["id", "n"])
    _safe(capsys.readouterr().out)
    emit([{"id": HOSTILE}], "json", ["id"])
    assert json.loads(capsys.readouterr().out) == [{"id": HOSTILE}]
    bad = tmp_path / "no\x1b[2Jdir" / "x.db"
    result = runner.invoke(app, ["--db", str(bad), "init"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    _safe(result.output)


def test_status_shows_stored_messages_as_text(sqlite_url):
    with session_scope(sqlite_url) as s:
        run = CollectionRun(stage="collect", source="huggingface", key="k", status="complete",
                            started_at=datetime.now(timezone.utc))
        s.add(run)
        s.flush()
        s.add(CollectionError(run_id=run.id, stage="collect", error_kind="http", item=HOSTILE, message=HOSTILE,
                              created_at=datetime.now(timezone.utc)))
    dispose_all()
    result = runner.invoke(app, ["--db", sqlite_url, "status"])
    assert result.exit_code in (0, 1), result.output
    _safe(result.output)
    assert "\\x1b]0;pwned" in result.output
    data = json.loads(runner.invoke(app, ["--db", sqlite_url, "status", "--format", "json"]).output)
    assert data["errors"][0]["message"] == HOSTILE


def test_licenses_check_table_shows_ids_and_file_names_as_text(tmp_path):
    """`licenses check` prints model ids and file names of the scanned repository through Rich: cleaned, so
    escape bytes never reach the terminal and markup in them is printed, not applied."""
    name = "a\x1b[2J[bold]b.py"  # a file name holds no "/": an unclosed tag
    (tmp_path / name).write_text(SOURCE + 'AutoModel.from_pretrained("org/m", trust_remote_code=True)\n')
    out = runner.invoke(app, ["licenses", "check", str(tmp_path), "--offline", "--no-db"])
    assert out.exit_code in (0, 1) and "Traceback" not in out.output, out.output
    _safe(out.output)
    flat = out.output.replace("\n", "").replace("│", "").replace(" ", "")
    assert "[bold]x[/bold]" in flat and "[bold]b.py" in flat, out.output
    smell = next(line for line in out.output.splitlines() if "trust_remote_code" in line)
    assert "[bold]b.py" in smell, smell  # the smell line names the file as text
