"""Databases that are not ours, or not writable, or half made: a foreign SQLite file stays byte-for-byte the
same whatever command names it; read-only commands open read-only; a half-created schema is rebuilt."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.db import dispose_all, init_db
from peatmoss.db.engine import APPLICATION_ID, identify
from peatmoss.db.models import Base

runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _foreign(path: Path, app_id: int = 0, user_version: int = 0, tables: str = "users") -> Path:
    with sqlite3.connect(path) as conn:
        for name in tables.split():
            conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name TEXT)")
            conn.execute(f"INSERT INTO {name} (name) VALUES ('alice')")
        conn.execute(f"PRAGMA application_id={app_id}")
        conn.execute(f"PRAGMA user_version={user_version}")
    return path


def _commands(tmp: Path) -> list[list[str]]:
    repo = tmp / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "a.py").write_text('from transformers import AutoModel\nAutoModel.from_pretrained("org/m")\n')
    return [["status"], ["status", "--format", "json"], ["query", "I-1"], ["export", "--out", str(tmp / "ex")],
            ["report", "--out", str(tmp / "rep")], ["init"],
            ["collect", "huggingface", "--endpoint", "http://127.0.0.1:9", "--limit", "1"],
            ["mine", str(repo)], ["extract"], ["browse", "--port", "0"], ["licenses", "analyze"]]


@pytest.mark.parametrize("kind", ["tables", "application_id", "user_version", "our_table_names"])
def test_foreign_sqlite_file_is_never_changed(tmp_path, kind):
    db = tmp_path / "other.db"
    if kind == "tables":
        _foreign(db)
    elif kind == "application_id":
        _foreign(db, app_id=0x0F0F0F0F, tables="model")  # a table name we use, but someone else's id
    elif kind == "user_version":
        _foreign(db, user_version=42, tables="model")
    else:
        _foreign(db, tables="model registry")  # our names, holding rows, no version: not ours to touch
    before = _digest(db)
    assert identify(db).startswith("foreign")
    for args in _commands(tmp_path):
        result = runner.invoke(app, ["--db", str(db), *args])
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "another application's SQLite database" in lines[0], (args, result.output)
        assert _digest(db) == before, args
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other.db")) == ["other.db"]
    dispose_all()


def test_new_database_is_marked_ours_and_reads_change_nothing(tmp_path):
    from peatmoss.analysis.synthetic import generate

    db = tmp_path / "ours.db"
    url = f"sqlite:///{db}"
    generate(url, models=40, months=4, repositories=10, links=12)
    dispose_all()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db)
    for args in (["status"], ["query", "I-1"], ["export", "--format", "csv", "--out", str(tmp_path / "ex")]):
        result = runner.invoke(app, ["--db", str(db), *args])
        assert result.exit_code == 0, (args, result.output)
        dispose_all()
    assert _digest(db) == before
    assert identify(db) == "ours"


def test_read_only_commands_use_mode_ro(tmp_path):
    from peatmoss.analysis.synthetic import generate
    from peatmoss.db.engine import get_engine, mark_read_only

    url = f"sqlite:///{tmp_path / 'ours.db'}"
    generate(url, models=20, months=2, repositories=5, links=5)
    mark_read_only(url)
    with get_engine(url).connect() as conn:
        with pytest.raises(Exception, match="readonly"):
            conn.exec_driver_sql("CREATE TABLE x (a INT)")
        with pytest.raises(Exception):  # noqa: B017 - sqlite says "disk I/O error" here
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE").fetchall()
    dispose_all()
    with sqlite3.connect(tmp_path / "ours.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_database_on_read_only_storage_can_be_read(tmp_path):
    """Without the right to write the file or its folder (as on a read-only mount) it can still be read:
    root without capabilities is held to the file modes like any user."""
    from peatmoss.analysis.synthetic import generate

    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "ours.db"
    generate(f"sqlite:///{db}", models=20, months=2, repositories=5, links=5)
    dispose_all()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for p in folder.iterdir():
        if p != db:
            p.unlink()
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    before = _digest(db)
    try:
        no_caps = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
        denied = subprocess.run([*no_caps, "sh", "-c", f"echo x >> '{db}'"], capture_output=True)
        assert denied.returncode != 0  # the set-up really forbids writing
        for args in (["query", "I-1", "--format", "json"], ["status"], ["export", "--out", str(tmp_path / "ex")]):
            proc = subprocess.run([*no_caps, sys.executable, "-m", "peatmoss", "--db", str(db), *args],
                                  capture_output=True, text=True, timeout=120, cwd=tmp_path)
            assert proc.returncode == 0, (args, proc.stderr[-2000:])
    finally:
        os.chmod(folder, 0o755)
    assert _digest(db) == before
    assert [p.name for p in folder.iterdir()] == ["ours.db"]


def test_half_created_schema_is_rebuilt(tmp_path):
    """What a kill during the first start left with older versions: some tables, no version row."""
    db = tmp_path / "half.db"
    with sqlite3.connect(db) as conn:
        for table in list(Base.metadata.sorted_tables)[:5]:
            from sqlalchemy.schema import CreateTable
            from sqlalchemy.dialects import sqlite as dialect

            conn.execute(str(CreateTable(table).compile(dialect=dialect.dialect())))
    assert identify(db) == "partial"
    result = runner.invoke(app, ["--db", str(db), "status"])
    assert result.exit_code == 1 and "never initialised" in result.output  # a reader does not repair it
    result = runner.invoke(app, ["--db", str(db), "init"])
    assert result.exit_code == 0, result.output
    dispose_all()
    assert identify(db) == "ours"
    result = runner.invoke(app, ["--db", str(db), "status", "--format", "json"])
    assert result.exit_code == 0 and '"tables"' in result.output
    dispose_all()


KILL_DURING_INIT = """
import sys, time
from alembic.runtime import migration
from peatmoss.db import init_db

