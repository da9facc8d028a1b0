"""A reuse repository's license: what the database holds, else its files (local repositories), else the host's key."""

from __future__ import annotations

from pathlib import Path

from peatmoss.db.models import ReuseRepository

from .detect import detect_repo_license
from .normalize import NONE, Normalized, normalize


def repository_license(repo: ReuseRepository, fill: bool = True) -> Normalized:
    """The repository's license expression ("NONE" = no license). Fills license_spdx/license_evidence when empty."""
    evidence = repo.license_evidence if isinstance(repo.license_evidence, dict) else {}
    if repo.license_spdx:
        if evidence.get("conflict"):
            return Normalized(repo.license_spdx, repo.license_spdx, "conflict", evidence["conflict"])
        return Normalized(repo.license_spdx, repo.license_spdx, "stored")
    if repo.host == "local" and Path(repo.full_name).is_dir():
        det = detect_repo_license(repo.full_name)
        if fill and det.expression:
            repo.license_spdx = det.expression
            repo.license_evidence = det.as_dict()
        if det.conflict:
            return Normalized(repo.full_name, det.expression, "conflict", det.conflict)
        return Normalized(repo.full_name, det.expression, "files", det.reason)
    if repo.license_raw:
        norm = normalize(repo.license_raw)
        if fill and norm.expression:
            repo.license_spdx = norm.expression
            repo.license_evidence = {"source": "host", "license_raw": repo.license_raw, "method": norm.method}
        return norm
    return Normalized(None, NONE, "none", "the host reports no license (no license: all rights reserved)")
