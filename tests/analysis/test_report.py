from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from peatmoss.analysis.figures import Result
from peatmoss.analysis.report import BUILDERS, build, write_report
from peatmoss.analysis.load import load
from peatmoss.analysis.queries import QUERIES
from peatmoss.analysis.synthetic import generate
from peatmoss.cli import app
from peatmoss.db import get_engine, session_scope
from peatmoss.db import models as M

FIGURES = ["fig05_libraries", "fig07_metadata", "fig08_domains", "fig09_reuse_domains", "fig10_creation", "fig11_size",
           "fig12_licenses", "trends"]


def results(url: str) -> dict[str, Result]:
    return {r.key: r for r in build(load(get_engine(url)))}


def assert_no_failure(res: dict[str, Result]) -> None:
    assert len(res) == len(BUILDERS)
    for r in res.values():
        assert not any("could not be drawn" in note for note in r.missing), (r.key, r.missing)


def test_report_files(fixture_url, tmp_path):
    page = write_report(fixture_url, tmp_path)
    assert page == tmp_path / "report.html"
    for key in FIGURES:
        for ext in ("png", "svg", "pdf", "csv"):
            assert (tmp_path / f"{key}.{ext}").stat().st_size > 0, (key, ext)
    assert (tmp_path / "table1.csv").exists() and (tmp_path / "headline.csv").exists()
    html = page.read_text()
    assert "http://" not in html.split("<body>")[0] and "<script src=" not in html  # self-contained
    assert html.count("src='data:image/png;base64,") == len(FIGURES)
    assert "Plotly" in html  # the interactive Sankey, inlined
    md = (tmp_path / "summary.md").read_text()
    assert "## Figure 8" in md and "![Figure 9" in md
    for q in QUERIES:  # the research questions, as tables with their full CSV
        assert (tmp_path / f"rq_{q.name}.csv").exists()
        assert f"## {q.name}: {q.question}" in md
    assert "spearman_rho = 0.866" in md


def test_table1_and_headline(fixture_url):
    res = results(fixture_url)
    assert_no_failure(res)
    t1 = res["table1"].data.set_index(["snapshot", "hub"])
    assert t1.loc[("2024-01-01", "huggingface"), "models"] == 3
    assert t1.loc[("2024-01-01", "huggingface"), "downloads"] == 1340
    assert t1.loc[("2024-01-01", "huggingface"), "top10_downloads"] == 900  # ceil(10 % of 3) = 1 model
    assert t1.loc[("2024-02-01", "huggingface"), "models"] == 6
    assert t1.loc[("2024-02-01", "pytorch_hub"), "models"] == 2
    assert any("pytorch_hub: no download counts" in n for n in res["table1"].missing)
    h = dict(zip(res["headline"].data["metric"], res["headline"].data["value"]))
    assert h["models on Hugging Face"] == 6 and h["models on PyTorch Hub"] == 2
    assert h["snapshotted models"] == 4
    assert h["repositories"] == 6
    assert h["links (current)"] == 8 and h["links matched to a model"] == 7
    assert h["repositories using a known PTM"] == 5 and h["distinct PTMs used by repositories"] == 4
    assert h["PTM-PTM edges"] == 3 and h["PTM-PTM edges with a known parent"] == 2


