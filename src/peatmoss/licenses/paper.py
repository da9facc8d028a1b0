"""The paper's method (PeaTMOSS, MSR 2024, Figure 12), reproduced exactly.

Rule table: the Linux Foundation OSS compatibility matrix (rows = downstream repository license,
columns = upstream model license, values yes/no/?). Method, as in the paper's artifact:
- repositories with more than one detected license are skipped;
- a repository with no detected license (or "unlicense") counts as "no license";
- catch-all keys ("other", "unknown", "unknown-license-reference", ...) become "other";
- a few ScanCode keys are aliased to the matrix's names (bsd-new -> bsd-3-clause, ...);
- a license missing from the matrix gives "unknown"; identical licenses are compatible
  (only when the license is in the matrix, so "other"/"other" stays unknown).
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import NONE, licensing, parse

ALIASES = {
    "bsd-new": "bsd-3-clause",
    "bsd-modified": "bsd-3-clause",
    "bsd-simplified": "bsd-2-clause",
    "openrail++": "openrail",
    "gpl-2.0": "gpl-2.0-only",
    "gpl-3.0": "gpl-3.0-only",
    "gpl-3.0-plus": "gpl-3.0-or-later",
    "agpl-3.0": "agpl-3.0-only",
    "lgpl-3.0": "lgpl-3.0-only",
    "lgpl-3.0-plus": "lgpl-3.0-or-later",
    "lgpl-2.1": "lgpl-2.1-only",
}
OTHERS = {"other", "unknown", "unknown-license-reference", "warranty-disclaimer", "generic-cla",
          "commercial-license", "other-permissive", "other-copyleft"}
NO_LICENSE = "no license"
RULE_SOURCE = "Linux Foundation OSS license compatibility matrix (PeaTMOSS paper method)"
_VALUES = {"yes": "compatible", "no": "incompatible", "?": "unknown"}


def paper_key(license: str | None) -> str:
    """The paper's normalisation of one license key (lower-cased HF id or ScanCode key)."""
    if license is None or license == "" or license == "unlicense":
        return NO_LICENSE
    license = license.lower()
    if license in OTHERS:
        return "other"
    return ALIASES.get(license, license)


def spdx_keys(expression: str | None) -> list[str] | None:
    """The paper's keys of an SPDX expression: one per license named ([] for "NONE"); None when not recognised."""
    if not expression:
        return None
    if expression == NONE:
        return []
    parsed = parse(expression)
    if parsed is None:
        return None
    return [str(sym.key).lower() for sym in licensing().license_symbols(parsed, unique=True)]


@dataclass
class LinuxFoundationMatrix:
    table: dict[str, dict[str, str]]  # downstream -> upstream -> yes|no|?
    upstream: set[str]  # column names
    downstream: set[str]  # row names

    @classmethod
    def load(cls, path: Path) -> "LinuxFoundationMatrix":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        cols = rows[0][1:]
        table = {r[0]: dict(zip(cols, r[1:])) for r in rows[1:] if r and r[0]}
        return cls(table, set(cols), set(table))

    def verdict(self, upstream: str, downstream: str) -> tuple[str, str]:
        """(verdict, reason) for one upstream model license and one downstream repo license (paper keys)."""
        if upstream not in self.upstream:
            return "unknown", f"upstream license {upstream!r} is not in the Linux Foundation matrix"
        if downstream not in self.downstream:
            return "unknown", f"downstream license {downstream!r} is not in the Linux Foundation matrix"
        if upstream == downstream:
            return "compatible", "identical licenses"
        value = self.table[downstream].get(upstream, "?")
        verdict = _VALUES.get(value, "unknown")
        return verdict, f"matrix[{downstream}][{upstream}] = {value!r}"


