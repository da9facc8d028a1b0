"""Every license string we meet -> an SPDX expression.

Sources, tried in order: "no license" markers; the Hub's license ids (data/hub_ids.csv); SPDX
expressions (license-expression's SPDX licensing); ScanCode keys and key expressions (the ScanCode
LicenseDB index shipped with license-expression); PyPI classifiers; free text (names of the SPDX
list, the Hub's full names, our LicenseRef ids, a few common spellings). Model licenses SPDX lacks
map to the documented LicenseRef ids of data/licenserefs.csv. "NONE" means no license (all rights
reserved); an unrecognised string gives expression None and the reason.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import license_expression
from license_expression import get_spdx_licensing

NONE = "NONE"
_NO_LICENSE = {"", "none", "no license", "no-license", "nolicense", "null"}
_UNKNOWN = {"unknown", "other", "noassertion", "???", "?", "n/a", "na", "see license", "custom", "proprietary?"}
# ScanCode keys that flag text near a license rather than a license: dropped from multi-key lists.
NOISE_KEYS = {"unknown-license-reference", "warranty-disclaimer", "generic-cla", "free-unknown",
              "unknown", "other-permissive-reference", "generic-exception", "unknown-spdx"}

DATA = resources.files("peatmoss.licenses") / "data"


@dataclass(frozen=True)
class Normalized:
    raw: str | None
    expression: str | None  # SPDX expression; "NONE" = no license; None = not recognised
    method: str  # none | hub | spdx | scancode | classifier | text | unrecognised | other
    reason: str = ""


def _csv(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def hub_ids() -> dict[str, str]:
    return {r["hub_id"]: r["spdx_expression"] for r in _csv("hub_ids.csv")}


@lru_cache(maxsize=1)
def licenserefs() -> dict[str, dict]:
    return {r["id"]: r for r in _csv("licenserefs.csv")}


@lru_cache(maxsize=1)
def spdx_names() -> dict[str, str]:
    return {r["spdx_id"]: r["name"] for r in _csv("spdx_names.csv")}


@lru_cache(maxsize=1)
def classifiers() -> dict[str, str]:
    return {r["classifier"].lower(): r["spdx_expression"] for r in _csv("classifiers.csv")}


@lru_cache(maxsize=1)
def scancode_index() -> dict[str, dict]:
    """ScanCode LicenseDB index (key -> entry with spdx_license_key, category), as shipped with license-expression."""
    path = Path(license_expression.__file__).parent / "data" / "scancode-licensedb-index.json"
    return {e["license_key"]: e for e in json.loads(path.read_text(encoding="utf-8"))}


@lru_cache(maxsize=1)
def scancode_to_spdx() -> dict[str, str]:
    """ScanCode key -> SPDX id (our LicenseRef for model licenses SPDX lacks)."""
    out = {k: e["spdx_license_key"] for k, e in scancode_index().items() if e.get("spdx_license_key")}
    for ref, row in licenserefs().items():
        if row["scancode_key"]:
            out[row["scancode_key"]] = ref
    return out


def _clean(text: str) -> str:
    text = text.lower().replace("licence", "license")
    text = re.sub(r"\bv(?=\d)", " ", text)
    text = re.sub(r"[^a-z0-9.+]+", " ", text)
    text = re.sub(r"(\d)\.0\b", r"\1", text)
    words = [w for w in text.split() if w not in {"the", "license", "version", "a", "agreement"}]
    return " ".join(words).strip(" .")


_EXTRA_NAMES = {
    "apache": "Apache-2.0", "apache2": "Apache-2.0", "apache 2": "Apache-2.0", "asl 2": "Apache-2.0",
    "mit": "MIT", "expat": "MIT", "bsd": "LicenseRef-BSD-family", "bsd 3": "BSD-3-Clause",
    "bsd 3 clause": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "bsd 2": "BSD-2-Clause",
    "bsd 2 clause": "BSD-2-Clause", "simplified bsd": "BSD-2-Clause", "gpl": "LicenseRef-GPL-family",
    "gplv2": "GPL-2.0-only", "gpl 2": "GPL-2.0-only", "gplv3": "GPL-3.0-only", "gpl 3": "GPL-3.0-only",
    "gpl 3+": "GPL-3.0-or-later", "gpl 2+": "GPL-2.0-or-later", "gplv3+": "GPL-3.0-or-later",
    "agplv3": "AGPL-3.0-only", "agpl 3": "AGPL-3.0-only", "lgpl": "LicenseRef-LGPL-family",
    "lgplv3": "LGPL-3.0-only", "lgpl 3": "LGPL-3.0-only", "lgpl 2.1": "LGPL-2.1-only", "mpl 2": "MPL-2.0",
    "public domain": "LicenseRef-scancode-public-domain", "cc0": "CC0-1.0", "unlicense": "Unlicense",
    "llama 2": "LicenseRef-Llama-2", "llama2": "LicenseRef-Llama-2", "llama 3": "LicenseRef-Llama-3",
    "llama3": "LicenseRef-Llama-3", "llama 3.1": "LicenseRef-Llama-3.1", "llama3.1": "LicenseRef-Llama-3.1",
    "llama 3.2": "LicenseRef-Llama-3.2", "llama3.2": "LicenseRef-Llama-3.2",
    "llama 3.3": "LicenseRef-Llama-3.3", "llama3.3": "LicenseRef-Llama-3.3", "gemma": "LicenseRef-Gemma",
    "gemma terms of use": "LicenseRef-Gemma", "openrail": "LicenseRef-OpenRAIL",
    "openrail m": "LicenseRef-OpenRAIL", "open rail m": "LicenseRef-OpenRAIL",
    "creativeml openrail m": "LicenseRef-CreativeML-OpenRAIL-M",
    "bigscience openrail m": "LicenseRef-BigScience-OpenRAIL-M",
    "bigscience bloom rail 1": "LicenseRef-BigScience-BLOOM-RAIL-1.0",
    "bloom rail": "LicenseRef-BigScience-BLOOM-RAIL-1.0", "openrail++": "LicenseRef-OpenRAIL-plusplus-M",
    # Hub `other` + license_name values met often
    "tongyi-qianwen": "LicenseRef-Tongyi-Qianwen", "qwen": "LicenseRef-Tongyi-Qianwen",
    "qwen-research": "LicenseRef-Qwen-Research", "deepseek": "LicenseRef-DeepSeek-Model",
    "deepseek-license": "LicenseRef-DeepSeek-Model", "flux-1-dev-non-commercial-license": "LicenseRef-FLUX-1-dev-Non-Commercial",
    "stabilityai-ai-community": "LicenseRef-Stability-AI-Community",
    "stabilityai-ai-community-license": "LicenseRef-Stability-AI-Community",
    "mistral-ai-research-licence": "LicenseRef-Mistral-AI-Research", "mrl": "LicenseRef-Mistral-AI-Research",
    "nvidia-open-model-license": "LicenseRef-NVIDIA-Open-Model", "llama-3.2-community-license": "LicenseRef-Llama-3.2",
}


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for spdx_id, name in spdx_names().items():
        index.setdefault(_clean(name), spdx_id)
        index.setdefault(_clean(spdx_id), spdx_id)
    for row in _csv("hub_ids.csv"):
        index[_clean(row["hub_id"])] = row["spdx_expression"]
    for ref, row in licenserefs().items():
        index.setdefault(_clean(row["name"]), ref)
        index.setdefault(_clean(ref.removeprefix("LicenseRef-")), ref)
    for text, spdx_id in _EXTRA_NAMES.items():
        index[_clean(text)] = spdx_id
    return index


@lru_cache(maxsize=1)
def licensing():
    """The SPDX licensing (built once: building it takes a while)."""
    return get_spdx_licensing()


@lru_cache(maxsize=8192)
def parse(expr: str):
    """A parsed license expression (cached), or None when it does not parse."""
    try:
        return licensing().parse(expr)
    except Exception:  # ExpressionError and a few other types on odd input
        return None


@lru_cache(maxsize=8192)
def _spdx(text: str) -> str | None:
    """A valid SPDX expression (any case; LicenseRef-* allowed) -> its canonical form, else None."""
    parsed = parse(text)
    if parsed is None:
        return None
    if any(not key.startswith("LicenseRef-") for key in licensing().unknown_license_keys(parsed)):
        return None
    return str(parsed)


def _scancode(text: str) -> str | None:
    """A ScanCode key or key expression ("bsd-new", "gpl-3.0-plus WITH gcc-exception-3.1") -> SPDX."""
    table = scancode_to_spdx()
    tokens = re.split(r"(\s+|\(|\))", text.strip().lower())
    out, seen_key = [], False
    for tok in tokens:
        if not tok or tok.isspace() or tok in "()":
            out.append(tok)
        elif tok in ("and", "or", "with"):
            out.append(tok.upper())
        elif tok in table:
            out.append(table[tok])
            seen_key = True
        else:
            return None
    return _spdx("".join(out)) if seen_key else None


def normalize(raw: str | list | None, license_name: str | None = None,
              license_link: str | None = None) -> Normalized:
    """One license value as met (Hub id, SPDX, ScanCode key, classifier, free text, list) -> Normalized."""
    if isinstance(raw, (list, tuple)):
        return normalize_many([str(x) for x in raw if x is not None])
    if raw is None or str(raw).strip().lower() in _NO_LICENSE:
        return Normalized(raw, NONE, "none", "no license declared (all rights reserved)")
    text = str(raw).strip()[:1000]
    low = text.lower().strip("'\"[] ")
    if low == "other" and (license_name or license_link):
        inner = normalize(license_name) if license_name else Normalized(None, None, "unrecognised")
        if inner.expression and inner.expression != NONE:
            return Normalized(raw, inner.expression, "other",
                              f"Hub 'other' with license_name={license_name!r}")
        return Normalized(raw, None, "other",
                          f"Hub 'other' license not recognised (license_name={license_name!r}, "
                          f"license_link={license_link!r})")
    if low in _UNKNOWN:
        return Normalized(raw, None, "unrecognised", f"license given as {text!r}: terms not stated")
    if low in hub_ids():
        return Normalized(raw, hub_ids()[low], "hub")
    if low.startswith("license ::"):
        expr = classifiers().get(low)
        if expr:
            return Normalized(raw, expr, "classifier")
        return Normalized(raw, None, "unrecognised", f"unknown PyPI classifier {text!r}")
    expr = _scancode(low)
    if expr:
        return Normalized(raw, expr, "scancode")
    expr = _spdx(text)
    if expr:
        return Normalized(raw, expr, "spdx")
    cleaned = _clean(text)
    if cleaned in _name_index():
        return Normalized(raw, _name_index()[cleaned], "text")
    return Normalized(raw, None, "unrecognised", f"license string {text[:200]!r} not recognised")


@lru_cache(maxsize=1)
def _spdx_to_hub() -> dict[str, str]:
    out: dict[str, str] = {}
    for hub, expr in hub_ids().items():
        out.setdefault(expr, hub)  # the first Hub id of an expression is its usual spelling
    return out


def hub_license_id(raw: str | None) -> str | None:
    """A license as the Hub spells it ("apache-2.0"): `normalize`, then the Hub id of that expression.
    None when the text names no license the Hub has an id for."""
    if raw is None or not str(raw).strip():
        return None
    low = str(raw).strip().lower()
    if low in hub_ids():
        return low
    return _spdx_to_hub().get(normalize(raw).expression or "")


def normalize_many(keys: list[str]) -> Normalized:
    """Several licenses found in one repository -> one AND expression (noise keys dropped)."""
    if not keys:
        return Normalized(keys, NONE, "none", "no license found")
    kept = [k for k in keys if k.strip().lower() not in NOISE_KEYS]
    if not kept:
        return Normalized(keys, None, "unrecognised",
                          f"only license references or notices found ({', '.join(keys)}), no license identified")
    parts, reasons = [], []
    for key in dict.fromkeys(kept):
        n = normalize(key)
        if n.expression is None:
            reasons.append(n.reason)
            parts.append(None)
        elif n.expression != NONE:
            parts.append(n.expression)
    if any(p is None for p in parts):
        known = [p for p in parts if p]
        return Normalized(keys, None, "unrecognised", "; ".join(reasons) + (f" (other parts: {' AND '.join(known)})" if known else ""))
    if not parts:
        return Normalized(keys, NONE, "none", "no license found")
    joined = " AND ".join(f"({p})" if " OR " in p else p for p in dict.fromkeys(parts))
    return Normalized(keys, _spdx(joined) or joined, "list")
