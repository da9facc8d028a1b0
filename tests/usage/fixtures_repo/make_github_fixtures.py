"""Writes the recorded GitHub responses in ./github, a core.archive folder (hand-made, in the shape of the REST API)."""

import json
import shutil
from pathlib import Path
from urllib.parse import urlencode
from peatmoss.core.archive import Archive
D = Path(__file__).parent / "github"
shutil.rmtree(D, ignore_errors=True)
A = Archive(D)
def put(path, query, responses):
    url = path + ("?" + urlencode(sorted((k, str(v)) for k, v in query.items())) if query else "")
    for r in responses:  # served in turn, the last repeating
        A.add("GET", url, None, r["status"], {"content-type": "application/json", **r["headers"]}, json.dumps(r["body"]).encode())
def ok(body, headers=None): return {"status": 200, "headers": headers or {}, "body": body}
alice = {"login": "alice", "id": 1, "type": "User"}
bob = {"login": "bob", "id": 2, "type": "User"}
bot = {"login": "ci-bot[bot]", "id": 3, "type": "Bot"}
repo = {"id": 10, "name": "demo", "full_name": "acme/demo", "owner": {"login": "acme"}, "html_url": "https://github.com/acme/demo",
        "description": "Demo app loading BERT", "default_branch": "main", "stargazers_count": 42, "forks_count": 7,
        "topics": ["nlp", "bert"], "archived": False, "created_at": "2021-03-04T05:06:07Z", "pushed_at": "2024-01-02T03:04:05Z",
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"}}
put("/repos/acme/demo", {}, [ok(repo)])
issue1 = {"number": 1, "node_id": "I_1", "title": "Model download fails", "body": "bert-base-uncased 404", "state": "closed",
          "user": bob, "labels": [{"name": "bug", "color": "d73a4a", "description": "Something is broken"}],
          "assignees": [alice], "milestone": {"number": 3, "title": "v1.0", "description": "first", "due_on": "2024-06-01T00:00:00Z"},
          "comments": 1, "created_at": "2023-01-01T10:00:00Z", "updated_at": "2023-01-02T10:00:00Z", "closed_at": "2023-01-02T10:00:00Z",
          "html_url": "https://github.com/acme/demo/issues/1", "reactions": {"total_count": 3, "+1": 2, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 1, "rocket": 0, "eyes": 0}}
pr2 = {"number": 2, "node_id": "PR_2", "title": "Pin the model revision", "body": "Use revision=main", "state": "closed",
       "user": alice, "labels": [{"name": "bug", "color": "d73a4a", "description": "Something is broken"}], "assignees": [], "milestone": None,
       "comments": 0, "created_at": "2023-02-01T10:00:00Z", "updated_at": "2023-02-03T10:00:00Z", "closed_at": "2023-02-03T10:00:00Z",
       "html_url": "https://github.com/acme/demo/pull/2", "pull_request": {"url": "x"}, "reactions": {"total_count": 0}}
issues_q = {"state": "all", "direction": "asc", "per_page": 100}
put("/repos/acme/demo/issues", issues_q, [ok([issue1], {"link": '<{base}/repos/acme/demo/issues?state=all&direction=asc&per_page=100&page=2>; rel="next", <{base}/repos/acme/demo/issues?state=all&direction=asc&per_page=100&page=2>; rel="last"'})])
put("/repos/acme/demo/issues", {**issues_q, "page": 2}, [ok([pr2])])
put("/repos/acme/demo/issues/1/comments", {"per_page": 100}, [ok([
    {"node_id": "IC_1", "user": alice, "author_association": "OWNER", "body": "Use google-bert/bert-base-uncased",
     "created_at": "2023-01-01T12:00:00Z", "updated_at": "2023-01-01T12:00:00Z", "reactions": {"total_count": 1, "rocket": 1}}])])
put("/repos/acme/demo/pulls/2", {}, [ok({"number": 2, "additions": 5, "deletions": 1, "changed_files": 1, "draft": False,
    "maintainer_can_modify": True, "merge_commit_sha": "m" * 40, "merged_at": "2023-02-03T10:00:00Z", "merged_by": alice,
    "mergeable": None, "mergeable_state": "unknown", "requested_reviewers": [bob],
    "head": {"ref": "pin-rev", "sha": "h" * 40, "repo": {"name": "demo", "full_name": "bob/demo", "owner": {"login": "bob"}}},
    "base": {"ref": "main", "sha": "b" * 40, "repo": {"name": "demo", "full_name": "acme/demo", "owner": {"login": "acme"}}}})])
put("/repos/acme/demo/pulls/2/reviews", {"per_page": 100}, [ok([
    {"node_id": "PRR_1", "user": bob, "author_association": "MEMBER", "body": "LGTM", "state": "APPROVED", "submitted_at": "2023-02-02T10:00:00Z"}])])
put("/repos/acme/demo/pulls/2/commits", {"per_page": 100}, [ok([
    {"sha": "c" * 40, "author": alice, "commit": {"message": "Pin revision\n\nSafer downloads.",
     "author": {"name": "Alice", "email": "alice@example.org", "date": "2023-02-01T09:00:00Z"},
     "committer": {"name": "Alice", "email": "alice@example.org", "date": "2023-02-01T09:30:00Z"}}}])])
put("/repos/acme/demo/pulls/2/files", {"per_page": 100}, [ok([{"filename": "app.py", "additions": 5, "deletions": 1}])])
put(f"/repos/acme/demo/commits/{'h' * 40}/check-runs", {}, [ok({"total_count": 1, "check_runs": [
    {"name": "tests", "status": "completed", "conclusion": "success", "started_at": "2023-02-01T09:31:00Z",
     "completed_at": "2023-02-01T09:35:00Z", "details_url": "https://ci.example.org/1"}]})])
# rate limit and server errors
put("/repos/acme/limited", {}, [{"status": 429, "headers": {"retry-after": "1", "x-ratelimit-remaining": "0"}, "body": {"message": "API rate limit exceeded"}},
                                ok({**repo, "name": "limited", "full_name": "acme/limited", "stargazers_count": 1})])
put("/repos/acme/flaky", {}, [{"status": 500, "headers": {}, "body": {"message": "Server Error"}},
                              {"status": 502, "headers": {}, "body": {"message": "Bad Gateway"}},
                              ok({**repo, "name": "flaky", "full_name": "acme/flaky", "stargazers_count": 2})])
put("/repos/acme/gone", {}, [{"status": 404, "headers": {}, "body": {"message": "Not Found"}}])
# code search: 3 hits in size 0..3 (over a cap of 2) → shards 0..1 and 2..3
def hit(repo_name, path): return {"name": path, "path": path, "repository": {"full_name": repo_name}}
put("/search/code", {"q": "from_pretrained size:0..3", "per_page": 100}, [ok({"total_count": 3, "incomplete_results": False, "items": [hit("a/one", "x.py"), hit("b/two", "y.py")]})])
put("/search/code", {"q": "from_pretrained size:0..1", "per_page": 100}, [ok({"total_count": 2, "incomplete_results": False, "items": [hit("a/one", "x.py")]},
    {"link": '<{base}/search/code?q=from_pretrained+size%3A0..1&per_page=100&page=2>; rel="next"'})])
put("/search/code", {"q": "from_pretrained size:0..1", "per_page": 100, "page": 2}, [ok({"total_count": 2, "incomplete_results": False, "items": [hit("a/one", "z.py")]})])
put("/search/code", {"q": "from_pretrained size:2..3", "per_page": 100}, [ok({"total_count": 1, "incomplete_results": False, "items": [hit("c/three", "w.py")]})])
put("/repos/acme/reset", {}, [{"status": 403, "headers": {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"}, "body": {"message": "API rate limit exceeded"}},
                              ok({**repo, "name": "reset", "full_name": "acme/reset", "stargazers_count": 3})])
