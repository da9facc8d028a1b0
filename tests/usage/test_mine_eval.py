"""The mining benchmark: parsing the development list and writing only its own docs section."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("eval_mining", ROOT / "benchmarks" / "eval_mining.py")
eval_mining = importlib.util.module_from_spec(spec)
sys.modules["eval_mining"] = eval_mining  # dataclasses look their module up
spec.loader.exec_module(eval_mining)


@pytest.mark.shared
def test_parse_development_list(shared_data):
    repos = eval_mining.parse_dev(shared_data / "downstream_dev.md")
    assert len(repos) == 40 and all(len(r.head) == 40 for r in repos)
    assert sum(len(r.rows) for r in repos) == 365
    nb = next(e for r in repos for e in r.rows if e.file == "notebooks/readme.md examples.ipynb")
    assert nb.cell == 1 and nb.line == 4 and nb.model == "t5-small" and nb.library == "ecco"
    easy = next(r for r in repos if r.name == "NLP-Project-Team-GSU/EasyNLP")
    assert easy.rows[1].dynamic and easy.rows[1].assigned == ["bert-base-uncased"]


def test_id_agreement():
    assert eval_mining.id_agrees("bert-base-uncased", "google-bert/bert-base-uncased")
    assert eval_mining.id_agrees("'snakers4/silero-vad' :: 'silero_vad'", "snakers4/silero-vad:silero_vad")
    assert not eval_mining.id_agrees("gpt2", "facebook/opt-1.3b")


def test_write_docs_replaces_only_its_section(tmp_path):
    doc = tmp_path / "accuracy.md"
    doc.write_text("# Accuracy\n\n## Cards\n\nkeep me\n\n## Usage mining\n\nold\n\n## Licenses\n\nkeep too\n")
    eval_mining.write_docs("new figures", doc)
    text = doc.read_text()
    assert "new figures" in text and "old" not in text
    assert text.index("## Cards") < text.index("## Usage mining") < text.index("## Licenses")
    assert "keep me" in text and "keep too" in text
    eval_mining.write_docs("newer", tmp_path / "fresh.md")
    assert (tmp_path / "fresh.md").read_text().startswith("# Accuracy\n\n## Usage mining\n\nnewer")


def test_matching_prefers_exact_lines():
    from peatmoss.usage.model import Finding

    def row(line):
        return eval_mining.Expected("r", "a.py", None, line, "timm.create_model(x)", "dynamic: x")

    found = [Finding("a.py", 87, 0, None, "timm", "timm.create_model", "", None, None)]
    assert eval_mining.match([row(89), row(87)], found) == {1: 0}  # 89 does not steal 87's finding
    assert eval_mining.match([row(88)], found) == {0: 0}  # a call split over lines


def test_round_labels_and_kinds(tmp_path):
    labels = tmp_path / "labels.md"
    labels.write_text(
        "## 1. someone/app\n- HEAD `" + "a" * 40 + "` (2024-01-01); bare git: `github.com/someone/app`\n\n"
        "| file:line | call | model |\n|---|---|---|\n"
        "| app.py:3 | `torch.load(p)` | local: models/best.pt |\n"
        "| app.py:5 | `WhisperModel(size)` | dynamic: size (assigned 'tiny', 'base') |\n"
        "| nb.ipynb#cell2:1 | `AutoModel.from_pretrained(x)` | bert-base-uncased |\n"
        "| app.py:9 | `pipeline(task)` | dynamic: task |\n")
    (repo,) = eval_mining.parse_dev(labels)
    assert [e.kind for e in repo.rows] == ["local path", "candidate set", "id", "dynamic"]
    assert repo.rows[0].local == "models/best.pt" and repo.rows[1].assigned == ["tiny", "base"]
    assert eval_mining._same_path("./models\\best.pt", "models/best.pt")


def test_write_round_replaces_only_its_block(tmp_path):
    doc = tmp_path / "accuracy.md"
    doc.write_text("# Accuracy\n\n## Usage mining\n\nold figures\n\n### Round 1, a\n\nstale\n\n## Licenses\n\nkeep\n")
    eval_mining.write_round("fresh", "Round 1, a", doc)
    eval_mining.write_round("other", "Round 1, b", doc)
    text = doc.read_text()
    assert "stale" not in text and "fresh" in text and "old figures" in text and "keep" in text
    assert text.index("Round 1, b") < text.index("## Licenses")
