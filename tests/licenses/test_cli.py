"""The `peatmoss licenses` commands end to end."""

import json

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app

runner = CliRunner()


@pytest.mark.shared
def test_analyze_paper_data_paper_rules(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("PEATMOSS_SHARED_DATA", str(shared_data))
    res = runner.invoke(app, ["licenses", "analyze", "--paper-data", "--rules", "paper", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "license_summary.json").read_text())
    assert (data["analysed"], data["incompatible"], data["unknown"]) == (22474, 54, 10638)
    # its Sankey, with the colour legend of the verdicts it shows (the paper's rules: three of them)
    html = (tmp_path / "license_sankey.html").read_text()
    assert all(f'"name":"{v}"' in html for v in ("compatible", "incompatible", "unknown"))
    assert '"name":"conditional"' not in html and '"text":"verdict"' in html
    assert (tmp_path / "license_sankey.png").read_bytes()[:4] == b"\x89PNG"
    assert data["files"]["static"].endswith("license_sankey.png")


def test_analyze_database_cli(tmp_path, sqlite_url):
    from .test_analyze_db import _populate

    _populate(sqlite_url)
    res = runner.invoke(app, ["--db", sqlite_url, "licenses", "analyze", "-o", str(tmp_path), "--static", "png",
                              "--other-threshold", "3"])
    assert res.exit_code == 0, res.output
    assert "incompatible" in res.output
    assert (tmp_path / "license_pairs.csv").exists() and (tmp_path / "license_sankey.html").exists()
    assert (tmp_path / "license_sankey.png").read_bytes()[:4] == b"\x89PNG"


def test_normalize_and_verdict_cli():
    res = runner.invoke(app, ["licenses", "normalize", "bsd-new", "Apache License 2.0"])
    assert res.exit_code == 0 and "BSD-3-Clause" in res.output and "Apache-2.0" in res.output
    res = runner.invoke(app, ["licenses", "verdict", "cc-by-sa-4.0", "mit", "--use", "finetune-publish"])
    assert res.exit_code == 0 and json.loads(res.output)["verdict"] == "incompatible"
