"""A hostile repository: links out of the root and loops, a hook and submodules that would run or fetch,
a 2 GB sparse file, a notebook nested 100,000 levels deep, odd path names, code that writes on import."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LOAD = 'from transformers import AutoModel\nm = AutoModel.from_pretrained("org/safe-model")\n'
SPARSE = 2 * 1024 ** 3


def git(cwd: Path, *args: str, data: bytes | None = None) -> str:
    out = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
                          "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null", *args],
                         cwd=cwd, check=True, capture_output=True, input=data)
    return out.stdout.decode().strip()


def writer(marker: Path) -> str:
    """Python that leaves `marker` behind if anyone ever runs it."""
    return f"open({str(marker)!r}, 'w').write('ran')\n"


def make_hostile(area: Path, outside: Path) -> dict[str, Path]:
    """The hostile tree in `area/hostile` (a git repository with one commit); `outside` holds what must stay
    untouched. Returns the marker paths that must never appear."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.py").write_text(LOAD.replace("safe-model", "outside-model"))
    sub = outside / "subrepo"  # what .gitmodules points at (file://)
    sub.mkdir()
    git(sub, "init", "-q")
    (sub / "m.py").write_text(LOAD.replace("safe-model", "submodule-model"))
    git(sub, "add", "-A")
    git(sub, "commit", "-q", "-m", "sub")
    markers = {name: outside / f"{name}-ran" for name in ("hook", "setup", "conftest", "init", "notebook")}
    root = area / "hostile"
    root.mkdir(parents=True)
    git(root, "init", "-q")
    (root / "app.py").write_text(LOAD)
    (root / "setup.py").write_text(writer(markers["setup"]))
    (root / "conftest.py").write_text(writer(markers["conftest"]))
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text(writer(markers["init"]) + LOAD)
    (root / "a..py").write_text(LOAD)
    (root / "...").mkdir()
    (root / "..." / "dots.py").write_text(LOAD)
    (root / "new\nline.py").write_text(LOAD)
    (root / "tab\tand space .py").write_text(LOAD)
    (root / "deep.ipynb").write_bytes(b'{"x": "import transformers\\nAutoModel.from_pretrained(1)", "cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    cell = {"cell_type": "code", "source": [f"import subprocess; subprocess.run(['touch', {str(markers['notebook'])!r}])\n",
                                            "!touch " + str(markers["notebook"])]}
    import json
    (root / "run.ipynb").write_text(json.dumps({"cells": [cell], "nbformat": 4}))
    os.symlink(outside, root / "escape")
    os.symlink(outside / "secret.py", root / "leak.py")
    os.symlink(root, root / "pkg" / "loop")
    os.symlink("b_link", root / "a_link")  # a two-link cycle
    os.symlink("a_link", root / "b_link")
    (root / ".gitmodules").write_text(f'[submodule "evil"]\n\tpath = evil\n\turl = file://{sub}\n'
                                      f'[submodule "evil2"]\n\tpath = evil2\n\turl = ../../outside/subrepo\n')
    git(root, "add", "-A")
    sub_head = git(sub, "rev-parse", "HEAD")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{sub_head},evil")
    git(root, "commit", "-q", "-m", "hostile")
    hook = root / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {markers['hook']}\n")
    hook.chmod(0o755)
    with open(root / "huge.py", "wb") as fh:  # sparse: no disk used; only the walker sees it (not committed)
        fh.truncate(SPARSE)
    return markers


def evil_tree_commit(repo: Path) -> str:
    """A commit whose tree git itself would refuse: entries named `..`, `../../escape.py`, `.git`, and one
    with a newline (written with `hash-object --literally`). Returns the commit id."""
    blob = git(repo, "hash-object", "-w", "--stdin", data=LOAD.encode())
    raw = bytes.fromhex(blob)
    names = [b"..", b"../../escape.py", b".git", b"new\nline.py", b"ok.py"]
    body = b"".join(b"100644 " + n + b"\0" + raw for n in sorted(names))
    tree = git(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=body)
    commit = git(repo, "commit-tree", tree, "-m", "evil tree")
    git(repo, "update-ref", "refs/heads/evil", commit)
    return commit


def snapshot(folder: Path) -> set[str]:
    """Every path under folder (links not followed), for 'nothing was written' checks."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            out.add(os.path.join(dirpath, name))
    return out
