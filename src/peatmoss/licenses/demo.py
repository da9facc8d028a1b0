"""The license stage's demo step: analyse whatever the database holds, fast."""

from __future__ import annotations

from pathlib import Path

from .analyze import analyze


def demo_step(url: str, outdir: Path) -> str:
    """Normalise model licenses, give verdicts to the links present; summary, CSV and Sankey HTML in outdir."""
    result = analyze(url, "osadl+ml", Path(outdir) / "licenses", static_format=None)
    d = result.as_dict()
    if not d["relations"]:
        return (f"licenses: {d['licenses_recognised']}/{d['licenses_met']} license strings normalised to SPDX; "
                "no PTM->repository links to assess")
    return (f"licenses: {d['relations']} links — {d['compatible']} compatible, {d['conditional']} conditional, "
            f"{d['incompatible']} incompatible, {d['unknown']} unknown ({d['unknown_pct']}%)"
            + (f", {d['conflict']} conflict" if d["conflict"] else "") + "; "
            f"{d['lineage_edges']} lineage edges, {d['license_drift']} license drift")
