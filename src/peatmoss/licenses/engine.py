"""verdict(upstream model license, downstream repo license, context) -> compatible | conditional | incompatible | unknown.

Licenses are SPDX expressions. Upstream `A OR B`: the reuser may pick, so the best choice counts;
`A AND B`: every part binds, so the worst counts. Downstream likewise (`AND` = several licenses in
one repository, all must accept the model). Each atomic pair goes through: identical licenses; the
context rules (e.g. not distributed); the OSADL matrix; our ML rules (data/ml_rules.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from license_expression import AND, OR

from . import mlrules, osadl
from .families import family
from .normalize import NONE, parse

RANK = {"compatible": 0, "conditional": 1, "unknown": 2, "conflict": 3, "incompatible": 4}  # worse is higher
RULESETS = ("osadl+ml", "osadl", "ml")
# the same id on both sides is not the same grant: no license, unidentified or generic proprietary terms, families
_NOT_IDENTICAL = {"none", "unknown", "proprietary"}


@dataclass(frozen=True)
class Context:
    use: str = "runtime"  # runtime | redistribute | finetune-publish
    distribution: str = "public"  # public | internal

    def as_dict(self) -> dict:
        return {"use": self.use, "distribution": self.distribution}


@dataclass
class Verdict:
    verdict: str
    reason: str
    rule_source: str
    condition: str | None = None
    upstream: str | None = None
    downstream: str | None = None
    rule_id: str | None = None
    parts: list["Verdict"] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "condition": self.condition, "reason": self.reason,
                "rule_source": self.rule_source, "rule_id": self.rule_id,
                "upstream": self.upstream, "downstream": self.downstream}


def _atomic(up: str, down: str, ctx: Context, ruleset: str) -> Verdict:
    up_fam, down_fam = family(up), family(down)
    if up == down and up_fam not in _NOT_IDENTICAL and not up.endswith("-family"):
        return Verdict("compatible", "identical licenses", "identity", upstream=up, downstream=down, rule_id="identical")
    use_ml = ruleset in ("osadl+ml", "ml")
    if use_ml:
        rule = mlrules.find(up, up_fam, down, down_fam, ctx.use, ctx.distribution, context_only=True)
        if rule:
            return _from_rule(rule, up, down)
    note = ""
    if ruleset in ("osadl+ml", "osadl"):
        hit = osadl.lookup(up, down)
        if hit and hit[0] != "unknown":
            cond = "OSADL: check the dependency (compatibility depends on how the component is combined)" \
                if hit[0] == "conditional" else None
            return Verdict(hit[0], f"OSADL matrix: leading {down} / subordinate {up} = {hit[1]!r}", osadl.SOURCE,
                           condition=cond, upstream=up, downstream=down, rule_id="osadl")
        if hit:
            note = f"OSADL matrix says 'Unknown' for {down} including {up}; "
    if use_ml:
        if up_fam == "unknown":
            return Verdict("unknown", note + f"model license {up} is not recognised (no family, not in OSADL)",
                           "peatmoss ml_rules", upstream=up, downstream=down, rule_id="unknown-upstream")
        rule = mlrules.find(up, up_fam, down, down_fam, ctx.use, ctx.distribution)
        if rule:
            v = _from_rule(rule, up, down)
            v.reason = note + v.reason
            return v
    return Verdict("unknown", note + f"no {ruleset} rule covers {up} ({up_fam}) -> {down} ({down_fam})",
                   ruleset, upstream=up, downstream=down, rule_id="no-rule")


def _from_rule(rule: mlrules.Rule, up: str, down: str) -> Verdict:
    return Verdict(rule.verdict, rule.reason, f"peatmoss ml_rules:{rule.id} ({rule.source})",
                   condition=rule.condition, upstream=up, downstream=down, rule_id=rule.id)


def _combine(parts: list[Verdict], worst: bool, up: str, down: str) -> Verdict:
    pick = max if worst else min
    chosen = pick(parts, key=lambda v: RANK[v.verdict])
    same = [p for p in parts if p.verdict == chosen.verdict]
    conditions = list(dict.fromkeys(p.condition for p in same if p.condition)) if worst else \
        ([chosen.condition] if chosen.condition else [])
    reasons = list(dict.fromkeys(f"{p.upstream} -> {p.downstream}: {p.reason}" for p in (same if worst else [chosen])))
    sources = list(dict.fromkeys(p.rule_source for p in (same if worst else [chosen])))
    return Verdict(chosen.verdict, "; ".join(reasons), " | ".join(sources),
                   condition="; ".join(conditions) or None, upstream=up, downstream=down,
                   rule_id=chosen.rule_id, parts=parts)


def _eval(up, down, ctx: Context, ruleset: str) -> Verdict:
    if isinstance(up, (AND, OR)):
        parts = [_eval(a, down, ctx, ruleset) for a in up.args]
        return _combine(parts, isinstance(up, AND), str(up), str(down))
    if isinstance(down, (AND, OR)):
        parts = [_eval(up, a, ctx, ruleset) for a in down.args]
        return _combine(parts, isinstance(down, AND), str(up), str(down))
    return _atomic(str(up), str(down), ctx, ruleset)


def _parse(expr: str):
    if expr == NONE:
        return NONE
    return parse(expr)


def verdict(upstream: str | None, downstream: str | None, context: Context | None = None,
            ruleset: str = "osadl+ml") -> Verdict:
    """The verdict for a model under `upstream` reused by a repository under `downstream` (SPDX expressions;
    "NONE" = no license; None = not recognised)."""
    ctx = context or Context()
    if ruleset not in RULESETS:
        raise ValueError(f"unknown ruleset {ruleset!r}; choose from {RULESETS}")
    if upstream is None:
        return Verdict("unknown", "the model's license is not recognised", ruleset, upstream=None,
                       downstream=downstream, rule_id="unknown-upstream")
    up = _parse(upstream)
    if up is None:
        return Verdict("unknown", f"model license {upstream!r} is not a valid SPDX expression", ruleset,
                       upstream=upstream, downstream=downstream, rule_id="unknown-upstream")
    down = _parse(downstream) if downstream is not None else None
    if down is None:
        down = "LicenseRef-peatmoss-unrecognised"
    return _eval(up, down, ctx, ruleset)


def explained_verdict(upstream: str | None, downstream: str | None, context: Context | None = None,
                      ruleset: str = "osadl+ml", *, upstream_reason: str | None = None,
                      downstream_reason: str | None = None, conflict: str | None = None) -> Verdict:
    """`verdict`, with why a license was not recognised in its reason; a repository whose declarations
    disagree (`conflict`) gets the verdict "conflict". Every command explains verdicts through here."""
    if conflict:
        return Verdict("conflict", f"conflicting license declarations in the repository: {conflict}",
                       "peatmoss license detection", upstream=upstream, downstream=downstream, rule_id="conflict")
    v = verdict(upstream, downstream, context, ruleset)
    if upstream is None and upstream_reason:
        v.reason = f"{upstream_reason}; {v.reason}"
    if downstream is None and downstream_reason:
        v.reason = f"{v.reason} (repository license: {downstream_reason})"
    return v
