"""`scan --workers N` gives the findings of one process; the processes of `scan -j2` and `mine -j2` are gone once
the command has finished, and when it is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.usage import scan
from peatmoss.usage.scan import scan_path

psutil = pytest.importorskip("psutil")

FIXTURES = Path(__file__).parent / "fixtures"
MARK = "PEATMOSS_TEST_RUN"
LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/m{i}")\n'
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the parent-death signal")


def _tagged(mark: str) -> list:
    """The processes whose environment carries MARK=mark (ours, whoever their parent is now)."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(MARK) == mark:
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def _gone(mark: str, timeout: float = 60.0) -> list:
    """Waits until no marked process is left; returns (and kills) those still alive after `timeout`."""
    _, alive = psutil.wait_procs(_tagged(mark), timeout=timeout)
    for p in alive:
        p.kill()
    return alive


def _run(args: list[str], mark: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "peatmoss", *args], env={**os.environ, MARK: mark},
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kw)


def _repos(tmp_path: Path, n: int, lines: int, padding: int = 0) -> list[str]:
    """`n` folders with a file of `lines` loads (and `padding` comment bytes: shares big enough for a worker)."""
    out = []
    for i in range(n):
        repo = tmp_path / "repos" / f"r{i}"
        repo.mkdir(parents=True)
        (repo / "a.py").write_text(LOAD.format(i=i) * lines + ("# padding\n" * (padding // 10)))
        out.append(str(repo))
    return out


def _same_with_workers() -> None:
    scan.MIN_SHARE = 1  # a worker even for a small share
    scan.READ_SHARE = 1  # the first pass in workers too (forked only)
    one, two = scan_path(FIXTURES), scan_path(FIXTURES, workers=2)
    assert len(one.findings) > 100  # libraries, cross-module repo resolution, notebooks
    assert [f.to_dict() for f in two.findings] == [f.to_dict() for f in one.findings]
    assert two.files == one.files


def test_spawned_workers_give_the_findings_of_one_process(monkeypatch):
    monkeypatch.setattr(scan, "MIN_SHARE", scan.MIN_SHARE)  # restored after _same_with_workers sets them
    monkeypatch.setattr(scan, "READ_SHARE", scan.READ_SHARE)
    monkeypatch.setattr(scan, "_can_fork", lambda: False)
    _same_with_workers()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this system does not fork")
def test_forked_workers_give_the_findings_of_one_process():
    """In a fresh process: forked workers need one with no other thread, which a test session seldom is."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_workers; from peatmoss.usage import scan; "
            "assert scan._can_fork(), 'a thread runs: the workers would be spawned'; test_workers._same_with_workers()")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_scan_cli_workers_option(monkeypatch):
    monkeypatch.setattr(scan, "MIN_SHARE", 1)
    single = CliRunner().invoke(app, ["scan", str(FIXTURES / "repo"), "--format", "json"])
    double = CliRunner().invoke(app, ["scan", str(FIXTURES / "repo"), "--format", "json", "--workers", "2"])
    assert single.exit_code == 0 and double.exit_code == 0, double.output
    assert json.loads(double.output) == json.loads(single.output)
    assert json.loads(single.output)


@linux
def test_mine_workers_leave_nothing_once_finished(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(_repos(tmp_path, 6, 5)) + "\n")
    mark = uuid.uuid4().hex
    proc = _run(["--db", str(tmp_path / "m.db"), "mine", "-j2", "--no-progress", "--list", str(listing)], mark)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0
    assert "6 scanned" in out.decode()
    left = _gone(mark, timeout=5)
    assert not left, [(p.pid, p.cmdline()) for p in left]


@linux
def test_scan_workers_leave_nothing_once_finished(tmp_path):
    _repos(tmp_path, 8, 5, padding=2 * scan.MIN_SHARE // 8 + 1000)  # two workers' worth
    mark = uuid.uuid4().hex
    proc = _run(["scan", str(tmp_path / "repos"), "-j2", "--format", "json"], mark)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0
    assert len(json.loads(out)) == 8 * 5
    left = _gone(mark, timeout=5)
    assert not left, [(p.pid, p.cmdline()) for p in left]


@linux
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_scan_workers_end_with_a_killed_parent(tmp_path, sig):
    _repos(tmp_path, 200, 300, padding=10_000)  # long enough to kill it while the workers analyse
    mark = uuid.uuid4().hex
    proc = _run(["scan", str(tmp_path / "repos"), "-j2", "--format", "json"], mark)
    try:
        end = time.monotonic() + 300
        while len(_tagged(mark)) < 3 and proc.poll() is None and time.monotonic() < end:
            time.sleep(0.05)  # the parent, then its two workers
        assert proc.poll() is None, "the scan ended before its workers were seen"
        proc.send_signal(sig)
        proc.wait(timeout=60)
        left = _gone(mark)
        assert not left, [(p.pid, p.cmdline()) for p in left]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
