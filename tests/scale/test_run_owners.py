"""A run knows its writer: a killed `extract` run is marked interrupted on the next start, which goes on after
it without repeating its error rows; a second writer of a run still being written gets a one-line error."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.core.runs import RunBusy, open_run
from peatmoss.db import dispose_all, get_engine, session_scope
from peatmoss.db.models import ModelCard
from peatmoss.registries.huggingface import CollectOptions, run_key

from cardsdata import seed

MODELS = 1500


def _count(db, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_killed_extract_is_marked_interrupted_and_errors_not_repeated(tmp_path, sqlite_url):
    seed(sqlite_url, MODELS)
    with session_scope(sqlite_url) as s:  # every 10th card is binary: an error row each
        for card in s.query(ModelCard).filter(ModelCard.id % 10 == 0):
            card.text = "\x00binary" * 20
    dispose_all()
    db = tmp_path / "test.db"
    cmd = [sys.executable, "-m", "peatmoss", "--db", sqlite_url, "extract"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 120
    while _count(db, "select count(distinct model_id) from card_field") == 0 and proc.poll() is None:
        assert time.monotonic() < end
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _count(db, "select count(distinct model_id) from card_field")
    assert 0 < partial < MODELS - MODELS // 10, "the kill must land mid-run"
    assert _count(db, "select count(*) from collection_run where stage='extract' and status='running'") == 1
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    statuses = [r[0] for r in sqlite3.connect(db).execute(
        "select status from collection_run where stage='extract' order by id")]
    assert statuses == ["interrupted", "complete"]
    assert _count(db, "select count(distinct model_id) from card_field") == MODELS - MODELS // 10
    assert _count(db, "select count(*) from collection_error where error_kind='binary_card'") == MODELS // 10
    assert _count(db, "select count(*) from (select item from collection_error group by item having count(*) > 1)") == 0
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["done_by_interrupted_runs"] > 0


HOLDER = """
import sys, time
from peatmoss.core.runs import open_run
from peatmoss.db import get_engine
with get_engine(sys.argv[1]).begin() as conn:
    open_run(conn, "collect", "huggingface", sys.argv[2], reuse_complete=True)
print("open", flush=True)
time.sleep(120)
"""


def test_second_writer_of_a_running_snapshot_gets_one_line(sqlite_url, tmp_path):
    opts = CollectOptions(limit=5)
    key = run_key(opts, "2025-01-01")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, sqlite_url, key], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = CliRunner().invoke(app, ["--db", sqlite_url, "collect", "huggingface", "--endpoint",
                                          "http://127.0.0.1:9", "--limit", "5", "--snapshot", "2025-01-01"])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "is being written by process" in lines[0] and "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: the same run is resumed, by this process
    with get_engine(sqlite_url).begin() as conn:
        state = open_run(conn, "collect", "huggingface", key, reuse_complete=True)
        assert state.resumed
        count = conn.execute(text("select count(*) from collection_run")).scalar_one()
    assert count == 1
    dispose_all()


def test_open_run_refuses_a_live_owner(sqlite_url):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        with get_engine(sqlite_url).begin() as conn:
            state = open_run(conn, "mine", "github", "k")
            own = {"pid": sleeper.pid, "host": __import__("socket").gethostname()}
            conn.execute(text("update collection_run set params = :p where id = :i"),
                         {"p": json.dumps({"owner": own}), "i": state.id})
        with get_engine(sqlite_url).begin() as conn:
            try:
                open_run(conn, "mine", "github", "k")
                raise AssertionError("a live owner must be refused")
            except RunBusy as exc:
                assert str(sleeper.pid) in str(exc)
    finally:
        sleeper.kill()
        sleeper.wait()
    dispose_all()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_first_collects_race(tmp_path, backend, new_pg_database):
    """Two `collect` processes started together on a database not yet created, for a snapshot never
    collected: one collects it whole, the other ends with one line (the run is being written) and exit 2;
    neither shows a traceback (no IntegrityError, no 'database is locked'). Each ends by itself (time-out)."""
    import os

    from hub import hub_data
    from peatmoss.core.archive import Fault
    from peatmoss.registries.hubserver import HubServer, RecordSource

    records, extra = hub_data(tmp_path, 30)
    slow = lambda path, n: Fault("delay", hang_seconds=0.3) if path == "/api/models" else None  # noqa: E731
    for trial in range(2):
        url = new_pg_database() if backend == "postgres" else f"sqlite:///{tmp_path / f'race{trial}.db'}"
        try:
            with HubServer(RecordSource(records, extra), page_size=5, faults=slow) as hub:
                cmd = [sys.executable, "-m", "peatmoss", "--db", url, "collect", "huggingface", "--endpoint", hub.url,
                       "--page-size", "5", "--snapshot", "2024-01-01", "--min-downloads", "990", "--no-progress"]
                procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          env=dict(os.environ)) for _ in range(2)]
                outs = [p.communicate(timeout=300) for p in procs]
            codes = sorted(p.returncode for p in procs)
            text_all = "".join(o + e for o, e in outs)
            assert codes == [0, 2] and "Traceback" not in text_all and "IntegrityError" not in text_all, text_all
            loser = next(e for p, (o, e) in zip(procs, outs) if p.returncode == 2)
            assert len(loser.strip().splitlines()) == 1 and "is being written by process" in loser, loser
            with get_engine(url).connect() as conn:
                runs = conn.execute(text("select status, items_done from collection_run")).all()
            assert [tuple(r) for r in runs] == [("complete", 30)]
        finally:
            dispose_all()
