"""The paper's 15 Table 3 questions: each id answers with the paper's meaning, on the hand-made fixture
(tests/analysis/conftest.py) and on the offline demo database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from peatmoss.analysis import queries
from peatmoss.cli import app
from peatmoss.db import get_engine

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def run(url: str, name: str):
    return queries.run(get_engine(url), name)


def test_the_paper_ids_come_first_and_our_analyses_keep_their_own_ids():
    names = [q.name for q in queries.QUERIES]
    assert names[:15] == list(queries.PAPER_IDS)
    assert {"USE-1", "CARD-1", "LIC-1", "DOM-1", "PTM-3b"} <= set(names[15:])
    assert all(q.paper for q in queries.QUERIES[:15]) and not any(q.paper for q in queries.QUERIES[15:])


def test_ptm4_ptm5_weight_formats_from_file_names(questions_url):
    formats, summary = run(questions_url, "PTM-5")
    hf = formats[formats["hub"] == "huggingface"].set_index("format")
    # pickle: bert, clip, squad (model + training args), detr (a stored .pth); README.md and config.json are no weights
    assert hf.loc["pickle", "models"] == 4 and hf.loc["pickle", "files"] == 5
    assert float(hf.loc["pickle", "pct_of_models"]) == pytest.approx(66.7)
    assert {f: hf.loc[f, "models"] for f in ("safetensors", "keras/hdf5", "gguf")} == {
        "safetensors": 1, "keras/hdf5": 1, "gguf": 1}
    only, summary4 = run(questions_url, "PTM-4")
    assert list(only["model"]) == ["facebook/detr", "user/bert-base-finetuned-squad"]  # by downloads
    assert list(only["pickle_files"]) == [1, 2]
    assert summary == summary4 == {"models": 8, "models_with_weight_files": 5, "models_with_safetensors": 1,
                                   "models_pickle_only": 2, "share_pickle_only": 0.4}


def test_ptm1_popularity_factors(questions_url):
    df, summary = run(questions_url, "PTM-1")
    assert len(df) == 6  # the PyTorch Hub models have no downloads
    assert dict(zip(df["model"], df["fields_stated"]))["google/bert-base"] == 2
    assert summary["rho_downloads_fields_stated"] == pytest.approx(0.8452, abs=1e-4)
    assert summary["rho_downloads_likes"] == "n/a"  # no likes recorded


def test_gh1_defects_about_ptms_against_other_issues(questions_url):
    df, _ = run(questions_url, "GH-1")
    rows = df.set_index("topic")
    assert rows.loc["mentions a PTM"].to_dict() == {"issues": 1, "bug_labelled": 1, "open": 1, "repositories": 1}
    assert rows.loc["other"].to_dict() == {"issues": 1, "bug_labelled": 0, "open": 0, "repositories": 1}


def test_gh4_i2_i3_downstream_starting_data(questions_url):
    gh4, _ = run(questions_url, "GH-4")
    app2 = gh4.set_index("repository").loc["org/app2"]
    assert app2["files_loading_ptms"] == 2 and app2["models"] == 2 and app2["inference_links"] == 2
    smells = run(questions_url, "I-2")[0].set_index("library").loc["transformers"]
    assert smells[["links", "trust_remote_code", "unpinned", "unknown_model"]].tolist() == [8, 1, 7, 1]
    tests, summary = run(questions_url, "I-3")
    assert tests.set_index("repository").loc["org/app2"].tolist() == [2, 1, 2, 1]
    assert summary == {"repositories": 2, "with_test_files": 1, "with_tests_loading_ptms": 1}


def test_i4_with_history(questions_url):
    df, summary = run(questions_url, "I-4")  # app1 (clip -> bert) and app5 (bert) were scanned twice, unpinned
    assert sorted(zip(df["repository"], df["model"], df["in_use"])) == [
        ("org/app1", "google/bert-base", 1), ("org/app1", "openai/clip-vit", 0), ("org/app5", "google/bert-base", 1)]
    assert summary == {"repositories": 2, "models": 3, "models_in_use": 2, "pinned_in_use": 0, "revision_updates": 0,
                       "repositories_that_updated": 0, "median_commits_behind": "n/a", "median_lag_days": "n/a",
                       "median_update_delay_days": "n/a"}


def test_history_questions_say_when_history_is_missing(sqlite_url):
    for name in ("GH-3", "I-4"):
        _, empty = run(sqlite_url, name)
        assert empty["note"].startswith("needs repository history")


def test_i5_hub_discussions_against_github_issues(questions_url):
    df, _ = run(questions_url, "I-5")
    hf = df[(df["source"] == "huggingface") & (df["kind"] == "issue")].iloc[0]
    # d1 (answered by bob after 2 days, open 10 days as of d3) and d3 (open, new); d2 is a pull request
    assert hf[["items", "parents", "pct_open", "pct_answered", "median_days_to_answer", "median_days_open"]].tolist() \
        == [2, 2, 100.0, 50.0, 2.0, 5.0]
    gh = df[(df["source"] == "github") & (df["kind"] == "issue")].iloc[0]
    assert gh["items"] == 3 and gh["parents"] == 2 and gh["pct_answered"] == pytest.approx(100 / 3, abs=0.1)


def test_i6_signing_starting_data(questions_url):
    df, summary = run(questions_url, "I-6")
    hf = df.set_index("hub").loc["huggingface"]
    assert hf[["models", "with_history", "with_tags", "with_hashed_files", "with_stored_files"]].tolist() == [6, 1, 1, 1, 0]
    assert "not collected" in summary["note"]


def test_list_shows_the_papers_questions(sqlite_url):
    out = runner.invoke(app, ["--db", sqlite_url, "query", "--list"]).output
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:15]] == list(queries.PAPER_IDS)
    assert "popularity" in lines[0] and "serialization" in lines[4] and "sign" in lines[14]


@pytest.mark.shared
def test_every_paper_question_and_table_answers_on_the_demo_database(tmp_path, monkeypatch, shared_data):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.db"
    built = runner.invoke(app, ["--db", str(db), "demo", "--out", str(tmp_path / "report"), "--no-progress"])
    assert built.exit_code == 0, built.output
    for name in queries.PAPER_IDS:
        result = runner.invoke(app, ["--db", str(db), "query", name, "--format", "json"])
        assert result.exit_code == 0, (name, result.output)
        assert '"query": "%s"' % name in result.output
    formats = run(f"sqlite:///{db}", "PTM-5")[0].set_index(["hub", "format"])
    assert formats.loc[("huggingface", "pickle"), "models"] > formats.loc[("huggingface", "safetensors"), "models"]
    schema = json.loads((shared_data / "peatmoss" / "peatmoss_schema.json").read_text())
    with get_engine(f"sqlite:///{db}").connect() as conn:
        for table in schema["tables"]:
            conn.execute(text(f"SELECT * FROM {table} LIMIT 1"))
        assert conn.execute(text("SELECT COUNT(*) FROM model_to_reuse_repository")).scalar_one() >= 5
