"""The Hugging Face collector against a real loopback HTTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from peatmoss.db import get_engine, init_db
from peatmoss.db import models as m
from peatmoss.db.fingerprint import fingerprint
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource, merge_by_id
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.registries.records import classify_tag

from hubdata import make_records


def collect(url, hub, **kw):
    kw.setdefault("deep", False)
    kw.setdefault("progress", False)
    kw.setdefault("snapshot", "2024-06-01")
    return collect_huggingface(url, CollectOptions(endpoint=hub.url, **kw))


def count(url, table, where=None):
    with get_engine(url).connect() as conn:
        q = select(func.count()).select_from(table)
        return conn.execute(q.where(where) if where is not None else q).scalar_one()


@pytest.mark.shared
def test_shared_recordings_lose_no_field(db_url, shared_records):
    """Both eras' shapes load, and every field PeaTMOSS kept arrives: per-field counts match the input."""
    records = merge_by_id(shared_records)
    with HubServer(RecordSource(records)) as hub:
        summary = collect(db_url, hub, page_size=1000)
    assert summary.complete and summary.models == len(records)

    def has(key):
        return sum(1 for r in records if r.get(key) not in (None, "", [], {}))

    def per_model(fn):
        return sum(len(set(fn(r))) for r in records)

    tags = lambda r: [t for t in r.get("tags") or [] if isinstance(t, str)]  # noqa: E731
    kinds = lambda r, kind: [classify_tag(t)[1] for t in tags(r) if classify_tag(t)[0] == kind]  # noqa: E731
    model = m.Model.__table__
    assert count(db_url, model) == len(records)
    assert count(db_url, model, model.c.sha.is_not(None)) == has("sha")
    assert count(db_url, model, model.c.downloads.is_not(None)) == has("downloads")
    assert count(db_url, model, model.c.likes.is_not(None)) == sum(1 for r in records if "likes" in r)
    assert count(db_url, model, model.c.last_modified.is_not(None)) == has("lastModified")
    assert count(db_url, model, model.c.created_at.is_not(None)) == has("createdAt")
    assert count(db_url, model, model.c.pipeline_tag.is_not(None)) == has("pipeline_tag")
    assert count(db_url, model, model.c.library_name.is_not(None)) == has("library_name")
    assert count(db_url, model, model.c.private.is_not(None)) == sum(1 for r in records if "private" in r)
    assert count(db_url, model, model.c.model_family_id.is_not(None)) == \
        sum(1 for r in records if (r.get("config") or {}).get("model_type"))
    assert count(db_url, model, model.c.parameter_count.is_not(None)) == \
        sum(1 for r in records if (r.get("safetensors") or {}).get("total"))
    assert count(db_url, model, model.c.card_data.is_not(None)) == has("cardData")
    assert count(db_url, m.model_to_tag) == per_model(tags)
    assert count(db_url, m.model_to_architecture) == per_model(lambda r: (r.get("config") or {}).get("architectures") or [])
    with get_engine(db_url).connect() as conn:
        names = conn.execute(select(model.c.file_names).where(model.c.file_names.is_not(None))).scalars().all()
    assert sum(len(set(n)) for n in names) == per_model(lambda r: [s["rfilename"] for s in r.get("siblings") or []])
    # model_file holds only files the Hub described beyond their name (size, LFS)
    assert count(db_url, m.ModelFile.__table__) == per_model(lambda r: [s["rfilename"] for s in r.get("siblings") or []
                                                                       if len(s) > 1])
    assert count(db_url, m.model_to_dataset) == per_model(lambda r: kinds(r, "dataset"))
    assert count(db_url, m.model_to_paper) == per_model(lambda r: kinds(r, "arxiv"))
    assert count(db_url, m.model_to_framework) == per_model(lambda r: [classify_tag(t)[1] for t in tags(r)
                                                                      if classify_tag(t)[0] == "framework"])
    assert count(db_url, m.model_to_license) >= per_model(lambda r: kinds(r, "license"))
    assert count(db_url, m.model_to_language) == per_model(lambda r: kinds(r, "language"))
    assert count(db_url, m.model_to_library) == per_model(lambda r: kinds(r, "library") + ([r["library_name"]]
                                                                                          if r.get("library_name") else []))
    # the framework (pytorch/tf/jax) is kept apart from the model family (config.model_type)
    with get_engine(db_url).connect() as conn:
        frameworks = set(conn.execute(select(m.framework_view.c.name)).scalars())
        families = set(conn.execute(select(m.ModelFamily.name)).scalars())
    assert frameworks <= {"pytorch", "tensorflow", "jax"} and "bert" in families and "bert" not in frameworks


def test_rerun_same_snapshot_changes_nothing(db_url):
    with HubServer(RecordSource(make_records(120)), page_size=50) as hub:
        collect(db_url, hub, page_size=50)
        before = fingerprint(get_engine(db_url))
        again = collect(db_url, hub, page_size=50)
    assert again.complete and fingerprint(get_engine(db_url)) == before
    assert count(db_url, m.CollectionRun.__table__) == 1


def test_new_snapshot_keeps_trend_rows(db_url):
    source = RecordSource(make_records(30))
    with HubServer(source) as hub:
        collect(db_url, hub, snapshot="2024-06-01")
        for r in source.records:
            r["downloads"] += 10
        collect(db_url, hub, snapshot="2024-07-01")
    assert count(db_url, m.ModelStats.__table__) == 60
    assert count(db_url, m.Model.__table__) == 30
    with get_engine(db_url).connect() as conn:
        latest = conn.execute(select(m.Model.downloads).where(m.Model.hub_id == "org0/model-0")).scalar_one()
    assert latest == 1010


