"""Tokens for the Hub, GitHub and the LLM never reach logs, error rows, recordings or the database, even when
every stage meets errors (a test greps all of them)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from sqlalchemy import select

from peatmoss.cards.fakeserver import Fail, FakeOpenAI
from peatmoss.db import get_engine
from peatmoss.db.models import Base
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface

from hub import hub_data

TOKENS = {"HF_TOKEN": "hf_SeCrEtHuBtOkEn0123456789", "GITHUB_TOKEN": "ghp_SeCrEtGiThUbToKeN0123456789",
          "OPENAI_API_KEY": "sk-SeCrEtLlMkEy0123456789"}


def _faults(path, n):
    if path.endswith("/refs") and n % 2:
        return Fault("500")
    if "/model-2/" in path:
        return Fault("401")
    return None


def _llm(request):
    return Fail(401, '{"error": {"message": "bad key"}}') if len(request.get("messages", [])) % 2 else "not json"


def _run(args: list[str], env: dict) -> str:
    proc = subprocess.run([sys.executable, "-m", "peatmoss", "--verbose", *args], env=env, capture_output=True,
                          text=True, timeout=300)
    return proc.stdout + proc.stderr


def _database_text(url: str) -> str:
    out = []
    with get_engine(url).connect() as conn:
        for table in Base.metadata.sorted_tables:
            out.extend(json.dumps(list(row), default=str) for row in conn.execute(select(table)))
    return "\n".join(out)


def test_no_token_anywhere(db_url, tmp_path, monkeypatch, caplog):
    env = dict(os.environ, **TOKENS)
    for k, v in TOKENS.items():
        monkeypatch.setenv(k, v)
    records, extra = hub_data(tmp_path, 12)
    outputs = []
    caplog.set_level(logging.DEBUG)
    with HubServer(RecordSource(records, extra), page_size=5, faults=_faults) as hub:
        # the collector in this process (DEBUG logs captured) and through the CLI, both recording
        collect_huggingface(db_url, CollectOptions(endpoint=hub.url, page_size=5, snapshot="2024-01-01", min_downloads=0,
                                                   progress=False, record_dir=str(tmp_path / "rec1"), timeout=2))
        outputs.append(_run(["--db", db_url, "collect", "huggingface", "--endpoint", hub.url, "--page-size", "5",
                             "--snapshot", "2024-01-02", "--min-downloads", "0", "--no-progress",
                             "--record", str(tmp_path / "rec2")], env))
        # GitHub metadata against a server that knows no repository (error rows), recorded
        outputs.append(_run(["--db", db_url, "github-meta", "octo/missing", "--github-api", hub.url,
                             "--record", str(tmp_path / "rec3")], env))
    # mining a repository that cannot be cloned
    outputs.append(_run(["--db", db_url, "mine", "octo/nothing", "--github-base", "http://127.0.0.1:9",
                         "--no-progress"], env))
    # LLM extraction whose calls fail (401, unparsable answers), recorded
    with FakeOpenAI(_llm) as llm:
        outputs.append(_run(["--db", db_url, "extract", "--pipeline", "accurate", "--llm-base-url", llm.base_url,
                             "--llm-model", "fake-strong", "--record", str(tmp_path / "llm.jsonl")], env))
        assert llm.requests, outputs[-1][-3000:]  # the key was in play
    db_text = _database_text(db_url)
    assert "collect.deep" in db_text and "extract" in db_text  # the stages met errors and ran
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    recorded = b"".join(p.read_bytes() for p in files)
    assert len(files) > 10 and any("rec" in p.parts[-2] or p.name == "llm.jsonl" for p in files)
    for name, token in TOKENS.items():
        assert token not in caplog.text, f"{name} in the logs"
        for out in outputs:
            assert token not in out, f"{name} in CLI output"
        assert token not in db_text, f"{name} in the database"
        assert token.encode() not in recorded, f"{name} in a file (recordings, the SQLite file and its WAL)"
