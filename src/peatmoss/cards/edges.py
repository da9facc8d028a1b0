"""Base models (YAML, `base_model:` tags, prose, LLM) become model-to-model edges."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from peatmoss.db.models import Model, ModelEdge

from . import normalize as nz

EDGE_SOURCE = {"yaml": "card_yaml", "tags": "tag", "prose-rule": "card_prose", "llm": "llm"}


def write_edges(session: Session, child: Model, meta, run_id: int | None) -> int:
    """Add one edge per base-model value not yet recorded; returns how many were added."""
    added = 0
    for e in meta.base_model:
        if e.state != "value":
            continue
        raw = nz.hub_id(e.value.id)
        if not raw or raw == nz.hub_id(child.hub_id):
            continue
        source = EDGE_SOURCE[e.source]
        relation = e.value.relation
        exists = session.scalar(select(ModelEdge.id).where(
            ModelEdge.child_id == child.id, ModelEdge.parent_raw_id == raw, ModelEdge.relation == relation,
            ModelEdge.source == source))
        if exists:
            continue
        parent_id = session.scalar(select(Model.id).where(
            Model.registry_id == child.registry_id, func.lower(Model.hub_id) == raw))
        session.add(ModelEdge(child_id=child.id, parent_id=parent_id, parent_raw_id=raw, relation=relation,
                              source=source, confidence=e.confidence, run_id=run_id))
        session.flush()
        added += 1
    return added
