"""One run lifecycle for every stage: open (or resume), move the cursor, record errors, finish or fail.

A run is a `collection_run` row; what it could not do are `collection_error` rows. Every function takes
`db`, an ORM session or a Core connection (both execute the same statements), so bulk writers and ORM
writers share one lifecycle. Totals shown to users are counted from the rows (`run_totals`), never
from counters kept on the side.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from .redact import redact, redact_data
from ..db.models import CollectionError, CollectionRun, ModelStats

MAX_ITEM = 2000
MAX_MESSAGE = 4000
MAX_KEY = 255
RUN = CollectionRun.__table__
ERROR = CollectionError.__table__
_SNAPSHOT = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def now() -> datetime:
    return datetime.now(timezone.utc)


class SnapshotError(ValueError):
    """A snapshot label that is not a date."""


def snapshot_date(label: str | None) -> date:
    """The date a snapshot label names: YYYY-MM-DD, or YYYY-MM for the 1st of that month; None is today (UTC)."""
    if label is None:
        return now().date()
    match = _SNAPSHOT.match(label.strip())
    try:
        if match is None:
            raise ValueError
        year, month, day = match.groups()
        return date(int(year), int(month), int(day or 1))
    except ValueError:
        raise SnapshotError(f"snapshot {label!r} is not a date: use YYYY-MM-DD (or YYYY-MM for the 1st)") from None


class RunBusy(Exception):
    """The run is being written by another live process (a second writer of the same snapshot)."""


def owner() -> dict:
    """Who writes a run: this process on this host (kept in the run's params)."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def owner_alive(params: dict | None) -> bool:
    """Whether the process that opened a run still runs. No owner recorded (older runs), or this very
    process: False. Another host: True (it cannot be asked)."""
    own = (params or {}).get("owner") if isinstance(params, dict) else None
    if not isinstance(own, dict) or not isinstance(own.get("pid"), int):
        return False
    if own.get("host") != socket.gethostname():
        return True
    if own["pid"] == os.getpid():
        return False
    try:
        os.kill(own["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _busy(run_id: int, stage: str, source: str, params: dict) -> RunBusy:
    own = params["owner"]
    return RunBusy(f"run {run_id} ({stage} {source}) is being written by process {own['pid']} on {own['host']}; "
                   "wait for it to finish or stop it, then run again")


def mark_interrupted(db, stage: str, source: str | None = None) -> list[int]:
    """Runs of `stage` (and `source`) left `running` by a process that is gone: marked `interrupted`."""
    query = select(RUN.c.id, RUN.c.params).where(RUN.c.stage == stage, RUN.c.status == "running")
    if source is not None:
        query = query.where(RUN.c.source == source)
    dead = [r.id for r in db.execute(query) if not owner_alive(r.params)]
    if dead:
        db.execute(update(RUN).where(RUN.c.id.in_(dead)).values(status="interrupted", finished_at=now()))
    return dead


def _lock_run_key(db, stage: str, source: str, key: str) -> None:
    """Two processes opening the same run take turns (on PostgreSQL, a lock held to the end of the caller's
    transaction), so the second sees the first's run and gets `RunBusy` instead of opening a twin. On SQLite
    writers take turns already: a caller whose transaction writes first (collect's registry row) holds the
    write lock when it opens the run."""
    bind = db if isinstance(db, Connection) else db.get_bind()
    if bind.dialect.name == "postgresql":
        digest = hashlib.sha256(f"{stage}|{source}|{key}".encode("utf-8", "surrogatepass")).digest()
        db.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


@dataclass
class RunState:
    """An open run: its id, where a resumed run picks up, and whether it was resumed."""

    id: int
    cursor: str | None = None
    resumed: bool = False
    items_done: int = 0


def open_run(db, stage: str, source: str, key: str = "", *, params: dict | None = None,
             registry_id: int | None = None, snapshot: date | None = None, resume: bool = True,
             reuse_complete: bool = False) -> RunState:
    """Open a run, or resume the unfinished one with the same stage, source and key.

    A resumed run keeps its cursor and progress (without a cursor it starts over, from zero).
    `reuse_complete`: a complete run with the same key is started again in the same row (a snapshot
    collected again keeps its run id); its progress starts from zero, its earlier error rows stay."""
    key, source = redact(key)[:MAX_KEY], redact(source)
    _lock_run_key(db, stage, source, key)
    if resume:
        row = db.execute(select(RUN.c.id, RUN.c.status, RUN.c.cursor, RUN.c.items_done, RUN.c.params)
                         .where(RUN.c.stage == stage, RUN.c.source == source, RUN.c.key == key)
                         .order_by(RUN.c.id.desc())).first()
        if row is not None and (row.status != "complete" or reuse_complete):
            if row.status == "running" and owner_alive(row.params):
                raise _busy(row.id, stage, source, row.params)
            unfinished = row.status != "complete"
            cursor = row.cursor if unfinished else None
            # without a cursor the run starts over, so its progress does too
            state = RunState(row.id, cursor, unfinished, (row.items_done or 0) if cursor else 0)
            kept = row.params if isinstance(row.params, dict) else {}
            db.execute(update(RUN).where(RUN.c.id == row.id).values(
                status="running", finished_at=None, cursor=state.cursor, items_done=state.items_done,
                params={**kept, "owner": owner()}))
            return state
    when = datetime.combine(snapshot, datetime.min.time(), timezone.utc) if snapshot else now()
    run_id = db.execute(RUN.insert().values(
        stage=stage, source=source, key=key, params={**(redact_data(params) or {}), "owner": owner()},
        registry_id=registry_id, snapshot_date=when,
        started_at=now(), status="running", items_done=0, error_count=0).returning(RUN.c.id)).scalar_one()
    return RunState(run_id)


def complete_run(db, key: str, stage: str = "collect", source: str = "huggingface"):
    """The newest run with this stage, source and key when it is complete (its id and items_done), else None."""
    row = db.execute(select(RUN.c.id, RUN.c.status, RUN.c.items_done)
                     .where(RUN.c.stage == stage, RUN.c.source == redact(source), RUN.c.key == redact(key)[:MAX_KEY])
                     .order_by(RUN.c.id.desc())).first()
    return row if row is not None and row.status == "complete" else None


def start_run(session: Session, stage: str, source: str, key: str = "", params: dict | None = None,
              registry_id: int | None = None, resume: bool = True) -> CollectionRun:
    """`open_run` for ORM writers: the run as a `CollectionRun` of this session."""
    state = open_run(session, stage, source, key, params=params, registry_id=registry_id, resume=resume)
    run = session.get(CollectionRun, state.id)
    session.refresh(run)
    return run


def advance(db, run_id: int, *, cursor: str | None = None, items: int = 0) -> None:
    """Move a run's resume cursor and add `items` to its progress, in the caller's transaction."""
    db.execute(update(RUN).where(RUN.c.id == run_id).values(cursor=cursor, items_done=RUN.c.items_done + items))


def _run_id(run: CollectionRun | int | None) -> int | None:
    return run.id if isinstance(run, CollectionRun) else run


def record_error(db, run: CollectionRun | int | None, stage: str, item, kind: str, message) -> None:
    """One error row (an item that could not be processed); item and message are redacted (`core.redact`)."""
    db.execute(ERROR.insert().values(run_id=_run_id(run), stage=stage, item=redact(item)[:MAX_ITEM],
                                     error_kind=str(kind)[:64], message=redact(message)[:MAX_MESSAGE],
                                     created_at=now()))


def count_errors(db, run: CollectionRun | int) -> int:
    return db.execute(select(func.count()).select_from(ERROR).where(ERROR.c.run_id == _run_id(run))).scalar_one()


def finish_run(db, run: CollectionRun | int, status: str = "complete") -> None:
    """Close a run as complete (its cursor cleared) or failed (its cursor kept for a resume).

    The run's `error_count` is set from its error rows."""
    values = {"status": status, "finished_at": now(), "error_count": count_errors(db, run)}
    if status == "complete":
        values["cursor"] = None
    if isinstance(run, CollectionRun):  # an ORM row: set it, so the session's flush keeps these values
        for name, value in values.items():
            setattr(run, name, value)
    else:
        db.execute(update(RUN).where(RUN.c.id == run).values(**values))


def fail_run(db, run: CollectionRun | int) -> None:
    finish_run(db, run, "failed")


def run_totals(db, limit: int = 20) -> list[dict]:
    """The latest runs with their error rows and snapshot models counted from the rows."""
    errors = (select(ERROR.c.run_id, func.count().label("n")).group_by(ERROR.c.run_id)).subquery()
    stats = ModelStats.__table__
    models = (select(stats.c.run_id, func.count().label("n")).group_by(stats.c.run_id)).subquery()
    query = (select(RUN.c.id, RUN.c.stage, RUN.c.source, RUN.c.snapshot_date, RUN.c.status, RUN.c.items_done,
                    func.coalesce(errors.c.n, 0).label("error_count"), func.coalesce(models.c.n, 0).label("models"))
             .outerjoin(errors, errors.c.run_id == RUN.c.id).outerjoin(models, models.c.run_id == RUN.c.id)
             .order_by(RUN.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in db.execute(query)]


def snapshot_models(db, run_id: int) -> int:
    """Models in a collection run's snapshot (its `model_stats` rows)."""
    stats = ModelStats.__table__
    return db.execute(select(func.count()).select_from(stats).where(stats.c.run_id == run_id)).scalar_one()


__all__ = ["RunBusy", "RunState", "SnapshotError", "advance", "complete_run", "count_errors", "fail_run",
           "finish_run", "mark_interrupted", "now", "open_run", "owner", "owner_alive",
           "record_error", "run_totals", "snapshot_date", "snapshot_models", "start_run"]
