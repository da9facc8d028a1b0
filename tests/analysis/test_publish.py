"""`peatmoss publish` writes a release whose Croissant description parses and whose checksums match."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pyarrow.parquet as pq
from typer.testing import CliRunner

from peatmoss.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_publish_release(fixture_sqlite, tmp_path):
    result = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--version", "1.0"])
    assert result.exit_code == 0, result.output
    release = tmp_path / "peatmoss-1.0"
    sums = (release / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in sums:
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
        assert hashlib.sha256((release / rel).read_bytes()).hexdigest() == digest, rel
    assert {"peatmoss.sqlite", "DATASHEET.md", "croissant.json", "parquet/model.parquet"} <= set(listed)
    doc = json.loads((release / "croissant.json").read_text())
    for key in ("@context", "@type", "name", "distribution", "recordSet"):
        assert key in doc, key
    assert doc["@type"] == "sc:Dataset" and doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    files = {f["contentUrl"]: f["sha256"] for f in doc["distribution"]}
    assert files["peatmoss.sqlite"] == listed["peatmoss.sqlite"]
    model = next(r for r in doc["recordSet"] if r["name"] == "model")
    fields = {f["name"]: f["dataType"] for f in model["field"]}
    assert fields["downloads"] == "sc:Integer" and fields["created_at"] == "sc:Date" and fields["hub_id"] == "sc:Text"
    assert pq.read_table(release / "parquet" / "model.parquet").num_rows == 8
    with sqlite3.connect(release / "peatmoss.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM model").fetchone() == (8,)
        assert conn.execute("SELECT COUNT(*) FROM model_to_reuse_repository").fetchone()[0] == 7  # views travel too
    sheet = (release / "DATASHEET.md").read_text()
    assert "| huggingface | 6 |" in sheet and "| Apache-2.0 | 2 |" in sheet and "2024-01-01" in sheet
    again = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--version", "1.0"])
    assert again.exit_code != 0 and "exists" in again.output and "Traceback" not in again.output
