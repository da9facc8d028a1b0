from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from peatmoss.analysis import queries
from peatmoss.cli import app
from peatmoss.db import get_engine


def run(url: str, name: str):
    return queries.run(get_engine(url), name)


def test_every_query_runs_on_an_empty_database(db_url):
    for q in queries.QUERIES:
        df, _ = run(db_url, q.name)
        assert isinstance(df, pd.DataFrame), q.name


def test_i1_downloads_vs_dependents(fixture_url):
    df, summary = run(fixture_url, "I-1")
    deps = dict(zip(df["model"], df["dependent_repositories"]))
    assert deps == {"google/bert-base": 4, "openai/clip-vit": 1, "user/bert-base-finetuned-squad": 1,
                    "pytorch/vision/resnet18": 1}
    # ranks over (1000, 4), (500, 1), (50, 1); resnet18 has no downloads and drops out
    assert summary["models"] == 4
    assert summary["spearman_rho"] == pytest.approx(math.sqrt(3) / 2, abs=1e-4)


def test_spearman_matches_definition():
    a = pd.Series([1, 2, 3, 4, 5])
    assert queries.spearman(a, a ** 2) == pytest.approx(1.0)
    assert queries.spearman(a, -a) == pytest.approx(-1.0)
    assert queries.spearman(a[:2], a[:2]) is None


def test_gh3_model_changes(fixture_url):
    df, summary = run(fixture_url, "GH-3")
    rows = df.set_index("repository")
    assert rows.loc["org/app1", "models_added"] == 1 and rows.loc["org/app1", "models_dropped"] == 1
    assert rows.loc["org/app5", "models_added"] == 0 and rows.loc["org/app5", "models_dropped"] == 0
    assert rows.loc["org/app1", "replacements"] == 1 and rows.loc["org/app1", "span_days"] == 31.0
    assert summary == {"repositories_scanned_more_than_once": 2, "repositories_that_changed_models": 1,
                       "share_changed": 0.5, "repositories_that_replaced_a_model": 1, "revision_changes": 0,
                       "median_changes_per_year": round((2 / (31 / 365.25) + 0) / 2, 2)}


def test_ptm3_lineage_families(fixture_url):
    df, _ = run(fixture_url, "PTM-3")
    assert df.to_dict("records") == [{"root": "google/bert-base", "descendants": 2, "generations": 2}]
    rel, _ = run(fixture_url, "PTM-3b")
    assert dict(zip(rel["relation"], rel["edges"])) == {"finetune": 2, "quantized": 1}


def test_ptm2_naming(fixture_url):
    df, _ = run(fixture_url, "PTM-2")
    hf = df.set_index("hub").loc["huggingface"]
    assert hf["models"] == 6 and hf["quantized"] == 1 and hf["fine_tuned"] == 1 and hf["chat_instruct"] == 0


def test_gh_and_i_queries(fixture_url):
    use1, _ = run(fixture_url, "USE-1")
    assert use1["links"].sum() == 8 and use1["repositories"].max() == 5
    gh2, _ = run(fixture_url, "GH-2")
    kinds = gh2.set_index("kind")
    assert kinds.loc["issue", "total"] == 1 and kinds.loc["issue", "mentioning_models"] == 1  # app6 has no links
    assert kinds.loc["pull request", "total"] == 1
    i2, _ = run(fixture_url, "LIC-1")
    assert dict(zip(i2["verdict"], i2["pairs"])) == {"compatible": 2, "unknown": 1, "incompatible": 1}
    i3, _ = run(fixture_url, "DOM-1")
    nlp = i3.set_index("domain").loc["NLP"]
    assert nlp["models"] == 4 and nlp["reused_models"] == 2 and nlp["repositories"] == 4  # 3 HF + roberta (PT Hub)
    card1, _ = run(fixture_url, "CARD-1")
    rules = card1[card1["pipeline"] == "rules"].set_index("field")
    assert float(rules.loc["datasets", "pct_stated"]) == 50.0


def test_unknown_query():
    with pytest.raises(ValueError, match="no query"):
        queries.get("X-9")


def test_cli_query(fixture_sqlite):
    runner = CliRunner()
    listed = runner.invoke(app, ["--db", fixture_sqlite, "query", "--list"])
    assert listed.exit_code == 0
    for q in queries.QUERIES:
        assert q.name in listed.output
    js = runner.invoke(app, ["--db", fixture_sqlite, "query", "i-1", "--format", "json"])
    assert js.exit_code == 0, js.output
    body = json.loads(js.output)
    assert body["query"] == "I-1" and len(body["rows"]) == 4 and body["summary"]["spearman_rho"] > 0.8
    csv = runner.invoke(app, ["--db", fixture_sqlite, "query", "USE-1", "--format", "csv"])
    assert csv.output.splitlines()[0] == "library,reuse_mode,links,repositories,models"
    table = runner.invoke(app, ["--db", fixture_sqlite, "query", "GH-3"])
    assert table.exit_code == 0 and "org/app1" in table.output and "share_changed" in table.output
    bad = runner.invoke(app, ["--db", fixture_sqlite, "query", "nope"])
    assert bad.exit_code == 1 and "no query" in bad.output


def test_ptm2_ignores_case(db_url):
    from peatmoss.db import session_scope
    from peatmoss.db import models as M

    with session_scope(db_url) as s:
        s.add(M.Registry(id=1, name="huggingface"))
        s.flush()
        s.add_all([M.Model(id=1, registry_id=1, hub_id="TheBloke/Llama-2-7B-Chat-GGUF"),
                   M.Model(id=2, registry_id=1, hub_id="someone/LoRA-Fine-Tuned")])
    df, _ = run(db_url, "PTM-2")
    row = df.iloc[0]
    assert (row["quantized"], row["fine_tuned"], row["chat_instruct"]) == (1, 1, 1)


def test_average_ranks_and_spearman_agree_with_pandas():
    import numpy as np

    rng = np.random.default_rng(1)
    a = pd.Series(rng.integers(0, 20, 500))
    b = pd.Series(a * 3 + rng.integers(0, 30, 500))
    assert list(queries.average_ranks(np.array([10, 20, 10, 5.0]))) == [2.5, 4.0, 2.5, 1.0]
    expected = a.rank().corr(b.rank())
    assert queries.spearman(a, b) == pytest.approx(expected, abs=1e-12)


def test_i3_and_figure8_give_every_model_the_same_domain(fixture_url):
    from peatmoss.analysis.figures import fig8_domains
    from peatmoss.analysis.load import load
    from peatmoss.db import get_engine

    i3, _ = run(fixture_url, "DOM-1")
    f8 = fig8_domains(load(get_engine(fixture_url))).data.groupby("domain")["models"].sum()
    assert dict(zip(i3["domain"], i3["models"])) == {k: int(v) for k, v in f8.items() if v}
    assert f8["CV"] >= 1  # resnet18, a PyTorch Hub model, by its tags (not "Other")
