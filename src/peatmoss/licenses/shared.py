"""Where the read-only shared license data lives (matrices, the paper's relations)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_licenses_dir() -> Path | None:
    """$PEATMOSS_SHARED_DATA/licenses, else ../shared/data/licenses from the working directory or the repo."""
    candidates = []
    env = os.environ.get("PEATMOSS_SHARED_DATA")
    if env:
        candidates.append(Path(env) / "licenses")
    here = Path(__file__).resolve()
    candidates += [Path.cwd().parent / "shared" / "data" / "licenses", here.parents[3].parent / "shared" / "data" / "licenses"]
    for path in candidates:
        if path.is_dir():
            return path
    return None


def require_shared(name: str) -> Path:
    base = shared_licenses_dir()
    if base is None or not (base / name).exists():
        raise FileNotFoundError(f"shared license data {name!r} not found (set PEATMOSS_SHARED_DATA)")
    return base / name
