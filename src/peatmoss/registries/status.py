"""A summary of what the database holds: rows per table, runs (snapshots), last errors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ..db import init_db, models as m


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def database_status(url: str | None = None, last_errors: int = 5) -> dict:
    engine = init_db(url)
    out: dict = {"database": safe_url(str(engine.url)), "tables": {}}
    with engine.connect() as conn:
        for name, table in sorted(m.Base.metadata.tables.items()):
            out["tables"][name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        run = m.CollectionRun.__table__
        out["runs"] = [dict(r._mapping) for r in conn.execute(
            select(run.c.id, run.c.stage, run.c.source, run.c.snapshot_date, run.c.status, run.c.items_done,
                   run.c.error_count).order_by(run.c.id.desc()).limit(20))]
        err = m.CollectionError.__table__
        out["errors"] = [dict(r._mapping) for r in conn.execute(
            select(err.c.stage, err.c.error_kind, err.c.item, err.c.message, err.c.created_at)
            .order_by(err.c.id.desc()).limit(last_errors))]
    return out
