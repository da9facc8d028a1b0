"""Review queue CSV round trip, and the demo step."""

import csv

from sqlalchemy import select
from typer.testing import CliRunner

from peatmoss.cards.demo import demo_step
from peatmoss.cli import app
from peatmoss.db import session_scope
from peatmoss.db.models import CardField

from .cards_fixtures import PROSE_CARD, TRAINER_CARD
from .test_extract_db import add_models


def test_review_export_import_round_trip(sqlite_url, tmp_path):
    add_models(sqlite_url, {"org/widget": PROSE_CARD, "org/tiny": TRAINER_CARD})
    runner = CliRunner()
    assert runner.invoke(app, ["--db", sqlite_url, "extract"]).exit_code == 0
    out = tmp_path / "queue.csv"
    res = runner.invoke(app, ["--db", sqlite_url, "review", "export", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert rows and all(r["review_status"] == "pending" for r in rows)
    assert {r["field"] for r in rows} >= {"license"}  # the flagged YAML/prose disagreement
    # unchanged file: nothing to do
    res = runner.invoke(app, ["--db", sqlite_url, "review", "import", str(out)])
    assert "0 rows updated" in res.output
    lic = [r for r in rows if r["field"] == "license"]
    lic[0]["review_status"], lic[0]["reviewed_value"] = "corrected", '"apache-2.0"'
    lic[1]["review_status"] = "rejected"
    bad = dict(rows[0], review_status="corrected", reviewed_value="{not json")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([lic[0], lic[1], bad])
    res = runner.invoke(app, ["--db", sqlite_url, "review", "import", str(out)])
    assert "2 rows updated, 1 rejected" in res.output
    with session_scope(sqlite_url) as s:
        a = s.get(CardField, int(lic[0]["id"]))
        assert a.review_status == "corrected" and a.reviewed_value == "apache-2.0"
        assert s.get(CardField, int(lic[1]["id"])).review_status == "rejected"
    # reviewed rows survive a re-run of the extraction
    assert runner.invoke(app, ["--db", sqlite_url, "extract"]).exit_code == 0
    with session_scope(sqlite_url) as s:
        assert s.get(CardField, int(lic[0]["id"])).reviewed_value == "apache-2.0"
        model_id = s.get(CardField, int(lic[0]["id"])).model_id
        lic_rows = s.scalars(select(CardField).where(CardField.model_id == model_id,
                                                     CardField.field == "license")).all()
        assert len(lic_rows) == 2  # the reviewed values are not duplicated by the new run


def test_demo_step_extracts_card_data_yaml(sqlite_url, tmp_path):
    add_models(sqlite_url, {}, card_data={"org/a": {"license": "mit", "datasets": ["squad"],
                                                    "base_model": "org/b", "pipeline_tag": "question-answering"},
                                          "org/b": {"license": "apache-2.0"}})
    summary = demo_step(sqlite_url, tmp_path)
    assert summary.startswith("cards: 2 models extracted") and "1 base-model edges" in summary
    with session_scope(sqlite_url) as s:
        rows = s.scalars(select(CardField).where(CardField.state == "value")).all()
        assert {(r.field, str(r.value)) for r in rows} >= {("license", "mit"), ("domain", "nlp")}
        assert all(r.evidence_start is None and r.evidence_text for r in rows if r.source == "yaml")
