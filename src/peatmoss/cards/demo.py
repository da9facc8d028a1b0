"""Demo step: the rules stage over the cards in the demo database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from peatmoss.db import session_scope
from peatmoss.db.models import CardField, ModelEdge

from .run import extract_models


def demo_step(url: str, outdir: Path) -> str:
    stats = extract_models(url, pipeline="rules")
    with session_scope(url) as session:
        fields = session.scalar(select(func.count()).select_from(CardField).where(CardField.pipeline == "rules"))
        with_evidence = session.scalar(select(func.count()).select_from(CardField).where(
            CardField.pipeline == "rules", CardField.evidence_text.is_not(None)))
        edges = session.scalar(select(func.count()).select_from(ModelEdge))
    return (f"cards: {stats.get('cards', 0)} models extracted (rules), {fields} field values "
            f"({with_evidence} with evidence), {edges} base-model edges, {stats.get('errors', 0)} error rows")
