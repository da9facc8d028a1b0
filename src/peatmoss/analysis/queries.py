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

from . import formats
from .domains import sql_model_domains


@dataclass(frozen=True)
class Query:
    name: str
    question: str
    description: str
    sql: str
    summary: Callable[[pd.DataFrame], dict] | None = None
    post: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # turns the SQL's rows into the answer

    @property
    def paper(self) -> bool:
        """One of the paper's Table 3 questions (else one of our own analyses)."""
        return self.name in PAPER_IDS

    def sql_for(self, dialect: str) -> str:
        """The SQL for a dialect: ILIKE (case-insensitive) is PostgreSQL's; SQLite's LIKE already ignores case."""
        return self.sql if dialect == "postgresql" else self.sql.replace(" ILIKE ", " LIKE ")


PAPER_IDS = ("PTM-1", "PTM-2", "PTM-3", "PTM-4", "PTM-5", "GH-1", "GH-2", "GH-3", "GH-4",
             "I-1", "I-2", "I-3", "I-4", "I-5", "I-6")
NEEDS_HISTORY = ("needs repository history: no repository was scanned at more than one commit yet "
                 "(mine a repository's history, e.g. `peatmoss mine REPO --since 2023-01-01 --every monthly`, "
                 "then run this again)")
NEEDS_MODEL_COMMITS = ("technical lag needs the commit history of the pinned models: none of the pinned revisions "
                       "is a known model commit (collect deep snapshots: `peatmoss collect huggingface --deep`)")


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
    return {"models": len(df), "spearman_rho": "n/a" if rho is None else round(rho, 4)}


def _median(values: pd.Series):
    values = pd.to_numeric(values, errors="coerce").dropna()
    return "n/a" if values.empty else round(float(values.median()), 2)


def _gh3_table(df: pd.DataFrame) -> pd.DataFrame:
    """Adds the span of the scanned history in days and the model changes (added, dropped, new revision) a year."""
    span = _days(df["last_commit"], df["first_commit"])
    changes = df["models_added"] + df["models_dropped"] + df["revision_changes"]
    return df.assign(span_days=span.round(1),
                     changes_per_year=(changes / (span / 365.25)).where(span > 0).round(2))


def _gh3_summary(df: pd.DataFrame) -> dict:
    if not len(df):
        return {"repositories_scanned_more_than_once": 0, "note": NEEDS_HISTORY}
    changed = int(((df["models_added"] + df["models_dropped"]) > 0).sum())
    return {"repositories_scanned_more_than_once": len(df), "repositories_that_changed_models": changed,
            "share_changed": round(changed / len(df), 4),
            "repositories_that_replaced_a_model": int((df["replacements"] > 0).sum()),
            "revision_changes": int(df["revision_changes"].sum()),
            "median_changes_per_year": _median(_gh3_table(df)["changes_per_year"])}


def _mentions_ptm(*cols: str) -> str:
    """SQL: true when any of the text columns names a pre-trained model (keyword match, case-insensitive)."""
    words = ("model", "checkpoint", "pretrained", "pre-trained", "hugging", "weights", "from_pretrained")
    return "(" + " OR ".join(f"LOWER({c}) LIKE '%{w}%'" for c in cols for w in words) + ")"


def _ptm1_summary(df: pd.DataFrame) -> dict:
    out: dict = {"models": len(df)}
    for factor in ("likes", "card_length", "fields_stated", "has_license", "dependent_repositories",
                   "parameter_count"):
        rho = spearman(df["downloads"], df[factor]) if len(df) else None
        out[f"rho_downloads_{factor}"] = "n/a" if rho is None else round(rho, 4)
    return out


def _i4_table(df: pd.DataFrame) -> pd.DataFrame:
    """Adds the technical lag in days (the newest model commit at the repository's newest commit, against the
    pinned one) and the delay of the last update (the repository's commit against the model commit it adopted)."""
    return df.assign(lag_days=_days(df["latest_at"], df["pinned_at"]).round(1),
                     update_delay_days=_days(df["last_update"], df["last_update_pinned_at"]).round(1))


