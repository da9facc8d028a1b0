"""Faults from the loopback Hub during a whole collection (listing and deep phase): transient ones are
retried with back-off and leave the same rows as a clean run; persistent ones become error rows."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest
from sqlalchemy import select

from peatmoss.db import get_engine, init_db, session_scope
from peatmoss.db.fingerprint import fingerprint
from peatmoss.db.models import CollectionError, ModelCard
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.core.archive import ArchiveServer

from hub import hub_data

MODELS, MIN_DOWNLOADS, DEEP = 30, 980, 21
KINDS = [Fault("429", retry_after=1), Fault("500"), Fault("502"), Fault("503"), Fault("reset"),
         Fault("hang", hang_seconds=1.5), Fault("truncate")]


def _opts(url, **kw):
    return CollectOptions(endpoint=url, page_size=10, snapshot="2024-01-01", min_downloads=MIN_DOWNLOADS, progress=False,
                          timeout=1.0, **kw)


class Plan:
    """Each listing page and every other card fails once, with the next fault kind; times per path."""

    def __init__(self):
        self.seen = defaultdict(int)
        self.times = defaultdict(list)
        self.injected = []
        self.lock = threading.Lock()
        self.cards = 0

    def __call__(self, path: str, n: int):
        with self.lock:
            self.seen[path] += 1
            self.times[path].append(time.monotonic())
            card = "/resolve/" in path and self.seen[path] == 1
            self.cards += card
            if path == "/api/models" and self.seen[path] % 2 == 0 or card and self.cards % 2 == 0:
                fault = KINDS[len(self.injected) % len(KINDS)]
                self.injected.append((path, self.seen[path], fault.kind))
                return fault
        return None


@pytest.mark.parametrize("served", ["records", "replayed"])
def test_transient_faults_are_retried_with_backoff(tmp_path, served):
    records, extra = hub_data(tmp_path, MODELS)
    clean, faulty = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'faulty.db'}"
    init_db(clean)
    init_db(faulty)
    cassette = tmp_path / "cassette"
    with HubServer(RecordSource(records, extra), page_size=10) as hub:
        assert collect_huggingface(clean, _opts(hub.url, record_dir=str(cassette))).deep_models == DEEP
    plan = Plan()
    server = HubServer(RecordSource(records, extra), page_size=10, faults=plan) if served == "records" \
        else ArchiveServer(cassette, faults=plan)
    with server as hub:
        summary = collect_huggingface(faulty, _opts(hub.url))
    assert summary.complete and summary.errors == 0
    kinds = {k for _, _, k in plan.injected}
    assert {"429", "500", "502", "503", "reset", "hang"} <= kinds and len(plan.injected) >= 10
    assert fingerprint(get_engine(faulty)) == fingerprint(get_engine(clean))
    for path, occurrence, kind in plan.injected:  # every retry waited (Retry-After + 1 s for the 429)
        if path == "/api/models" or kind == "truncate":
            continue  # one path for all pages (the next request may be the next page); cards are not cut
        gap = plan.times[path][occurrence] - plan.times[path][occurrence - 1]
        assert gap >= (1.9 if kind == "429" else 0.4), (path, kind, gap)


def test_persistent_faults_become_error_rows(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, MODELS)
    bad_card, bad_refs = f"/{records[3]['id']}/resolve/", f"/api/models/{records[5]['id']}/refs"

    def faults(path, n):
        if path.startswith(bad_card):
            return Fault("503")
        if path == bad_refs:
            return Fault("500")
        return None

    with HubServer(RecordSource(records, extra), page_size=10, faults=faults) as hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url, max_retries=2))
    assert summary.complete and summary.deep_models == DEEP and summary.errors == 2
    with session_scope(sqlite_url) as s:
        errors = {(e.stage, e.item) for e in s.scalars(select(CollectionError))}
        cards = s.scalar(select(ModelCard.id).where(ModelCard.text.contains(records[3]["id"])))
        assert len(list(s.scalars(select(ModelCard.id)))) == DEEP - 1
    assert errors == {("collect.deep.card", records[3]["id"]), ("collect.deep.refs", records[5]["id"])}
    assert cards is None


def test_transient_faults_on_other_deep_parts_are_retried(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, 5)
    seen = set()

    def faults(path, n):
        if path.endswith(("/refs", "/commits/main", "/discussions")) and path not in seen:
            seen.add(path)
            return Fault("503")
        return None

    with HubServer(RecordSource(records, extra), faults=faults) as hub:
        summary = collect_huggingface(sqlite_url, CollectOptions(endpoint=hub.url, snapshot="2024-01-01", min_downloads=0,
                                                                 progress=False))
    assert summary.complete and summary.errors == 0
