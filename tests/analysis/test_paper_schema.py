"""The paper's 56 table names (its artifact's PeaTMOSS.sql) answer on our schema: 25 are views made by a
migration, 31 are our own tables; the paper's own example SQL runs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from peatmoss.db import get_engine


def paper_tables(shared_data) -> dict[str, list[str]]:
    schema = json.loads((shared_data / "peatmoss" / "peatmoss_schema.json").read_text())
    return {name: [c["name"] for c in t["columns"]] for name, t in schema["tables"].items()}


@pytest.mark.shared
def test_every_paper_table_name_answers_a_select(db_url, shared_data):
    tables = paper_tables(shared_data)
    assert len(tables) == 56
    engine = get_engine(db_url)
    with engine.connect() as conn:
        views = set(conn.dialect.get_view_names(conn))
        for name, columns in tables.items():
            result = conn.execute(text(f"SELECT * FROM {name} LIMIT 1"))
            if name in views and not name.startswith(("model_to_", "framework", "library", "dataset",
                                                       "language", "paper")):
                assert list(result.keys()) == columns, name  # a compatibility view has the paper's columns
    assert {"github_pull_request", "model_to_reuse_repository", "hf_commit", "model_hub"} <= views


def test_the_papers_example_queries_run(fixture_url):
    with get_engine(fixture_url).connect() as conn:
        def rows(sql, **params):
            return [tuple(r) for r in conn.execute(text(sql), params)]

        # the artifact's tutorial: how often is a highly downloaded model reused?
        assert len(rows("SELECT model_id FROM model_to_reuse_repository WHERE model_id = :m", m=1)) == 4
        # the artifact's tag query (its `model.model_hub_id = 1` filter is our `model.registry_id`)
        tags = rows("""SELECT tag.name AS TagName,
                              COUNT(DISTINCT model_to_reuse_repository.reuse_repository_id) AS number
                       FROM model
                       INNER JOIN model_to_tag ON model.id = model_to_tag.model_id
                       INNER JOIN tag ON model_to_tag.tag_id = tag.id
                       INNER JOIN model_to_reuse_repository ON model.id = model_to_reuse_repository.model_id
                       GROUP BY tag.name""")
        assert tags == [("vision", 1)]  # resnet18 (tagged vision) is loaded by org/app3
        prs = rows("""SELECT github_repository.name, github_pull_request.title, model_hub.name
                      FROM github_pull_request
                      JOIN reuse_repo_to_pull_request ON reuse_repo_to_pull_request.github_pull_request_id = github_pull_request.id
                      JOIN github_repository ON github_repository.id = reuse_repo_to_pull_request.reuse_repository_id
                      CROSS JOIN model_hub WHERE model_hub.id = 1""")
        assert prs == [("org/app1", "bump deps", "huggingface")]
        assert rows("SELECT COUNT(*) FROM reuse_repo_to_issue") == [(2,)]
