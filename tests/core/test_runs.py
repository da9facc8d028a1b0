"""One run lifecycle (open, resume, finish, fail, error rows) and run totals counted from the rows."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.core.runs import (SnapshotError, advance, count_errors, fail_run, finish_run, open_run, record_error,
                                run_totals, snapshot_date, start_run)
from peatmoss.db import get_engine, session_scope
from peatmoss.db import models as m
from peatmoss.registries.hubserver import HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.registries.status import database_status

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def records(n: int) -> list[dict]:
    return [{"id": f"acme/net-{i}", "author": "acme", "sha": f"{i + 1:040x}", "downloads": 500 - i, "likes": i,
             "tags": ["pytorch", "license:apache-2.0"], "library_name": "timm"} for i in range(n)]


def collect(url, hub, **kw):
    kw.setdefault("deep", False)
    kw.setdefault("progress", False)
    return collect_huggingface(url, CollectOptions(endpoint=hub.url, **kw))


def run_row(url, run_id):
    with get_engine(url).connect() as conn:
        return conn.execute(select(m.CollectionRun.__table__).where(m.CollectionRun.id == run_id)).one()


def test_open_resume_fail_finish(db_url):
    engine = get_engine(db_url)
    with engine.begin() as conn:
        first = open_run(conn, "collect", "test", "k1", params={"a": 1})
        advance(conn, first.id, cursor="page-2", items=10)
    with engine.begin() as conn:
        fail_run(conn, first.id)
    failed = run_row(db_url, first.id)
    assert (failed.status, failed.cursor, failed.items_done) == ("failed", "page-2", 10)
    with engine.begin() as conn:  # the unfinished run is resumed where it stopped
        again = open_run(conn, "collect", "test", "k1")
        other = open_run(conn, "collect", "test", "k2")
    assert (again.id, again.cursor, again.resumed, again.items_done) == (first.id, "page-2", True, 10)
    assert other.id != first.id and not other.resumed
    with engine.begin() as conn:
        finish_run(conn, first.id)
        finish_run(conn, other.id)
    done = run_row(db_url, first.id)
    assert (done.status, done.cursor) == ("complete", None) and done.finished_at is not None
    with engine.begin() as conn:  # a complete run is not resumed: a new run, unless the row is reused
        fresh = open_run(conn, "collect", "test", "k1")
        reused = open_run(conn, "collect", "test", "k2", reuse_complete=True)
    assert fresh.id not in (first.id, other.id) and reused.id == other.id and not reused.resumed


def test_reused_complete_run_starts_from_zero(db_url):
    engine = get_engine(db_url)
    with engine.begin() as conn:
        run = open_run(conn, "collect", "test", "snap", snapshot=date(2022, 2, 1))
        advance(conn, run.id, cursor="x", items=7)
        finish_run(conn, run.id)
    with engine.begin() as conn:
        again = open_run(conn, "collect", "test", "snap", reuse_complete=True)
    row = run_row(db_url, run.id)
    assert again.id == run.id and (again.items_done, row.items_done, row.status) == (0, 0, "running")
    assert row.snapshot_date.date() == date(2022, 2, 1)


def test_error_rows_from_sessions_and_connections_are_counted(db_url):
    with session_scope(db_url) as s:
        run = start_run(s, "mine", "github", key="k")
        record_error(s, run, "mine", "a/b", "not_found", "gone")
        record_error(s, run.id, "mine", "c/d", "timeout", "slow")
        run_id = run.id
    with get_engine(db_url).begin() as conn:
        record_error(conn, run_id, "mine", "e/f", "x" * 100, "m" * 10_000)  # cut, not refused
    with session_scope(db_url) as s:
        run = s.get(m.CollectionRun, run_id)
        assert count_errors(s, run) == 3
        finish_run(s, run)
    row = run_row(db_url, run_id)
    assert (row.status, row.error_count) == ("complete", 3)
    with get_engine(db_url).connect() as conn:
        long = conn.execute(select(m.CollectionError.error_kind, m.CollectionError.message)
                            .where(m.CollectionError.item == "e/f")).one()
    assert len(long.error_kind) == 64 and len(long.message) == 4000


def test_status_counts_equal_row_counts(db_url):
    source = RecordSource(records(12))
    source.records.extend([{"modelId": 7}, {"id": None}])  # served as they are: two malformed items
    with HubServer(source, page_size=5) as hub:
        s = collect(db_url, hub, page_size=5, snapshot="2024-01-01")
    with get_engine(db_url).begin() as conn:  # an error row written outside any counter
        record_error(conn, s.run_id, "collect.listing", "late", "late_error", "written after the run")
    info = database_status(db_url)
    (run,) = [r for r in info["runs"] if r["id"] == s.run_id]
    with get_engine(db_url).connect() as conn:
        errors = conn.execute(select(func.count()).select_from(m.CollectionError)
                              .where(m.CollectionError.run_id == s.run_id)).scalar_one()
        stats = conn.execute(select(func.count()).select_from(m.ModelStats)
                             .where(m.ModelStats.run_id == s.run_id)).scalar_one()
    assert errors == 3 and run["error_count"] == errors and s.errors == 2
    assert run["models"] == stats == 12 == s.in_snapshot
    with get_engine(db_url).connect() as conn:
        assert run_totals(conn, limit=1)[0]["error_count"] == errors


def test_recollecting_a_snapshot_reports_true_counts(db_url):
    with HubServer(RecordSource(records(9)), page_size=4) as hub:
        first = collect(db_url, hub, page_size=4, snapshot="2024-03")
        second = collect(db_url, hub, page_size=4, snapshot="2024-03-01")  # the same snapshot, again
    assert first.snapshot == second.snapshot == "2024-03-01" and first.run_id == second.run_id
    assert (second.models, second.in_snapshot, second.complete) == (9, 9, True)
    assert run_row(db_url, second.run_id).items_done == 9


@pytest.mark.parametrize("label,expected", [("2022-02-15", date(2022, 2, 15)), ("2022-02", date(2022, 2, 1)),
                                            (" 2024-12 ", date(2024, 12, 1))])
def test_snapshot_dates(label, expected):
    assert snapshot_date(label) == expected


@pytest.mark.parametrize("label", ["s1", "2022", "2022-13", "2022-02-30", "22-02", "2022/02", "2022-02-01T10:00", ""])
def test_bad_snapshot_labels(label):
    with pytest.raises(SnapshotError, match="YYYY-MM-DD"):
        snapshot_date(label)


def test_snapshot_label_is_stored_as_its_date(sqlite_url):
    with HubServer(RecordSource(records(3))) as hub:
        s = collect(sqlite_url, hub, snapshot="2022-02")
    assert s.snapshot == "2022-02-01"
    assert run_row(sqlite_url, s.run_id).snapshot_date.date() == date(2022, 2, 1)


def test_bad_snapshot_is_one_line_and_exit_2(tmp_path):
    db = tmp_path / "x.db"
    result = runner.invoke(app, ["--db", str(db), "collect", "huggingface", "--snapshot", "2022-13",
                                 "--endpoint", "http://127.0.0.1:9", "--no-progress"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "YYYY-MM-DD" in result.output and not db.exists()


def recorded(folder, path: str, body) -> None:
    (folder / quote(path.lstrip("/"), safe="")).write_text(json.dumps(body))


def test_deep_404_is_an_error_row(db_url, tmp_path):
    """A model whose repository answers 404 (gone) and one without README.md leave error rows, counted."""
    extra = tmp_path / "extra"
    extra.mkdir()
    kept = "acme/net-0"  # has commits, refs and discussions but no README.md
    recorded(extra, f"/api/models/{kept}/commits/main", [
        {"id": "c1", "title": "initial", "message": "", "authors": [{"user": "a"}], "date": "2024-01-01T00:00:00Z"}])
    recorded(extra, f"/api/models/{kept}/refs?include_prs=1",
             {"branches": [], "converts": [], "tags": [], "pullRequests": []})
    recorded(extra, f"/api/models/{kept}/discussions?p=0", {"discussions": [], "count": 0, "start": 0})
    with HubServer(RecordSource(records(3), extra_dir=extra)) as hub:
        s = collect(db_url, hub, deep=True, min_downloads=499, snapshot="2024-05-01")  # net-0 and net-1
    assert s.complete and s.deep_models == 2
    with get_engine(db_url).connect() as conn:
        rows = set(conn.execute(select(m.CollectionError.stage, m.CollectionError.item, m.CollectionError.error_kind)
                                .where(m.CollectionError.run_id == s.run_id)).all())
    assert rows == {("collect.deep.card", kept, "no_card"), ("collect.deep.model", "acme/net-1", "not_found")}
    assert s.errors == 2
    (run,) = [r for r in database_status(db_url)["runs"] if r["id"] == s.run_id]
    assert run["error_count"] == 2


def test_mine_failures_exit_non_zero_with_a_summary(tmp_path):
    db = tmp_path / "m.db"
    good = tmp_path / "good"
    good.mkdir()
    (good / "app.py").write_text("x = 1\n")
    result = runner.invoke(app, ["--db", str(db), "mine", str(good), str(tmp_path / "missing"), "--no-progress"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "1 repositories failed, 1 error rows" in result.output and "peatmoss status" in result.output
    ok = runner.invoke(app, ["--db", str(db), "mine", str(good), "--no-progress"])
    assert ok.exit_code == 0, ok.output


def test_demo_steps_report_rows_on_a_rerun(sqlite_url):
    from peatmoss.pipeline.demo import mine_example

    first = mine_example(sqlite_url)
    assert first == mine_example(sqlite_url)  # the second run replaces the links and says the same
    with get_engine(sqlite_url).connect() as conn:
        links = conn.execute(select(func.count()).select_from(m.ModelReuse)
                             .where(m.ModelReuse.is_current.is_(True))).scalar_one()
    assert links > 0 and first.startswith(f"{links} model loads")
