"""Where the read-only shared license data lives (matrices, the paper's relations): `core.paths`."""

from __future__ import annotations

from pathlib import Path

from peatmoss.core import paths


def shared_licenses_dir() -> Path | None:
    """The `licenses` folder of the shared data, or None."""
    return paths.shared_path("licenses")


def require_shared(name: str) -> Path:
    return paths.require_shared("licenses", name)
