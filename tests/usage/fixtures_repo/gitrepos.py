"""Builds small git repositories for the mining tests from the fixture files in ./demo (suffix .txt)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

DEMO = Path(__file__).parent / "demo"


def git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                          "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                         cwd=cwd, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def _put(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(text)


def make_demo_repo(root: Path, big: int = 5000) -> dict[str, str]:
    """Two commits: v1 (loads BERT, MiniLM, a dynamic id, a local path, timm in a notebook; a broken
    file, a symlink and a `big` byte file) and v2 (app loads roberta-base; embed.py removed)."""
    root.mkdir(parents=True)
    git(root, "init", "-q")
    for f in DEMO.glob("*.txt"):
        if not f.name.startswith("v2_"):
            _put(root, f.name.removesuffix(".txt"), f.read_text())
    _put(root, "big.py", "# " + "x" * big + "\n")
    os.symlink("/etc/passwd", root / "link.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v1")
    v1 = git(root, "rev-parse", "HEAD")
    _put(root, "app.py", (DEMO / "v2_app.py.txt").read_text())
    git(root, "rm", "-q", "embed.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v2")
    return {"v1": v1, "v2": git(root, "rev-parse", "HEAD")}


def make_simple_repo(root: Path, files: dict[str, str]) -> str:
    root.mkdir(parents=True)
    git(root, "init", "-q")
    for name, text in files.items():
        _put(root, name, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return git(root, "rev-parse", "HEAD")


@contextlib.contextmanager
def git_daemon(served: Path):
    """`git daemon` serving the bare repositories under `served` on 127.0.0.1; yields its git:// base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={served}",
                             "--listen=127.0.0.1", f"--port={port}", str(served)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()


def serve_bare(src: Path, served: Path, name: str) -> None:
    """A bare copy of `src` at served/name that allows filtered (partial) clones."""
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(served / name)], check=True)
    subprocess.run(["git", "--git-dir", str(served / name), "config", "uploadpack.allowFilter", "true"], check=True)