def _i4_summary(df: pd.DataFrame) -> dict:
    if not len(df):
        return {"repositories": 0, "note": NEEDS_HISTORY}
    table = _i4_table(df)
    in_use = table[table["in_use"].astype(bool)]
    pinned = in_use[in_use["pinned_revision"].notna()]
    out = {"repositories": int(table["repository"].nunique()), "models": len(table), "models_in_use": len(in_use),
           "pinned_in_use": len(pinned), "revision_updates": int(table["revision_updates"].sum()),
           "repositories_that_updated": int(table.loc[table["revision_updates"] > 0, "repository"].nunique()),
           "median_commits_behind": _median(pinned["commits_behind"]),
           "median_lag_days": _median(pinned["lag_days"]),
           "median_update_delay_days": _median(table["update_delay_days"])}
    if len(pinned) and pinned["pinned_commit"].isna().all():
        out["note"] = NEEDS_MODEL_COMMITS
    return out


def _i3_summary(df: pd.DataFrame) -> dict:
    return {"repositories": len(df), "with_test_files": int((df["test_files"] > 0).sum()) if len(df) else 0,
            "with_tests_loading_ptms": int((df["test_files_loading_ptms"] > 0).sum()) if len(df) else 0}


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    a = pd.to_datetime(later, utc=True, errors="coerce")
    b = pd.to_datetime(earlier, utc=True, errors="coerce")
    return (a - b).dt.total_seconds() / 86400


def _i5_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per source and kind: volume, density, openness, responsiveness and staleness of issue reports."""
    cols = ["source", "kind", "items", "parents", "items_per_parent", "pct_open", "pct_answered",
            "median_days_to_answer", "median_days_open"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.assign(kind=df["is_pull_request"].map(lambda v: "pull request" if v in (True, 1) else "issue"),
                   wait=_days(df["first_answer_at"], df["created_at"]))
    as_of = pd.to_datetime(df["created_at"], utc=True, errors="coerce").max()  # the newest item: reproducible
    df["age"] = (as_of - pd.to_datetime(df["created_at"], utc=True, errors="coerce")).dt.total_seconds() / 86400
    rows = []
    for (source, kind), g in df.groupby(["source", "kind"], sort=True):
        is_open = g["is_open"].astype(bool)
        rows.append({"source": source, "kind": kind, "items": len(g), "parents": g["parent_id"].nunique(),
                     "items_per_parent": round(len(g) / g["parent_id"].nunique(), 2),
                     "pct_open": round(100.0 * is_open.mean(), 1),
                     "pct_answered": round(100.0 * g["answered"].astype(bool).mean(), 1),
                     "median_days_to_answer": _round(g["wait"].median()),
                     "median_days_open": _round(g.loc[is_open, "age"].median())})
    return pd.DataFrame(rows, columns=cols)


def _round(x) -> float | None:
    return None if pd.isna(x) else round(float(x), 1)


def _i6_summary(df: pd.DataFrame) -> dict:
    return {"models": int(df["models"].sum()) if len(df) else 0,
            "note": "commit and tag signatures are not collected (the Hub API and our GitHub fields carry no "
                    "signature data); these counts show what a signing study starts from"}


_WEIGHT_ROWS = """SELECT m.id AS model_id, g.name AS hub, m.hub_id AS model, m.downloads, m.file_names, NULL AS path
FROM model m JOIN registry g ON g.id = m.registry_id
UNION ALL
SELECT m.id, g.name, m.hub_id, m.downloads, NULL, f.path
FROM model_file f JOIN model m ON m.id = f.model_id JOIN registry g ON g.id = m.registry_id"""


_QUERIES: tuple[Query, ...] = (
    Query(
        "USE-1", "How do projects load PTMs: which library, inference or fine-tuning?",
        "Current links grouped by loading library and reuse mode, with distinct repositories and models.",
        """SELECT library, COALESCE(reuse_mode, 'unknown') AS reuse_mode, COUNT(*) AS links,
       COUNT(DISTINCT repository_id) AS repositories, COUNT(DISTINCT model_id) AS models
