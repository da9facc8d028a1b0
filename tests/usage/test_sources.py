"""Opening repositories: folders, git repositories (bare or not) at a commit, safe shallow clones, list files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peatmoss.usage.sources import SourceError, describe, open_source, read_list

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import git_daemon as serve_git  # noqa: E402
from gitrepos import make_demo_repo, make_simple_repo, serve_bare  # noqa: E402


def _files(spec, **kw):
    with open_source(str(spec), **kw) as (info, files):
        return info, {f.path: f.read() for f in files}


def test_git_repo_at_head_and_at_an_older_commit(tmp_path):
    shas = make_demo_repo(tmp_path / "demo")
    info, files = _files(tmp_path / "demo", max_file_size=4096)
    assert info.host == "local" and info.commit == shas["v2"]
    assert b"roberta-base" in files["app.py"] and "embed.py" not in files
    assert "notebook.ipynb" in files
    skipped = {r.path: r.error_kind for r in info.skipped}
    assert skipped == {"big.py": "too_large", "link.py": "not_regular_file"}  # symlink never followed
    info, files = _files(tmp_path / "demo", commit=shas["v1"], max_file_size=4096)
    assert info.commit == shas["v1"] and b"bert-base-uncased" in files["app.py"] and "embed.py" in files


def test_git_lfs_pointers_are_skipped(tmp_path):
    pointer = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
    make_simple_repo(tmp_path / "lfs", {"big.ipynb": pointer, "a.py": "import timm\n"})
    info, files = _files(tmp_path / "lfs")
    assert set(files) == {"a.py"} and [(r.path, r.error_kind) for r in info.skipped] == [("big.ipynb", "lfs_pointer")]


def test_bare_repo_and_unknown_commit(tmp_path):
    make_demo_repo(tmp_path / "demo")
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "demo"), str(tmp_path / "bare.git")], check=True)
    subprocess.run(["git", "--git-dir", str(tmp_path / "bare.git"), "remote", "set-url", "origin",
                    "https://github.com/acme/demo.git"], check=True)
    info, files = _files(tmp_path / "bare.git")
    assert "app.py" in files and "link.py" not in files
    assert (info.host, info.owner, info.name) == ("local", "acme", "demo")  # origin remembered
    with pytest.raises(SourceError) as err:
        _files(tmp_path / "bare.git", commit="0" * 40)
    assert err.value.kind == "bad_commit"


def test_plain_folder_walk_does_not_follow_symlinks(tmp_path):
    root = tmp_path / "folder"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "m.py").write_text("import timm\n")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("not code\n")
    os.symlink("/etc/passwd", root / "evil.py")
    os.symlink("/etc", root / "etc_link")
    info, files = _files(root)
    assert info.commit is None and set(files) == {"pkg/m.py"}
    assert "evil.py" in {r.path for r in info.skipped}  # refused, never read through the link
    with pytest.raises(SourceError) as err:
        _files(root, commit="HEAD")
    assert err.value.kind == "not_a_git_repo"


def test_clone_over_file_url_needs_explicit_opt_in(tmp_path):
    shas = make_demo_repo(tmp_path / "demo")
    url = f"file://{tmp_path / 'demo'}"
    with pytest.raises(SourceError) as err:
        _files(url)
    assert err.value.kind == "protocol_blocked"
    info, files = _files(url, allow_file=True, workdir=str(tmp_path), max_file_size=4096)
    assert info.host == "git" and info.commit == shas["v2"] and b"roberta-base" in files["app.py"]
    assert {r.path for r in info.skipped} == {"big.py", "link.py"}
    assert not any(p.name.startswith("peatmoss-clone-") for p in tmp_path.iterdir())  # temp clone removed
    info, files = _files(url, allow_file=True, commit=shas["v1"])
    assert info.commit == shas["v1"] and "embed.py" in files


def test_clone_size_cap_and_failure(tmp_path):
    make_demo_repo(tmp_path / "demo")
    with pytest.raises(SourceError) as err:
        _files(f"file://{tmp_path / 'demo'}", allow_file=True, max_repo_size=1000)
    assert err.value.kind == "repo_too_large"
    with pytest.raises(SourceError) as err:
        _files(f"file://{tmp_path / 'missing'}", allow_file=True)
    assert err.value.kind == "clone_failed"


def test_clone_does_not_run_hooks(tmp_path):
    make_demo_repo(tmp_path / "demo")
    hook = tmp_path / "demo" / ".git" / "hooks" / "post-checkout"
    marker = tmp_path / "hook-ran"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    _files(f"file://{tmp_path / 'demo'}", allow_file=True)
    assert not marker.exists()


def test_owner_repo_specs_and_list_file(tmp_path):
    base = "http://127.0.0.1:9/"
    lst = tmp_path / "repos.txt"
    lst.write_text("# demo list\nacme/demo\n\nhttps://gitlab.example.org/x/y.git  # a URL\n")
    assert read_list(lst, base) == ["http://127.0.0.1:9/acme/demo", "https://gitlab.example.org/x/y.git"]
    info = describe("acme/demo", base)
    assert (info.host, info.full_name, info.owner, info.name) == ("github", "acme/demo", "acme", "demo")
    assert describe("https://github.com/acme/demo.git").full_name == "acme/demo"
    with pytest.raises(SourceError):
        describe("not a spec")


@pytest.fixture
def git_daemon(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    with serve_git(served) as base:
        yield served, base


def test_shallow_filtered_clone_over_the_git_protocol(git_daemon, tmp_path):
    served, base = git_daemon
    shas = make_demo_repo(tmp_path / "demo", big=300_000)
    serve_bare(tmp_path / "demo", served, "demo.git")
    info, files = _files(f"{base}/demo.git", max_file_size=100_000, workdir=str(tmp_path))
    assert info.host == "git" and info.commit == shas["v2"] and b"roberta-base" in files["app.py"]
    assert {r.path: r.error_kind for r in info.skipped}["big.py"] == "too_large"  # never downloaded
    info, files = _files(f"{base}/demo.git", commit=shas["v1"], workdir=str(tmp_path))
    assert info.commit == shas["v1"] and "embed.py" in files  # an older commit, fetched by its id
