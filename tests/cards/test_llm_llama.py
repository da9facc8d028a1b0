"""The LLM pipelines with a real model: llama.cpp's server (llama-cpp-python[server]) and a small GGUF model.

The slow test starts the real server on 127.0.0.1 ($PEATMOSS_LLAMA_PYTHON, $PEATMOSS_LLAMA_MODEL; skipped
without them). The replay test re-runs the recorded measurement of docs/accuracy.md
(benchmarks/llm_local.py -> data/llama_run) from its archives, offline and at $0.
"""

import gzip
import json
import os
from pathlib import Path

import pytest

from peatmoss.cards.evaluate import load_gold
from peatmoss.cards.llamaserver import ENV_MODEL, ENV_PYTHON, LlamaServer, missing
from peatmoss.cards.llm import LlmClient
from peatmoss.cards.llmrun import PIPELINES, llm_answers
from peatmoss.cards.pipelines import run_llm_stage
from peatmoss.cards.rules import extract_rules
from peatmoss.cards.schema import answer_model

from .test_llm_pipelines import CARD

RUN = Path(__file__).parent / "data" / "llama_run"


@pytest.mark.slow
def test_real_llama_server_answers_both_pipelines_with_the_schema(tmp_path):
    reason = missing()
    if reason:
        pytest.skip(f"no local llama server: {reason}")
    with LlamaServer(os.environ[ENV_MODEL], python=os.environ[ENV_PYTHON], n_ctx=4096,
                     log=tmp_path / "server.log") as srv:
        for pipeline in PIPELINES:
            llm = LlmClient(base_url=srv.base_url, model=srv.alias, concurrency=1, timeout=600, max_tokens=384,
                            token_budget=2000, record=tmp_path / pipeline)
            b = extract_rules(CARD)
            fields = ["datasets", "base_model", "grant"]
            run_llm_stage(b, pipeline, llm, fields)
            ledger = llm.ledger()
            assert ledger["calls"] >= 1 and ledger["prompt_tokens"] > 100 and ledger["completion_tokens"] > 0
            assert ledger["structured"] == "json_object_schema"  # the server rejected json_schema, took the schema
            assert not [k for k, _ in b.errors if k in ("llm_http_error", "llm_timeout", "llm_empty")], b.errors
            # the grammar holds the model to the schema: every answer it finished validates
            index = (tmp_path / pipeline / "index.jsonl").read_text()
            answered = [json.loads(gzip.decompress((tmp_path / pipeline / "bodies" / e["body"]).read_bytes()))
                        for e in map(json.loads, index.splitlines()) if e["status"] == 200]
            finished = [a["choices"][0]["message"]["content"] for a in answered
                        if a["choices"][0]["finish_reason"] == "stop"]
            assert answered and finished
            for text in finished:
                answer_model(fields).model_validate_json(text)
            assert "Yelp" not in index and "Pocket" not in index  # requests are kept as hashes only


@pytest.mark.shared
def test_the_recorded_llama_run_replays_offline_at_zero_cost(shared_data):
    summary = json.loads((RUN / "summary.json").read_text(encoding="utf-8"))
    rows = load_gold(RUN / "gold.jsonl")
    cards_dir = shared_data / "model_cards"
    assert [r["card"] for r in rows] == summary["cards"]
    for pipeline in PIPELINES:
        llm = LlmClient(base_url=None, model=summary["model"]["alias"], replay=RUN / pipeline, concurrency=1,
                        max_tokens=summary["model"]["max_tokens"], token_budget=summary["model"]["token_budget"])
        answers, _, errors = llm_answers(rows, cards_dir, pipeline, llm, summary["fields"])
        assert "llm_replay_miss" not in [k for _, k in errors]
        assert answers == summary["answers"][pipeline]
        assert errors == summary["errors"][pipeline]
        ledger = llm.ledger()
        assert ledger["calls"] == 0 and ledger["cost_usd"] == 0 and ledger["cache_hits"] >= len(rows)


def test_the_recording_keeps_no_card_text_in_requests():
    for pipeline in PIPELINES:
        for line in (RUN / pipeline / "index.jsonl").read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            assert set(entry) == {"method", "url", "request", "status", "headers", "body"}
            assert entry["url"] == "/chat/completions" and len(entry["request"]) == 64
