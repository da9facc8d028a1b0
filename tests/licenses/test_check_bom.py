"""`licenses check` and `bom` on fixture repositories, offline (recorded hub data, the usage miner's scan_path)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.licenses.bom import build_bom, validate
from peatmoss.licenses.check import check, to_sarif

FIX = Path(__file__).parent / "fixtures"
HUB = FIX / "hub_data.json"
runner = CliRunner()


def test_check_mit_repo():
    report = check(FIX / "mit_repo", hub_data=HUB)
    assert report.repo_license.expression == "MIT"
    got = {m.model: m.verdict.verdict for m in report.models}
    assert got == {"bert-base-uncased": "compatible", "runwayml/stable-diffusion-v1-5": "conditional",
                   "facebook/nllb-200-distilled-600M": "conditional"}
    assert not report.failed
    assert all(m.locations for m in report.models)


def test_check_cli_exit_codes_and_formats(tmp_path):
    ok = runner.invoke(app, ["--db", str(tmp_path / "x.db"), "licenses", "check", str(FIX / "mit_repo"),
                             "--hub-data", str(HUB), "--no-db", "--offline", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["repository_license"]["expression"] == "MIT"
    bad = runner.invoke(app, ["licenses", "check", str(FIX / "gpl_model_repo"), "--hub-data", str(HUB), "--no-db", "--offline",
                              "--format", "sarif"])
    assert bad.exit_code == 1
    sarif = json.loads(bad.output)
    assert sarif["version"] == "2.1.0"
    res = sarif["runs"][0]["results"][0]
    assert res["level"] == "error" and res["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    table = runner.invoke(app, ["licenses", "check", str(FIX / "gpl_model_repo"), "--hub-data", str(HUB), "--no-db", "--offline"])
    assert table.exit_code == 1 and "incompatible" in table.output


def test_check_conflict_and_no_license_and_missing_model():
    conflict = check(FIX / "conflict_repo", hub_data=HUB)
    assert conflict.models[0].verdict.verdict == "conflict" and conflict.failed
    assert "pyproject" in conflict.models[0].verdict.reason
    none = check(FIX / "nolicense_repo", hub_data=HUB)
    assert none.repo_license.expression == "NONE" and none.models[0].verdict.verdict == "compatible"
    nodata = check(FIX / "mit_repo")  # no database, no hub data: unknown, explained
    assert {m.verdict.verdict for m in nodata.models} == {"unknown"}
    assert all("not found" in m.verdict.reason for m in nodata.models)
    assert to_sarif(nodata)["runs"][0]["results"]


def test_bom_is_valid_cyclonedx_16(tmp_path):
    data, errors = build_bom(FIX / "mit_repo", hub_data=HUB)
    assert errors == []
    assert data["specVersion"] == "1.6"
    comps = {c["name"]: c for c in data["components"]}
    bert = comps["bert-base-uncased"]
    assert bert["type"] == "machine-learning-model" and bert["version"] == "main"
    assert bert["licenses"] == [{"expression": "Apache-2.0"}]
    assert bert["externalReferences"][0]["url"] == "https://huggingface.co/bert-base-uncased"
    assert {"location": "app.py", "line": 4} in bert["evidence"]["occurrences"]
    assert comps["runwayml/stable-diffusion-v1-5"]["licenses"] == [{"expression": "LicenseRef-CreativeML-OpenRAIL-M"}]
    out = tmp_path / "bom.json"
    res = runner.invoke(app, ["bom", str(FIX / "mit_repo"), "--hub-data", str(HUB), "--no-db", "--offline", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert validate(out.read_text()) == []
    broken = json.loads(out.read_text())
    broken["components"][0]["type"] = "not-a-type"
    assert validate(json.dumps(broken))


@pytest.mark.shared
def test_check_with_recorded_hub_api_folder(shared_data):
    report = check(FIX / "hub_models_repo", hub_data=shared_data / "hf_api")
    got = {m.model: (m.info.license.expression, m.verdict.verdict) for m in report.models}
    assert got["CompVis/stable-diffusion-v1-4"] == ("LicenseRef-CreativeML-OpenRAIL-M", "conditional")
    assert got["HuggingFaceH4/zephyr-7b-beta"] == ("MIT", "compatible")
    assert got["distilbert/distilbert-base-uncased-finetuned-sst-2-english"] == ("Apache-2.0", "compatible")
    assert report.repo_license.expression == "Apache-2.0" and not report.failed
