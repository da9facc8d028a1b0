"""Engines and sessions for any SQLAlchemy URL (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DB = "sqlite:///peatmoss.db"


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else $PEATMOSS_DB, else ./peatmoss.db. A bare path means SQLite."""
    url = url or os.environ.get("PEATMOSS_DB") or DEFAULT_DB
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


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
