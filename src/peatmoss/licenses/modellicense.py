"""A model's license as one SPDX expression, from the license rows the registries stage linked and its card."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from peatmoss.db.models import License, Model, model_to_license

from .normalize import NONE, Normalized, normalize


def fill_license_table(session: Session) -> tuple[int, int]:
    """Set license.spdx_expression for every license row met (None when not recognised): (rows, recognised)."""
    total = known = 0
    for lic in session.scalars(select(License)):
        norm = normalize(lic.name, lic.license_name, lic.license_link)
        total += 1
        known += norm.expression is not None
        if norm.expression != lic.spdx_expression:
            lic.spdx_expression = norm.expression
    return total, known


def model_licenses(session: Session) -> dict[int, list[str]]:
    """model id -> the license names linked to it."""
    out: dict[int, list[str]] = {}
    rows = session.execute(select(model_to_license.c.model_id, License.name)
                           .join(License, License.id == model_to_license.c.license_id))
    for model_id, name in rows:
        out.setdefault(model_id, []).append(name)
    return out


def model_expression(model: Model, names: list[str]) -> Normalized:
    """The model's license expression: its linked names (AND when several), the card's license_name for 'other'."""
    card = model.card_data if isinstance(model.card_data, dict) else {}
    if not names:
        raw = card.get("license") or card.get("licence") or card.get("liscence")
        names = raw if isinstance(raw, list) else ([raw] if raw else [])
    names = [n if isinstance(n, str) else json.dumps(n, sort_keys=True, default=str) for n in names if n is not None]
    if not names:
        return Normalized(None, NONE, "none", "the model declares no license")
    lname, llink = card.get("license_name"), card.get("license_link")
    lname = lname if isinstance(lname, str) else None
    llink = llink if isinstance(llink, str) else None
    parts = [normalize(n, lname, llink) for n in dict.fromkeys(names)]
    unknown = [p for p in parts if p.expression is None]
    if unknown:
        return Normalized(",".join(map(str, names)), None, "unrecognised", "; ".join(p.reason for p in unknown))
    exprs = list(dict.fromkeys(p.expression for p in parts if p.expression != NONE)) or [NONE]
    joined = " AND ".join(f"({e})" if " OR " in e else e for e in exprs)
    return Normalized(",".join(map(str, names)), joined, parts[0].method if len(parts) == 1 else "list")
