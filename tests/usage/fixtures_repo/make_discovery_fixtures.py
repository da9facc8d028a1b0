"""Writes the recorded responses of `discover` in ./discovery/{github,sourcegraph}: core.archive folders,
hand-made in the shape of GitHub's REST API and Sourcegraph's stream API, for the queries of the catalog's
diffusers and timm signatures (`peatmoss discover -l diffusers -l timm`)."""

import json
import shutil
from pathlib import Path
from urllib.parse import urlencode

from peatmoss.core.archive import Archive
from peatmoss.usage.discover import plan

D = Path(__file__).parent / "discovery"
shutil.rmtree(D, ignore_errors=True)
GH, SG = Archive(D / "github"), Archive(D / "sourcegraph")
LIBS = ["diffusers", "timm"]


def put(archive, path, query, status, body, content_type="application/json"):
    url = path + "?" + urlencode(sorted((k, str(v)) for k, v in query.items()))
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    archive.add("GET", url, None, status, {"content-type": content_type}, data)


def stream(matches, skipped=()):
    """A Sourcegraph event stream: progress, matches, final progress (with the reasons of skipped shards), done."""
    events = [("progress", {"done": False, "matchCount": 0, "durationMs": 3, "skipped": []}),
              ("matches", matches),
              ("progress", {"done": True, "matchCount": len(matches), "durationMs": 9,
                            "skipped": [{"reason": r, "title": r, "message": "", "severity": "info"} for r in skipped]}),
              ("done", {})]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def sg_file(repo, path, stars=10):
    return {"type": "path", "path": path, "repositoryID": len(repo), "repository": repo,
            "repoStars": stars, "commit": "0" * 40}


sg = {q.callable if q.library == "diffusers" else "timm": q.query for q in plan(["sourcegraph"], libraries=LIBS)}
for key, matches in {
    "from_pretrained": [sg_file("github.com/acme/demo", "app.py", 42), sg_file("github.com/acme/fork", "x.py"),
                        sg_file("github.com/acme/tiny", "y.py", 1), sg_file("gitlab.com/other/repo", "z.py"),
                        sg_file("github.com/acme/demo", "pipe/run.py", 42)],
    "from_single_file": [sg_file("github.com/acme/demo", "sd.py", 42)],
    "timm": [sg_file("github.com/acme/simple", "serve.py", 7), sg_file("github.com/acme/old", "a.py"),
             sg_file("github.com/acme/gone", "b.py")],
}.items():
    skipped = ["shard-match-limit"] if key == "timm" else []
    put(SG, "/.api/search/stream", {"q": sg[key], "v": "V3"}, 200, stream(matches, skipped), "text/event-stream")


def hit(repo, path):
    return {"name": path.rsplit("/", 1)[-1], "path": path, "repository": {"full_name": repo}}


gh = {q.callable if q.library == "diffusers" else "timm": q.query for q in plan(["github"], libraries=LIBS)}
for key, items in {
    "from_pretrained": [hit("acme/demo", "app.py"), hit("acme/simple", "b.py")],
    "from_single_file": [],
    "timm": [hit("acme/simple", "serve.py")],
}.items():
    put(GH, "/search/code", {"q": f"{gh[key]} size:0..384000", "per_page": 100}, 200,
        {"total_count": len(items), "incomplete_results": False, "items": items})


def repo(name, stars, **extra):
    owner, short = name.split("/")
    return {"name": short, "full_name": name, "owner": {"login": owner}, "html_url": f"https://github.com/{name}",
            "private": False, "visibility": "public", "fork": False, "archived": False, "stargazers_count": stars,
            "forks_count": 0, "default_branch": "main", "topics": [], "created_at": "2022-01-01T00:00:00Z",
            "pushed_at": "2024-05-01T00:00:00Z", "license": {"spdx_id": "MIT", "name": "MIT License"}, **extra}


for name, body in {"acme/demo": repo("acme/demo", 42), "acme/simple": repo("acme/simple", 7),
                   "acme/fork": repo("acme/fork", 50, fork=True), "acme/tiny": repo("acme/tiny", 1),
                   "acme/old": repo("acme/old", 9, archived=True)}.items():
    put(GH, f"/repos/{name}", {}, 200, body)
put(GH, "/repos/acme/gone", {}, 404, {"message": "Not Found"})
