"""Our rules for the licenses the matrices lack (data/ml_rules.json): ML model licenses, CC, no license."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from .normalize import DATA

USES = ("runtime", "redistribute", "finetune-publish")
DISTRIBUTIONS = ("public", "internal")
VERDICTS = ("compatible", "conditional", "incompatible", "unknown")


@dataclass(frozen=True)
class Rule:
    id: str
    upstream: tuple[str, ...]
    downstream: tuple[str, ...]
    use: tuple[str, ...]
    distribution: tuple[str, ...]
    verdict: str
    reason: str
    source: str
    condition: str | None = None

    def matches(self, up_id: str, up_family: str, down_id: str, down_family: str, use: str, distribution: str) -> bool:
        return (_hit(self.upstream, up_id, up_family) and _hit(self.downstream, down_id, down_family)
                and _hit(self.use, use) and _hit(self.distribution, distribution))


def _hit(allowed: tuple[str, ...], *values: str) -> bool:
    return "*" in allowed or any(v in allowed for v in values)


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    data = json.loads((DATA / "ml_rules.json").read_text(encoding="utf-8"))
    return tuple(Rule(id=r["id"], upstream=tuple(r["upstream"]), downstream=tuple(r["downstream"]),
                      use=tuple(r["use"]), distribution=tuple(r.get("distribution", ["*"])),
                      verdict=r["verdict"], reason=r["reason"], source=r["source"],
                      condition=r.get("condition")) for r in data["rules"])


def find(up_id: str, up_family: str, down_id: str, down_family: str, use: str, distribution: str,
         context_only: bool = False) -> Rule | None:
    """The first rule that matches; context_only restricts to rules that depend on the distribution."""
    for rule in rules():
        if context_only and "*" in rule.distribution:
            continue
        if rule.matches(up_id, up_family, down_id, down_family, use, distribution):
            return rule
    return None
