"""Base models (YAML, `base_model:` tags, prose, LLM) become model-to-model edges.

The parent is found through the model identity (peatmoss.core.identity: case, legacy ids, URLs, revisions);
a parent we do not hold yet keeps its id as written and is attached when it is collected
(registries.store.resolve_edge_parents)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from peatmoss.core.identity import ModelResolver, model_key, split_ref
from peatmoss.db.models import Model, ModelEdge, Registry

EDGE_SOURCE = {"yaml": "card_yaml", "tags": "tag", "prose-rule": "card_prose", "llm": "llm"}


def write_edges(session: Session, child: Model, meta, run_id: int | None) -> int:
    """Add one edge per base-model value not yet recorded; returns how many were added."""
    resolver = ModelResolver(session)
    hub = session.scalar(select(Registry.name).where(Registry.id == child.registry_id))
    child_key = model_key(child.hub_id)
    known = {(model_key(raw), relation, source) for raw, relation, source in session.execute(
        select(ModelEdge.parent_raw_id, ModelEdge.relation, ModelEdge.source).where(ModelEdge.child_id == child.id))}
    added = 0
    for e in meta.base_model:
        if e.state != "value":
            continue
        raw, _ = split_ref(str(e.value.id).strip().strip("`'\"<>[]()"))
        if not raw:
            continue
        parent = resolver.resolve(raw, hub=hub)
        source = EDGE_SOURCE[e.source]
        relation = e.value.relation
        if parent.key == child_key or parent.model_id == child.id or (parent.key, relation, source) in known:
            continue
        known.add((parent.key, relation, source))
        session.add(ModelEdge(child_id=child.id, parent_id=parent.model_id, parent_raw_id=raw, relation=relation,
                              source=source, confidence=e.confidence, run_id=run_id))
        session.flush()
        added += 1
    return added