FROM model_reuse WHERE is_current = TRUE
GROUP BY library, COALESCE(reuse_mode, 'unknown')
ORDER BY links DESC"""),
    Query(
        "GH-2", "What do developers discuss about PTM use in issues and pull requests, with what sentiment and expertise?",
        "Issues and pull requests of repositories that load a PTM: how many, how many open, how many "
        "mention models in their title. Sentiment and the authors' expertise need human judgement: the texts "
        "are in github_issue and github_comment.",
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
        "GH-3", "How often do developers change the PTM behind a feature, and why?",
        "Repositories scanned at more than one commit (`mine REPO --since ... --every ...`), from the reuse_change "
        "view: scans, models ever loaded, models added and dropped between scans, commits that did both (a "
        "replaced model), changes of a pinned revision, and model changes a year over the scanned span. Why a "
        "model changed needs reading the commits.",
        """WITH n AS (SELECT repository_id, COUNT(*) AS scans, MIN(COALESCE(committed_at, scanned_at)) AS first_at,
                  MAX(COALESCE(committed_at, scanned_at)) AS last_at
           FROM repo_scan GROUP BY repository_id HAVING COUNT(*) > 1),
c AS MATERIALIZED (SELECT repository_id, scan_id, model, change FROM reuse_change),
k AS (SELECT repository_id, scan_id,
             SUM(CASE WHEN change = 'added' THEN 1 ELSE 0 END) AS added,
             SUM(CASE WHEN change = 'dropped' THEN 1 ELSE 0 END) AS dropped,
             SUM(CASE WHEN change = 'revision' THEN 1 ELSE 0 END) AS revisions
      FROM c GROUP BY repository_id, scan_id),
e AS (SELECT repository_id, COUNT(DISTINCT model) AS models_ever FROM c GROUP BY repository_id)
SELECT r.full_name AS repository, n.scans, n.first_at AS first_commit, n.last_at AS last_commit,
       COALESCE(e.models_ever, 0) AS models_ever,
       COALESCE(SUM(k.added), 0) AS models_added, COALESCE(SUM(k.dropped), 0) AS models_dropped,
       COALESCE(SUM(CASE WHEN k.added > 0 AND k.dropped > 0 THEN 1 ELSE 0 END), 0) AS replacements,
       COALESCE(SUM(k.revisions), 0) AS revision_changes,
       COALESCE(SUM(CASE WHEN k.added + k.dropped + k.revisions > 0 THEN 1 ELSE 0 END), 0) AS commits_changing
FROM n JOIN reuse_repository r ON r.id = n.repository_id
LEFT JOIN e ON e.repository_id = n.repository_id
LEFT JOIN k ON k.repository_id = n.repository_id
GROUP BY r.id, r.full_name, n.scans, n.first_at, n.last_at, e.models_ever
ORDER BY COALESCE(SUM(k.added), 0) + COALESCE(SUM(k.dropped), 0) DESC, r.full_name""",
        _gh3_summary, _gh3_table),
    Query(
        "CARD-1", "How well are PTMs documented: which metadata do their cards state?",
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
        "PTM-2", "What naming conventions do PTMs follow, and are they consistent enough to find similar models?",
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
        "PTM-3", "How do PTM authors build on each other's models: what is the phylogeny of PTM families?",
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
        "I-1", "Do a PTM's downloads correlate with the GitHub projects that depend on it?",
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
        "LIC-1", "Are PTM licenses respected by the projects that reuse them?",
        "License verdicts per rule set, kind (dependency or lineage) and verdict.",
        """SELECT rules, kind, verdict, COUNT(*) AS pairs, COUNT(DISTINCT model_id) AS models,
       COUNT(DISTINCT repository_id) AS repositories
FROM license_verdict
GROUP BY rules, kind, verdict
ORDER BY rules, kind, pairs DESC"""),
    Query(
        "DOM-1", "Which problem domains do projects take PTMs from, compared with what the hubs offer?",
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
    Query(
        "PTM-1", "What predicts a PTM's popularity, and how much do engineering-quality signals matter?",
        "Per model: downloads and likes with candidate factors (card length, card fields stated, a declared "
        "license, dependent GitHub repositories, parameter count); the summary gives Spearman's rho of "
        "downloads with each. Accuracy and latency are not collected: a researcher adds them from cards.",
        """SELECT m.hub_id AS model, g.name AS hub, m.downloads, m.likes, c.card_length,
       COALESCE(f.fields_stated, 0) AS fields_stated,
       CASE WHEN EXISTS (SELECT 1 FROM model_to_license ml WHERE ml.model_id = m.id) THEN 1 ELSE 0 END AS has_license,
       COALESCE(u.dependent_repositories, 0) AS dependent_repositories, m.parameter_count