orig = migration.MigrationContext.run_migrations
def slow(self, *a, **k):
    print("creating", flush=True)
    result = orig(self, *a, **k)
    print("created", flush=True)
    time.sleep(60)  # killed here: everything was issued, nothing committed
    return result
migration.MigrationContext.run_migrations = slow
init_db(sys.argv[1])
"""


def test_kill_during_first_init_leaves_a_usable_database(tmp_path):
    db = tmp_path / "k.db"
    proc = subprocess.Popen([sys.executable, "-c", KILL_DURING_INIT, f"sqlite:///{db}"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "creating"
        assert proc.stdout.readline().strip() == "created"
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert identify(db) in ("new", "partial")  # the schema transaction never committed
    init_db(f"sqlite:///{db}")
    dispose_all()
    assert identify(db) == "ours"


@pytest.mark.postgres
def test_foreign_postgres_database_is_refused(new_pg_database):
    """A PostgreSQL database holding another application's tables (no Alembic version of ours): every command
    naming it gets one line and exit 2, and nothing is created or changed in it."""
    from sqlalchemy import create_engine, inspect, text

    url = new_pg_database()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT INTO customers VALUES (1, 'alice')"))
    for args in (["status"], ["init"], ["query", "I-1"],
                 ["collect", "huggingface", "--endpoint", "http://127.0.0.1:9", "--limit", "1"], ["extract"]):
        result = runner.invoke(app, ["--db", url, *args])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, (args, result.output)
        assert "another application's PostgreSQL database (tables customers)" in lines[0], (args, lines)
        dispose_all()
    with pytest.raises(Exception, match="another application's PostgreSQL database"):  # the library too
        init_db(url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["customers"]
        assert conn.execute(text("SELECT name FROM customers")).scalars().all() == ["alice"]
    engine.dispose()


def test_status_never_migrates(tmp_path):
    """`status` opens the database read-only: a database whose recorded schema version is not the newest is
    neither upgraded nor changed in any byte."""
    db = tmp_path / "ours.db"
    init_db(f"sqlite:///{db}")
    dispose_all()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("UPDATE alembic_version SET version_num = '9350fdb9ff9c'")  # the initial revision
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = _digest(db)
    result = runner.invoke(app, ["--db", str(db), "status", "--format", "json"])
    dispose_all()
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert _digest(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9350fdb9ff9c",)]
