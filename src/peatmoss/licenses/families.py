"""License families: what kind of terms a license id carries (for the rules the matrices lack)."""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import NONE, licenserefs, scancode_index

FAMILIES = ("permissive", "weak-copyleft", "strong-copyleft", "network-copyleft", "cc-by", "cc-by-sa",
            "cc-nc", "cc-nd", "cc-nc-nd", "rail", "llama", "gemma", "community", "research-nc", "proprietary",
            "none", "unknown")

_PATTERNS = [  # first match wins
    (r"^CC-BY-NC-ND-", "cc-nc-nd"), (r"^CC-BY-NC(-SA)?-", "cc-nc"), (r"^CC-BY-ND-", "cc-nd"),
    (r"^CC-BY-SA-", "cc-by-sa"), (r"^CC-BY-\d", "cc-by"), (r"^(CC0-|PDDL-|Unlicense$|0BSD$|WTFPL$)", "permissive"),
    (r"^AGPL-", "network-copyleft"), (r"^(GPL-|LicenseRef-GPL-family)", "strong-copyleft"),
    (r"^(LGPL|MPL-|EPL-|CDDL-|EUPL-|OSL-|LGPLLR$|GFDL-|CECILL-2|ErlPL)", "weak-copyleft"),
    (r"^(ODbL-|CDLA-Sharing-)", "cc-by-sa"), (r"^ODC-By-", "cc-by"), (r"^C-UDA-", "research-nc"),
]
_CATEGORIES = {
    "Permissive": "permissive", "Public Domain": "permissive", "Copyleft": "strong-copyleft",
    "Copyleft Limited": "weak-copyleft", "Proprietary Free": "proprietary", "Commercial": "proprietary",
    "Source-available": "proprietary", "Free Restricted": "proprietary", "Patent License": "permissive",
}


@lru_cache(maxsize=1)
def _spdx_categories() -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in scancode_index().values():
        for key in [entry.get("spdx_license_key")] + list(entry.get("other_spdx_license_keys") or []):
            if key:
                out.setdefault(key, entry["category"])
    return out


def base_id(license_id: str) -> str:
    """Drop an exception: "GPL-2.0-or-later WITH Classpath-exception-2.0" -> "GPL-2.0-or-later"."""
    return license_id.split(" WITH ")[0].strip()


@lru_cache(maxsize=4096)
def family(license_id: str | None) -> str:
    """The family of one SPDX id or LicenseRef (exceptions ignored)."""
    if license_id is None:
        return "unknown"
    if license_id == NONE:
        return "none"
    lid = base_id(license_id)
    if lid in licenserefs():
        return licenserefs()[lid]["family"]
    for pattern, fam in _PATTERNS:
        if re.search(pattern, lid):
            return fam
    category = _spdx_categories().get(lid)
    return _CATEGORIES.get(category, "unknown")
