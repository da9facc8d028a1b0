"""A summary of what the database holds: rows per table, runs (snapshots), last errors.

A run's error total and snapshot models are counted from its rows (`core.runs.run_totals`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ..core.runs import run_totals
from ..db import get_engine, models as m


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def database_status(url: str | None = None, last_errors: int = 5) -> dict:
    """Counts, runs and last errors, read without writing anything: the database is opened read-only (SQLite
    `mode=ro`), never migrated, its journal mode never changed."""
    engine = get_engine(url, readonly=True)
    out: dict = {"database": safe_url(str(engine.url)), "tables": {}}
    with engine.connect() as conn:
        for name, table in sorted(m.Base.metadata.tables.items()):
            out["tables"][name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        out["runs"] = run_totals(conn)
        err = m.CollectionError.__table__
        out["errors"] = [dict(r._mapping) for r in conn.execute(
            select(err.c.stage, err.c.error_kind, err.c.item, err.c.message, err.c.created_at)
            .order_by(err.c.id.desc()).limit(last_errors))]
    return out