def test_figure_data(fixture_url):
    res = results(fixture_url)
    f8 = res["fig08_domains"].data.set_index(["hub", "domain"])["models"]
    assert f8[("huggingface", "NLP")] == 3 and f8[("huggingface", "Multimodal")] == 1
    assert f8[("huggingface", "CV")] == 1 and f8[("huggingface", "Audio")] == 1
    assert f8[("pytorch_hub", "CV")] == 1 and f8[("pytorch_hub", "NLP")] == 1  # from page tags
    f9 = res["fig09_reuse_domains"].data.set_index(["hub", "domain"])["repositories"]
    assert f9[("huggingface", "NLP")] == 4 and f9[("huggingface", "Multimodal")] == 1
    assert f9[("pytorch_hub", "CV")] == 1
    f7 = res["fig07_metadata"].data.set_index(["pipeline", "field"])["share"]
    assert f7[("rules", "license")] == 1.0 and f7[("rules", "datasets")] == 0.5 and f7[("cheap", "datasets")] == 1.0
    assert "no LLM extraction results" not in res["fig07_metadata"].missing
    assert any("1 of 8 models have no creation date" in n for n in res["fig10_creation"].missing)
    f11 = res["fig11_size"].data
    assert f11.loc[(f11["quarter"] == "2023Q1") & (f11["domain"] == "NLP"), "median_parameters"].item() == 110_000_000
    f12 = res["fig12_licenses"]
    assert set(f12.data["verdict"]) == {"compatible", "unknown", "incompatible"}
    assert f12.fig is not None and f12.html
    from peatmoss.licenses.sankey import COLORS  # the license stage's Sankey: the same colours as `licenses analyze`
    assert COLORS["incompatible"] in f12.html and COLORS["compatible"] in f12.html
    tr = res["trends"].data
    assert set(tr["snapshot"]) == {"2024-01-01", "2024-02-01"}


def test_synthetic_draws_everything(sqlite_url, tmp_path):
    generate(sqlite_url, models=1500, repositories=150, links=250, extractions=90)
    res = results(sqlite_url)
    assert_no_failure(res)
    for key in FIGURES:
        assert res[key].fig is not None, (key, res[key].missing)
    write_report(sqlite_url, tmp_path)


def test_empty_database(db_url, tmp_path):
    res = results(db_url)
    assert_no_failure(res)
    for key in FIGURES:
        assert res[key].fig is None and res[key].missing, key
    assert res["fig08_domains"].missing == ["no models collected"]
    assert "license_verdict is empty" in res["fig12_licenses"].missing[0]
    write_report(db_url, tmp_path)
    assert "No figure" not in (tmp_path / "summary.md").read_text()  # the note is in the picture
    assert "Missing: no models collected" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "fig08_domains.png").exists()
    assert "no rows: the tables this question needs are empty" in (tmp_path / "summary.md").read_text()


def test_one_hub_no_dates_no_sizes_empty_snapshot(sqlite_url, tmp_path):
    t = datetime(2024, 5, 1, tzinfo=timezone.utc)
    with session_scope(sqlite_url) as s:
        s.add(M.Registry(id=1, name="huggingface"))
        s.flush()
        s.add(M.CollectionRun(id=1, stage="collect", source="hf", registry_id=1, key="k", snapshot_date=t,
                              started_at=t))
        s.add(M.CollectionRun(id=2, stage="collect", source="hf", registry_id=1, key="k2",
                              snapshot_date=datetime(2024, 6, 1, tzinfo=timezone.utc), started_at=t))
        s.flush()
        for i in range(1, 4):
            s.add(M.Model(id=i, registry_id=1, hub_id=f"a/m{i}", pipeline_tag="text-generation", downloads=i))
        s.flush()
        for i in range(1, 4):
            s.add(M.ModelStats(run_id=1, model_id=i, downloads=i))
    res = results(sqlite_url)
    assert_no_failure(res)
    assert res["fig08_domains"].fig is not None
    assert "no data for PyTorch Hub" not in res["fig08_domains"].missing  # the database knows only one hub
    assert "3 of 3 models have no creation date" in res["fig10_creation"].missing[0]
    assert res["fig11_size"].fig is None
    assert any("2024-06-01" in n and "zero models" in n for n in res["table1"].missing)
    assert "at least two snapshots" in res["trends"].missing[0]
    write_report(sqlite_url, tmp_path)


