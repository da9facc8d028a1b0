from __future__ import annotations

import duckdb
import pandas as pd
from typer.testing import CliRunner

from peatmoss.analysis.export import export
from peatmoss.cli import app
from peatmoss.db import get_engine
from peatmoss.db.models import VIEWS, Base


def test_parquet_export_every_table(fixture_url, tmp_path):
    counts = export(fixture_url, tmp_path, "parquet")
    assert set(counts) == {t.name for t in Base.metadata.sorted_tables} | set(VIEWS.tables)  # views too
    assert counts["model"] == 8 and counts["model_reuse"] == 10
    for name in counts:
        assert (tmp_path / f"{name}.parquet").exists()
    con = duckdb.connect()
    row = con.execute(f"""SELECT count(*), min(created_at), typeof(min(created_at))
                      FROM '{tmp_path / "model.parquet"}'""").fetchone()
    assert row[0] == 8 and row[1].year == 2022 and row[2] == "TIMESTAMP WITH TIME ZONE"
    current = con.execute(f"SELECT count(*) FROM '{tmp_path / 'model_reuse.parquet'}' WHERE is_current").fetchone()[0]
    assert current == 8
    tags = pd.read_parquet(tmp_path / "pytorch_hub_page.parquet")
    assert sorted(tags["tags"]) == ['["nlp", "researchers"]', '["vision"]']  # JSON kept as JSON text
    empty = pd.read_parquet(tmp_path / "discussion.parquet")
    assert len(empty) == 0 and "model_id" in empty.columns


def test_csv_export_and_cli(fixture_sqlite, tmp_path):
    r = CliRunner().invoke(app, ["--db", fixture_sqlite, "export", "--format", "csv", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    model = pd.read_csv(tmp_path / "model.csv")
    assert len(model) == 8 and "hub_id" in model.columns
    assert pd.read_csv(tmp_path / "discussion.csv").empty
    engine = get_engine(fixture_sqlite)
    with engine.connect() as conn:
        assert len(pd.read_sql("SELECT * FROM license_verdict", conn)) == len(pd.read_csv(tmp_path / "license_verdict.csv"))
