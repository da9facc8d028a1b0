"""Counting verdicts: identical, compatible, conditional, incompatible, unknown, with the reasons."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .engine import Verdict


@dataclass
class PairRow:
    """One PTM -> repository relation with its verdict (one row of the per-pair CSV)."""

    repository: str
    model: str
    upstream_raw: str | None
    downstream_raw: str | None
    verdict: Verdict

    def as_dict(self) -> dict:
        v = self.verdict
        return {"repository": self.repository, "model": self.model, "upstream_raw": self.upstream_raw,
                "downstream_raw": self.downstream_raw, "upstream": v.upstream, "downstream": v.downstream,
                "verdict": v.verdict, "condition": v.condition, "reason": v.reason,
                "rule_id": v.rule_id, "rule_source": v.rule_source}


@dataclass
class Summary:
    ruleset: str
    relations: int = 0
    identical: int = 0
    counts: Counter = field(default_factory=Counter)
    unknown_reasons: Counter = field(default_factory=Counter)
    incompatible_reasons: Counter = field(default_factory=Counter)

    def add(self, row: PairRow) -> None:
        v = row.verdict
        self.relations += 1
        self.counts[v.verdict] += 1
        if v.upstream is not None and v.upstream == v.downstream:
            self.identical += 1
        if v.verdict == "unknown":
            self.unknown_reasons[v.reason[:300]] += 1
        elif v.verdict == "incompatible":
            self.incompatible_reasons[f"{v.upstream} -> {v.downstream}: {v.reason[:200]}"] += 1

    def pct(self, n: int) -> float:
        return round(100.0 * n / self.relations, 2) if self.relations else 0.0

    def as_dict(self) -> dict:
        out = {"ruleset": self.ruleset, "relations": self.relations, "identical": self.identical,
               "identical_pct": self.pct(self.identical)}
        for key in ("compatible", "conditional", "incompatible", "unknown", "conflict"):
            out[key] = self.counts[key]
            out[f"{key}_pct"] = self.pct(self.counts[key])
        out["unknown_reasons"] = dict(self.unknown_reasons.most_common())
        out["incompatible_reasons"] = dict(self.incompatible_reasons.most_common())
        return out
