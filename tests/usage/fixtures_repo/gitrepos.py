"""Builds small git repositories for the mining tests from the fixture files in ./demo (suffix .txt)."""

from __future__ import annotations

import os
import subprocess
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
