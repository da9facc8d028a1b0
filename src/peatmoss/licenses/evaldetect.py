"""Accuracy of repository license detection on the development set of downstream repositories
(downstream_dev.md of the shared data: repository and the license of its LICENSE file), each read from
a bare git mirror (`core.paths.mirror_repo`: <mirrors>/<owner>+<name>/repo)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from peatmoss.core.paths import mirror_repo

from .detect import LICENSE_FILE, README, detect_repo_license
from .normalize import NONE, normalize

_ROW = re.compile(r"^\|\s*\d+\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*\d+\s*\|")
_METADATA = {"pyproject.toml", "setup.cfg", "setup.py", "package.json"}


@dataclass
class DetectionCase:
    repo: str
    expected: str
    detected: str | None
    reason: str

    @property
    def correct(self) -> bool:
        if self.detected is None:
            return False
        strip = lambda e: re.sub(r"-(only|or-later)\b", "", e)  # noqa: E731  the file text cannot tell them apart
        return strip(self.detected) == strip(self.expected)


def dev_set(path: Path) -> list[tuple[str, str]]:
    """(owner/name, expected SPDX expression or NONE) from the table of downstream_dev.md."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m and "/" in m.group(1):
            label = m.group(2)
            out.append((m.group(1), NONE if label == "none" else (normalize(label).expression or label)))
    return out


def _materialise(git_dir: Path, dest: Path) -> None:
    """Write the top-level license, metadata and README files of HEAD into dest."""
    names = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "--name-only", "HEAD"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in names:
        if LICENSE_FILE.match(name) or README.match(name) or name in _METADATA:
            blob = subprocess.run(["git", "-C", str(git_dir), "show", f"HEAD:{name}"], capture_output=True)
            if blob.returncode == 0:
                (dest / name).write_bytes(blob.stdout)


def evaluate(dev_md: Path, mirrors: Path) -> list[DetectionCase]:
    """Detect each repository's license from its mirror in `mirrors` and compare; missing mirrors are left out."""
    cases = []
    for repo, expected in dev_set(dev_md):
        git_dir = mirror_repo(mirrors, repo)
        if not git_dir.exists():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            _materialise(git_dir, Path(tmp))
            det = detect_repo_license(tmp)
        cases.append(DetectionCase(repo, expected, det.expression, det.reason))
    return cases