FROM model m JOIN registry g ON g.id = m.registry_id
LEFT JOIN (SELECT model_id, MAX(length) AS card_length FROM model_card GROUP BY model_id) c ON c.model_id = m.id
LEFT JOIN (SELECT model_id, COUNT(DISTINCT field) AS fields_stated FROM card_field WHERE state = 'value'
           GROUP BY model_id) f ON f.model_id = m.id
LEFT JOIN (SELECT model_id, COUNT(DISTINCT repository_id) AS dependent_repositories FROM model_reuse
           WHERE is_current = TRUE AND model_id IS NOT NULL GROUP BY model_id) u ON u.model_id = m.id
WHERE m.downloads IS NOT NULL
ORDER BY m.downloads DESC, m.hub_id""",
        _ptm1_summary),
    Query(
        "PTM-4", "How common are PTMs with unexpected or malicious behaviour?",
        "Models whose weight files are all pickle-based (.bin, .pt, .pth, .ckpt, .pkl, ...: loading them can "
        "run code), most downloaded first; the summary gives the share among models with weight files. "
        "File names only: no file is opened. Whether a model misbehaves needs a scanner or a human.",
        _WEIGHT_ROWS, formats.weights_summary, formats.pickle_only),
    Query(
        "PTM-5", "Which serialization formats does the model infrastructure use (safety, interoperability)?",
        "Per hub and weight format (from file names: listing and stored files): models shipping it, files and "
        "% of the hub's models.",
        _WEIGHT_ROWS, formats.weights_summary, formats.formats_in_use),
    Query(
        "GH-1", "Which defects do projects report about PTM use, and how do they differ from their other defects?",
        "Issues (not pull requests) of repositories that load a PTM, split by whether the title or body names a "
        "model (keyword match): issues, bug-labelled, open, repositories. Defect kinds need human labelling; "
        "the issues are in github_issue.",
        f"""SELECT CASE WHEN {_mentions_ptm("i.title", "i.body")} THEN 'mentions a PTM' ELSE 'other' END AS topic,
       COUNT(*) AS issues,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM github_issue_label il JOIN github_label l ON l.id = il.github_label_id
                             WHERE il.github_issue_id = i.id AND (LOWER(l.name) LIKE '%bug%'
                                   OR LOWER(l.name) LIKE '%defect%' OR LOWER(l.name) LIKE '%error%'))
                THEN 1 ELSE 0 END) AS bug_labelled,
       SUM(CASE WHEN UPPER(i.state) = 'OPEN' THEN 1 ELSE 0 END) AS open,
       COUNT(DISTINCT i.repository_id) AS repositories
FROM github_issue i
WHERE i.is_pull_request = FALSE
  AND EXISTS (SELECT 1 FROM model_reuse mr WHERE mr.repository_id = i.repository_id AND mr.is_current = TRUE)
GROUP BY CASE WHEN {_mentions_ptm("i.title", "i.body")} THEN 'mentions a PTM' ELSE 'other' END
ORDER BY topic"""),
    Query(
        "GH-4", "Do PTMs underpin, enhance or replace features built with ordinary code, and how common is each?",
        "Per repository loading PTMs: files loading them against files scanned, models, and links by reuse mode. "
        "The adoption mode of a feature needs human judgement; these are the repositories and files to read.",
        """SELECT r.full_name AS repository, s.files_scanned,
       COUNT(DISTINCT mr.file_id) AS files_loading_ptms,
       COUNT(DISTINCT COALESCE(mr.canonical_model_id, mr.raw_model_id)) AS models,
       SUM(CASE WHEN mr.reuse_mode = 'inference' THEN 1 ELSE 0 END) AS inference_links,
       SUM(CASE WHEN mr.reuse_mode = 'finetune' THEN 1 ELSE 0 END) AS finetune_links,
       SUM(CASE WHEN mr.reuse_mode IS NULL THEN 1 ELSE 0 END) AS unknown_mode_links
