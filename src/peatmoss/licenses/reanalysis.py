"""The paper's own relations re-analysed with our rules: expressions for multi-license repositories,
"no license" repositories assessed, ML licenses covered."""

from __future__ import annotations

from functools import lru_cache

from .engine import Context, explained_verdict
from .normalize import normalize, normalize_many
from .paper import Relation
from .summary import PairRow, Summary


@lru_cache(maxsize=4096)
def _norm_model(raw: str | None):
    return normalize(raw)


@lru_cache(maxsize=4096)
def _norm_repo(keys: tuple[str, ...] | None):
    return normalize_many(list(keys)) if keys else normalize(None)


def analyse_relations(relations: list[Relation], ruleset: str = "osadl+ml",
                      context: Context | None = None) -> tuple[Summary, list[PairRow]]:
    summary, rows = Summary(ruleset), []
    for rel in relations:
        up = _norm_model(rel.model_license)
        down = _norm_repo(tuple(rel.repo_licenses) if rel.repo_licenses else None)
        v = explained_verdict(up.expression, down.expression, context, ruleset, upstream_reason=up.reason,
                              downstream_reason=down.reason)
        row = PairRow(rel.repo, rel.model, rel.model_license, ",".join(rel.repo_licenses or []) or None, v)
        summary.add(row)
        rows.append(row)
    return summary, rows
