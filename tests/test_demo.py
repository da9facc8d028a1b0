"""`peatmoss demo` builds a small real dataset offline and writes a report one can open."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.db import get_engine
from peatmoss.db import models as m

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_demo_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["--db", str(db), "demo", "--out", str(tmp_path / "report"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "3,025 models from the bundled Hub recording" in result.output
    url = f"sqlite:///{db}"
    with get_engine(url).connect() as conn:
        def n(table, *where):
            return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        assert n(m.Model.__table__, m.Model.registry_id == 1) == 3025
        assert n(m.ModelReuse.__table__) >= 6 and n(m.CardField.__table__) > 0
        assert n(m.LicenseVerdict.__table__) > 0 and n(m.CollectionError.__table__) == 0
        llama = conn.execute(select(m.Model.parameter_count, m.Model.gated)
                             .where(m.Model.hub_id == "meta-llama/Llama-3.1-8B-Instruct")).one()
    assert llama == (8030261248, "manual")
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Figure 8" in html and not re.search(r"<script[^>]+src=\"https?://", html)
    status = json.loads(runner.invoke(app, ["--db", str(db), "status", "--json"]).output)
    assert status["tables"]["model_stats"] == status["tables"]["model"]  # every model is in a snapshot
