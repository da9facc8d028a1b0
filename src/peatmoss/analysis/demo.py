"""The analysis step of `peatmoss demo`: the report of the demo database."""

from __future__ import annotations

from pathlib import Path

from .report import write_report


def demo_step(url: str, outdir: Path) -> str:
    """Write the report of the database at `url` into `outdir`; returns the path of its HTML file."""
    return str(write_report(url, Path(outdir)))
