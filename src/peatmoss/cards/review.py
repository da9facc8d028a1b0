"""The review queue: low-confidence or flagged values out to a CSV, decisions back in.

Reviewers set `review_status` to accepted | rejected | corrected (or leave pending); a correction puts the
right value, as JSON, in `reviewed_value`, validated against the field's type before it is stored.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db.models import CardField, Model

from .builder import validate_value
from .schema import FIELDS, to_plain

COLUMNS = ["id", "model", "pipeline", "field", "item_index", "state", "value", "value_text", "source",
           "confidence", "flagged", "flag_reason", "evidence_text", "review_status", "reviewed_value"]
DECISIONS = {"pending", "accepted", "rejected", "corrected"}


def export_csv(url: str, path: Path, pending_only: bool = True) -> int:
    with session_scope(url) as s:
        q = select(CardField, Model.hub_id).join(Model, Model.id == CardField.model_id).order_by(CardField.id)
        q = q.where(CardField.review_status == "pending") if pending_only else q.where(
            CardField.review_status.is_not(None))
        rows = s.execute(q).all()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            for f, hub_id in rows:
                w.writerow({
                    "id": f.id, "model": hub_id, "pipeline": f.pipeline, "field": f.field, "item_index": f.item_index,
                    "state": f.state, "value": json.dumps(f.value, ensure_ascii=False), "value_text": f.value_text,
                    "source": f.source, "confidence": f.confidence, "flagged": int(bool(f.flagged)),
                    "flag_reason": f.flag_reason or "", "evidence_text": (f.evidence_text or "")[:500],
                    "review_status": f.review_status or "",
                    "reviewed_value": "" if f.reviewed_value is None else json.dumps(f.reviewed_value,
                                                                                     ensure_ascii=False)})
    return len(rows)


def import_csv(url: str, path: Path) -> tuple[int, list[str]]:
    """Apply the decisions; returns (rows updated, problems). A row with a problem is left unchanged."""
    done, problems = 0, []
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with session_scope(url) as s:
        for n, row in enumerate(rows, start=2):
            try:
                f = s.get(CardField, int(row["id"]))
            except (KeyError, ValueError):
                problems.append(f"line {n}: no valid id")
                continue
            if f is None:
                problems.append(f"line {n}: no card_field {row['id']}")
                continue
            status = (row.get("review_status") or "").strip().lower() or "pending"
            if status not in DECISIONS:
                problems.append(f"line {n}: review_status {status!r} not one of {sorted(DECISIONS)}")
                continue
            reviewed = None
            raw = (row.get("reviewed_value") or "").strip()
            if status == "corrected":
                if not raw:
                    problems.append(f"line {n}: corrected without reviewed_value")
                    continue
                try:
                    reviewed = to_plain(validate_value(f.field, json.loads(raw))) if f.field in FIELDS else None
                except (json.JSONDecodeError, ValidationError) as exc:
                    problems.append(f"line {n}: reviewed_value invalid for {f.field}: {str(exc).splitlines()[0]}")
                    continue
            if f.review_status != status or f.reviewed_value != reviewed:
                f.review_status, f.reviewed_value = status, reviewed
                done += 1
    return done, problems
