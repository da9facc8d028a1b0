"""Collects extracted values with checked evidence into a CardMetadata."""

from __future__ import annotations

import json
import math
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from peatmoss.core.identity import model_key

from . import normalize as nz
from .schema import FIELDS, LIST_FIELDS, CardMetadata, Extracted, Source, to_plain

MAX_EVIDENCE = 4000
_ADAPTERS = {name: TypeAdapter(typ) for name, (typ, _, _) in FIELDS.items()}
_ENTRY = {name: Extracted[typ] for name, (typ, _, _) in FIELDS.items()}  # the parametrised class, looked up once


_PLAIN = {name: typ for name, (typ, _, _) in FIELDS.items() if typ in (str, int, float)}


def validate_value(field: str, value: Any) -> Any:
    """The value validated against its field type (raises ValidationError); a value already of a plain field's
    exact type (str, int, float) is returned as it is, which is what validating it would give."""
    if type(value) is _PLAIN.get(field):
        return value
    return _ADAPTERS[field].validate_python(value)


_SOURCES = frozenset(get_args(Source))
_set = object.__setattr__
_KEYS = {"state", "value", "source", "evidence_start", "evidence_end", "evidence_text", "confidence",
       "flagged", "flag_reason"}  # copied as each entry's fields set


def _entry(field: str, state: str, value: Any, source: str, start: int | None, end: int | None, ev: str | None,
           confidence: float, flag: str | None) -> Extracted:
    """An entry built as `model_construct` builds one, without validating again what is known good (the value is
    validated, offsets and evidence come from the card); what validation would refuse is refused here."""
    confidence = float(confidence)
    if source not in _SOURCES or not 0.0 <= confidence <= 1.0:
        raise ValueError(f"bad entry for {field}: source {source!r}, confidence {confidence!r}")
    item = object.__new__(_ENTRY[field])
    _set(item, "__dict__", {"state": state, "value": value, "source": source, "evidence_start": start,
                            "evidence_end": end, "evidence_text": ev, "confidence": confidence,
                            "flagged": bool(flag), "flag_reason": flag})
    _set(item, "__pydantic_fields_set__", _KEYS.copy())
    _set(item, "__pydantic_extra__", None)
    _set(item, "__pydantic_private__", None)
    return item


def dedupe_key(field: str, value: Any) -> str:
    """Two values with the same key are the same fact (merged, not a disagreement)."""
    if field == "base_model":  # either name of a moved model is the same parent
        return model_key(value.id)
    if field == "datasets":
        return nz.name_key(value.name.split("/")[-1])
    if field == "papers":
        return nz.url(value.url) if value.url else nz.name_key(value.title)
    if field == "hardware":
        return nz.hardware_key(value.name)
    if field == "github_repo":
        return nz.github_repo(value) or str(value).lower()
    if isinstance(value, str):
        return _json_text(value).lower()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if field in _FLAT and (key := _flat_key(value)) is not None:
        return key
    return json.dumps(to_plain(value), sort_keys=True, default=str).lower()


def _json_text(value: str) -> str:
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'  # what json.dumps gives a string it leaves as it is
    return json.dumps(value)


_FLAT = frozenset({"hyper_parameters", "evaluation"})  # models of strings and numbers only


def _flat_key(value: BaseModel) -> str | None:
    """What the JSON key below gives a model of strings and finite numbers, written directly (None: other values)."""
    parts = []
    for name, v in sorted(value.__dict__.items()):
        if v is None:
            continue
        if type(v) is str:
            parts.append(f'"{name}": {_json_text(v)}')
        elif type(v) in (int, float) and math.isfinite(v):
            parts.append(f'"{name}": {v!r}')
        else:
            return None
    return ("{" + ", ".join(parts) + "}").lower()


class Builder:
    def __init__(self, text: str):
        self.text = text
        self.fields: dict[str, list[Extracted]] = {name: [] for name in FIELDS}
        self.errors: list[tuple[str, str]] = []  # (kind, message): recorded as error rows by the caller
        self.notes: dict[str, Any] = {}
        self._keys: dict[str, dict[str, Extracted]] = {}  # field -> dedupe key -> its value entry
        self._live: dict[str, tuple[list, set[int], int]] = {}  # field -> (its list, ids in it, length) as last seen

    def has(self, field: str) -> bool:
        return any(e.state == "value" for e in self.fields[field])

    def values(self, field: str) -> list[Any]:
        return [e.value for e in self.fields[field] if e.state == "value"]

    def add(self, field: str, value: Any, source: str, span: tuple[int, int] | None, confidence: float,
            *, flag: str | None = None) -> Extracted | None:
        """Add a value; invalid values are dropped (never stored), duplicates merged, a bad span cleared+flagged."""
        try:
            value = validate_value(field, value)
        except ValidationError as exc:
            self.errors.append(("invalid_value", f"{field}: {exc.errors()[0]['msg']}"))
            return None
        existing = self.fields[field]
        key = dedupe_key(field, value)
        seen = self._keys.setdefault(field, {})
        cached = self._live.get(field)
        if cached is not None and cached[0] is existing and cached[2] == len(existing):
            live = cached[1]
        else:  # callers may have dropped entries from self.fields
            live = {id(e) for e in existing}
        if key in seen and id(seen[key]) in live:
            return seen[key]
        if field == "hardware":
            for other, e in seen.items():
                if (other.startswith(key) or key.startswith(other)) and id(e) in live:
                    return e
        start = end = ev = None
        if span is not None:
            start, end = span
            if 0 <= start < end <= len(self.text):
                ev = self.text[start:end][:MAX_EVIDENCE]
            else:
                start = end = None
                flag = flag or "evidence span outside the card"
                confidence = min(confidence, 0.3)
        item = _entry(field, "value", value, source, start, end, ev, round(confidence, 3), flag)
        if field not in LIST_FIELDS and any(e.state == "value" for e in existing):
            item.flagged = True
            item.flag_reason = flag or f"disagrees with the {existing[0].source} value"
            for e in existing:
                if e.state == "value" and not e.flagged:
                    e.flagged, e.flag_reason = True, f"disagrees with a {source} value"
        if all(e.state == "value" for e in existing[:1]):  # a "not stated" entry is only ever alone
            existing.append(item)
            live.add(id(item))
        else:
            existing = self.fields[field] = [item]
            live = {id(item)}
        self._live[field] = (existing, live, len(existing))
        seen[key] = item
        return item

    def not_stated(self, field: str, source: str, span: tuple[int, int] | None, confidence: float) -> None:
        """Record that the card does not state the field (only when nothing was found)."""
        if self.fields[field]:
            return
        start, end = span if span and 0 <= span[0] < span[1] <= len(self.text) else (None, None)
        ev = self.text[start:end][:MAX_EVIDENCE] if start is not None else None
        self.fields[field] = [_entry(field, "not_stated", None, source, start, end, ev, confidence, None)]

    def build(self) -> BaseModel:
        return CardMetadata(**self.fields)
