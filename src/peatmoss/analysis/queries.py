"""The paper's Table 3 research questions as named SQL queries (portable: SQLite and PostgreSQL).

Each query answers what the database can answer of one question; docs/analysis.md lists them with
their caveats. A query may carry a `summary` step (e.g. Spearman's rho for I-1) computed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from .domains import sql_model_domains


@dataclass(frozen=True)
class Query:
    name: str
    question: str
    description: str
    sql: str
    summary: Callable[[pd.DataFrame], dict] | None = None

    def sql_for(self, dialect: str) -> str:
        """The SQL for a dialect: ILIKE (case-insensitive) is PostgreSQL's; SQLite's LIKE already ignores case."""
        return self.sql if dialect == "postgresql" else self.sql.replace(" ILIKE ", " LIKE ")


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    order = np.argsort(x, kind="mergesort")
    inverse = np.empty(len(x), dtype=np.intp)
    inverse[order] = np.arange(len(x))
    xs = x[order]
    starts = np.r_[True, xs[1:] != xs[:-1]]
    dense = starts.cumsum()[inverse]
    bounds = np.r_[np.nonzero(starts)[0], len(x)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def spearman(a: pd.Series, b: pd.Series) -> float | None:
    """Spearman's rho as Pearson's r of average ranks (no scipy needed)."""
    pair = pd.concat([pd.to_numeric(a), pd.to_numeric(b)], axis=1).dropna().to_numpy(dtype=float)
    if len(pair) < 3 or np.ptp(pair[:, 0]) == 0 or np.ptp(pair[:, 1]) == 0:
        return None
    return float(np.corrcoef(average_ranks(pair[:, 0]), average_ranks(pair[:, 1]))[0, 1])


def _i1_summary(df: pd.DataFrame) -> dict:
    rho = spearman(df["downloads"], df["dependent_repositories"]) if len(df) else None
    return {"models": len(df), "spearman_rho": None if rho is None else round(rho, 4)}


def _gh3_summary(df: pd.DataFrame) -> dict:
    changed = int(((df["models_added"] + df["models_dropped"]) > 0).sum()) if len(df) else 0
    return {"repositories_scanned_more_than_once": len(df), "repositories_that_changed_models": changed,
            "share_changed": round(changed / len(df), 4) if len(df) else None}


QUERIES: tuple[Query, ...] = (
    Query(
        "GH-1", "What kinds of projects reuse PTMs, and how do they load them (library, inference or fine-tuning)?",
        "Current links grouped by loading library and reuse mode, with distinct repositories and models.",
        """SELECT library, COALESCE(reuse_mode, 'unknown') AS reuse_mode, COUNT(*) AS links,
       COUNT(DISTINCT repository_id) AS repositories, COUNT(DISTINCT model_id) AS models
FROM model_reuse WHERE is_current = TRUE
GROUP BY library, COALESCE(reuse_mode, 'unknown')
ORDER BY links DESC"""),
    Query(
        "GH-2", "What do developers discuss about PTM use in issues and pull requests?",
        "Issues and pull requests of repositories that load a PTM: how many, how many open, how many "
        "mention models in their title.",
        """SELECT CASE WHEN i.is_pull_request = TRUE THEN 'pull request' ELSE 'issue' END AS kind,
       COUNT(*) AS total, COUNT(DISTINCT i.repository_id) AS repositories,
       SUM(CASE WHEN UPPER(i.state) = 'OPEN' THEN 1 ELSE 0 END) AS open,
       SUM(CASE WHEN LOWER(i.title) LIKE '%model%' OR LOWER(i.title) LIKE '%hugging%'
                  OR LOWER(i.title) LIKE '%checkpoint%' OR LOWER(i.title) LIKE '%weights%'
                THEN 1 ELSE 0 END) AS mentioning_models
