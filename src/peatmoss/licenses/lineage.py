"""Licenses along model-to-model edges: a derived model against its base, and license drift.

Drift: a fine-tune (or adapter, quantisation, merge) published under a more permissive license than
its base model. Permissiveness is ranked by license family (below); the verdict itself comes from the
engine with use = finetune-publish (the child is a published derivative of the parent).
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from peatmoss.db.models import LicenseVerdict, ModelEdge

from .engine import Context, verdict
from .families import family
from .normalize import NONE, Normalized, licensing, parse

# lower = more permissive; families not listed rank as unknown (no drift claim)
PERMISSIVENESS = {"permissive": 0, "cc-by": 1, "weak-copyleft": 2, "cc-by-sa": 3, "strong-copyleft": 4,
                  "network-copyleft": 5, "rail": 5, "llama": 5, "gemma": 5, "community": 5, "cc-nd": 6, "cc-nc": 7,
                  "research-nc": 8, "cc-nc-nd": 8, "proprietary": 9, "none": 10}


def strictness(expression: str | None) -> int | None:
    """The rank of the strictest family in an expression (None if any part is unknown)."""
    if not expression:
        return None
    if expression == NONE:
        return PERMISSIVENESS["none"]
    parsed = parse(expression)
    if parsed is None:
        return None
    ranks = [PERMISSIVENESS.get(family(str(s.key))) for s in licensing().license_symbols(parsed)]
    if any(r is None for r in ranks) or not ranks:
        return None
    return max(ranks)


def is_drift(parent: str | None, child: str | None) -> bool:
    p, c = strictness(parent), strictness(child)
    return p is not None and c is not None and c < p


def ancestors(session: Session, model_id: int, depth: int = 3) -> list[tuple[int, str]]:
    """(parent model id, relation) up the lineage, nearest first, cycles cut."""
    out, seen, frontier = [], {model_id}, [model_id]
    for _ in range(depth):
        nxt = []
        for mid in frontier:
            for parent_id, relation in session.execute(
                    select(ModelEdge.parent_id, ModelEdge.relation).where(ModelEdge.child_id == mid,
                                                                          ModelEdge.parent_id.is_not(None))):
                if parent_id not in seen:
                    seen.add(parent_id)
                    out.append((parent_id, relation))
                    nxt.append(parent_id)
        frontier = nxt
    return out


def lineage_verdicts(session: Session, model_expr: Callable[[int], Normalized | None], ruleset: str,
                     run_id: int | None) -> list[dict]:
    """One verdict per edge whose both ends have a license; stored as kind='lineage'."""
    out = []
    session.execute(delete(LicenseVerdict).where(LicenseVerdict.kind == "lineage", LicenseVerdict.rules == ruleset))
    edges = session.execute(select(ModelEdge.child_id, ModelEdge.parent_id, ModelEdge.relation)
                            .where(ModelEdge.parent_id.is_not(None))).all()
    for child_id, parent_id, relation in sorted(set(edges)):
        parent, child = model_expr(parent_id), model_expr(child_id)
        if parent is None or child is None:
            continue
        v = verdict(parent.expression, child.expression, Context(use="finetune-publish"), ruleset)
        drift = is_drift(parent.expression, child.expression)
        if drift:
            v.reason = (f"license drift: the {relation} is published under {child.expression}, more permissive "
                        f"than its base model's {parent.expression}; " + v.reason)
        session.add(LicenseVerdict(run_id=run_id, kind="lineage", rules=ruleset, model_id=child_id,
                                   parent_model_id=parent_id, upstream_license=parent.expression,
                                   downstream_license=child.expression, verdict=v.verdict, condition=v.condition,
                                   reason=v.reason[:10000], rule_source=(v.rule_source or "")[:255],
                                   context={"use": "finetune-publish", "relation": relation, "drift": drift,
                                            "rule_id": v.rule_id}))
        out.append({"child_id": child_id, "parent_id": parent_id, "relation": relation, "verdict": v.verdict,
                    "drift": drift, "parent_license": parent.expression, "child_license": child.expression})
    return out