FROM model_reuse mr JOIN repo_scan s ON s.id = mr.scan_id JOIN reuse_repository r ON r.id = mr.repository_id
WHERE mr.is_current = TRUE
GROUP BY r.id, r.full_name, s.id, s.files_scanned
ORDER BY files_loading_ptms DESC, r.full_name"""),
    Query(
        "I-2", "What are the code smells of PTM use in downstream repositories?",
        "Per loading library: current links with smell candidates: remote code trusted, no pinned revision, "
        "a model id computed at run time, a local path, a model id no hub knows. Whether each is a smell "
        "and how it affects a project needs human judgement.",
        """SELECT library, COUNT(*) AS links, COUNT(DISTINCT repository_id) AS repositories,
       SUM(CASE WHEN trust_remote_code = TRUE THEN 1 ELSE 0 END) AS trust_remote_code,
       SUM(CASE WHEN revision IS NULL AND is_local_path = FALSE THEN 1 ELSE 0 END) AS unpinned,
       SUM(CASE WHEN link_status = 'dynamic' THEN 1 ELSE 0 END) AS dynamic_id,
       SUM(CASE WHEN is_local_path = TRUE THEN 1 ELSE 0 END) AS local_path,
       SUM(CASE WHEN link_status = 'unknown_model' THEN 1 ELSE 0 END) AS unknown_model
FROM model_reuse WHERE is_current = TRUE
GROUP BY library ORDER BY links DESC, library"""),
    Query(
        "I-3", "How do engineers test their PTM-enabled features, and how do tests handle PTM stochasticity?",
        "Per repository loading PTMs: files scanned, test files (path names test), and test files that load a "
        "PTM. Testing practice and flakiness handling need reading the tests; these are where to start.",
        """SELECT r.full_name AS repository, COUNT(DISTINCT f.id) AS files,
       COUNT(DISTINCT CASE WHEN LOWER(f.path) LIKE 'test%' OR LOWER(f.path) LIKE '%/test%'
                             OR LOWER(f.path) LIKE '%_test.py' THEN f.id END) AS test_files,
       COUNT(DISTINCT CASE WHEN mr.id IS NOT NULL THEN f.id END) AS files_loading_ptms,
       COUNT(DISTINCT CASE WHEN mr.id IS NOT NULL AND (LOWER(f.path) LIKE 'test%' OR LOWER(f.path) LIKE '%/test%'
                             OR LOWER(f.path) LIKE '%_test.py') THEN f.id END) AS test_files_loading_ptms
FROM reuse_file f JOIN repo_scan s ON s.id = f.scan_id AND s.is_current = TRUE
JOIN reuse_repository r ON r.id = f.repository_id
LEFT JOIN model_reuse mr ON mr.file_id = f.id AND mr.is_current = TRUE
WHERE EXISTS (SELECT 1 FROM model_reuse x WHERE x.repository_id = r.id AND x.is_current = TRUE)
GROUP BY r.id, r.full_name
ORDER BY test_files_loading_ptms DESC, r.full_name""",
        _i3_summary),
    Query(
        "I-4", "How often do engineers update the PTMs they depend on, and with how much technical lag?",
        "Per repository scanned at more than one commit and model it loaded: first seen, changes of its pinned "
        "revision (updates), whether it is loaded at the newest scan and pinned there; from the reuse_lag view, the "
        "model commit the pin names, the model commits after it up to the repository's newest commit "
        "(commits_behind) and the lag in days; the delay of the last update (repository commit against the model "
        "commit adopted). Lag needs the models' commit history (deep snapshots); an unpinned load follows the "
        "newest model commit.",
        """WITH n AS (SELECT repository_id, COUNT(*) AS scans FROM repo_scan GROUP BY repository_id HAVING COUNT(*) > 1),
x AS (SELECT repository_id, model, MAX(model_id) AS model_id, MIN(committed_at) AS first_seen,
             SUM(CASE WHEN change = 'revision' THEN 1 ELSE 0 END) AS revision_updates,
             MAX(CASE WHEN change = 'revision' THEN committed_at END) AS last_update
      FROM reuse_change GROUP BY repository_id, model),