@dataclass
class PaperSummary:
    relations: int = 0
    skipped: int = 0
    analysed: int = 0
    identical: int = 0
    counts: Counter = field(default_factory=Counter)

    def pct(self, n: int) -> float:
        return 100.0 * n / self.analysed if self.analysed else 0.0

    def as_dict(self) -> dict:
        return {"relations": self.relations, "skipped": self.skipped, "analysed": self.analysed,
                "compatible": self.counts["compatible"], "incompatible": self.counts["incompatible"],
                "unknown": self.counts["unknown"], "identical": self.identical,
                "compatible_pct": round(self.pct(self.counts["compatible"]), 2),
                "incompatible_pct": round(self.pct(self.counts["incompatible"]), 2),
                "unknown_pct": round(self.pct(self.counts["unknown"]), 2),
                "identical_pct": round(self.pct(self.identical), 2)}


_REPO = re.compile(r"github\.com[/:](.+/.+?)(?:\.git)?$")


def repo_name(url: str) -> str | None:
    """owner/name from a GitHub URL ("github.com/owner/name")."""
    match = _REPO.search(url.replace("\\/", "/"))
    return match.group(1) if match else None


@dataclass
class Relation:
    """One PTM -> repository dependency of the paper's data."""

    repo: str
    model: str
    model_license: str | None  # the Hub license id, as met
    repo_licenses: list[str] | None  # ScanCode keys found in the repo, None when none


def load_relations(mapping_csv: Path, repo_licenses_json: Path) -> list[Relation]:
    """The paper's relations: hf_model_to_gh_repo_license_mapping.csv (no header) + gh_repo_licenses_scancode.json."""
    repos = json.loads(Path(repo_licenses_json).read_text(encoding="utf-8"))
    out = []
    with open(mapping_csv, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row:
                continue
            name = repo_name(row[0])
            out.append(Relation(repo=name or row[0], model=row[1], model_license=row[3] or None,
                                repo_licenses=repos.get(name)))
    return out


def paper_pairs(relations: list[Relation], matrix: LinuxFoundationMatrix) -> Iterator[tuple[str, str, str] | None]:
    """(upstream key, downstream key, verdict) of each relation under the paper's method; None for a relation the
    paper skipped (a repository with more than one license)."""
    for rel in relations:
        repo_licenses = rel.repo_licenses or [NO_LICENSE]
        if len(repo_licenses) > 1:
            yield None
            continue
        upstream = paper_key(rel.model_license) if rel.model_license else NO_LICENSE
        downstream = paper_key(repo_licenses[0])
        yield upstream, downstream, matrix.verdict(upstream, downstream)[0]


def analyse_paper(relations: list[Relation], matrix: LinuxFoundationMatrix) -> PaperSummary:
    """Apply the paper's method to its relations and count the outcomes."""
    summary = PaperSummary()
    for pair in paper_pairs(relations, matrix):
        summary.relations += 1
        if pair is None:
            summary.skipped += 1
            continue
        upstream, downstream, verdict = pair
        if upstream == downstream:
            summary.identical += 1
        summary.analysed += 1
        summary.counts[verdict] += 1
    return summary


def paper_flows(relations: list[Relation], matrix: LinuxFoundationMatrix) -> list[tuple[str, str, str, int]]:
    """The Sankey bands (upstream, downstream, verdict, relations) of the paper's method on its relations."""
    counts = Counter(pair for pair in paper_pairs(relations, matrix) if pair is not None)
    return [(u, d, v, n) for (u, d, v), n in counts.most_common()]


def paper_verdict(matrix: LinuxFoundationMatrix, model_license: str | None,
                  repo_licenses: list[str] | None) -> tuple[str, str]:
    """(verdict, reason) of one relation under the paper's method; multi-license repos are 'skipped'."""
    repo_licenses = repo_licenses or [NO_LICENSE]
    if len(repo_licenses) > 1:
        return "skipped", "repository has more than one license (the paper analysed single-license repos only)"
    return matrix.verdict(paper_key(model_license), paper_key(repo_licenses[0]))
