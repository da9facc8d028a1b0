"""`discover`: queries from the catalog, replayed GitHub and Sourcegraph searches on 127.0.0.1, the repository
filter, resuming a killed run, and `mine --from-discovery` consuming the kept candidates."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.core.archive import ArchiveServer, Fault
from peatmoss.db import session_scope
from peatmoss.db.models import (
    CollectionError, DiscoveryCandidate, DiscoveryMatch, DiscoveryQuery, RepoScan, ReuseRepository,
)
from peatmoss.usage.catalog import load_catalog
from peatmoss.usage.discover import Filter, candidates, pairs, plan
from peatmoss.usage.sourcegraph import SourcegraphError, parse_stream

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import git_daemon, make_simple_repo, serve_bare  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures_repo" / "discovery"
LIBS = ["-l", "diffusers", "-l", "timm"]


def run(*args, **kw):
    return CliRunner().invoke(app, [str(a) for a in args], **kw)


def test_dry_run_prints_a_query_per_import_and_callable_of_every_library(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SRC_ENDPOINT", "http://127.0.0.1:9")  # nothing may be asked of a server
    res = run("discover", "--dry-run", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert len(rows) >= 474 and {"library", "signature", "backend", "query"} <= set(rows[0])
    assert {r["library"] for r in rows} == load_catalog().libraries()
    assert {r["backend"] for r in rows} == {"sourcegraph"}
    assert len({r["query"] for r in rows}) == len(rows)
    first = rows[0]  # the paper's shape: the import, AND the call, public non-fork non-archived Python files
    assert first["signature"] == "spacy.load"
    assert r"/\b(from|import)\s+spacy\b/ AND content:" in first["query"]
    for part in ("select:file", "visibility:public", "fork:no", "archived:no", "lang:Python", "count:all"):
        assert part in first["query"]
    assert list(tmp_path.iterdir()) == []  # no database either
    both = run("discover", "--dry-run", "--format", "json", "-b", "github", "-b", "sourcegraph")
    assert len(both.output.splitlines()) == 2 * len(rows)


@pytest.mark.shared
def test_the_papers_474_signatures_each_have_a_query(shared_data):
    with open(shared_data / "peatmoss" / "signatures.csv", newline="") as fh:
        paper = {(r["import_identifier"], r["callable"]) for r in csv.DictReader(fh)}
    assert len(paper) == 474
    queries = {(q.module, q.callable) for q in plan(["github"])}
    assert paper <= queries


def test_added_signatures_give_one_query_per_pattern():
    sig = next(s for s in load_catalog().signatures if s.id == "keras.load_model")
    assert pairs(sig) == [("keras", "load_model"), ("tensorflow", "load_model"), ("tf_keras", "load_model")]
    lang = next(s for s in load_catalog().signatures if s.id == "langchain.HuggingFaceEmbeddings")
    assert pairs(lang) == [("langchain", "HuggingFace"), ("langchain", "HuggingFaceInstructEmbeddings"),
                           ("langchain", "SentenceTransformerEmbeddings")]
    forks = plan(["github", "sourcegraph"], Filter(forks=True, archived=True), libraries=["timm"])
    assert [q.query for q in forks] == ['"timm" "create_model" language:Python fork:true',
                                        'select:file visibility:public count:all lang:Python fork:yes archived:yes '
                                        r'/\b(from|import)\s+timm\b/ AND content:"create_model("']


def test_filter_reasons():
    f = Filter()
    base = {"private": False, "fork": False, "archived": False, "stargazers_count": 5}
    assert f.reason(base) is None
    assert f.reason(None) == "not_found"
    assert f.reason({**base, "stargazers_count": 4}) == "stars"
    assert f.reason({**base, "fork": True}) == "fork" and Filter(forks=True).reason({**base, "fork": True}) is None
    assert f.reason({**base, "archived": True}) == "archived"
    assert f.reason({**base, "visibility": "internal"}) == "private"
    assert Filter(min_stars=0).reason({**base, "stargazers_count": 0}) is None


def test_event_stream_parsing():
    text = (": keep-alive\n\nevent: matches\ndata: [{\"type\": \"path\", \"path\": \"a.py\",\n"
            "data: \"repository\": \"github.com/x/y\"}]\n\nevent: progress\ndata: {\"matchCount\": 1, "
            "\"skipped\": [{\"reason\": \"shard-match-limit\"}]}\n\nevent: alert\ndata: {\"title\": \"slow\"}\n\n"
            "event: done\ndata: {}\n\n")
    result = parse_stream(text)
    assert [m["path"] for m in result.matches] == ["a.py"] and result.match_count == 1
    assert result.skipped == ["shard-match-limit"] and result.alerts == ["slow"]
    with pytest.raises(SourcegraphError, match="bad query"):
        parse_stream('event: error\ndata: {"message": "bad query"}\n\n')


def test_replayed_discovery_on_both_backends_feeds_mine(db_url, tmp_path):
    kept = tmp_path / "kept.txt"
    res = run("--db", db_url, "discover", "-b", "sourcegraph", "-b", "github", *LIBS, "--replay", FIXTURES,
              "--no-progress", "--out", kept)
    assert res.exit_code == 0, res.output
    assert "estimate: 6 queries to run (3 Sourcegraph, 3 GitHub)" in res.output
    assert "6 queries run, 0 already done, 0 failed; 12 files matched, 7 new repositories" in res.output
    assert "6 checked (0 failed), 2 kept (dropped: archived 1, fork 1, host 1, not_found 1, stars 1); 12 requests" in res.output
    assert kept.read_text() == "acme/simple\nacme/demo\n"  # in discovery order (timm comes first)
    with session_scope(db_url) as s:
        assert {q.state for q in s.scalars(select(DiscoveryQuery))} == {"done"}
        notes = {(q.backend, q.signatures[0]): q.note for q in s.scalars(select(DiscoveryQuery))}
        assert notes[("sourcegraph", "timm.create_model")] == "skipped: shard-match-limit"
        assert notes[("sourcegraph", "diffusers.from_pretrained")] is None
        cands = {c.full_name: c for c in s.scalars(select(DiscoveryCandidate))}
        assert cands["acme/fork"].reason == "fork" and cands["acme/fork"].stars == 50
        assert cands["gitlab.com/other/repo"].host == "gitlab.com" and cands["acme/tiny"].reason == "stars"
        assert cands["acme/demo"].kept and cands["acme/demo"].discovered_at is not None
        assert s.scalar(select(ReuseRepository.stars).where(ReuseRepository.full_name == "acme/demo")) == 42
        assert s.scalar(select(ReuseRepository).where(ReuseRepository.full_name == "acme/fork")) is None
        assert len(s.scalars(select(DiscoveryMatch)).all()) == 12
    demo = next(c for c in candidates(db_url) if c["repository"] == "acme/demo")
    assert demo["files"] == ["app.py", "pipe/run.py", "sd.py"]
    assert demo["signatures"] == ["diffusers.from_pretrained", "diffusers.from_single_file"]
    assert demo["backends"] == ["sourcegraph", "github"]
    # again: every query is done and every repository checked, so nothing is asked
    res = run("--db", db_url, "discover", "-b", "sourcegraph", "-b", "github", *LIBS, "--replay", FIXTURES,
              "--no-progress")
    assert res.exit_code == 0, res.output
    assert "0 queries run, 6 already done" in res.output and "0 requests" in res.output
    # the kept candidates are mined from a git host (a loopback git daemon stands in for GitHub)
    served = tmp_path / "served"
    (served / "acme").mkdir(parents=True)
    make_simple_repo(tmp_path / "demo", {"app.py": "from diffusers import DiffusionPipeline\n\n"
                                                    'p = DiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5")\n'})
    make_simple_repo(tmp_path / "simple", {"serve.py": 'import timm\n\nm = timm.create_model("resnet50", pretrained=True)\n'})
    serve_bare(tmp_path / "demo", served, "acme/demo")
    serve_bare(tmp_path / "simple", served, "acme/simple")
    with git_daemon(served) as base:
        res = run("--db", db_url, "mine", "--from-discovery", "--github-base", base, "--no-progress")
    assert res.exit_code == 0, res.output
    assert "2 repositories, 2 scanned" in res.output and "2 links" in res.output
    with session_scope(db_url) as s:
        mined = set(s.scalars(select(ReuseRepository.full_name).join(RepoScan, RepoScan.repository_id == ReuseRepository.id)))
        assert mined == {"acme/demo", "acme/simple"}


def test_other_filter_options_change_what_is_kept_without_refetching(sqlite_url, tmp_path):
    res = run("--db", sqlite_url, "discover", *LIBS, "--replay", FIXTURES, "--no-progress")
    assert res.exit_code == 0 and "2 kept" in res.output, res.output
    with ArchiveServer(FIXTURES / "github") as gh, ArchiveServer(FIXTURES / "sourcegraph") as sg:
        res = run("--db", sqlite_url, "discover", *LIBS, "--min-stars", "0",
                  "--github-api", gh.url, "--sourcegraph-api", sg.url, "--no-progress")
        assert res.exit_code == 0, res.output
        assert gh.requests == 0  # metadata was stored by the first run
    assert "0 queries run, 3 already done" in res.output
    assert "3 kept (dropped: archived 1, fork 1, host 1, not_found 1)" in res.output  # acme/tiny (1 star) is in


def test_record_then_replay_keeps_no_token(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SRC_ACCESS_TOKEN", "sgp_secret-token-123")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_other-secret-456")
    rec = tmp_path / "rec"
    with ArchiveServer(FIXTURES / "github") as gh, ArchiveServer(FIXTURES / "sourcegraph") as sg:
        res = run("--db", sqlite_url, "discover", *LIBS, "--github-api", gh.url, "--sourcegraph-api", sg.url,
                  "--record", rec, "--no-progress")
    assert res.exit_code == 0 and "2 kept" in res.output, res.output
    text = (rec / "sourcegraph" / "index.jsonl").read_text() + (rec / "github" / "index.jsonl").read_text()
    assert len(text.splitlines()) == 3 + 6 and "secret" not in text and "127.0.0.1" not in text
    fresh = f"sqlite:///{tmp_path / 'again.db'}"
    res = run("--db", fresh, "discover", *LIBS, "--replay", rec, "--no-progress", "--format", "json")
    assert res.exit_code == 0, res.output
    assert "3 queries run" in res.stderr and "2 kept" in res.stderr and "secret" not in res.output
    kept = [json.loads(line) for line in res.stdout.splitlines()]  # stdout: only the kept candidates
    assert [(k["repository"], k["stars"], k["files"]) for k in kept] == [
        ("acme/simple", 7, ["serve.py"]), ("acme/demo", 42, ["app.py", "pipe/run.py", "sd.py"])]


def _states(url):
    with session_scope(url) as s:
        return {tuple(q.signatures): q.state for q in s.scalars(select(DiscoveryQuery))}


def test_a_killed_run_resumes_without_repeating_finished_queries(sqlite_url, tmp_path):
    hang = lambda path, number: Fault("hang", hang_seconds=30) if number == 3 else None  # noqa: E731
    env = {**os.environ, "PEATMOSS_DB": sqlite_url}
    with ArchiveServer(FIXTURES / "sourcegraph", faults=hang) as sg:
        proc = subprocess.Popen([sys.executable, "-m", "peatmoss", "discover", *LIBS, "--no-check", "--no-progress",
                                 "--sourcegraph-api", sg.url], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for _ in range(600):
                if sg.requests >= 3 or proc.poll() is not None:
                    break
                time.sleep(0.05)
            assert sg.requests == 3, proc.communicate(timeout=5)[0]
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    states = _states(sqlite_url)
    assert sorted(states.values()) == ["done", "done", "pending"]
    assert states[("diffusers.from_single_file",)] == "pending"  # catalog order: timm, diffusers, added
    with ArchiveServer(FIXTURES / "sourcegraph") as sg:
        res = run("--db", sqlite_url, "discover", *LIBS, "--no-check", "--no-progress", "--sourcegraph-api", sg.url)
        assert res.exit_code == 0, res.output
        assert sg.requests == 1  # only the unfinished query
    assert "1 queries run, 2 already done" in res.output
    assert set(_states(sqlite_url).values()) == {"done"}


def test_limit_runs_part_of_the_pending_queries(sqlite_url):
    with ArchiveServer(FIXTURES / "sourcegraph") as sg:
        first = run("--db", sqlite_url, "discover", *LIBS, "--limit", 2, "--no-check", "--no-progress",
                    "--sourcegraph-api", sg.url)
        second = run("--db", sqlite_url, "discover", *LIBS, "--no-check", "--no-progress", "--sourcegraph-api", sg.url)
        assert sg.requests == 3
    assert "estimate: 2 queries to run" in first.output and "2 queries run, 0 already done" in first.output
    assert "1 queries run, 2 already done" in second.output, second.output


def test_a_failed_query_is_an_error_row_and_is_run_again(sqlite_url):
    refuse = lambda path, number: Fault("422") if path == "/search/code" and number == 1 else None  # noqa: E731
    with ArchiveServer(FIXTURES / "github", faults=refuse) as gh:
        res = run("--db", sqlite_url, "discover", "-b", "github", *LIBS, "--no-check", "--no-progress",
                  "--github-api", gh.url)
    assert res.exit_code == 1 and "1 queries failed" in res.output, res.output
    assert "2 queries run, 0 already done, 1 failed" in res.output
    assert sorted(_states(sqlite_url).values()) == ["done", "done", "failed"]
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(CollectionError.error_kind)) == "github_search"
    with ArchiveServer(FIXTURES / "github") as gh:
        res = run("--db", sqlite_url, "discover", "-b", "github", *LIBS, "--no-check", "--no-progress",
                  "--github-api", gh.url)
        assert res.exit_code == 0 and gh.requests == 1, res.output


def test_a_repository_check_that_fails_is_tried_again_by_the_next_run(sqlite_url):
    from peatmoss.usage.discover import discover
    from peatmoss.usage.github import GitHub
    from peatmoss.usage.sourcegraph import Sourcegraph

    queries = plan(["sourcegraph"], libraries=["timm"])
    down = lambda path, number: Fault("503") if path == "/repos/acme/simple" else None  # noqa: E731
    with ArchiveServer(FIXTURES / "github", faults=down) as gh_srv, ArchiveServer(FIXTURES / "sourcegraph") as sg_srv:
        with GitHub(gh_srv.url, token="", retries=0) as gh, Sourcegraph(sg_srv.url, token="", retries=0) as sg:
            first = discover(sqlite_url, queries, github=gh, sourcegraph=sg)
    assert (first.ran, first.candidates, first.checked, first.check_failed, first.kept) == (1, 3, 2, 1, 0)
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(CollectionError.error_kind)) == "github_503"
        simple = s.scalar(select(DiscoveryCandidate).where(DiscoveryCandidate.full_name == "acme/simple"))
        assert simple.checked_at is None and simple.kept is None
    with ArchiveServer(FIXTURES / "github") as gh_srv, GitHub(gh_srv.url, token="") as gh:
        again = discover(sqlite_url, queries, github=gh)
        assert gh_srv.requests == 1  # acme/simple only; the query was done
    assert (again.ran, again.skipped, again.checked, again.kept) == (0, 1, 1, 1)


@pytest.mark.parametrize("args, message", [
    (["discover", "--dry-run", "-l", "nope"], "unknown library nope"),
    (["discover", "--dry-run", "-b", "bing"], "'bing' is not one of"),
    (["discover", "--min-stars", "-1"], "--min-stars"),
    (["mine", "--from-discovery"], "name at least one repository"),
])
def test_bad_arguments_give_one_line(args, message, sqlite_url, tmp_path):
    res = run("--db", sqlite_url, *args)
    assert res.exit_code == 2 and message in res.output, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")


def test_replay_of_an_empty_folder_is_one_line(sqlite_url, tmp_path):
    res = run("--db", sqlite_url, "discover", "--replay", tmp_path)
    assert res.exit_code == 2 and "holds no github/ or sourcegraph/ recording" in res.output, res.output