lag AS MATERIALIZED (SELECT * FROM reuse_lag)
SELECT r.full_name AS repository, x.model, n.scans, x.first_seen, x.revision_updates, x.last_update,
       u.pinned_at AS last_update_pinned_at,
       CASE WHEN EXISTS (SELECT 1 FROM model_reuse mr WHERE mr.repository_id = x.repository_id
          AND mr.is_current = TRUE AND COALESCE(mr.canonical_model_id, mr.raw_model_id) = x.model)
          THEN 1 ELSE 0 END AS in_use,
       l.revision AS pinned_revision, l.pinned_commit, l.pinned_at, l.latest_at, l.commits_behind,
       l.committed_at AS as_of
FROM x JOIN n ON n.repository_id = x.repository_id JOIN reuse_repository r ON r.id = x.repository_id
LEFT JOIN lag l ON l.repository_id = x.repository_id AND l.seq = n.scans AND l.model = x.model
LEFT JOIN lag u ON u.repository_id = x.repository_id AND u.model = x.model AND u.committed_at = x.last_update
ORDER BY x.revision_updates DESC, r.full_name, x.model""",
        _i4_summary, _i4_table),
    Query(
        "I-5", "How do issue reports on PTM packages (Hub discussions) compare with GitHub issues?",
        "Per source and kind: items, parents (models or repositories with any), items per parent, % open, "
        "% answered by someone other than the author, median days to that answer, median age of open items "
        "(as of the newest item). The kinds of questions asked need human labelling.",
        """SELECT 'huggingface' AS source, d.model_id AS parent_id, d.is_pull_request,
       CASE WHEN LOWER(d.status) = 'open' THEN 1 ELSE 0 END AS is_open, d.created_at,
       CASE WHEN EXISTS (SELECT 1 FROM discussion_event e WHERE e.discussion_id = d.id AND e.type = 'comment'
          AND e.author IS NOT NULL AND (d.author IS NULL OR e.author <> d.author)) THEN 1 ELSE 0 END AS answered,
       (SELECT MIN(e.created_at) FROM discussion_event e WHERE e.discussion_id = d.id AND e.type = 'comment'
          AND e.author IS NOT NULL AND (d.author IS NULL OR e.author <> d.author)) AS first_answer_at
FROM discussion d
UNION ALL
SELECT 'github', i.repository_id, i.is_pull_request,
       CASE WHEN UPPER(i.state) = 'OPEN' THEN 1 ELSE 0 END, i.created_at,
       CASE WHEN EXISTS (SELECT 1 FROM github_comment c WHERE c.issue_id = i.id
          AND c.author_id IS NOT NULL AND (i.author_id IS NULL OR c.author_id <> i.author_id)) THEN 1 ELSE 0 END,
       (SELECT MIN(c.created_at) FROM github_comment c WHERE c.issue_id = i.id
          AND c.author_id IS NOT NULL AND (i.author_id IS NULL OR c.author_id <> i.author_id))
FROM github_issue i""",
        post=_i5_table),
    Query(
        "I-6", "What signing do PTMs need, and which signatures work for PTMs and their training?",
        "Per hub: models, models with commit history, with tags, with content-hashed (LFS sha256) files and "
        "with a stored copy. Signatures themselves are not collected (see the summary).",
        """SELECT g.name AS hub, COUNT(*) AS models,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM model_version v WHERE v.model_id = m.id) THEN 1 ELSE 0 END) AS with_history,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM git_ref t WHERE t.model_id = m.id AND t.kind = 'tag') THEN 1 ELSE 0 END) AS with_tags,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM model_file f WHERE f.model_id = m.id AND f.lfs_sha256 IS NOT NULL)
                THEN 1 ELSE 0 END) AS with_hashed_files,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM model_file f WHERE f.model_id = m.id AND f.stored_digest IS NOT NULL)
                THEN 1 ELSE 0 END) AS with_stored_files
FROM model m JOIN registry g ON g.id = m.registry_id
GROUP BY g.name ORDER BY g.name""",
        _i6_summary),
)


def _order(q: Query) -> tuple:
    return (0, PAPER_IDS.index(q.name)) if q.name in PAPER_IDS else (1, q.name)


QUERIES = tuple(sorted(_QUERIES, key=_order))


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
    summary = query.summary(df) if query.summary else None  # from the SQL's rows
    return (query.post(df) if query.post else df), summary
