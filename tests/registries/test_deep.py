"""Deep snapshots: card, commits, refs, discussions with events and files, and file snapshots."""

from __future__ import annotations

import json
from urllib.parse import quote

from sqlalchemy import select

from peatmoss.db import get_engine
from peatmoss.db import models as m
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface

from hubdata import make_records

SHA = f"{0:040x}"
HUB_ID = "org0/model-0"


def recorded(folder, path: str, body) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    (folder / quote(path.lstrip("/"), safe="")).write_bytes(data)


def hub_files(tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    recorded(extra, f"/{HUB_ID}/resolve/{SHA}/README.md", "---\nlicense: mit\n---\n# A model\n".encode())
    recorded(extra, f"/api/models/{HUB_ID}/commits/main", [
        {"id": "c2", "title": "Update README", "message": "", "authors": [{"user": "alice"}],
         "date": "2024-02-01T00:00:00.000Z"},
        {"id": "c1", "title": "initial commit", "message": "", "authors": [{"user": "system"}],
         "date": "2024-01-01T00:00:00.000Z"}])
    recorded(extra, f"/api/models/{HUB_ID}/refs?include_prs=1", {
        "branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": "c2"}],
        "converts": [], "tags": [{"name": "v1", "ref": "refs/tags/v1", "targetCommit": "c1"}],
        "pullRequests": [{"name": "pr/1", "ref": "refs/pr/1", "targetCommit": "c3"}]})
    recorded(extra, f"/api/models/{HUB_ID}/discussions?p=0", {"discussions": [
        {"num": 1, "title": "Add safetensors", "status": "open", "author": {"name": "bob"},
         "createdAt": "2024-03-01T00:00:00.000Z", "isPullRequest": True, "repo": {"name": HUB_ID, "type": "model"}}],
        "count": 1, "start": 0})
    recorded(extra, f"/api/models/{HUB_ID}/discussions/1?diff=1", {
        "num": 1, "title": "Add safetensors", "status": "open", "author": {"name": "bob"},
        "createdAt": "2024-03-01T00:00:00.000Z", "isPullRequest": True, "repo": {"name": HUB_ID, "type": "model"},
        "changes": {"base": "refs/heads/main"}, "filesWithConflicts": [],
        "diff": "diff --git a/model.safetensors b/model.safetensors\nnew file\n",
        "events": [
            {"id": "e1", "type": "comment", "createdAt": "2024-03-01T00:00:00.000Z", "author": {"name": "bob"},
             "data": {"edited": False, "hidden": False, "latest": {"raw": "Converted weights."}}},
            {"id": "e2", "type": "status-change", "createdAt": "2024-03-02T00:00:00.000Z",
             "author": {"name": "alice"}, "data": {"status": "closed"}}]})
    recorded(extra, f"/api/models/{HUB_ID}/revision/{SHA}", {"id": HUB_ID, "sha": SHA, "siblings": [
        {"rfilename": "config.json"}, {"rfilename": "model.safetensors"}]})
    recorded(extra, f"/{HUB_ID}/resolve/{SHA}/config.json", b'{"model_type": "bert"}')
    return extra


def test_deep_snapshot_fills_history_tables(db_url, tmp_path):
    records = make_records(3)  # downloads 1000, 999, 998: all popular
    with HubServer(RecordSource(records, extra_dir=hub_files(tmp_path))) as hub:
        s = collect_huggingface(db_url, CollectOptions(endpoint=hub.url, progress=False, min_downloads=999,
                                                       files=True, store_dir=str(tmp_path / "store"),
                                                       allow_patterns=["*.json", "*.safetensors"]))
    assert s.complete and s.deep_models == 2
    with get_engine(db_url).connect() as conn:
        model_id = conn.execute(select(m.Model.id).where(m.Model.hub_id == HUB_ID)).scalar_one()
        card = conn.execute(select(m.ModelCard.text).where(m.ModelCard.model_id == model_id)).scalar_one()
        commits = conn.execute(select(m.ModelVersion.commit_id, m.ModelVersion.authors)
                               .where(m.ModelVersion.model_id == model_id)).all()
        refs = dict(conn.execute(select(m.GitRef.ref, m.GitRef.kind).where(m.GitRef.model_id == model_id)).all())
        disc = conn.execute(select(m.Discussion).where(m.Discussion.model_id == model_id)).one()
        events = conn.execute(select(m.DiscussionEvent.type, m.DiscussionEvent.content, m.DiscussionEvent.new_status)
                              .order_by(m.DiscussionEvent.event_id)).all()
        files = conn.execute(select(m.DiscussionFile.path)).scalars().all()
        stored = dict(conn.execute(select(m.ModelFile.path, m.ModelFile.stored_digest)
                                   .where(m.ModelFile.model_id == model_id)).all())
        snap = conn.execute(select(m.Model.has_snapshot).where(m.Model.id == model_id)).scalar_one()
    assert card.startswith("---\nlicense: mit") and sorted(commits) == [("c1", ["system"]), ("c2", ["alice"])]
    assert refs == {"refs/heads/main": "branch", "refs/tags/v1": "tag", "refs/pr/1": "pull_request"}
    assert disc.is_pull_request and disc.target_branch == "refs/heads/main"
    assert events == [("comment", "Converted weights.", None), ("status-change", None, "closed")]
    assert files == ["model.safetensors"]
    assert stored.get("model.safetensors") is None  # weights are not downloaded unless asked
    digest = stored["config.json"]
    assert snap and (tmp_path / "store" / "sha256" / digest[:2] / digest).read_bytes() == b'{"model_type": "bert"}'


def test_deep_part_failure_is_an_error_row_and_rest_goes_on(sqlite_url, tmp_path):
    extra = hub_files(tmp_path)

    def faults(path, n):
        return Fault("500") if path.endswith("/refs") else None

    with HubServer(RecordSource(make_records(2), extra_dir=extra), faults=faults) as hub:
        s = collect_huggingface(sqlite_url, CollectOptions(endpoint=hub.url, progress=False, min_downloads=1000,
                                                           max_retries=0))
    assert s.complete
    with get_engine(sqlite_url).connect() as conn:
        errors = conn.execute(select(m.CollectionError.stage, m.CollectionError.item)).all()
        versions = conn.execute(select(m.ModelVersion.commit_id)).scalars().all()
    assert errors == [("collect.deep.refs", HUB_ID)] and sorted(versions) == ["c1", "c2"]


def test_binary_card_is_stored_on_every_backend(db_url, tmp_path):
    extra = hub_files(tmp_path)
    recorded(extra, f"/{HUB_ID}/resolve/{SHA}/README.md", b"\x00\x01PK\xff\xfe junk")
    with HubServer(RecordSource(make_records(1), extra_dir=extra)) as hub:
        s = collect_huggingface(db_url, CollectOptions(endpoint=hub.url, progress=False, min_downloads=1))
    assert s.complete
    with get_engine(db_url).connect() as conn:
        text = conn.execute(select(m.ModelCard.text)).scalar_one()
    assert "\x00" not in text and text.startswith("\ufffd\x01PK")
