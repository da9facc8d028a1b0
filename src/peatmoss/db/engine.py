"""Engines and sessions for any SQLAlchemy URL (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB = "sqlite:///peatmoss.db"
SQLITE_HEADER = b"SQLite format 3\x00"
URL_HINT = "pass --db PATH or a URL such as postgresql+psycopg://user@host/db (or set $PEATMOSS_DB)"


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else $PEATMOSS_DB, else ./peatmoss.db. A bare path means SQLite."""
    url = url or os.environ.get("PEATMOSS_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def safe_url(url: str) -> str:
    """A database URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


class DatabaseUnavailable(Exception):
    """The database cannot be opened (`hint` says what to do); `missing`: there is no peatmoss database there."""

    def __init__(self, message: str, hint: str = URL_HINT, missing: bool = False) -> None:
        super().__init__(message)
        self.hint, self.missing = hint, missing


def check_database(url: str, existing: bool = False) -> None:
    """Raise DatabaseUnavailable, with one line saying why, when URL cannot be opened, without creating anything.

    With `existing`, a database that does not exist or lacks peatmoss's tables is also refused (`missing`).
    """
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError as exc:  # also NoSuchModuleError: an unknown scheme or driver
        raise DatabaseUnavailable(f"cannot use database URL {safe_url(url)!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if path.is_dir():
            raise DatabaseUnavailable(f"{path} is a folder, not a database file")
        if not path.exists():
            if existing:
                raise DatabaseUnavailable(f"no database at {path}", missing=True)
            if not path.parent.is_dir():
                raise DatabaseUnavailable(f"cannot create database {path}: folder {path.parent} does not exist",
                                          "create the folder or choose another --db")
            return
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise DatabaseUnavailable(f"{path} is not a SQLite database", "choose another --db")
        if not existing:
            return
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:  # changes nothing
            ready = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'model'").fetchone() is not None
    else:
        try:
            with get_engine(url).connect() as conn:
                ready = inspect(conn).has_table("model") if existing else True
        except OperationalError as exc:
            first = (str(exc.orig or exc).strip().splitlines() or ["no answer"])[0]
            raise DatabaseUnavailable(f"cannot connect to {safe_url(url)}: {first}",
                                      "check that the server runs and the URL (--db or $PEATMOSS_DB)") from None
    if not ready:
        raise DatabaseUnavailable(f"database {safe_url(url)} lacks tables of peatmoss (never initialised)",
                                  missing=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB of page cache: index inserts stay in memory
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


_ENGINES: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """One cached engine per URL. SQLite gets WAL and a busy timeout so readers work during writes."""
    url = resolve_url(url)
    engine = _ENGINES.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _ENGINES[url] = engine
    return engine


def dispose_all() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def session_scope(url_or_engine: str | Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else get_engine(url_or_engine)
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