def test_limit_author_search_and_sort(sqlite_url):
    records = make_records(60)
    with HubServer(RecordSource(records), page_size=10) as hub:
        s = collect(sqlite_url, hub, limit=15, sort="likes", page_size=10)
        assert s.models == 15 and s.complete
        collect(sqlite_url, hub, author="org3", snapshot="2024-01-01")
        collect(sqlite_url, hub, search="model-5", snapshot="2024-01-02")
    with get_engine(sqlite_url).connect() as conn:
        ids = set(conn.execute(select(m.Model.hub_id)).scalars())
    assert {r["id"] for r in records if r["author"] == "org3"} <= ids
    assert {r["id"] for r in records if "model-5" in r["id"]} <= ids


def test_bad_records_become_error_rows(db_url):
    source = RecordSource(make_records(20) + [{"modelId": "bad\nid"}])
    # served as they are: malformed items, and the same model twice in one page
    source.records.extend([{"id": None}, {"modelId": 7}])
    source.records.insert(2, dict(source.records[1]))
    with HubServer(source, page_size=8) as hub:
        s = collect(db_url, hub, page_size=8)
    assert s.complete and s.models == 24 and count(db_url, m.Model.__table__) == 20
    errors = count(db_url, m.CollectionError.__table__, m.CollectionError.error_kind == "bad_record")
    assert errors == 3 and s.errors == 3


def test_faults_are_survived(sqlite_url, tmp_path):
    """429 with Retry-After, 500, 503, a connection reset, a hang past the timeout and truncated JSON."""
    plan = {2: Fault("429", retry_after=1), 3: Fault("500"), 5: Fault("truncate"), 7: Fault("hang", hang_seconds=3),
            9: Fault("503"), 11: Fault("reset")}
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    init_db(clean_url)
    records = make_records(100)
    with HubServer(RecordSource(records), page_size=10) as hub:
        collect(clean_url, hub, page_size=10)
    with HubServer(RecordSource(records), page_size=10, faults=lambda path, n: plan.get(n)) as hub:
        s = collect(sqlite_url, hub, page_size=10, timeout=1.0)
        assert hub.requests > 10 + len(plan) - 1
    assert s.complete and s.errors == 0
    assert fingerprint(get_engine(sqlite_url)) == fingerprint(get_engine(clean_url))


def test_persistent_failure_stops_then_resumes(db_url):
    records = make_records(50)
    down = {"on": True}

    def faults(path, n):
        return Fault("500") if down["on"] and n > 2 else None

    with HubServer(RecordSource(records), page_size=10, faults=faults) as hub:
        first = collect(db_url, hub, page_size=10, max_retries=1)
        assert not first.complete and first.models == 20
        assert count(db_url, m.CollectionError.__table__) == 1
        down["on"] = False
        second = collect(db_url, hub, page_size=10)
    assert second.resumed and second.complete and second.models == 50
    assert count(db_url, m.Model.__table__) == 50


def test_interrupted_in_process_resumes_to_same_rows(db_url, tmp_path):
    records = make_records(95)
    clean = f"sqlite:///{tmp_path / 'clean.db'}"
    init_db(clean)
    with HubServer(RecordSource(records), page_size=10) as hub:
        collect(clean, hub, page_size=10)
        part = collect(db_url, hub, page_size=10, stop_after_pages=4)
        assert not part.complete and part.models == 40
        rest = collect(db_url, hub, page_size=10)
    assert rest.resumed and rest.complete
    assert fingerprint(get_engine(db_url)) == fingerprint(get_engine(clean))


def test_sigkill_mid_collection_then_rerun_equals_uninterrupted(tmp_path):
    """Kill the real CLI process with SIGKILL mid-way; the re-run ends with the same rows."""
    records = make_records(300)
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    init_db(clean)
    init_db(killed)
    cmd = [sys.executable, "-m", "peatmoss", "--db", killed, "collect", "huggingface", "--page-size", "10",
           "--no-deep", "--snapshot", "2024-01-01", "--no-progress"]
    slow = lambda path, n: Fault("delay", hang_seconds=0.05)  # noqa: E731
    with HubServer(RecordSource(records), page_size=10, faults=slow) as hub:
        collect(clean, hub, page_size=10, snapshot="2024-01-01")
        env = dict(os.environ, HF_ENDPOINT=hub.url)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        engine = get_engine(killed)
        deadline = time.time() + 60
        done = 0
        while time.time() < deadline and done < 100:
            time.sleep(0.05)
            with engine.connect() as conn:
                done = conn.execute(text("select coalesce(max(items_done), 0) from collection_run")).scalar_one()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 100 <= done < 300
        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
    assert fingerprint(get_engine(killed)) == fingerprint(get_engine(clean))


def test_record_then_replay_is_identical_and_has_no_token(db_url, tmp_path, monkeypatch):
    records = make_records(40)
    cassette = tmp_path / "cassette"
    monkeypatch.setenv("HF_TOKEN", "hf_secretTOKEN123456")
    first = f"sqlite:///{tmp_path / 'first.db'}"
    init_db(first)
    with HubServer(RecordSource(records), page_size=15) as hub:
        collect(first, hub, page_size=15, record_dir=str(cassette))
    monkeypatch.delenv("HF_TOKEN")
    replayed = collect_huggingface(db_url, CollectOptions(replay_dir=str(cassette), page_size=15, deep=False,
                                                          progress=False, snapshot="2024-06-01"))
    assert replayed.complete and replayed.models == 40
    assert fingerprint(get_engine(db_url)) == fingerprint(get_engine(first))
    for path in cassette.rglob("*"):
        if path.is_file():
            assert b"hf_secretTOKEN123456" not in path.read_bytes()
