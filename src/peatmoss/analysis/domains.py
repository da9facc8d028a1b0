"""Task -> problem domain: one reconciled table (task_domains.csv), documented in docs/analysis.md.

The paper used three inconsistent mappings; the CSV keeps their verdicts next to ours, with a note
wherever we departed. Hugging Face models map by `pipeline_tag`; PyTorch Hub models by their tags (page tags and
torchvision sub-module tags, in model_to_tag) with the paper's rule: ignore 'Other' tags, none left ->
Other, two or more domains -> Multimodal. `sql_model_domains` is that rule in SQL, read by every figure
and query that groups models by domain, so they agree.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

DOMAINS = ("NLP", "CV", "Audio", "Multimodal", "RL", "Tabular", "Other")
TABLE = Path(__file__).with_name("task_domains.csv")


@lru_cache(maxsize=1)
def table() -> tuple[dict, ...]:
    with TABLE.open(newline="") as f:
        return tuple(csv.DictReader(f))


def task_domains() -> dict[str, str]:
    """Hugging Face pipeline_tag -> domain."""
    return {r["key"]: r["domain"] for r in table() if r["hub"] == "huggingface"}


def hub_tag_domains() -> dict[str, str]:
    """PyTorch Hub page tag -> domain ('Other' for tags that say nothing about the domain)."""
    return {r["key"]: r["domain"] for r in table() if r["hub"] == "pytorch_hub"}


def domain_of_task(task: str | None) -> str:
    if not task:
        return "Other"
    return task_domains().get(task.strip().lower(), "Other")


def domain_of_hub_tags(tags) -> str:
    mapping = hub_tag_domains()
    found = {mapping[t] for t in (tags or []) if isinstance(t, str) and mapping.get(t, "Other") != "Other"}
    if not found:
        return "Other"
    return found.pop() if len(found) == 1 else "Multimodal"


def sql_case(column: str) -> str:
    """A portable SQL CASE expression mapping a pipeline_tag column to its domain."""
    whens = " ".join(f"WHEN '{task}' THEN '{dom}'" for task, dom in sorted(task_domains().items()))
    return f"(CASE {column} {whens} ELSE 'Other' END)"


def sql_model_domains() -> str:
    """A portable SELECT of (model_id, domain) for every model: pipeline_tag when set, else (PyTorch Hub)
    its tags by the rule above."""
    whens = " ".join(f"WHEN '{tag}' THEN '{dom}'" for tag, dom in sorted(hub_tag_domains().items()))
    tag_domain = f"(CASE t.name {whens} ELSE 'Other' END)"
    return f"""SELECT m.id AS model_id,
       CASE WHEN m.pipeline_tag IS NOT NULL THEN {sql_case('LOWER(TRIM(m.pipeline_tag))')}
            WHEN td.n > 1 THEN 'Multimodal' WHEN td.n = 1 THEN td.domain ELSE 'Other' END AS domain
FROM model m
LEFT JOIN (SELECT x.model_id, COUNT(DISTINCT x.domain) AS n, MIN(x.domain) AS domain
           FROM (SELECT mt.model_id, {tag_domain} AS domain
                 FROM model_to_tag mt JOIN tag t ON t.id = mt.tag_id
                 JOIN model hm ON hm.id = mt.model_id JOIN registry r ON r.id = hm.registry_id
                 WHERE r.name = 'pytorch_hub') x
           WHERE x.domain <> 'Other' GROUP BY x.model_id) td ON td.model_id = m.id"""
