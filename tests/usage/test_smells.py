"""Model-usage smells: found in place, tokens reported without their value, carried into SARIF and --fail-on."""

import json

from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.licenses.check import check, to_sarif
from peatmoss.usage import scan_path
from peatmoss.usage.smells import RULES, smells_in

runner = CliRunner()
SECRET = "hf_" + "Q" * 34
CODE = f"""\
import torch
from torch import load
from transformers import AutoModel
a = AutoModel.from_pretrained("org/custom", trust_remote_code=True, revision="0123abc")
b = AutoModel.from_pretrained("org/pinned", revision="0123abc")
c = AutoModel.from_pretrained("org/floating")
state = torch.load("weights.pt")
fine = torch.load("weights.pt", weights_only=True)
bare = load("w.pt", map_location="cpu")
token = "{SECRET}"
sd = torch.hub.load_state_dict_from_url("https://example.com/models/resnet.pth")
hub = torch.hub.load_state_dict_from_url("https://huggingface.co/org/x/resolve/main/model.bin")
"""


def _repo(tmp_path):
    (tmp_path / "app.py").write_text(CODE, encoding="utf-8")
    return tmp_path


def test_smells_found_in_place(tmp_path):
    root = _repo(tmp_path)
    got = {(s.rule, s.line) for s in smells_in(root, scan_path(root).findings)}
    assert got == {("smell/trust-remote-code", 4), ("smell/unpinned-revision", 6), ("smell/unsafe-torch-load", 7),
                   ("smell/unsafe-torch-load", 9), ("smell/token-in-code", 10), ("smell/plain-url-model", 11)}


def test_scan_smells_never_shows_a_token(tmp_path):
    root = _repo(tmp_path)
    for fmt in ("table", "json"):
        res = runner.invoke(app, ["scan", str(root), "--smells", "--format", fmt], terminal_width=200)
        assert res.exit_code == 0, res.output
        assert SECRET not in res.output and "token-in-code" in res.output


def test_check_sarif_and_fail_on_smell(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("PEATMOSS_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "repo").mkdir()
    root = _repo(tmp_path / "repo")
    sarif = to_sarif(check(root))
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(RULES) <= set(rules) and all(rules[r]["help"]["text"] for r in RULES)
    assert SECRET not in json.dumps(sarif)
    passes = runner.invoke(app, ["licenses", "check", str(root), "--no-db", "--offline"])
    assert passes.exit_code == 0, passes.output
    fails = runner.invoke(app, ["licenses", "check", str(root), "--no-db", "--offline", "--fail-on", "smell"])
    assert fails.exit_code == 1
