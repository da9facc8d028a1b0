"""Reading a repository's files without leaving it: one rule for every reader of analysed folders.

A path is read only when its real location (all symlinks resolved) lies inside the real root, and only when
it is a regular file (no FIFO or device that would block or never end). `scan`'s walk, the license detector
(license files, package metadata) and the miner all read through here, so a `LICENSE` symlink to a file
outside, a `LICENSES` link to /etc or `license = {file = "../x"}` is refused the same way everywhere.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class OutsideRoot(OSError):
    """The path resolves outside the root (or is no regular file); nothing was read."""


def real_root(root: str | Path) -> str:
    return os.path.realpath(root)


def within(root_real: str, path: str | Path) -> bool:
    """True when `path`, with every symlink resolved, is the real root or lies under it."""
    target = os.path.realpath(path)
    try:
        return os.path.commonpath([root_real, target]) == root_real
    except ValueError:  # different drives
        return False


def resolve(root: str | Path, rel: str | Path) -> str:
    """The real path of `rel` under `root`, or OutsideRoot when it resolves outside (absolute paths and `..`
    count from the root only if they stay inside)."""
    root_real = real_root(root)
    rel = str(rel)
    candidate = os.path.join(root_real, rel) if not os.path.isabs(rel) else rel
    try:
        target = os.path.realpath(candidate)
    except ValueError:  # a NUL byte in the name
        raise OutsideRoot(f"{rel!r}: not a valid path; not read") from None
    if not within(root_real, target):
        raise OutsideRoot(f"{rel}: resolves outside the repository; not read")
    return target


def read_bytes(root: str | Path, rel: str | Path, limit: int) -> bytes:
    """Up to `limit` bytes of the regular file `rel` inside `root` (OutsideRoot / OSError otherwise)."""
    target = resolve(root, rel)
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutsideRoot(f"{rel}: not a regular file; not read")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    finally:
        os.close(fd)


def file_names(root: str | Path, folder: str = "") -> list[str]:
    """Names of the regular files directly in `folder` of `root` that stay inside it, sorted; [] when the
    folder is missing or itself resolves outside the root."""
    try:
        path = resolve(root, folder or ".")
    except OutsideRoot:
        return []
    if not os.path.isdir(path):
        return []
    root_real = real_root(root)
    names = []
    for entry in os.scandir(path):
        if within(root_real, entry.path) and os.path.isfile(entry.path):
            names.append(entry.name)
    return sorted(names)
