"""Processes we start end with us: `mine -j2` workers and the resource tracker after SIGKILL/SIGTERM/SIGINT
of the parent; `browse`'s Datasette after SIGTERM of the parent, its temporary folder removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("org/m{i}")\n'


def _descendants(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_for(cond, timeout: float = 60.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _all_gone(procs, timeout: float = 30.0) -> list:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:  # never leave them behind, even when the test fails
        p.kill()
    return alive


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_mine_workers_end_with_their_parent(tmp_path, sig):
    repos = []
    for i in range(400):
        repo = tmp_path / "repos" / f"r{i}"
        repo.mkdir(parents=True)
        (repo / "a.py").write_text(LOAD.format(i=i) * 200)
        repos.append(str(repo))
    (tmp_path / "list.txt").write_text("\n".join(repos) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "peatmoss", "--db", str(tmp_path / "m.db"), "mine", "-j2",
                             "--no-progress", "--list", str(tmp_path / "list.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # two workers and the resource tracker
        _wait_for(lambda: len(_descendants(proc.pid)) >= 3, what="the pool to start")
        children = _descendants(proc.pid)
        assert any("resource_tracker" in " ".join(c.cmdline()) for c in children)
        proc.send_signal(sig)
        proc.wait(timeout=60)
        alive = _all_gone(children)
        assert not alive, [(p.pid, p.cmdline()) for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _serving(procs) -> bool:
    """Does one of these processes answer HTTP on a port it listens on, with the peatmoss metadata title?"""
    import urllib.request

    for p in procs:
        for conn in p.net_connections(kind="tcp") if hasattr(p, "net_connections") else p.connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{conn.laddr.port}/", timeout=5) as answer:
                        return b"PeaTMOSS" in answer.read()
                except OSError:
                    return False
    return False


def _browse(tmp_path, env=None):
    """`peatmoss browse` on a small database, once its Datasette child runs."""
    from peatmoss.analysis.synthetic import generate
    from peatmoss.db import dispose_all

    db = tmp_path / "b.db"
    generate(f"sqlite:///{db}", models=10, months=2, repositories=3, links=3)
    dispose_all()
    proc = subprocess.Popen([sys.executable, "-m", "peatmoss", "--db", str(db), "browse", "--port", "0"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: any("datasette" in " ".join(c.cmdline()) for c in _descendants(proc.pid)),
                  what="datasette to start")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_browse_child_ends_with_its_parent(tmp_path, sig):
    """Datasette ends with `browse`, and nothing is left in the temporary folder, even after SIGKILL (which
    runs no cleanup code): the metadata goes to Datasette on its standard input, never to a file."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _browse(tmp_path, {**os.environ, "TMPDIR": str(tmp)})
    try:
        children = _descendants(proc.pid)
        _wait_for(lambda: _serving(children), what="datasette to answer")  # it has read its metadata
        proc.send_signal(sig)
        proc.wait(timeout=30)
        assert not _all_gone(children)
        assert list(tmp.iterdir()) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
