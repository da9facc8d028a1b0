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
        kind = identify(path)
        refuse_foreign(kind, str(path))
        if not existing:
            return
        ready = kind == "ours"
    else:
        try:
            with get_engine(url).connect() as conn:
                kind = identify_server(conn)
                ready = kind == "ours"
        except OperationalError as exc:
            first = (str(exc.orig or exc).strip().splitlines() or ["no answer"])[0]
            raise DatabaseUnavailable(f"cannot connect to {safe_url(url)}: {first}",
                                      "check that the server runs and the URL (--db or $PEATMOSS_DB)") from None
        refuse_foreign(kind, safe_url(url), "PostgreSQL")
        if not existing:
            return
    if not ready:
        raise DatabaseUnavailable(f"database {safe_url(url)} lacks tables of peatmoss (never initialised)",
                                  missing=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """Per-connection settings; none writes to the file (WAL is set once, by init_db, on our own databases)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB of page cache: index inserts stay in memory
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def ro_connect(path: Path) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`): it cannot write, migrate or change the journal mode. On a read-only
    file or folder the database is opened as immutable (nobody can write it), so WAL files are not needed."""
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("" if _writable(path) else "&immutable=1")
    return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)


# -- which database is this? -----------------------------------------------------------------------

APPLICATION_ID = 0x50544D53  # "PTMS": PRAGMA application_id of every SQLite database peatmoss creates
_OURS_EXTRA = {"alembic_version", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}


def _our_names() -> set[str]:
    from .models import Base

    return set(Base.metadata.tables)


def identify(path: Path) -> str:
    """What the SQLite file at `path` is, read without changing it: "new" (no file, or an empty database),
    "ours" (our application_id, or peatmoss's Alembic version table), "partial" (only empty peatmoss tables and
    no version: a first start killed while creating the schema) or "foreign: <why>"."""
    if not path.exists() or path.stat().st_size == 0:
        return "new"
    with closing(ro_connect(path)) as conn:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        rows = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%'").fetchall()
        names = {name for kind, name in rows if kind in ("table", "view")}
        has_version = "alembic_version" in names and conn.execute(
            "SELECT count(*) FROM alembic_version").fetchone()[0] > 0
        if app_id == APPLICATION_ID:
            return "ours"
        if app_id:
            return f"foreign: application_id {app_id:#x}"
        ours = _our_names()
        if has_version and names - _OURS_EXTRA <= ours:
            return "ours"  # created before application_id was set
        if not names and not user_version:
            return "new"
        others = sorted(names - ours - _OURS_EXTRA)
        if others:
            return f"foreign: tables {', '.join(others[:3])}" + (", ..." if len(others) > 3 else "")
        if user_version:
            return f"foreign: user_version {user_version}"
        empty = all(conn.execute(f'SELECT 1 FROM "{n}" LIMIT 1').fetchone() is None
                    for kind, n in rows if kind == "table" and n not in _OURS_EXTRA)
        return "partial" if empty else "foreign: peatmoss-like tables holding rows but no schema version"


def identify_server(conn) -> str:
    """What the database a server connection (PostgreSQL) points at is, read without changing it: "new" (no
    table in its schema), "ours" (peatmoss's tables and Alembic version) or "foreign: <why>"."""
    names = set(inspect(conn).get_table_names())
    if not names:
        return "new"
    if "alembic_version" in names:  # a schema version of ours, however old (its tables may differ from today's)
        from alembic.script import ScriptDirectory

        from .migrate import alembic_config

        ours = {s.revision for s in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}
        have = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
        if have and have <= ours:
            return "ours"
    others = sorted(names - _our_names() - _OURS_EXTRA)
    if others:
        return f"foreign: tables {', '.join(others[:3])}" + (", ..." if len(others) > 3 else "")
    if "alembic_version" not in names:
        return "foreign: peatmoss-like tables but no schema version"
    return "ours"


def refuse_foreign(kind: str, where: str, system: str = "SQLite") -> None:
    """Raise DatabaseUnavailable (nothing written) when `identify`/`identify_server` found another application's
    database."""
    if kind.startswith("foreign"):
        raise DatabaseUnavailable(f"{where} is another application's {system} database ({kind[9:]}), not "
                                  "peatmoss's; nothing was changed", "choose another --db")


_ENGINES: dict[tuple[str, bool], Engine] = {}
_READ_ONLY: set[str] = set()  # URLs a read-only command named: every engine for them opens mode=ro


def mark_read_only(url: str) -> None:
    """From now on this process opens `url` read-only (the read-only commands: status, query, export, ...)."""
    _READ_ONLY.add(resolve_url(url))


def get_engine(url: str | None = None, readonly: bool = False) -> Engine:
    """One cached engine per URL. SQLite gets a busy timeout so readers work during writes (WAL, set by
    init_db). `readonly` (and any SQLite file we may not write) opens it with `mode=ro`."""
    url = resolve_url(url)
    path = sqlite_path(url)
    readonly = bool(path and path.exists() and (readonly or url in _READ_ONLY or not _writable(path)))
    engine = _ENGINES.get((url, readonly))
    if engine is None:
        if readonly:
            engine = create_engine(url, creator=lambda: ro_connect(path))
            event.listen(engine, "connect", _sqlite_pragmas)
        elif url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _ENGINES[(url, readonly)] = engine
    return engine


def dispose_all() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _READ_ONLY.clear()


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
