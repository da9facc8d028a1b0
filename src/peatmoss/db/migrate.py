"""Create or upgrade a database to the current schema with Alembic.

On SQLite the whole creation or upgrade is ONE transaction (pysqlite would commit each CREATE TABLE alone), so a
kill during the first start leaves either nothing or the full schema. A schema half-created by an older version
(peatmoss tables only, all empty, no version row) is dropped and created again. Another application's
database is refused before anything is written (engine.identify)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from .engine import (APPLICATION_ID, DatabaseUnavailable, _READ_ONLY, _our_names, get_engine, identify,
                     identify_server, refuse_foreign, resolve_url, ro_connect, safe_url, sqlite_path)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _heads(cfg: Config) -> set[str]:
    return set(ScriptDirectory.from_config(cfg).get_heads())


def _at_head(path: Path, cfg: Config) -> bool:
    with closing(ro_connect(path)) as conn:
        try:
            have = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
        except Exception:  # noqa: BLE001 - no version table
            return False
    return have == _heads(cfg)


def _transactional(url: str) -> Engine:
    """A SQLite engine whose transactions hold DDL too (BEGIN IMMEDIATE: one writer creates the schema)."""
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None  # no implicit commits; we say BEGIN ourselves
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


SCHEMA_LOCK = 0x50544D53  # PostgreSQL advisory lock key held while the schema is created or upgraded


def _needs_upgrade(url: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"database {safe_url(url)} needs a schema upgrade, which a read-only command "
                               "does not do", "run `peatmoss init` first")


def _wal(engine: Engine, wait: float = 30.0) -> None:
    """Switch the file to WAL, after the schema commit and outside a transaction (so WAL stays in the file).
    Another process starting at the same moment may hold a lock, or have switched it already: wait for it."""
    end = time.monotonic() + wait
    while True:
        raw = engine.raw_connection()
        try:  # SQLite answers the mode it is in: the old one when it could not switch
            mode = raw.driver_connection.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
        except sqlite3.OperationalError:
            if time.monotonic() > end:
                raise
            mode = None
        finally:
            raw.close()
        if mode == "wal":
            return
        if time.monotonic() > end:
            raise DatabaseUnavailable(f"could not switch {engine.url.database} to WAL (another process holds it)",
                                      "run the command again")
        time.sleep(0.05)


def _drop_half_created(conn) -> None:  # noqa: ANN001
    """Inside the schema transaction: a schema without a version row, made only of empty peatmoss tables,
    is what a killed first start leaves; drop it so it is created whole."""
    rows = conn.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') "
                                "AND name NOT LIKE 'sqlite_%'").fetchall()
    names = {n for _, n in rows}
    if not names or "alembic_version" in names and conn.exec_driver_sql(
            "SELECT 1 FROM alembic_version").first() is not None:
        return
    if not names - {"alembic_version"} <= _our_names():
        raise DatabaseUnavailable("database holds tables that are not peatmoss's", "choose another --db")
    for kind, name in sorted(rows, key=lambda r: r[0] != "view"):  # views first
        if kind == "table" and conn.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first() is not None:
            raise DatabaseUnavailable(f"half-created schema with rows in {name}", "choose another --db")
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # no effect inside a transaction; drop order handles links
    for kind, name in sorted(rows, key=lambda r: r[0] != "view"):
        conn.exec_driver_sql(f'DROP {kind.upper()} IF EXISTS "{name}"')


def init_db(url: str | None = None) -> Engine:
    """Bring the database at `url` to the newest schema; safe to call on every start. A peatmoss database
    already at the newest schema is not written at all."""
    url = resolve_url(url)
    cfg = alembic_config(url)
    path = sqlite_path(url)
    if path is None:  # PostgreSQL: its DDL is transactional already
        engine = get_engine(url)
        with engine.begin() as conn:
            # one process creates or upgrades the schema at a time (two first starts would both CREATE TABLE)
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            kind = identify_server(conn)
            refuse_foreign(kind, safe_url(url), "PostgreSQL")
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars() \
                if kind == "ours" else []
            if kind == "ours" and set(version) == _heads(cfg):
                return engine
            if url in _READ_ONLY:
                raise _needs_upgrade(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return engine
    kind = identify(path)
    refuse_foreign(kind, str(path))
    if kind == "ours" and _at_head(path, cfg):
        return get_engine(url)
    if url in _READ_ONLY:
        raise _needs_upgrade(url)
    engine = _transactional(url)
    try:
        with engine.begin() as conn:
            _drop_half_created(conn)
            if conn.exec_driver_sql("PRAGMA application_id").scalar() == 0 and kind != "ours":
                conn.exec_driver_sql(f"PRAGMA application_id={APPLICATION_ID}")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        _wal(engine)
    finally:
        engine.dispose()
    return get_engine(url)

