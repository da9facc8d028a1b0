"""GitHub client against a real HTTP server on 127.0.0.1 replaying an archive (tests/usage/fixtures_repo/github)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from peatmoss.db import session_scope
from peatmoss.db.models import (
    GithubComment, GithubCommit, GithubIssue, GithubLabel, GithubMilestone, GithubPullRequestFile,
    GithubReactionGroup, GithubReview, GithubStatusCheck, GithubUser, ReuseRepository, issue_to_assignee,
    issue_to_label, issue_to_review_request,
)
from peatmoss.core.archive import ArchiveServer
from peatmoss.usage.github import (
    GitHub, GitHubError, collect_github_meta, collect_repo, discover_repos, github_client,
)

FIXTURES = Path(__file__).parent / "fixtures_repo" / "github"


@pytest.fixture
def server():
    with ArchiveServer(FIXTURES) as srv:
        yield srv


def test_repo_metadata_issues_and_pull_requests(db_url, server):
    with GitHub(server.url, token="") as gh, session_scope(db_url) as s:
        counts = collect_repo(s, gh, "acme/demo")
    assert counts == {"issues": 1, "pull_requests": 1}
    with session_scope(db_url) as s:
        repo = s.scalar(select(ReuseRepository).where(ReuseRepository.full_name == "acme/demo"))
        assert (repo.stars, repo.forks, repo.license_raw, repo.default_branch) == (42, 7, "MIT", "main")
        assert repo.topics == ["nlp", "bert"] and repo.created_at.year == 2021 and repo.pushed_at.year == 2024
        issue = s.scalar(select(GithubIssue).where(GithubIssue.number == 1))
        assert not issue.is_pull_request and issue.state == "CLOSED" and issue.closed
        assert s.get(GithubUser, issue.author_id).login == "bob"
        assert s.get(GithubMilestone, issue.milestone_id).title == "v1.0"
        assert s.scalar(select(GithubLabel.name).join(issue_to_label)) == "bug"
        assert s.scalar(select(func.count()).select_from(issue_to_label)) == 2  # issue and PR share the label
        assert s.scalar(select(GithubUser.login).join(issue_to_assignee)) == "alice"
        groups = {(g.content, g.total_count) for g in s.scalars(select(GithubReactionGroup))}
        assert groups == {("THUMBS_UP", 2), ("HEART", 1), ("ROCKET", 1)}
        comment = s.scalar(select(GithubComment))
        assert comment.issue_id == issue.id and comment.author_association == "OWNER"
        pr = s.scalar(select(GithubIssue).where(GithubIssue.number == 2))
        assert pr.is_pull_request and pr.state == "MERGED" and pr.merge_commit_oid == "m" * 40
        assert (pr.additions, pr.deletions, pr.changed_files) == (5, 1, 1)
        assert (pr.base_ref_name, pr.head_ref_name, pr.head_repository_owner) == ("main", "pin-rev", "bob")
        assert pr.is_cross_repository and pr.review_decision == "APPROVED" and pr.mergeable == "UNKNOWN"
        assert s.scalar(select(GithubUser.login).join(issue_to_review_request)) == "bob"
        assert s.scalar(select(GithubReview.state)) == "APPROVED"
        commit = s.scalar(select(GithubCommit))
        assert commit.message_headline == "Pin revision" and commit.authors[0]["login"] == "alice"
        assert s.scalar(select(GithubPullRequestFile.path)) == "app.py"
        assert s.scalar(select(GithubStatusCheck.conclusion)) == "SUCCESS"
    # collecting again updates in place: no duplicates
    with GitHub(server.url, token="") as gh, session_scope(db_url) as s:
        collect_repo(s, gh, "acme/demo")
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(GithubIssue)) == 2
        assert s.scalar(select(func.count()).select_from(GithubComment)) == 1
        assert s.scalar(select(func.count()).select_from(GithubReactionGroup)) == 3


def test_rate_limit_retry_after_is_waited_out(server):
    with GitHub(server.url, token="") as gh:
        data = gh.get("/repos/acme/limited").json()
    assert data["stargazers_count"] == 1
    assert gh.slept == pytest.approx(2.0)  # Retry-After: 1, plus the policy's second against rounding


def test_server_errors_back_off_then_succeed(server):
    with GitHub(server.url, token="", backoff=0.05) as gh:
        assert gh.get("/repos/acme/flaky").json()["full_name"] == "acme/flaky"
    assert gh.slept == pytest.approx(0.05 + 0.1)


def test_client_errors_raise(server):
    with GitHub(server.url, token="") as gh, pytest.raises(GitHubError) as err:
        gh.get("/repos/acme/gone")
    assert err.value.status == 404


def test_code_search_is_sharded_by_size(server):
    with GitHub(server.url, token="") as gh:
        repos = discover_repos(gh, "from_pretrained", lo=0, hi=3, cap=2)
    assert repos == ["a/one", "c/three"]


def test_record_then_replay_without_token(server, tmp_path):
    rec = tmp_path / "rec"
    with GitHub(server.url, token="secret-token-123", record=rec) as gh:
        first = list(gh.paginate("/repos/acme/demo/issues", {"state": "all", "direction": "asc"}))
    text = (rec / "index.jsonl").read_text()
    assert "secret-token-123" not in text and server.url not in text and "{base}" in text
    with github_client(replay=rec, token="") as gh:
        second = list(gh.paginate("/repos/acme/demo/issues", {"state": "all", "direction": "asc"}))
    assert [i["number"] for i in first] == [i["number"] for i in second] == [1, 2]
    assert [json.loads(line)["status"] for line in text.splitlines()] == [200, 200]


def test_replay_of_a_folder_without_recording_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no recording"), github_client(replay=tmp_path):
        pass


def test_collect_github_meta_returns_counts_and_failures(sqlite_url, server):
    result = collect_github_meta(sqlite_url, ["acme/demo", "https://github.com/acme/gone"], api=server.url,
                                 token="")
    assert (result.repositories, result.issues, result.pull_requests) == (2, 1, 1)
    assert result.failed == [("acme/gone", "github_404")] and not result.ok


def test_github_meta_and_search_commands_replay(sqlite_url, tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from peatmoss.db.models import CollectionError
    from peatmoss.usage.mine_cli import register

    monkeypatch.setenv("PEATMOSS_DB", sqlite_url)
    monkeypatch.setenv("GITHUB_TOKEN", "never-in-output")
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    lst = tmp_path / "names.txt"
    lst.write_text("https://github.com/acme/gone  # a URL works too\n")
    res = CliRunner().invoke(app, ["github-meta", "acme/demo", "--list", str(lst), "--replay", str(FIXTURES)])
    assert res.exit_code == 1, res.output  # an item failed: non-zero, with where to look
    assert "1 issues, 1 pull requests, 1 failed" in res.output and "never-in-output" not in res.output
    assert "1 repositories failed" in res.output and "collection_error" in res.output
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(ReuseRepository.stars).where(ReuseRepository.full_name == "acme/demo")) == 42
        err = s.scalar(select(CollectionError))
        assert (err.item, err.error_kind) == ("acme/gone", "github_404")
    out = tmp_path / "repos.txt"
    res = CliRunner().invoke(app, ["github-search", "from_pretrained", "--max-size", "3", "--replay", str(FIXTURES),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text() == "a/one\nb/two\n"  # 3 hits: under the real cap, one shard


def test_rate_limit_reset_wait_is_capped(server):
    with GitHub(server.url, token="", max_sleep=0.2) as gh:
        assert gh.get("/repos/acme/reset").json()["stargazers_count"] == 3
    assert gh.slept == pytest.approx(0.2)  # reset is far away: waited the cap, then tried again