FROM github_issue i
WHERE EXISTS (SELECT 1 FROM model_reuse mr WHERE mr.repository_id = i.repository_id AND mr.is_current = TRUE)
GROUP BY CASE WHEN i.is_pull_request = TRUE THEN 'pull request' ELSE 'issue' END
ORDER BY kind"""),
    Query(
        "GH-3", "How often does a project change the PTM it loads?",
        "Repositories scanned at more than one commit: models (canonical id) that appear after the first scan "
        "(added) or are gone by the newest scan (dropped).",
        """WITH multi AS (SELECT repository_id FROM repo_scan GROUP BY repository_id HAVING COUNT(*) > 1),
s AS (
  SELECT rs.id, rs.repository_id,
         ROW_NUMBER() OVER (PARTITION BY rs.repository_id ORDER BY rs.scanned_at, rs.id) AS n,
         COUNT(*) OVER (PARTITION BY rs.repository_id) AS scans
  FROM repo_scan rs JOIN multi ON multi.repository_id = rs.repository_id),
u AS (
  SELECT s.repository_id, COALESCE(mr.canonical_model_id, mr.raw_model_id) AS model,
         MIN(s.n) AS first_n, MAX(s.n) AS last_n, MAX(s.scans) AS scans
  FROM s JOIN model_reuse mr ON mr.scan_id = s.id
  WHERE COALESCE(mr.canonical_model_id, mr.raw_model_id) IS NOT NULL
  GROUP BY s.repository_id, COALESCE(mr.canonical_model_id, mr.raw_model_id))
SELECT r.full_name AS repository, MAX(u.scans) AS scans, COUNT(*) AS models_ever,
       SUM(CASE WHEN u.first_n > 1 THEN 1 ELSE 0 END) AS models_added,
       SUM(CASE WHEN u.last_n < u.scans THEN 1 ELSE 0 END) AS models_dropped
FROM u JOIN reuse_repository r ON r.id = u.repository_id
GROUP BY r.id, r.full_name
ORDER BY SUM(CASE WHEN u.first_n > 1 THEN 1 ELSE 0 END) + SUM(CASE WHEN u.last_n < u.scans THEN 1 ELSE 0 END) DESC,
         r.full_name""",
        _gh3_summary),
    Query(
        "PTM-1", "How well are PTMs documented: which metadata do their cards state?",
        "Per extraction pipeline and field: models whose card states a value, of the models extracted.",
        """SELECT pipeline, field,
       COUNT(DISTINCT CASE WHEN state = 'value' THEN model_id END) AS models_stated,
       COUNT(DISTINCT model_id) AS models_extracted,
       ROUND(CAST(100.0 * COUNT(DISTINCT CASE WHEN state = 'value' THEN model_id END)
                  / COUNT(DISTINCT model_id) AS NUMERIC), 1) AS pct_stated
FROM card_field
GROUP BY pipeline, field
ORDER BY pipeline, pct_stated DESC"""),
    Query(
        "PTM-2", "What naming conventions do PTM packages follow?",
        "Per hub: models whose id carries a quantization marker (gguf, gptq, awq), a fine-tuning marker "
        "(fine-tuned, lora) or a chat/instruct marker (case-insensitive substring matches).",
        """SELECT r.name AS hub, x.models, x.quantized, x.fine_tuned, x.chat_instruct
FROM (SELECT registry_id, COUNT(*) AS models,
        SUM(CASE WHEN hub_id ILIKE '%gguf%' OR hub_id ILIKE '%gptq%' OR hub_id ILIKE '%awq%'
                 THEN 1 ELSE 0 END) AS quantized,
        SUM(CASE WHEN hub_id ILIKE '%fine%tun%' OR hub_id ILIKE '%lora%' THEN 1 ELSE 0 END) AS fine_tuned,
        SUM(CASE WHEN hub_id ILIKE '%instruct%' OR hub_id ILIKE '%chat%' THEN 1 ELSE 0 END) AS chat_instruct
      FROM model GROUP BY registry_id) x