def test_cli_report(fixture_sqlite, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(app, ["--db", fixture_sqlite, "report", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "report.html").exists()


def test_cli_report_bad_database(tmp_path):
    missing = tmp_path / "x.db"
    r = CliRunner().invoke(app, ["--db", f"sqlite:///{missing}", "report", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "error: no database at" in r.output and "Traceback" not in r.output
    assert not missing.exists()  # no empty file left behind
    plain = tmp_path / "plain.db"
    import sqlite3

    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    r = CliRunner().invoke(app, ["--db", str(plain), "report", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "another application's SQLite database" in r.output  # never touched
    assert "Traceback" not in r.output


def test_demo_step(fixture_sqlite, tmp_path):
    from peatmoss.analysis.demo import demo_step

    page = demo_step(fixture_sqlite, tmp_path / "demo")
    assert page.endswith("report.html") and pd.io.common.file_exists(page)


def test_top10_is_exact_with_ties(sqlite_url):
    """20 models: ten with 100 downloads, ten with 1; the top 10 % are two models of 100."""
    t = datetime(2024, 5, 1, tzinfo=timezone.utc)
    with session_scope(sqlite_url) as s:
        s.add(M.Registry(id=1, name="huggingface"))
        s.flush()
        s.add(M.CollectionRun(id=1, stage="collect", source="hf", registry_id=1, key="k", snapshot_date=t, started_at=t))
        s.flush()
        for i in range(1, 22):
            s.add(M.Model(id=i, registry_id=1, hub_id=f"a/m{i}"))
        s.flush()
        for i in range(1, 22):
            s.add(M.ModelStats(run_id=1, model_id=i, downloads=None if i == 21 else (100 if i <= 10 else 1)))
    row = results(sqlite_url)["table1"].data.iloc[0]
    assert (row["models"], row["downloads"], row["top10_downloads"]) == (21, 1010, 200)
    assert row["top10_share"] == round(200 / 1010, 4)


def test_paper_ready_files(fixture_url, tmp_path):
    from matplotlib.image import imread

    write_report(fixture_url, tmp_path)
    assert (tmp_path / "fig08_domains.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (tmp_path / "fig08_domains.svg").read_bytes()[:500]
    height, width = imread(tmp_path / "fig08_domains.png").shape[:2]
    assert (width, height) == (9 * 300, round(5.5 * 300))  # 9 x 5.5 inches at 300 dpi
    md = (tmp_path / "summary.md").read_text()
    assert "None" not in md and "= n/a" not in md.split("## I-1")[1].split("##")[0]
    html = (tmp_path / "report.html").read_text()
    assert "<td>1,000</td>" in html  # google/bert-base's downloads in PTM-1, with a thousands separator


def test_figure5_projects_per_library(fixture_url):
    f5 = results(fixture_url)["fig05_libraries"]
    assert f5.data.to_dict("records") == [{"library": "transformers", "repositories": 5, "links": 8}]
    ticks = f5.fig.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)


def test_creation_and_size_fallbacks_and_gaps(fixture_url):
    with session_scope(fixture_url) as s:  # whisper-tiny has no API date: its first commit dates it
        s.add(M.ModelVersion(model_id=6, commit_id="c0", created_at=datetime(2023, 6, 2, tzinfo=timezone.utc)))
        s.add(M.CardField(model_id=5, pipeline="rules", field="parameter_count", state="value",  # detr's card size
                          value=41_000_000, value_text="41000000", source="prose-rule", confidence=0.85))
    res = results(fixture_url)
    f10 = res["fig10_creation"]
    assert ("2023-06", "Audio") in set(zip(f10.data["month"], f10.data["domain"]))
    assert "hub API 7 (87.5 %), first commit 1 (12.5 %), none 0 (0.0 %)" in f10.caption
    assert not any("no creation date" in note for note in f10.missing)
    f11 = res["fig11_size"]
    assert "model card 1" in f11.caption
    line = f10.fig.axes[0].get_lines()[0]  # months between Jan and Jun 2023 without a model are gaps (NaN)
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).any()
