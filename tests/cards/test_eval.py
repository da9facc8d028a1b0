"""`eval extraction` on the gold set: rules figures, and both LLM pipelines against the fake server."""

import json
from collections import Counter
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cards.evaluate import BULK, bulk_cards, default_gold, load_gold, score_field
from peatmoss.cards.fakeserver import FakeOpenAI, oracle_handler
from peatmoss.cards.schema import Extracted
from peatmoss.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_gold_set_is_labels_only_and_stratified():
    rows = load_gold(default_gold())
    assert len(rows) >= 100
    # every round's held-out split had >= 30 cards (a round's held-out cards move to dev once their misses are read)
    rounds = Counter(r["heldout_round"] for r in rows if "heldout_round" in r)
    assert rounds and all(n >= 30 for n in rounds.values())
    assert len({r["stratum"] for r in rows}) >= 6
    for r in rows:
        assert {"card", "hub_id", "stratum", "split", "labels"} <= set(r) <= {"card", "hub_id", "stratum", "split",
                                                                     "labels", "heldout_round"}
        assert r["split"] in ("dev", "heldout") and (r["split"] == "dev" or "heldout_round" in r)
        assert all(not isinstance(v, str) or len(v) < 300 for v in r["labels"].values())


def test_scoring_rules():
    def e(value=None, state="value", conf=0.9):
        return Extracted(value=value, state=state, source="yaml", confidence=conf)

    assert score_field("parameter_count", 6_000_000_000, [e(6_053_381_344 // 1)])["correct"] is True
    assert score_field("parameter_count", 110_000_000, [e(125_000_000)])["correct"] is False
    assert score_field("license", None, [e(state="not_stated")])["correct"] is True
    assert score_field("license", "mit", [])["filled"] is False
    r = score_field("papers", ["https://arxiv.org/abs/1810.04805"], [e({"url": "http://arxiv.org/pdf/1810.04805v2.pdf"})])
    assert r["correct"] and r["f1"] == 1.0
    r = score_field("datasets", ["squad", "glue"], [e({"name": "rajpurkar/squad"})])
    assert not r["correct"] and round(r["f1"], 3) == 0.667 and r["stated_correct"] == 1
    assert score_field("github_repo", "https://github.com/a/b", [e("github.com/A/b.git")])["correct"]
    # Table-2 fields: a hyper-parameter / result matches on name and value (numbers within 1 %, % = fraction)
    hp = [{"name": "learning_rate", "value": "2e-05"}, {"name": "seed", "value": "42"}]
    assert score_field("hyper_parameters", hp, [e({"name": "learning rate", "value": "0.00002"}),
                                                e({"name": "seed", "value": "42"})])["correct"]
    assert not score_field("hyper_parameters", hp, [e({"name": "seed", "value": "43"})])["correct"]
    gold = [{"metric": ["NER F Score", "f_score"], "value": 0.842}]
    assert score_field("evaluation", gold, [e({"metric": "f_score", "value": 84.2})])["correct"]
    assert not score_field("evaluation", gold, [e({"metric": "recall", "value": 0.842})])["correct"]
    assert score_field("frameworks", ["pytorch"], [e("torch")])["correct"]


@pytest.mark.shared
def test_eval_rules_meets_the_targets(shared_data):
    res = CliRunner().invoke(app, ["eval", "extraction", "--cards", str(shared_data / "model_cards"), "--json"])
    assert res.exit_code == 0, res.output
    fig = json.loads(res.output)[0]
    assert fig["pipeline"] == "rules" and fig["cards"] >= 40
    assert fig["overall"]["accuracy"] >= 0.80 and fig["overall"]["precision"] >= 0.95


def _cards_as_files(shared_data, out):
    """The gold cards as files in one folder (the fake server reads files; bulk: cards come from the bulk file)."""
    rows = load_gold(default_gold())
    bulk = bulk_cards(shared_data / "model_cards", {r["card"][len(BULK):] for r in rows if r["card"].startswith(BULK)})
    for r in rows:
        target = out / r["card"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if r["card"].startswith(BULK):
            target.write_text(bulk[r["card"][len(BULK):]], encoding="utf-8")
        else:
            target.symlink_to(shared_data / "model_cards" / r["card"])
    return out


@pytest.mark.shared
def test_eval_llm_pipelines_against_fake_server(shared_data, tmp_path):
    cards = _cards_as_files(shared_data, tmp_path / "model_cards")
    with FakeOpenAI(oracle_handler(default_gold(), cards)) as srv:
        res = CliRunner().invoke(app, ["eval", "extraction", "--cards", str(cards), "--pipeline", "all",
                                       "--llm-base-url", srv.base_url, "--llm-model", "fake-strong",
                                       "--cheap-model", "fake-small", "--json"])
    assert res.exit_code == 0, res.output
    figs = {f["pipeline"]: f for f in json.loads(res.output)}
    assert set(figs) == {"rules", "cheap", "accurate"}
    for name in ("cheap", "accurate"):
        assert figs[name]["cost_usd"] > 0 and figs[name]["llm"]["calls"] >= 40
        assert figs[name]["overall"]["coverage"] > figs["rules"]["overall"]["coverage"]
    assert figs["cheap"]["cost_per_model_usd"] < figs["accurate"]["cost_per_model_usd"] <= 0.003


@pytest.mark.shared
def test_benchmark_runs(shared_data, tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "extract_speed.py"), "--limit", "300",
                           "--json", str(out)], capture_output=True, text=True, timeout=300,
                          env={"PEATMOSS_SHARED_DATA": str(shared_data), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    fig = json.loads(out.read_text())
    assert fig["cards"] == 300 and fig["availability"]["license"]["available"] > 0.2
    assert "Figure-7" in proc.stdout
