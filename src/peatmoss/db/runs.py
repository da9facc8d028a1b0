"""Runs and error rows: every stage records what it did and what it could not do."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from .models import CollectionError, CollectionRun

MAX_MESSAGE = 4000


def now() -> datetime:
    return datetime.now(timezone.utc)


def start_run(session: Session, stage: str, source: str, key: str = "", params: dict | None = None,
              registry_id: int | None = None, resume: bool = True) -> CollectionRun:
    """Open a run, or reopen the unfinished one with the same stage, source and key (resume)."""
    if resume:
        run = session.scalars(
            select(CollectionRun)
            .where(CollectionRun.stage == stage, CollectionRun.source == source,
                   CollectionRun.key == key, CollectionRun.status != "complete")
            .order_by(CollectionRun.id.desc())
        ).first()
        if run is not None:
            run.status = "running"
            return run
    run = CollectionRun(stage=stage, source=source, key=key, params=params, registry_id=registry_id,
                        started_at=now(), snapshot_date=now(), status="running", items_done=0, error_count=0)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: CollectionRun, status: str = "complete") -> None:
    run.status = status
    run.finished_at = now()


def error_row(run_id: int | None, stage: str, item: str, kind: str, message) -> dict:
    """The values of one error row. Messages are cut to a sane length; callers must not put secrets in them."""
    return {"run_id": run_id, "stage": stage, "item": str(item)[:2000], "error_kind": kind,
            "message": str(message)[:MAX_MESSAGE], "created_at": now()}


def insert_error(conn: Connection, run_id: int | None, stage: str, item: str, kind: str, message) -> None:
    """An error row through a Core connection (bulk writers that hold no ORM session)."""
    conn.execute(CollectionError.__table__.insert().values(**error_row(run_id, stage, item, kind, message)))


def record_error(session: Session, run: CollectionRun | int | None, stage: str, item: str,
                 kind: str, message: str) -> CollectionError:
    """Add an error row to the session, counting it on the run."""
    run_id = run.id if isinstance(run, CollectionRun) else run
    err = CollectionError(**error_row(run_id, stage, item, kind, message))
    session.add(err)
    if isinstance(run, CollectionRun):
        run.error_count = (run.error_count or 0) + 1
    return err
