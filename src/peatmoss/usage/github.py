"""GitHub REST: repository metadata, issues and pull requests (`collect_github_meta`), code-search discovery.

`GitHub` is a small client: token from $GITHUB_TOKEN (sent, never logged or recorded), base URL from
`base_url` / $GITHUB_API_URL; retries follow the core HTTP policy (`core.http`: rate limits waited out from
`Retry-After` / `X-RateLimit-Reset`, capped by `max_sleep`; 5xx and time-outs backed off). `record` stores
every response in a `core.archive` folder; `github_client(replay=folder)` serves one on 127.0.0.1.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import delete, insert, select

from peatmoss.core import http
from peatmoss.core.archive import serve_replay
from peatmoss.core.http import httpx

from peatmoss.db.models import (
    GithubComment, GithubCommit, GithubIssue, GithubLabel, GithubMilestone, GithubPullRequestFile,
    GithubReactionGroup, GithubReview, GithubStatusCheck, GithubUser, ReuseRepository, issue_to_assignee,
    issue_to_label, issue_to_review_request,
)

API = "https://api.github.com"


class GitHubError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


# --------------------------------------------------------------------------- client


class GitHub(http.Client):
    """A GitHub REST client: `get` (retried under the core policy, errors raised as GitHubError) and
    `paginate`. `record` is an archive folder every response goes to."""

    def __init__(self, base_url: str | None = None, token: str | None = None, record: str | Path | None = None,
                 max_sleep: float = 900.0, backoff: float = 2.0, retries: int = 5, timeout: float = 30.0):
        token = token if token is not None else os.environ.get("GITHUB_TOKEN")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": "peatmoss"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        super().__init__(base_url or os.environ.get("GITHUB_API_URL") or API, headers, record=record,
                         max_sleep=max_sleep, backoff=backoff, retries=retries, timeout=timeout)

    def get(self, path_or_url: str, params: dict | None = None):
        url = path_or_url if path_or_url.startswith("http") else self.base + path_or_url
        try:
            r = self.get_once(url, params)
        except httpx.TransportError as exc:
            raise GitHubError(0, f"transport: {type(exc).__name__}") from None
        if r.status_code >= 400:
            try:
                message = r.json().get("message", "")
            except ValueError:
                message = r.text[:200]
            raise GitHubError(r.status_code, message)
        return r

    def paginate(self, path: str, params: dict | None = None, limit: int | None = None,
                 first=None) -> Iterator[dict]:
        """Items of a list endpoint (or of a search's `items`), following `Link: rel=next`."""
        n = 0
        r = first or self.get(path, {"per_page": 100, **(params or {})})
        while True:
            data = r.json()
            for item in data["items"] if isinstance(data, dict) else data:
                yield item
                n += 1
                if limit is not None and n >= limit:
                    return
            nxt = r.links.get("next", {}).get("url")
            if not nxt:
                return
            r = self.get(nxt)


@contextmanager
def github_client(api: str | None = None, *, token: str | None = None, record: str | Path | None = None,
                  replay: str | Path | None = None, **kw) -> Iterator[GitHub]:
    """A `GitHub` client for `api` (default $GITHUB_API_URL or api.github.com), or for a loopback server
    replaying the archive `replay`; `record` stores every response in an archive folder."""
    with ExitStack() as stack:
        if replay is not None:
            api = serve_replay(stack, replay)
        yield stack.enter_context(GitHub(api, token=token, record=record, **kw))


# --------------------------------------------------------------------------- repository metadata


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def repo_fields(data: dict) -> dict:
    lic = data.get("license") or {}
    return {"owner": (data.get("owner") or {}).get("login"), "name": data.get("name"), "url": data.get("html_url"),
            "description": data.get("description"), "default_branch": data.get("default_branch"),
            "stars": data.get("stargazers_count"), "forks": data.get("forks_count"), "topics": data.get("topics"),
            "archived": data.get("archived"), "created_at": _ts(data.get("created_at")),
            "pushed_at": _ts(data.get("pushed_at")),
            "license_raw": lic.get("spdx_id") or lic.get("name") if lic else None}


def store_repo(session, full_name: str, data: dict) -> ReuseRepository:
    repo = session.scalar(select(ReuseRepository).where(ReuseRepository.full_name == full_name))
    if repo is None:
        repo = ReuseRepository(full_name=full_name, host="github")
        session.add(repo)
    for k, v in repo_fields(data).items():
        setattr(repo, k, v)
    session.flush()
    return repo


# --------------------------------------------------------------------------- issues and pull requests

REACTIONS = {"+1": "THUMBS_UP", "-1": "THUMBS_DOWN", "laugh": "LAUGH", "hooray": "HOORAY", "confused": "CONFUSED",
             "heart": "HEART", "rocket": "ROCKET", "eyes": "EYES"}


class _Users:
    def __init__(self, session):
        self.s, self.cache = session, {}

    def id(self, user: dict | None) -> int | None:
        if not user or not user.get("login"):
            return None
        login = user["login"]
        if login not in self.cache:
            row = self.s.scalar(select(GithubUser).where(GithubUser.login == login))
            if row is None:
                row = GithubUser(login=login, name=user.get("name"), is_bot=user.get("type") == "Bot")
                self.s.add(row)
                self.s.flush()
            self.cache[login] = row.id
        return self.cache[login]


def _link(session, table, left: int, right: int) -> None:
    a, b = table.c.keys()[:2]
    session.execute(insert(table).values({a: left, b: right}))


def _reactions(session, data: dict, **owner) -> None:
    for key, content in REACTIONS.items():
        count = (data.get("reactions") or {}).get(key) or 0
        if count:
            session.add(GithubReactionGroup(content=content, total_count=count, **owner))


def _review_decision(reviews: list[dict]) -> str | None:
    latest = {}
    for rv in reviews:
        if rv.get("state") in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[(rv.get("user") or {}).get("login")] = rv["state"]
    states = set(latest.values())
    return "CHANGES_REQUESTED" if "CHANGES_REQUESTED" in states else "APPROVED" if "APPROVED" in states else None


def fetch_issues(gh: GitHub, full_name: str, limit: int | None = None) -> Iterator[dict]:
    """Issues and pull requests with their comments (and, for PRs, details, reviews, commits, files, checks)."""
    for item in gh.paginate(f"/repos/{full_name}/issues", {"state": "all", "direction": "asc"}, limit=limit):
        n = item["number"]
        item["_comments"] = list(gh.paginate(f"/repos/{full_name}/issues/{n}/comments")) if item.get("comments") else []
        if "pull_request" in item:
            pr = gh.get(f"/repos/{full_name}/pulls/{n}").json()
            item["_pr"] = pr
            item["_reviews"] = list(gh.paginate(f"/repos/{full_name}/pulls/{n}/reviews"))
            item["_commits"] = list(gh.paginate(f"/repos/{full_name}/pulls/{n}/commits"))
            item["_files"] = list(gh.paginate(f"/repos/{full_name}/pulls/{n}/files"))
            sha = (pr.get("head") or {}).get("sha")
            item["_checks"] = gh.get(f"/repos/{full_name}/commits/{sha}/check-runs").json().get("check_runs", []) \
                if sha else []
        yield item


def store_issue(session, repo: ReuseRepository, item: dict, users: _Users | None = None) -> GithubIssue:
    """Upsert one issue or pull request (by repository and number); its children are replaced."""
    users = users or _Users(session)
    row = session.scalar(select(GithubIssue).where(GithubIssue.repository_id == repo.id,
                                                   GithubIssue.number == item["number"]))
    if row is None:
        row = GithubIssue(repository_id=repo.id, number=item["number"])
        session.add(row)
    ms = item.get("milestone")
    milestone_id = None
    if ms:
        m = session.scalar(select(GithubMilestone).where(GithubMilestone.repository_id == repo.id,
                                                         GithubMilestone.number == ms["number"]))
        if m is None:
            m = GithubMilestone(repository_id=repo.id, number=ms["number"])
            session.add(m)
        m.title, m.description, m.due_on = ms.get("title"), ms.get("description"), _ts(ms.get("due_on"))
        session.flush()
        milestone_id = m.id
    pr = item.get("_pr")
    vals = dict(node_id=item.get("node_id"), is_pull_request=pr is not None or "pull_request" in item,
                author_id=users.id(item.get("user")), title=item.get("title"), body=item.get("body"),
                state=(item.get("state") or "").upper() or None, closed=item.get("state") == "closed",
                created_at=_ts(item.get("created_at")), updated_at=_ts(item.get("updated_at")),
                closed_at=_ts(item.get("closed_at")), url=item.get("html_url"), milestone_id=milestone_id)
    if pr:
        head, base = pr.get("head") or {}, pr.get("base") or {}
        head_repo = head.get("repo") or {}
        merged = bool(pr.get("merged_at"))
        vals.update(
            additions=pr.get("additions"), deletions=pr.get("deletions"), changed_files=pr.get("changed_files"),
            base_ref_name=base.get("ref"), head_ref_name=head.get("ref"), head_repository=head_repo.get("name"),
            head_repository_owner=(head_repo.get("owner") or {}).get("login"),
            is_cross_repository=bool(head_repo) and head_repo.get("full_name") != (base.get("repo") or {}).get("full_name"),
            is_draft=pr.get("draft"), maintainer_can_modify=pr.get("maintainer_can_modify"),
            merge_commit_oid=pr.get("merge_commit_sha") if merged else None,
            potential_merge_commit_oid=None if merged else pr.get("merge_commit_sha"),
            merge_state_status=(pr.get("mergeable_state") or "").upper() or None,
            mergeable={True: "MERGEABLE", False: "CONFLICTING"}.get(pr.get("mergeable"), "UNKNOWN"),
            merged_at=_ts(pr.get("merged_at")), merged_by_id=users.id(pr.get("merged_by")),
            review_decision=_review_decision(item.get("_reviews", [])))
        if merged:
            vals["state"] = "MERGED"
    for k, v in vals.items():
        setattr(row, k, v)
    session.flush()
    _replace_children(session, repo, row, item, users)
    return row


def _replace_children(session, repo, row: GithubIssue, item: dict, users: _Users) -> None:
    comment_ids = select(GithubComment.id).where(GithubComment.issue_id == row.id)
    review_ids = select(GithubReview.id).where(GithubReview.issue_id == row.id)
    session.execute(delete(GithubReactionGroup).where(
        (GithubReactionGroup.issue_id == row.id) | GithubReactionGroup.comment_id.in_(comment_ids)
        | GithubReactionGroup.review_id.in_(review_ids)))
    for model in (GithubComment, GithubReview, GithubCommit, GithubPullRequestFile, GithubStatusCheck):
        session.execute(delete(model).where(model.issue_id == row.id))
    for table in (issue_to_label, issue_to_assignee, issue_to_review_request):
        session.execute(delete(table).where(table.c[table.c.keys()[0]] == row.id))
    _reactions(session, item, issue_id=row.id)
    for lab in item.get("labels") or []:
        label = session.scalar(select(GithubLabel).where(GithubLabel.repository_id == repo.id,
                                                         GithubLabel.name == lab["name"]))
        if label is None:
            label = GithubLabel(repository_id=repo.id, name=lab["name"])
            session.add(label)
        label.description, label.color = lab.get("description"), lab.get("color")
        session.flush()
        _link(session, issue_to_label, row.id, label.id)
    for table, people in ((issue_to_assignee, item.get("assignees") or []),
                          (issue_to_review_request, (item.get("_pr") or {}).get("requested_reviewers") or [])):
        for uid in dict.fromkeys(users.id(p) for p in people):
            if uid is not None:
                _link(session, table, row.id, uid)
    for c in item.get("_comments", []):
        com = GithubComment(issue_id=row.id, node_id=c.get("node_id"), author_id=users.id(c.get("user")),
                            author_association=c.get("author_association"), body=c.get("body"),
                            created_at=_ts(c.get("created_at")),
                            includes_created_edit=c.get("updated_at") not in (None, c.get("created_at")))
        session.add(com)
        session.flush()
        _reactions(session, c, comment_id=com.id)
    for rv in item.get("_reviews", []):
        session.add(GithubReview(issue_id=row.id, node_id=rv.get("node_id"), author_id=users.id(rv.get("user")),
                                 author_association=rv.get("author_association"), body=rv.get("body"),
                                 state=rv.get("state"), submitted_at=_ts(rv.get("submitted_at"))))
    for c in item.get("_commits", []):
        msg = (c.get("commit") or {}).get("message") or ""
        headline, _, body = msg.partition("\n")
        author = (c.get("commit") or {}).get("author") or {}
        session.add(GithubCommit(
            repository_id=repo.id, issue_id=row.id, oid=c["sha"], authored_date=_ts(author.get("date")),
            committed_date=_ts(((c.get("commit") or {}).get("committer") or {}).get("date")),
            message_headline=headline, message_body=body.strip() or None,
            authors=[{"name": author.get("name"), "email": author.get("email"),
                      "login": (c.get("author") or {}).get("login")}]))
    for f in item.get("_files", []):
        session.add(GithubPullRequestFile(issue_id=row.id, path=f["filename"], additions=f.get("additions"),
                                          deletions=f.get("deletions")))
    for ch in item.get("_checks", []):
        session.add(GithubStatusCheck(issue_id=row.id, name=ch.get("name"), status=(ch.get("status") or "").upper(),
                                      conclusion=(ch.get("conclusion") or "").upper() or None,
                                      started_at=_ts(ch.get("started_at")), completed_at=_ts(ch.get("completed_at")),
                                      details_url=ch.get("details_url") or ch.get("html_url")))
    session.flush()


def collect_repo(session, gh: GitHub, full_name: str, issues: bool = True, limit: int | None = None) -> dict:
    """Metadata, then issues and pull requests, of one repository into the github_* tables."""
    repo = store_repo(session, full_name, gh.get(f"/repos/{full_name}").json())
    counts = {"issues": 0, "pull_requests": 0}
    if issues:
        users = _Users(session)
        for item in fetch_issues(gh, full_name, limit=limit):
            row = store_issue(session, repo, item, users)
            counts["pull_requests" if row.is_pull_request else "issues"] += 1
    return counts


@dataclass
class GithubMetaResult:
    """What `collect_github_meta` did: the run, counts, and the repositories that failed (name, error kind)."""

    run_id: int
    repositories: int
    issues: int = 0
    pull_requests: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def collect_github_meta(url: str, repos: list[str], *, issues: bool = True, max_issues: int | None = None,
                        api: str | None = None, token: str | None = None, record: str | Path | None = None,
                        replay: str | Path | None = None) -> GithubMetaResult:
    """Metadata (and issues and pull requests) of GitHub repositories (`owner/repo` or URLs) into the database
    at `url`, in one `collect`/`github` run; a repository that fails is an error row `github_<status>`."""
    from peatmoss.db import init_db, session_scope
    from peatmoss.core.runs import finish_run, record_error, start_run

    from .sources import describe

    init_db(url)
    names = [describe(spec).full_name for spec in repos]
    with github_client(api, token=token, record=record, replay=replay) as gh:
        with session_scope(url) as s:
            run = start_run(s, "collect", "github", key=",".join(sorted(names))[:255])
            result = GithubMetaResult(run_id=run.id, repositories=len(names))
        for name in names:
            try:
                with session_scope(url) as s:
                    counts = collect_repo(s, gh, name, issues=issues, limit=max_issues)
                result.issues += counts["issues"]
                result.pull_requests += counts["pull_requests"]
            except GitHubError as exc:
                kind = f"github_{exc.status}"
                result.failed.append((name, kind))
                with session_scope(url) as s:
                    record_error(s, s.merge(run), "collect", name, kind, str(exc))
        with session_scope(url) as s:
            finish_run(s, s.merge(run))
    return result


# --------------------------------------------------------------------------- code search


def search_code(gh: GitHub, query: str, lo: int = 0, hi: int = 384_000, cap: int = 1000) -> Iterator[dict]:
    """Code-search hits for `query`, sharded by file size so that no shard exceeds the 1,000-result cap."""
    stack = [(lo, hi)]
    while stack:
        a, b = stack.pop()
        q = f"{query} size:{a}..{b}"
        first = gh.get("/search/code", {"q": q, "per_page": 100})
        total = first.json().get("total_count", 0)
        if total > cap and b > a:
            mid = (a + b) // 2
            stack += [(mid + 1, b), (a, mid)]
            continue
        yield from gh.paginate("/search/code", first=first, limit=cap)  # the API serves no more than 1,000


def discover_repos(gh: GitHub, query: str, **kw) -> list[str]:
    """Distinct `owner/repo` names of the code-search hits, in first-seen order."""
    seen = {}
    for hit in search_code(gh, query, **kw):
        seen.setdefault(hit["repository"]["full_name"], None)
    return list(seen)
