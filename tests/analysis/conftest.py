"""A small hand-made database whose every figure and query result is known (see the comments)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from peatmoss.db import session_scope
from peatmoss.db import models as M


def dt(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def build_fixture(url: str) -> None:
    with session_scope(url) as s:
        s.add_all([M.Registry(id=1, name="huggingface"), M.Registry(id=2, name="pytorch_hub")])
        s.flush()
        s.add_all([
            M.CollectionRun(id=1, stage="collect", source="huggingface", registry_id=1, key="a",
                            snapshot_date=dt(2024, 1, 1), started_at=dt(2024, 1, 1), status="complete"),
            M.CollectionRun(id=2, stage="collect", source="huggingface", registry_id=1, key="b",
                            snapshot_date=dt(2024, 2, 1), started_at=dt(2024, 2, 1), status="complete"),
            M.CollectionRun(id=3, stage="collect", source="pytorch_hub", registry_id=2, key="c",
                            snapshot_date=dt(2024, 2, 1), started_at=dt(2024, 2, 1), status="complete"),
            M.CollectionRun(id=4, stage="mine", source="github", key="m", started_at=dt(2024, 2, 2)),
        ])
        s.flush()
        hf = [  # id, hub_id, task (domain), created, params, downloads
            (1, "google/bert-base", "text-classification", dt(2023, 1, 10), 110_000_000, 1000),
            (2, "openai/clip-vit", "feature-extraction", dt(2023, 2, 5), 150_000_000, 500),
            (3, "user/bert-base-finetuned-squad", "question-answering", dt(2023, 2, 20), 110_000_000, 50),
            (4, "user/llama-7b-gguf", "text-generation", dt(2023, 3, 1), 7_000_000_000, 10),
            (5, "facebook/detr", "object-detection", dt(2023, 3, 15), None, 200),
            (6, "x/whisper-tiny", "automatic-speech-recognition", None, 39_000_000, 5),
        ]
        for mid, hub_id, task, created, params, dls in hf:
            s.add(M.Model(id=mid, registry_id=1, hub_id=hub_id, pipeline_tag=task, created_at=created,
                          parameter_count=params, downloads=dls, has_snapshot=dls >= 50, first_seen_run_id=1))
        s.add(M.Model(id=7, registry_id=2, hub_id="pytorch/vision/resnet18", created_at=dt(2022, 6, 1)))
        s.add(M.Model(id=8, registry_id=2, hub_id="pytorch/fairseq/roberta", created_at=dt(2022, 7, 1)))
        s.flush()
        # snapshots: run 1 saw models 1-3, run 2 all six HF models, run 3 the PyTorch Hub ones (no downloads)
        for mid, dls in ((1, 900), (2, 400), (3, 40)):
            s.add(M.ModelStats(run_id=1, model_id=mid, downloads=dls))
        for mid, *_rest, dls in hf:
            s.add(M.ModelStats(run_id=2, model_id=mid, downloads=dls))
        s.add_all([M.ModelStats(run_id=3, model_id=7), M.ModelStats(run_id=3, model_id=8)])
        # PyTorch Hub domains come from their tags (as collected from the pages): resnet18 -> CV, roberta -> NLP
        # (the 'researchers' tag is ignored)
        s.add_all([M.PytorchHubPage(id=1, slug="resnet", tags=["vision"]),
                   M.PytorchHubPage(id=2, slug="roberta", tags=["nlp", "researchers"])])
        s.add_all([M.Tag(id=1, name="vision", kind="other", value="vision"),
                   M.Tag(id=2, name="nlp", kind="other", value="nlp"),
                   M.Tag(id=3, name="researchers", kind="other", value="researchers")])
        s.flush()
        for mid, tid in ((7, 1), (8, 2), (8, 3)):
            s.execute(M.model_to_tag.insert().values(model_id=mid, tag_id=tid))
        s.add_all([M.PytorchHubEntry(page_id=1, model_id=7, repo="pytorch/vision", entrypoint="resnet18", source="page"),
                   M.PytorchHubEntry(page_id=2, model_id=8, repo="pytorch/fairseq", entrypoint="roberta", source="page")])
        lic = {"apache-2.0": "Apache-2.0", "mit": "MIT", "cc-by-nc-4.0": "CC-BY-NC-4.0"}
        for i, (name, spdx) in enumerate(lic.items(), 1):
            s.add(M.License(id=i, name=name, spdx_expression=spdx))
        s.flush()
        for mid, lid in ((1, 1), (2, 2), (3, 1), (4, 3)):
            s.execute(M.model_to_license.insert().values(model_id=mid, license_id=lid, source="tag"))
        # repositories: r1 rescanned (switched clip -> bert), r5 rescanned (no change), r6 has no links
        for rid in range(1, 7):
            s.add(M.ReuseRepository(id=rid, full_name=f"org/app{rid}", license_spdx="MIT"))
        s.flush()
        scans = [(1, 1, "old", dt(2024, 1, 1), False), (2, 1, "new", dt(2024, 2, 1), True),
                 (3, 2, "h", dt(2024, 2, 1), True), (4, 3, "h", dt(2024, 2, 1), True),
                 (5, 4, "h", dt(2024, 2, 1), True), (6, 5, "old", dt(2024, 1, 1), False),
                 (7, 5, "new", dt(2024, 2, 1), True)]
        for sid, rid, sha, when, current in scans:
            s.add(M.RepoScan(id=sid, repository_id=rid, commit_sha=sha, scanned_at=when, is_current=current, run_id=4))
        s.flush()
        names = {m[0]: m[1] for m in hf} | {7: "pytorch/vision/resnet18"}
        links = [(1, 1, 2, False), (2, 1, 1, True), (3, 2, 1, True), (3, 2, 3, True), (4, 3, 7, True),
                 (4, 3, None, True), (5, 4, 1, True), (5, 4, 2, True), (6, 5, 1, False), (7, 5, 1, True)]
        for sid, rid, mid, current in links:
            raw = names.get(mid, "someone/unknown-model")
            s.add(M.ModelReuse(scan_id=sid, repository_id=rid, model_id=mid, raw_model_id=raw, canonical_model_id=raw,
                               link_status="matched" if mid else "unknown_model", library="transformers",
                               api="from_pretrained", resolution="literal", confidence=1.0, is_current=current,
                               reuse_mode="inference"))
        # lineage: bert -> finetuned-squad -> whisper (a made-up chain), and an edge to an uncollected parent
        s.add_all([
            M.ModelEdge(child_id=3, parent_id=1, parent_raw_id="google/bert-base", relation="finetune", source="tag"),
            M.ModelEdge(child_id=6, parent_id=3, parent_raw_id="user/bert-base-finetuned-squad", relation="finetune",
                        source="tag"),
            M.ModelEdge(child_id=4, parent_id=None, parent_raw_id="meta/llama-7b", relation="quantized", source="tag"),
        ])
        # card extraction: rules on models 1 and 2, the cheap LLM pipeline on model 1
        for mid, pipeline, field, state in ((1, "rules", "license", "value"), (1, "rules", "datasets", "value"),
                                            (2, "rules", "license", "value"), (2, "rules", "datasets", "not_stated"),
                                            (1, "cheap", "license", "value"), (1, "cheap", "datasets", "value")):
            s.add(M.CardField(model_id=mid, pipeline=pipeline, field=field, state=state,
                              source="yaml" if pipeline == "rules" else "llm", confidence=1.0))
        for mid, rid, up, down, verdict in ((1, 1, "Apache-2.0", "MIT", "compatible"),
                                            (3, 2, "Apache-2.0", "GPL-3.0-only", "compatible"),
                                            (2, 4, "MIT", None, "unknown"),
                                            (4, 4, "CC-BY-NC-4.0", "MIT", "incompatible")):
            s.add(M.LicenseVerdict(rules="paper", kind="dependency", model_id=mid, repository_id=rid,
                                   upstream_license=up, downstream_license=down, verdict=verdict, reason="test"))
        s.add_all([
            M.GithubIssue(repository_id=1, number=1, title="Model fails to load", state="OPEN", is_pull_request=False),
            M.GithubIssue(repository_id=1, number=2, title="bump deps", state="CLOSED", is_pull_request=True),
            M.GithubIssue(repository_id=6, number=1, title="model question", state="OPEN", is_pull_request=False),
        ])


@pytest.fixture
def fixture_url(db_url) -> str:
    build_fixture(db_url)
    return db_url


@pytest.fixture
def fixture_sqlite(sqlite_url) -> str:
    build_fixture(sqlite_url)
    return sqlite_url


def add_question_data(url: str) -> None:
    """Weight files, Hub discussions, issue labels and comments, scanned files, a pinned link and a tag on top
    of the fixture, for the Table 3 queries (expected results in tests/analysis/test_research_questions.py)."""
    with session_scope(url) as s:
        names = {1: ["config.json", "model.safetensors", "pytorch_model.bin"], 2: ["pytorch_model.bin", "tf_model.h5"],
                 3: ["pytorch_model.bin", "training_args.bin", "README.md"], 4: ["llama-7b.Q4_K_M.gguf"]}
        for mid, files in names.items():
            s.get(M.Model, mid).file_names = files
        s.add_all([M.ModelFile(model_id=5, path="detr.pth", size=10),
                   M.ModelFile(model_id=1, path="model.safetensors", size=5, lfs_sha256="ab" * 32),
                   M.ModelVersion(model_id=1, commit_id="c1"),
                   M.GitRef(model_id=1, kind="tag", name="v1", ref="refs/tags/v1")])
        d1 = M.Discussion(model_id=1, num=1, status="open", author="alice", created_at=dt(2024, 1, 1))
        d2 = M.Discussion(model_id=1, num=2, status="closed", author="carol", is_pull_request=True,
                          created_at=dt(2024, 1, 2))
        d3 = M.Discussion(model_id=2, num=1, status="open", author="dan", created_at=dt(2024, 1, 11))
        s.add_all([d1, d2, d3])
        s.flush()
        s.add_all([M.DiscussionEvent(discussion_id=d1.id, event_id="e1", type="comment", author="alice",
                                     created_at=dt(2024, 1, 1)),
                   M.DiscussionEvent(discussion_id=d1.id, event_id="e2", type="comment", author="bob",
                                     created_at=dt(2024, 1, 3))])
        issue = s.query(M.GithubIssue).filter_by(repository_id=1, number=1).one()
        issue.body = "the checkpoint will not load"
        s.add(M.GithubIssue(repository_id=1, number=3, title="typo in readme", body="fix docs", state="CLOSED",
                            is_pull_request=False))
        label = M.GithubLabel(repository_id=1, name="bug")
        s.add_all([label, M.GithubUser(login="helper")])
        s.flush()
        helper = s.query(M.GithubUser).filter_by(login="helper").one()
        s.execute(M.issue_to_label.insert().values(github_issue_id=issue.id, github_label_id=label.id))
        s.add(M.GithubComment(issue_id=issue.id, author_id=helper.id, body="try again"))
        app, test, main = (M.ReuseFile(scan_id=3, repository_id=2, path="src/app.py", kind="python"),
                           M.ReuseFile(scan_id=3, repository_id=2, path="tests/test_model.py", kind="python"),
                           M.ReuseFile(scan_id=4, repository_id=3, path="main.py", kind="python"))
        s.add_all([app, test, main])
        s.flush()
        for link in s.query(M.ModelReuse).filter_by(scan_id=3):
            link.file_id = test.id if link.model_id == 3 else app.id
            if link.model_id == 3:
                link.trust_remote_code, link.revision = True, "v1"


@pytest.fixture
def questions_url(db_url) -> str:
    build_fixture(db_url)
    add_question_data(db_url)
    return db_url
