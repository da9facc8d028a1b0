"""A model's license for `check` and `bom`: from the database, else from recorded hub data (offline)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from peatmoss.core.identity import Identity, ModelResolver, parse

from .normalize import Normalized, normalize


@dataclass
class ModelInfo:
    model: str
    license: Normalized
    source: str  # database | hub-data | none
    hub_url: str | None = None
    canonical: str | None = None  # the model's id (its row's when found), see peatmoss.core.identity


def _hub_url(model: str, hub: str | None) -> str | None:
    if hub in (None, "huggingface", "hf", "transformers", "diffusers", "sentence_transformers", "timm"):
        return f"https://huggingface.co/{model}"
    if hub == "pytorch_hub":
        return f"https://github.com/{model.rsplit('/', 1)[0]}" if model.count("/") >= 2 else None
    return None


def load_hub_data(path: Path | None) -> dict[str, dict]:
    """Recorded hub data: {model_id: license string | {license, license_name, license_link} | Hub API record},
    a list of Hub API records (id, cardData, tags), or a folder of such records (one JSON file each).
    Keys are lower-cased (the id as written is kept under "id"); look-ups go through the model identity."""
    if path is None:
        return {}
    path = Path(path)
    if path.is_dir():  # a folder of recorded `GET /api/models/{id}` bodies
        data = []
        for file in sorted(path.glob("*.json")):
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and ("cardData" in record or "tags" in record):
                data.append(record)
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict] = {}
    items = data.items() if isinstance(data, dict) else ((r.get("id") or r.get("modelId"), r) for r in data)
    for key, value in items:
        if not key:
            continue
        if isinstance(value, str) or value is None:
            value = {"license": value}
        if not isinstance(key, str) or not isinstance(value, dict):
            continue
        card = value.get("cardData") or value.get("card_data") or {}
        card = card if isinstance(card, dict) else {}
        lic = value.get("license", card.get("license"))
        if lic is None:
            tags = [t[8:] for t in value.get("tags") or [] if isinstance(t, str) and t.startswith("license:")]
            lic = tags[0] if tags else None
        out[key.lower()] = {"id": key, "license": lic,
                            "license_name": value.get("license_name", card.get("license_name")),
                            "license_link": value.get("license_link", card.get("license_link"))}
    return out


def lookup_model(model: str, hub: str | None, url: str | None, hub_data: dict[str, dict],
                 library: str | None = None) -> ModelInfo:
    """The license of a model reference, found through the model identity (case, legacy ids, URLs,
    revisions, library names): from the database at `url`, else from recorded hub data."""
    ident = parse(model, library=library, hub=hub)
    if url:
        found = _from_db(model, library, hub, url)
        if found is not None:
            ident, norm = found
            return ModelInfo(model, norm, "database", _hub_url(ident.id, hub), ident.id)
    if hub_data:
        held = ModelResolver.from_ids(hub_data).resolve(model, library=library, hub=hub)
        if held.id.lower() in hub_data:
            rec = hub_data[held.id.lower()]
            norm = normalize(rec.get("license"), rec.get("license_name"), rec.get("license_link"))
            held_id = rec.get("id") or held.id
            return ModelInfo(model, norm, "hub-data", _hub_url(held_id, hub), held_id)
    return ModelInfo(model, Normalized(None, None, "unrecognised",
                                       "model license not found (not in the database, no recorded hub data)"),
                     "none", _hub_url(ident.id, hub), ident.id)


def _from_db(model: str, library: str | None, hub: str | None, url: str) -> tuple[Identity, Normalized] | None:
    from peatmoss.db import session_scope
    from peatmoss.db.models import Model

    from .modellicense import model_expression, model_licenses

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return None  # no database: do not create an empty one
    try:
        with session_scope(url) as session:
            ident = ModelResolver(session).resolve(model, library=library, hub=hub)
            if ident.model_id is None:
                return None
            row = session.get(Model, ident.model_id)
            names = model_licenses(session).get(row.id, [])
            return ident, model_expression(row, names)
    except Exception:  # no database, or an old schema: fall back to hub data
        return None