JOIN registry r ON r.id = x.registry_id
ORDER BY r.name"""),
    Query(
        "PTM-3", "How do PTMs derive from one another: which lineage families are largest?",
        "Roots of the model_edge graph (parents that are nobody's child) with their transitive descendants "
        "and the depth of the family (at most 20 generations, so cycles end).",
        """WITH RECURSIVE fam(root_id, model_id, depth) AS (
  SELECT e.parent_id, e.child_id, 1 FROM model_edge e
  WHERE e.parent_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM model_edge p WHERE p.child_id = e.parent_id AND p.parent_id IS NOT NULL)
  UNION ALL
  SELECT f.root_id, e.child_id, f.depth + 1 FROM fam f JOIN model_edge e ON e.parent_id = f.model_id
  WHERE f.depth < 20)
SELECT m.hub_id AS root, x.descendants, x.generations
FROM (SELECT root_id, COUNT(DISTINCT model_id) AS descendants, MAX(depth) AS generations
      FROM fam GROUP BY root_id ORDER BY COUNT(DISTINCT model_id) DESC, root_id LIMIT 100) x
JOIN model m ON m.id = x.root_id
ORDER BY x.descendants DESC, x.root_id"""),
    Query(
        "PTM-3b", "Which kinds of derivation (fine-tune, adapter, quantization, merge) link PTMs?",
        "Edges per relation and evidence source, with how many have the parent collected.",
        """SELECT relation, source, COUNT(*) AS edges, COUNT(parent_id) AS parent_known,
       COUNT(DISTINCT child_id) AS children
FROM model_edge GROUP BY relation, source ORDER BY edges DESC"""),
    Query(
        "I-1", "Do a PTM's downloads correlate with the number of projects that depend on it?",
        "Models with at least one current dependent repository: downloads and dependent repositories; "
        "the summary gives Spearman's rho over these models.",
        """SELECT m.hub_id AS model, g.name AS hub, m.downloads, u.dependent_repositories
FROM (SELECT model_id, COUNT(DISTINCT repository_id) AS dependent_repositories
      FROM model_reuse WHERE is_current = TRUE AND model_id IS NOT NULL GROUP BY model_id) u
JOIN model m ON m.id = u.model_id
JOIN registry g ON g.id = m.registry_id
ORDER BY u.dependent_repositories DESC, m.downloads DESC, m.hub_id""",
        _i1_summary),
    Query(
        "I-2", "Are PTM licenses respected by the projects that reuse them?",
        "License verdicts per rule set, kind (dependency or lineage) and verdict.",
        """SELECT rules, kind, verdict, COUNT(*) AS pairs, COUNT(DISTINCT model_id) AS models,
       COUNT(DISTINCT repository_id) AS repositories
FROM license_verdict
GROUP BY rules, kind, verdict
ORDER BY rules, kind, pairs DESC"""),
    Query(
        "I-3", "Which problem domains do projects take PTMs from, compared with what the hubs offer?",
        "Per domain (reconciled task->domain table: pipeline_tag, or a PyTorch Hub model's tags, as Figure 8): "
        "models on the hubs, models reused and repositories reusing them.",
        f"""WITH md AS ({sql_model_domains()})
SELECT d.domain, d.models, COALESCE(u.reused_models, 0) AS reused_models,
       COALESCE(u.repositories, 0) AS repositories
FROM (SELECT domain, COUNT(*) AS models FROM md GROUP BY domain) d
LEFT JOIN (SELECT md.domain, COUNT(DISTINCT mr.model_id) AS reused_models,
                  COUNT(DISTINCT mr.repository_id) AS repositories
           FROM model_reuse mr JOIN md ON md.model_id = mr.model_id
           WHERE mr.is_current = TRUE GROUP BY md.domain) u ON u.domain = d.domain
ORDER BY d.models DESC"""),
)

BY_NAME = {q.name.lower(): q for q in QUERIES}


def get(name: str) -> Query:
    try:
        return BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"no query {name!r}; known: {', '.join(q.name for q in QUERIES)}") from None


def run(engine: Engine, name: str) -> tuple[pd.DataFrame, dict | None]:
    query = get(name)
    with engine.connect() as conn:
        df = pd.read_sql(text(query.sql_for(engine.dialect.name)), conn)
    return df, (query.summary(df) if query.summary else None)
