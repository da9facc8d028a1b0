"""The same input gives the same logical content (models, tags by kind, files, stats, links), whatever the
backend, page size or number of SIGKILLs on the way; and a re-listing replaces a model's related rows."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import text

from peatmoss.db import get_engine, init_db
from peatmoss.db.migrate import alembic_config
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource, merge_by_id, read_records
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface

from killing import finish, kill_repeatedly

PARTS = {
    "models": """SELECT m.hub_id, m.sha, m.created_at, m.last_modified, m.pipeline_tag, m.library_name, m.private,
                 m.disabled, m.gated, m.downloads, m.downloads_all_time, m.likes, m.parameter_count, m.used_storage,
                 m.card_data, m.repo_url, m.file_names, a.name, f.name
                 FROM model m LEFT JOIN author a ON a.id = m.author_id LEFT JOIN model_family f ON f.id = m.model_family_id""",
    "tags": """SELECT m.hub_id, t.kind, t.value, t.name FROM model_to_tag mt JOIN model m ON m.id = mt.model_id
               JOIN tag t ON t.id = mt.tag_id""",
    "files": """SELECT m.hub_id, f.path, f.size, f.blob_id, f.lfs_sha256, f.lfs_size, f.stored_digest
                FROM model_file f JOIN model m ON m.id = f.model_id""",
    "stats": """SELECT m.hub_id, s.downloads, s.downloads_all_time, s.likes, s.last_modified
                FROM model_stats s JOIN model m ON m.id = s.model_id""",
    "licenses": """SELECT m.hub_id, l.name, ml.source FROM model_to_license ml JOIN model m ON m.id = ml.model_id
                   JOIN license l ON l.id = ml.license_id""",
    "architectures": """SELECT m.hub_id, a.name FROM model_to_architecture ma JOIN model m ON m.id = ma.model_id
                        JOIN architecture a ON a.id = ma.architecture_id""",
    "edges": """SELECT c.hub_id, e.parent_raw_id, e.relation, e.source, e.confidence, p.hub_id FROM model_edge e
                JOIN model c ON c.id = e.child_id LEFT JOIN model p ON p.id = e.parent_id""",
} | {kind: f"""SELECT m.hub_id, v.name FROM model_to_{kind} l JOIN model m ON m.id = l.model_id
                JOIN {kind} v ON v.id = l.{kind}_id""" for kind in ("framework", "library", "dataset", "language", "paper")}


def _plain(value):
    """One form for what the backends' drivers return: UTC time text, 0/1 flags, parsed JSON."""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value[:1] in "[{":  # JSON as text (a SQLite driver-level read)
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _set(value):
    """File names as a set: model_file rows had no order, so a migrated database may list them in another."""
    return sorted(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value


def content(url: str) -> dict[str, tuple[int, str]]:
    """part -> (rows, sha256 of its sorted rows); no surrogate ids, no run bookkeeping."""
    out = {}
    with get_engine(url).connect() as conn:
        for part, sql in PARTS.items():
            rows = sorted(json.dumps([_set(_plain(v)) for v in row], sort_keys=True, default=str)
                          for row in conn.execute(text(sql)))
            out[part] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def sample(shared_data) -> list[dict]:
    """1,500 real Feb-2022 list records and the recorded 2024-25 `model_info` answers; three of them with
    file sizes and LFS facts, as a deep `model_info(files_metadata=True)` gives."""
    api = shared_data / "hf_api"
    records = read_records(api / "hub_list_models_full_2022-02.jsonl.gz")[:1500]
    for path in sorted(api.glob("models__*.json")):
        records.extend(read_records(path))
    records = copy.deepcopy(merge_by_id(records))
    for i, rec in enumerate(records[:3]):
        rec["siblings"] = list(rec.get("siblings") or []) + [
            {"rfilename": "pytorch_model.bin", "size": 1000 + i, "blobId": f"{i:040x}",
             "lfs": {"sha256": f"{i:064x}", "size": 1000 + i}}]
    return records


@pytest.mark.shared
def test_same_content_on_either_backend_and_after_kills(db_url, shared_data, tmp_path):
    """One-shot into `db_url` (SQLite or PostgreSQL) == killed 5 times and resumed into SQLite."""
    records = sample(shared_data)
    killed = f"sqlite:///{tmp_path / 'killed.db'}"
    init_db(killed)
    slow = lambda path, n: Fault("delay", hang_seconds=0.02)  # noqa: E731 - so kills land mid-run
    with HubServer(RecordSource(records), page_size=100, faults=slow) as hub:
        summary = collect_huggingface(db_url, CollectOptions(endpoint=hub.url, page_size=100, deep=False,
                                                             progress=False, snapshot="2024-01-01"))
        assert summary.complete and summary.models == len(records)
        cmd = [sys.executable, "-m", "peatmoss", "--db", killed, "collect", "huggingface", "--endpoint", hub.url,
               "--page-size", "40", "--snapshot", "2024-01-01", "--no-deep", "--no-progress"]
        env = dict(os.environ, HF_HUB_DISABLE_TELEMETRY="1")
        points = kill_repeatedly(cmd, env, 5, lambda: hub.requests, steps=(2, 6))
        finish(cmd, env)
    assert len(points) == 5
    ours, theirs = content(db_url), content(killed)
    assert ours == theirs
    assert ours["models"][0] == len(records) and ours["stats"][0] == len(records)
    assert ours["files"][0] == 3  # only files with facts beyond their name
    assert ours["tags"][0] > len(records) and ours["library"][0] > 0 and ours["framework"][0] > 0


def test_relisting_replaces_related_rows(db_url):
    """A model listed again with other tags and files keeps one set of links: the new one."""
    first = [{"id": "org/a", "tags": ["pytorch", "en", "dataset:squad", "license:mit"], "library_name": "superb",
              "siblings": [{"rfilename": "a.bin", "size": 5}], "downloads": 1},
             {"id": "org/b", "tags": ["jax"], "downloads": 2}]
    second = [{"id": "org/a", "tags": ["tf", "fr"], "library_name": "transformers",
               "siblings": [{"rfilename": "b.bin"}], "downloads": 3}] + first[1:]
    for snapshot, records in (("2024-01-01", first), ("2024-02-01", second)):
        with HubServer(RecordSource(records)) as hub:
            collect_huggingface(db_url, CollectOptions(endpoint=hub.url, deep=False, progress=False,
                                                       snapshot=snapshot))
    with get_engine(db_url).connect() as conn:
        def names(kind):
            return sorted(conn.execute(text(f"SELECT v.name FROM model_to_{kind} l JOIN {kind} v ON v.id = l.{kind}_id "
                                            "JOIN model m ON m.id = l.model_id WHERE m.hub_id = 'org/a'")).scalars())
        views = {kind: names(kind) for kind in ("framework", "language", "library", "dataset")}
        tags = sorted(conn.execute(text("SELECT t.name FROM model_to_tag mt JOIN tag t ON t.id = mt.tag_id "
                                        "JOIN model m ON m.id = mt.model_id WHERE m.hub_id = 'org/a'")).scalars())
        files = conn.execute(text("SELECT count(*) FROM model_file")).scalar_one()
        licenses = conn.execute(text("SELECT count(*) FROM model_to_license")).scalar_one()
    assert tags == ["fr", "tf"] and files == 0 and licenses == 0
    assert views == {"framework": ["tensorflow"], "language": ["fr"], "library": ["transformers"], "dataset": []}


def test_migration_down_and_up_keeps_the_content(db_url):
    """Databases collected before the per-kind views and `model.file_names` keep their content when migrated."""
    records = [{"id": "org/a", "tags": ["pytorch", "tf", "en", "language:en", "dataset:squad", "arxiv:1810.04805",
                                        "transformers", "license:mit"], "library_name": "transformers",
                "siblings": [{"rfilename": "README.md"}, {"rfilename": "w.bin", "size": 9, "lfs": {"size": 9}}]},
               {"id": "org/b", "tags": ["jax"], "library_name": "superb", "siblings": [{"rfilename": "x.json"}]},
               {"id": "org/c", "tags": []}]
    with HubServer(RecordSource(records)) as hub:
        collect_huggingface(db_url, CollectOptions(endpoint=hub.url, deep=False, progress=False, snapshot="2024-01-01"))
    before = content(db_url)
    cfg = alembic_config(db_url)
    with get_engine(db_url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "9350fdb9ff9c")
    with get_engine(db_url).connect() as conn:
        files = conn.execute(text("SELECT count(*) FROM model_file")).scalar_one()
        frameworks = conn.execute(text("SELECT count(*) FROM model_to_framework")).scalar_one()
    assert files == 3 and frameworks == 3  # every listed file has its row again; links are tables again
    init_db(db_url)
    assert content(db_url) == before


def test_hubserver_serves_id_for_records_holding_only_model_id():
    """Older recorded records carry only `modelId`; the loopback Hub answers with `id` too, as the Hub does."""
    import urllib.request

    source = RecordSource([{"modelId": "org/old-style", "downloads": 3}])
    with HubServer(source) as hub:
        with urllib.request.urlopen(f"{hub.url}/api/models?limit=5") as answer:
            listed = json.loads(answer.read())
        with urllib.request.urlopen(f"{hub.url}/api/models/org/old-style") as answer:
            one = json.loads(answer.read())
    assert [r["id"] for r in listed] == ["org/old-style"] and one["id"] == "org/old-style"
