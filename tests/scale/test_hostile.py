"""Scanning and cloning a hostile repository contain it: nothing written outside the work area, no hook or
analysed code run, bounded memory and time."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db.models import CollectionError, ModelReuse, ReuseFile
from peatmoss.usage.mine import mine
from peatmoss.usage.sources import open_source

from hostile import SPARSE, evil_tree_commit, make_hostile, snapshot

MEMORY = 2 * 1024 ** 3  # address-space cap of the scanning process
SCAN = """
import json, resource, sys

def hwm_kb():  # this program's peak RSS; ru_maxrss would also count the forking parent's before exec
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])

resource.setrlimit(resource.RLIMIT_AS, ({mem}, {mem}))
from peatmoss.usage import scan_path
r = scan_path(sys.argv[1])
print(json.dumps({{"files": [[f.path, f.status, f.error_kind] for f in r.files],
                  "models": sorted({{x.model or "" for x in r.findings}}),
                  "maxrss_kb": hwm_kb()}}))
"""


@pytest.fixture
def hostile(tmp_path):
    area, outside = tmp_path / "area", tmp_path / "outside"
    markers = make_hostile(area, outside)
    return area / "hostile", outside, markers


def _no_markers(markers):
    ran = [name for name, path in markers.items() if path.exists()]
    assert not ran, f"hostile code ran: {ran}"


def test_folder_scan_contains_everything(hostile, tmp_path):
    root, outside, markers = hostile
    assert (root / "huge.py").stat().st_size == SPARSE
    before = snapshot(tmp_path)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SCAN.format(mem=MEMORY), str(root)], capture_output=True,
                          text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    files = {path: (status, kind) for path, status, kind in out["files"]}
    assert files["huge.py"] == ("skipped", "too_large")  # by size, never read
    assert files["escape"][1] == files["leak.py"][1] == "symlink_outside_root"
    assert files["pkg/loop"][1] == "symlink_loop"
    assert files["a_link"][1] == files["b_link"][1] == "broken_symlink"
    assert files["deep.ipynb"] == ("error", "bad_notebook")
    assert "new\nline.py" in files and "a..py" in files and ".../dots.py" in files
    assert out["models"] == ["org/safe-model"]  # nothing from outside the root or the submodule
    assert elapsed < 60 and out["maxrss_kb"] < 1024 * 1024
    _no_markers(markers)
    assert snapshot(tmp_path) == before  # the scan wrote nothing anywhere


@pytest.mark.parametrize("how", ["local_git", "clone"])
def test_mining_a_hostile_repository(hostile, tmp_path, sqlite_url, how):
    root, outside, markers = hostile
    work = tmp_path / "work"
    work.mkdir()
    before = snapshot(tmp_path)
    spec = str(root) if how == "local_git" else f"file://{root}"
    summary = mine(sqlite_url, [spec], progress=False, allow_file=True, workdir=str(work))
    assert summary.scanned == 1 and summary.failed == 0
    _no_markers(markers)
    created = snapshot(tmp_path) - before
    assert all(p.startswith(str(tmp_path / "test.db")) for p in created), created  # only the database
    assert not any(work.iterdir())  # the clone is gone
    with session_scope(sqlite_url) as s:
        models = set(s.scalars(select(ModelReuse.raw_model_id)))
        paths = set(s.scalars(select(ReuseFile.path)))
    assert models == {"org/safe-model"} and "evil" not in paths and "huge.py" not in paths
    assert "new\nline.py" in paths and "leak.py" in paths  # a committed link is data, not followed


def test_a_tree_git_would_refuse_is_read_as_data(hostile, tmp_path, sqlite_url):
    root, outside, markers = hostile
    commit = evil_tree_commit(root)
    before = snapshot(tmp_path)
    with open_source(str(root), commit=commit) as (info, files):
        names = sorted(f.path for f in files)
    assert names == ["../../escape.py", "new\nline.py", "ok.py"]  # names only; no file is written for them
    summary = mine(sqlite_url, [str(root)], commit=commit, progress=False)
    assert summary.scanned == 1
    assert not (tmp_path / "escape.py").exists() and not (tmp_path.parent / "escape.py").exists()
    assert all(p.startswith(str(tmp_path / "test.db")) for p in snapshot(tmp_path) - before)
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(CollectionError.id)) is None
    _no_markers(markers)


def test_nul_and_deep_nesting_in_memory():
    from peatmoss.usage import scan_files
    from peatmoss.usage.model import SourceFile

    deep = b'{"x": "import transformers\\nAutoModel.from_pretrained(1)", "cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    code = b"import transformers\nx = " + b"(" * 100_000 + b")" * 100_000 + b"\n"
    files = [SourceFile("nul\x00name.py", 30, lambda: b"import transformers\nAutoModel.from_pretrained('a')\n"),
             SourceFile("bin.py", 5, lambda: b"im\x00port"), SourceFile("deep.ipynb", len(deep), lambda: deep),
             SourceFile("deep.py", len(code), lambda: code)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = scan_files(files)
    status = {f.path: (f.status, f.error_kind) for f in result.files}
    assert status["bin.py"] == ("error", "binary") and status["deep.ipynb"] == ("error", "bad_notebook")
    assert status["deep.py"][0] in ("degraded", "ok") and status["deep.py"][1] != "analysis_error"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 512 * 1024
