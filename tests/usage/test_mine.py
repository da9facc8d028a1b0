"""Mining local git repositories into the database: links with evidence, history, errors, workers, resume."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from peatmoss.db import init_db, session_scope
from peatmoss.db.models import (
    CollectionError, CollectionRun, Model, ModelReuse, Registry, RepoScan, ReuseFile, ReuseRepository,
)
from peatmoss.usage.mine import mine
from peatmoss.usage.mine_cli import register
from peatmoss.usage.sources import read_list

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import git_daemon, make_demo_repo, make_simple_repo, serve_bare  # noqa: E402

SIMPLE = {"serve.py": 'import spacy\n\nnlp = spacy.load("en_core_web_sm")\n'}


def _seed_models(url):
    with session_scope(url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        for hub_id in ("google-bert/bert-base-uncased", "sentence-transformers/all-MiniLM-L6-v2",
                       "FacebookAI/roberta-base"):
            s.add(Model(registry_id=reg.id, hub_id=hub_id))


def _links(s, **where):
    q = select(ModelReuse).order_by(ModelReuse.id)
    for k, v in where.items():
        q = q.where(getattr(ModelReuse, k) == v)
    return list(s.scalars(q))


def _by_file(s, links):
    return {(s.get(ReuseFile, link.file_id).path, link.line): link for link in links}


def test_mine_writes_links_with_evidence(db_url, tmp_path):
    _seed_models(db_url)
    shas = make_demo_repo(tmp_path / "demo")
    make_simple_repo(tmp_path / "simple", SIMPLE)
    summary = mine(db_url, [str(tmp_path / "demo"), str(tmp_path / "simple")], commit=None, progress=False,
                   max_file_size=4096)
    assert (summary.repos, summary.scanned, summary.failed) == (2, 2, 0)
    with session_scope(db_url) as s:
        repo = s.scalar(select(ReuseRepository).where(ReuseRepository.name == "demo"))
        assert repo.host == "local" and repo.full_name == str((tmp_path / "demo").resolve())
        scan = s.scalar(select(RepoScan).where(RepoScan.repository_id == repo.id))
        assert scan.commit_sha == shas["v2"] and scan.is_current and scan.findings >= 4
        files = {f.path: f for f in s.scalars(select(ReuseFile).where(ReuseFile.scan_id == scan.id))}
        assert files["big.py"].status == "skipped" and files["link.py"].status == "skipped"
        assert files["app.py"].status == "ok" and files["notebook.ipynb"].kind == "notebook"
        links = _by_file(s, _links(s, scan_id=scan.id))
        app = links[("app.py", 3)]
        assert app.raw_model_id == "roberta-base" and app.canonical_model_id == "FacebookAI/roberta-base"
        assert app.link_status == "matched" and s.get(Model, app.model_id).hub_id == "FacebookAI/roberta-base"
        assert app.library == "transformers" and "from_pretrained" in app.call_text and app.arg_text
        assert app.resolution == "literal" and app.confidence > 0.5 and app.col is not None
        dyn = links[("dyn.py", 5)]
        assert dyn.link_status == "dynamic" and dyn.model_id is None
        local = links[("local.py", 3)]
        assert local.link_status == "local_path" and local.is_local_path
        nb = [link for (path, _), link in links.items() if path == "notebook.ipynb"]
        assert len(nb) == 1 and nb[0].cell == 1 and nb[0].line == 2 and nb[0].library == "timm"
        assert nb[0].link_status == "unknown_model"
        simple = s.scalar(select(ReuseRepository).where(ReuseRepository.name == "simple"))
        (spacy_link,) = _links(s, repository_id=simple.id)
        assert spacy_link.library == "spacy" and spacy_link.line == 3 and spacy_link.is_current


def test_remining_a_new_commit_keeps_history(db_url, tmp_path):
    _seed_models(db_url)
    shas = make_demo_repo(tmp_path / "demo")
    spec = str(tmp_path / "demo")
    mine(db_url, [spec], commit=shas["v1"], progress=False)
    with session_scope(db_url) as s:
        v1_links = _by_file(s, _links(s))
        old = v1_links[("app.py", 4)]
        assert old.raw_model_id == "bert-base-uncased" and old.resolution == "constant"
        assert old.canonical_model_id == "google-bert/bert-base-uncased" and old.link_status == "matched"
        tok = v1_links[("app.py", 5)]
        assert tok.revision == "v1.0" and tok.link_status == "matched"
        st = v1_links[("embed.py", 3)]
        assert st.library == "sentence_transformers" and st.canonical_model_id == "sentence-transformers/all-MiniLM-L6-v2"
    mine(db_url, [spec], progress=False)  # HEAD = v2
    with session_scope(db_url) as s:
        scans = {sc.commit_sha: sc for sc in s.scalars(select(RepoScan))}
        assert set(scans) == {shas["v1"], shas["v2"]}
        assert not scans[shas["v1"]].is_current and scans[shas["v2"]].is_current
        old_links = _links(s, scan_id=scans[shas["v1"]].id)
        assert old_links and not any(link.is_current for link in old_links)
        current = _by_file(s, _links(s, is_current=True))
        assert {link.scan_id for link in current.values()} == {scans[shas["v2"]].id}
        assert current[("app.py", 3)].raw_model_id == "roberta-base"
        assert not any(path == "embed.py" for path, _ in current)
    again = mine(db_url, [spec], progress=False)  # resume: same commit is not scanned twice
    assert (again.scanned, again.skipped) == (0, 1)
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(RepoScan)) == 2


def test_broken_repositories_become_error_rows(db_url, tmp_path):
    make_simple_repo(tmp_path / "good", SIMPLE)
    (tmp_path / "corrupt" / ".git").mkdir(parents=True)  # a git dir without HEAD or objects
    make_demo_repo(tmp_path / "demo")
    specs = [str(tmp_path / "missing"), str(tmp_path / "corrupt"), f"file://{tmp_path / 'good'}",
             str(tmp_path / "good"), str(tmp_path / "demo")]
    summary = mine(db_url, specs, progress=False)
    assert (summary.scanned, summary.failed) == (2, 3)
    with session_scope(db_url) as s:
        errors = {(e.item, e.error_kind) for e in s.scalars(select(CollectionError))}
        assert (str(tmp_path / "missing"), "not_found") in errors
        assert (f"file://{tmp_path / 'good'}", "protocol_blocked") in errors
        assert any(item == str(tmp_path / "corrupt") for item, _ in errors)
        broken = [(item, kind) for item, kind in errors if item.endswith(":broken.py")]
        assert broken, "a file that does not parse gets an error row"
        (run,) = s.scalars(select(CollectionRun))
        assert run.stage == "mine" and run.status == "complete" and run.error_count == len(errors)
        assert s.scalar(select(func.count()).select_from(ReuseRepository)) == 2


def test_workers_give_the_same_links(db_url, tmp_path):
    make_demo_repo(tmp_path / "demo")
    make_simple_repo(tmp_path / "simple", SIMPLE)
    make_simple_repo(tmp_path / "third", {"a.py": 'import timm\nm = timm.create_model("resnet50", pretrained=True)\n'})
    specs = [str(tmp_path / n) for n in ("demo", "simple", "third", "nowhere")]
    summary = mine(db_url, specs, workers=2, progress=False)
    assert (summary.scanned, summary.failed) == (3, 1)
    seq_url = f"sqlite:///{tmp_path / 'sequential.db'}"
    init_db(seq_url)
    assert mine(seq_url, specs, workers=1, progress=False).scanned == 3
    rows = []
    for url in (db_url, seq_url):
        with session_scope(url) as s:
            rows.append(sorted((link.library, link.line, link.raw_model_id or "", link.link_status)
                               for link in _links(s)))
    assert rows[0] == rows[1] and len(rows[0]) == summary.links


def test_a_repository_over_its_time_limit_fails_alone(sqlite_url, tmp_path):
    make_demo_repo(tmp_path / "demo")
    summary = mine(sqlite_url, [str(tmp_path / "demo")], progress=False, repo_timeout=1e-6)
    assert (summary.scanned, summary.failed) == (0, 1)
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(CollectionError.error_kind)) == "timeout"
    assert mine(sqlite_url, [str(tmp_path / "demo")], progress=False).scanned == 1


def test_mine_over_a_clone(sqlite_url, tmp_path):
    shas = make_demo_repo(tmp_path / "demo")
    url = f"file://{tmp_path / 'demo'}"
    summary = mine(sqlite_url, [url], allow_file=True, progress=False, workdir=str(tmp_path))
    assert summary.scanned == 1
    with session_scope(sqlite_url) as s:
        repo = s.scalar(select(ReuseRepository))
        assert repo.host == "git" and repo.url == url
        assert s.scalar(select(RepoScan.commit_sha)) == shas["v2"]
    (tmp_path / "demo" / ".git" / "objects").rename(tmp_path / "moved")  # a clone would fail now
    (tmp_path / "demo" / ".git" / "objects").mkdir()
    again = mine(sqlite_url, [url], allow_file=True, progress=False)
    assert (again.skipped, again.scanned, again.failed) == (1, 0, 0)  # known HEAD (ls-remote): no clone needed


def test_owner_repo_list_mined_from_a_git_host(db_url, tmp_path):
    served = tmp_path / "served"
    (served / "acme").mkdir(parents=True)
    shas = make_demo_repo(tmp_path / "demo")
    make_simple_repo(tmp_path / "simple", SIMPLE)
    serve_bare(tmp_path / "demo", served, "acme/demo")
    serve_bare(tmp_path / "simple", served, "acme/simple")
    lst = tmp_path / "repos.txt"
    lst.write_text("acme/demo\nacme/simple\nacme/missing\n")
    with git_daemon(served) as base:
        specs = read_list(lst, base)
        summary = mine(db_url, specs, workers=2, progress=False, github_base=base)
    assert (summary.scanned, summary.failed) == (2, 1)
    with session_scope(db_url) as s:
        repo = s.scalar(select(ReuseRepository).where(ReuseRepository.full_name == "acme/demo"))
        assert (repo.host, repo.owner, repo.name, repo.url) == ("github", "acme", "demo", f"{base}/acme/demo")
        assert s.scalar(select(RepoScan.commit_sha).where(RepoScan.repository_id == repo.id)) == shas["v2"]
        errors = {e.item: e.error_kind for e in s.scalars(select(CollectionError))}
        assert errors[f"{base}/acme/missing"] == "clone_failed"


def test_cli(sqlite_url, tmp_path, monkeypatch):
    make_simple_repo(tmp_path / "simple", SIMPLE)
    lst = tmp_path / "list.txt"
    lst.write_text(f"{tmp_path / 'simple'}\n")
    monkeypatch.setenv("PEATMOSS_DB", sqlite_url)
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    res = CliRunner().invoke(app, ["mine", "--list", str(lst), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "1 scanned" in res.output
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(ModelReuse.library)) == "spacy"


@pytest.mark.parametrize("bad", [["mine"]])
def test_cli_needs_a_spec(bad, sqlite_url, monkeypatch):
    monkeypatch.setenv("PEATMOSS_DB", sqlite_url)
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    assert CliRunner().invoke(app, bad).exit_code != 0


def test_main_cli_has_the_mine_command(sqlite_url, tmp_path):
    from peatmoss.cli import app as main_app

    make_simple_repo(tmp_path / "simple", SIMPLE)
    res = CliRunner().invoke(main_app, ["--db", sqlite_url, "mine", str(tmp_path / "simple"), "--no-progress",
                                        "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "1 scanned" in res.output and "1 links" in res.output
