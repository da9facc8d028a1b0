"""the PeaTMOSS paper's table names as views over our schema

The paper's artifact (PeaTMOSS.sql, 56 tables) names 25 tables we do not have: each becomes a read-only view
with the paper's columns, so the paper's SQL (`FROM github_pull_request`, `model_to_reuse_repository`, ...) runs.
The other 31 names are already our tables or tag views and stay as they are (docs/analysis.md lists where their
columns differ from the paper's).

Revision ID: ebcd1904ead1
Revises: 9f8d3f7bd884
Create Date: 2026-12-03 11:00:00
"""
from alembic import op


revision = 'ebcd1904ead1'
down_revision = '9f8d3f7bd884'
branch_labels = None
depends_on = None

PR = "i.is_pull_request = TRUE"
ISSUE = "i.is_pull_request = FALSE"


def _commit_by_oid(column: str) -> str:
    return (f"(SELECT MIN(c.id) FROM github_commit c WHERE c.repository_id = i.repository_id "
            f"AND c.oid = i.{column})")


def _views(dialect: str) -> dict[str, str]:
    """View name -> SELECT, in creation order (a view may read one made before it)."""
    if dialect == "postgresql":
        hf_authors = ("SELECT v.id AS hf_commit_id, a.id AS author_id FROM model_version v "
                      "CROSS JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(v.authors) = 'array' "
                      "THEN v.authors ELSE '[]'::json END) AS j(value) JOIN author a ON a.name = j.value")
        gh_authors = ("SELECT DISTINCT c.id AS commit_id, u.id AS author_id FROM github_commit c "
                      "CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(c.authors) = 'array' "
                      "THEN c.authors ELSE '[]'::json END) AS j(value) JOIN github_user u ON u.login = j.value->>'login'")
    else:
        hf_authors = ("SELECT v.id AS hf_commit_id, a.id AS author_id FROM model_version v, json_each(v.authors) j "
                      "JOIN author a ON a.name = j.value WHERE json_valid(v.authors) AND json_type(v.authors) = 'array'")
        gh_authors = ("SELECT DISTINCT c.id AS commit_id, u.id AS author_id FROM github_commit c, json_each(c.authors) j "
                      "JOIN github_user u ON u.login = json_extract(j.value, '$.login') "
                      "WHERE json_valid(c.authors) AND json_type(c.authors) = 'array'")
    return {
        "model_hub": "SELECT id, name, url FROM registry",
        "ptm_issues": "SELECT MIN(id) AS id, repo_url FROM model WHERE repo_url IS NOT NULL GROUP BY repo_url",
        "ptm_pull_requests": "SELECT id, repo_url FROM ptm_issues",
        "github_repository": "SELECT id, full_name AS name, url FROM reuse_repository",
        "github_pull_request": (
            "SELECT i.id, i.additions, i.author_id, i.base_ref_name, i.body, i.changed_files, i.closed, i.closed_at, "
            "i.created_at, i.deletions, i.head_ref_name, "
            "(SELECT r.id FROM reuse_repository r WHERE r.full_name = i.head_repository) AS head_repository_id, "
            "(SELECT u.id FROM github_user u WHERE u.login = i.head_repository_owner) AS head_repository_owner_id, "
            "i.is_cross_repository, i.is_draft, i.maintainer_can_modify, "
            f"{_commit_by_oid('merge_commit_oid')} AS merge_commit_id, i.merge_state_status, i.mergeable, "
            "i.merged_at, i.merged_by_id, i.milestone_id, i.number, "
            f"{_commit_by_oid('potential_merge_commit_oid')} AS potential_merge_commit_id, i.project_cards, "
            f"i.review_decision, i.state, i.title, i.updated_at, i.url FROM github_issue i WHERE {PR}"),
        "github_merge_commit": (
            "SELECT c.id, c.id AS commit_id FROM github_commit c WHERE EXISTS (SELECT 1 FROM github_issue i "
            "WHERE i.repository_id = c.repository_id AND i.merge_commit_oid = c.oid)"),
        "ptm_issue_to_issue": (
            "SELECT p.id AS ptm_issue_id, i.id AS github_issue_id FROM ptm_issues p "
            "JOIN reuse_repository r ON LOWER(r.url) = LOWER(p.repo_url) "
            f"JOIN github_issue i ON i.repository_id = r.id WHERE {ISSUE}"),
        "ptm_pull_request_to_pull_request": (
            "SELECT p.id AS ptm_pull_request_id, i.id AS github_pull_request_id FROM ptm_pull_requests p "
            "JOIN reuse_repository r ON LOWER(r.url) = LOWER(p.repo_url) "
            f"JOIN github_issue i ON i.repository_id = r.id WHERE {PR}"),
        "reuse_repo_to_issue": (
            f"SELECT i.repository_id AS reuse_repository_id, i.id AS github_issue_id FROM github_issue i WHERE {ISSUE}"),
        "reuse_repo_to_pull_request": (
            "SELECT i.repository_id AS reuse_repository_id, i.id AS github_pull_request_id FROM github_issue i "
            f"WHERE {PR}"),
        "issue_to_assignee": (
            "SELECT a.github_issue_id AS issue_id, a.github_user_id AS assignee_id FROM github_issue_assignee a "
            f"JOIN github_issue i ON i.id = a.github_issue_id WHERE {ISSUE}"),
        "pull_request_to_assignee": (
            "SELECT a.github_issue_id AS pull_request_id, a.github_user_id AS assignee_id FROM github_issue_assignee a "
            f"JOIN github_issue i ON i.id = a.github_issue_id WHERE {PR}"),
        "pull_request_to_review_requests": (
            "SELECT a.github_issue_id AS pull_request_id, a.github_user_id AS review_request_id "
            "FROM github_issue_review_request a"),
        "commit_to_author": gh_authors,
        "github_status_check_rollup": (
            "SELECT id, name, status, conclusion, started_at, completed_at, details_url, issue_id AS pull_request_id "
            "FROM github_status_check"),
        "hf_commit": "SELECT id, commit_id, created_at, title, message, model_id FROM model_version",
        "hf_commit_to_author": hf_authors,
        "hf_git_ref_info": "SELECT id, name, ref, target_commit FROM git_ref",
        "hf_git_ref": "SELECT DISTINCT model_id AS id, model_id FROM git_ref",
        "hf_git_ref_to_branch": "SELECT model_id AS hf_git_ref_id, id AS hf_git_ref_info_id FROM git_ref WHERE kind = 'branch'",
        "hf_git_ref_to_tag": "SELECT model_id AS hf_git_ref_id, id AS hf_git_ref_info_id FROM git_ref WHERE kind = 'tag'",
        "model_to_author": "SELECT id AS model_id, author_id FROM model WHERE author_id IS NOT NULL",
        "model_to_reuse_repository": (
            "SELECT DISTINCT model_id, repository_id AS reuse_repository_id FROM model_reuse "
            "WHERE is_current = TRUE AND model_id IS NOT NULL"),
        "discussion_to_author": (
            "SELECT d.id AS discussion_id, a.id AS author_id FROM discussion d JOIN author a ON a.name = d.author"),
        "file_path": "SELECT id, path, discussion_id FROM discussion_file",
    }


def upgrade() -> None:
    for name, sql in _views(op.get_bind().dialect.name).items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in reversed(list(_views(op.get_bind().dialect.name))):
        op.execute(f"DROP VIEW {name}")
