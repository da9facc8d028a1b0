"""The CI integration: the pre-commit hook's entry and the GitHub Action's check step, run as written on fixture
repositories, against a loopback Hub serving the fixtures' hub records."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from peatmoss.registries.hubserver import HubServer, RecordSource

ROOT = Path(__file__).resolve().parents[2]
FIX = Path(__file__).parent / "fixtures"


def _records() -> list[dict]:
    held = json.loads((FIX / "hub_data.json").read_text())
    return [{"id": k, "cardData": {"license": v}} if isinstance(v, str) else {"id": k, **v} for k, v in held.items()]


@pytest.fixture
def hub():
    with HubServer(RecordSource(_records())) as server:
        yield server


def _env(hub, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_TOKEN")}
    env.update(HF_ENDPOINT=hub.url, PEATMOSS_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_DISABLE_TELEMETRY="1")
    return env


def _peatmoss(argv: list[str]) -> list[str]:
    assert argv[0] == "peatmoss"
    return [sys.executable, "-m", "peatmoss", *argv[1:]]


def test_pre_commit_hook_entry(hub, tmp_path):
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    argv = _peatmoss(shlex.split(hook["entry"]) + hook.get("args", []))
    bad = subprocess.run(argv, cwd=FIX / "gpl_model_repo", env=_env(hub, tmp_path), capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "incompatible" in bad.stdout and hub.requests == 1
    ok = subprocess.run(argv, cwd=FIX / "nolicense_repo", env=_env(hub, tmp_path), capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_action_check_step_writes_sarif_and_exit_code(hub, tmp_path):
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    script = step["run"].replace("peatmoss ", f"{shlex.quote(sys.executable)} -m peatmoss ")
    out = tmp_path / "github_output"
    env = {**_env(hub, tmp_path), "CHECK_PATH": str(FIX / "gpl_model_repo"),
           "FAIL_ON": action["inputs"]["fail-on"]["default"], "SARIF_FILE": str(tmp_path / "peatmoss.sarif"),
           "GITHUB_OUTPUT": str(out)}
    subprocess.run(["bash", "-e", "-c", script], env=env, check=True)
    assert out.read_text().strip() == "exit-code=1"
    sarif = json.loads((tmp_path / "peatmoss.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["level"] == "error"
