"""A content hash of every table, independent of surrogate ids and run bookkeeping.

Two databases that hold the same data have the same fingerprint, however they got there
(an interrupted and resumed run, another backend, a local or a distributed execution).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from .models import Base

VOLATILE = {"id", "run_id", "first_seen_run_id", "last_seen_run_id", "created_at", "started_at", "finished_at",
            "fetched_at", "scanned_at", "snapshot_date", "latency_s"}
SKIP_TABLES = {"collection_run", "collection_error", "alembic_version"}
LABELS = {"model": ("registry_id", "hub_id"), "registry": ("name",), "reuse_repository": ("full_name",),
          "discussion": ("model_id", "num"), "model_card": ("model_id", "sha"), "github_user": ("login",),
          "pytorch_hub_page": ("slug",), "repo_scan": ("repository_id", "commit_sha"),
          "reuse_file": ("scan_id", "path"), "github_issue": ("repository_id", "number")}


def _plain(value):
    """One form for values that backends return differently (aware vs naive UTC datetimes)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _label_maps(conn) -> dict[str, dict]:
    """table -> {id: natural label} for every table others point at."""
    maps: dict[str, dict] = {}
    tables = Base.metadata.tables

    def label(name: str) -> dict:
        if name in maps:
            return maps[name]
        table = tables[name]
        cols = LABELS.get(name) or (("name",) if "name" in table.c else tuple(c for c in table.c.keys() if c != "id"))
        out = {}
        fks = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        rows = conn.execute(select(table.c.id, *[table.c[c] for c in cols])).all()
        maps[name] = out
        for row in rows:
            parts = []
            for col, value in zip(cols, row[1:]):
                target = fks.get(col)
                parts.append(label(target).get(value) if target and target != name else _plain(value))
            out[row[0]] = json.dumps(parts, default=str)
        return out

    for name in tables:
        if "id" in tables[name].c and name not in SKIP_TABLES:
            label(name)
    return maps


def fingerprint(engine: Engine, tables: list[str] | None = None) -> dict[str, str]:
    """table -> sha256 of its rows (sorted, ids replaced by natural labels)."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        maps = _label_maps(conn)
        for name, table in sorted(Base.metadata.tables.items()):
            if name in SKIP_TABLES or (tables and name not in tables):
                continue
            fks = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
            cols = [c for c in table.c.keys() if c not in VOLATILE]
            rows = []
            for row in conn.execute(select(*[table.c[c] for c in cols])):
                rows.append(json.dumps([maps.get(fks[c], {}).get(v, v) if c in fks and fks[c] not in SKIP_TABLES
                                        else (None if c in fks else _plain(v)) for c, v in zip(cols, row)],
                                       default=str, sort_keys=True))
            out[name] = hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()
    return out
