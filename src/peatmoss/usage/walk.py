"""Safe walk of a local folder: no symlinks out of the root, loop detection, size cap, skipped folders.

Which files a repository hands to the analyzer (`wanted`, `SKIP_DIRS`, `size_limit`) is decided here once,
for folders and for git commits (sources.py) alike, so `scan` and `mine` read the same files of a tree."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

from ..core.safefs import read_bytes, within
from .model import FileRecord, SourceFile

MAX_BYTES = 2 * 1024 * 1024
NOTEBOOK_FACTOR = 8  # notebooks carry outputs (images) that are dropped before analysis


# Folders never analysed (tool state, vendored packages, virtual environments). Not "env": in repositories
# that is often code (RL environments); a virtual environment of any name is known by its pyvenv.cfg.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".env",
                       "virtualenv", ".tox", ".nox", "site-packages", "dist-packages", ".mypy_cache",
                       ".pytest_cache", ".ipynb_checkpoints"})
VENV_MARKER = "pyvenv.cfg"
# Files the analyzer can use (python, notebooks, percent scripts, configs naming models, launch files).
SUFFIXES = (".py", ".pyw", ".ipynb", ".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".sh", ".env", "dockerfile",
            "makefile", "readme.md")


def size_limit(path: str, max_bytes: int = MAX_BYTES) -> int:
    """Byte cap for one file: `max_bytes`, or 8 times that for a notebook."""
    return max_bytes * NOTEBOOK_FACTOR if path.lower().endswith(".ipynb") else max_bytes


def wanted(path: str, venvs: frozenset[str] | set[str] = frozenset()) -> bool:
    """A repository path the analyzer reads: a known suffix, under no skipped folder nor virtual environment
    (`venvs`: the folders holding a pyvenv.cfg)."""
    parts = path.split("/")
    if not path.lower().endswith(SUFFIXES) or any(p in SKIP_DIRS for p in parts[:-1]):
        return False
    return not any("/".join(parts[:i]) in venvs for i in range(1, len(parts)))


def file_kind(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".ipynb"):
        return "notebook"
    if lower.endswith((".py", ".pyw")):
        return "python"
    return "config" if lower.endswith(SUFFIXES) else "other"


def _is_venv(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, VENV_MARKER))


def _reader(root: str, rel: str, limit: int):
    return lambda: read_bytes(root, rel, limit + 1)


def walk(root: str | Path, max_bytes: int = MAX_BYTES) -> Iterator[SourceFile | FileRecord]:
    """SourceFiles of interest under root, and FileRecords for what was refused (links, loops, size)."""
    root_real = os.path.realpath(root)
    seen: set[tuple[int, int]] = set()
    stack = [root_real]
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
        except OSError:
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            yield FileRecord(_rel(folder, root_real), "folder", 0, "skipped", "symlink_loop", "folder already visited")
            continue
        seen.add(key)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield FileRecord(_rel(folder, root_real), "folder", 0, "error", "unreadable", str(exc))
            continue
        subdirs = []
        for entry in entries:
            rel = _rel(entry.path, root_real)
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not os.path.exists(target):
                    yield FileRecord(rel, file_kind(rel), 0, "error", "broken_symlink", "link target missing")
                    continue
                if not within(root_real, target):
                    yield FileRecord(rel, file_kind(rel), 0, "skipped", "symlink_outside_root", "link leaves the root")
                    continue
            try:
                st = os.stat(entry.path)
            except OSError as exc:
                yield FileRecord(rel, file_kind(rel), 0, "error", "unreadable", str(exc))
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name in SKIP_DIRS or _is_venv(entry.path):
                    continue
                subdirs.append(entry.path)
            elif stat.S_ISREG(st.st_mode) and entry.name.lower().endswith(SUFFIXES):
                if entry.is_symlink() and (st.st_dev, st.st_ino) in seen:
                    continue
                limit = size_limit(rel, max_bytes)
                if st.st_size > limit:
                    yield FileRecord(rel, file_kind(rel), st.st_size, "skipped", "too_large",
                                     f"{st.st_size} bytes > {limit}")
                    continue
                yield SourceFile(rel, st.st_size, _reader(root_real, rel, limit))
        stack.extend(reversed(subdirs))


def _rel(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return "." if rel == "." else Path(rel).as_posix()
