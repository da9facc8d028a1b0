from __future__ import annotations

import json
import sqlite3

import pytest

from peatmoss.analysis import domains


def test_table_is_consistent():
    rows = domains.table()
    assert {r["domain"] for r in rows} <= set(domains.DOMAINS)
    keys = [(r["hub"], r["key"]) for r in rows]
    assert len(keys) == len(set(keys))
    for r in rows:
        paper = {v for v in (r["paper_llm_pipeline"], r["paper_figure_script"], r["paper_license_analysis"]) if v}
        if paper != {r["domain"]} and r["hub"] == "huggingface":
            assert r["note"], f"{r['key']}: a departure from the paper needs a note"


@pytest.mark.shared
def test_table_keeps_the_papers_verdicts(shared_data):
    """The paper columns of our table transcribe the artifact's three mappings faithfully."""
    src = json.loads((shared_data / "peatmoss" / "task_domain_mappings.json").read_text())
    ours = {r["key"]: r for r in domains.table() if r["hub"] == "huggingface"}
    for tasks in src["llm_pipeline_domain_to_hf_tasks"].values():
        for task in tasks:
            assert ours[task]["paper_llm_pipeline"]
    for task in src["license_analysis_task_to_domain_extractTasks"]:
        if task in ours:
            assert ours[task]["paper_license_analysis"]
    for dom, tags in src["figures_pytorch_hub_domains_fig8"].items():
        for tag in tags if isinstance(tags, list) else []:
            assert domains.hub_tag_domains()[tag]


def test_lookup():
    assert domains.domain_of_task("text-generation") == "NLP"
    assert domains.domain_of_task("Image-Classification ") == "CV"
    assert domains.domain_of_task(None) == "Other"
    assert domains.domain_of_task("no-such-task") == "Other"
    assert domains.domain_of_task("tabular-regression") == "Tabular"
    assert domains.domain_of_task("graph-machine-learning") == "Other"


def test_pytorch_hub_rule():
    assert domains.domain_of_hub_tags(["vision", "researchers"]) == "CV"
    assert domains.domain_of_hub_tags(["nlp", "vision"]) == "Multimodal"
    assert domains.domain_of_hub_tags(["researchers", "cuda"]) == "Other"
    assert domains.domain_of_hub_tags(None) == "Other"


def test_sql_case_matches_python():
    con = sqlite3.connect(":memory:")
    for task in ["text-generation", "audio-to-audio", "unknown-task", None]:
        (got,) = con.execute(f"SELECT {domains.sql_case('?')}", (task,)).fetchone()
        assert got == domains.domain_of_task(task)
