"""SIGKILL the collector at 20 random points of a replayed collection (listing and deep phase); resuming
each time ends with the same rows as an uninterrupted run."""

from __future__ import annotations

import os
import sys

from sqlalchemy import text

from peatmoss.db import get_engine, init_db
from peatmoss.db.fingerprint import fingerprint
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.core.archive import ArchiveServer

from hub import hub_data
from killing import finish, kill_repeatedly

KILLS = 20
MODELS = 200
MIN_DOWNLOADS = 940  # models 0..60 get deep snapshots (card, refs, commits, discussions)


def test_twenty_kills_of_a_replayed_collection(tmp_path):
    records, extra = hub_data(tmp_path, MODELS)
    cassette = tmp_path / "cassette"
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    init_db(clean)
    init_db(killed)
    opts = dict(page_size=10, snapshot="2024-01-01", min_downloads=MIN_DOWNLOADS, progress=False)
    with HubServer(RecordSource(records, extra), page_size=10) as hub:  # the uninterrupted run, recorded
        summary = collect_huggingface(clean, CollectOptions(endpoint=hub.url, record_dir=str(cassette), **opts))
    assert summary.complete and summary.deep_models == 61

    slow = lambda path, n: Fault("delay", hang_seconds=0.01)  # noqa: E731 - so kills land mid-run
    engine = get_engine(killed)
    phases = []

    def phase():
        with engine.connect() as conn:
            cursor = conn.execute(text("select cursor from collection_run")).scalar()
        phases.append("deep" if cursor and cursor.startswith("deep:") else "listing")

    with ArchiveServer(cassette, faults=slow) as replay:
        cmd = [sys.executable, "-m", "peatmoss", "--db", killed, "collect", "huggingface", "--endpoint", replay.url,
               "--page-size", "10", "--snapshot", "2024-01-01", "--min-downloads", str(MIN_DOWNLOADS), "--no-progress"]
        env = dict(os.environ, HF_HUB_DISABLE_TELEMETRY="1")
        points = kill_repeatedly(cmd, env, KILLS, lambda: replay.requests, steps=(2, 14), after_kill=phase)
        finish(cmd, env)
    assert len(points) == KILLS and {"listing", "deep"} <= set(phases)
    assert fingerprint(get_engine(killed)) == fingerprint(get_engine(clean))
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from model_card")).scalar_one() == 61
        assert conn.execute(text("select status from collection_run")).scalar_one() == "complete"
