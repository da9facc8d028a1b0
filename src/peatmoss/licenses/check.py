"""`peatmoss licenses check PATH`: the engineer's gate. Scan the repository, find its license, look up the
license of each model it loads, give verdicts; incompatible (or conflicting) -> non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .detect import Detection, detect_repo_license
from .engine import RANK, Context, Verdict, explained_verdict
from .lookup import Lookup, ModelInfo, load_hub_data

_USE = {"inference": "runtime", "finetune": "runtime", "export": "redistribute"}
POLICIES = ("incompatible", "conditional", "unknown", "smell")  # what `--fail-on` can name
_FAILS = {"incompatible": {"incompatible", "conflict"}, "conditional": {"conditional"}, "unknown": {"unknown"}}


@dataclass
class ModelCheck:
    model: str | None
    revision: str | None
    hub: str | None
    locations: list[tuple[str, int]]
    info: ModelInfo | None
    verdict: Verdict

    def as_dict(self) -> dict:
        return {"model": self.model, "revision": self.revision, "hub": self.hub,
                "license": self.info.license.expression if self.info else None,
                "license_source": self.info.source if self.info else None,
                "status": self.info.status if self.info else None,
                "hub_url": self.info.hub_url if self.info else None,
                "locations": [{"file": f, "line": ln} for f, ln in self.locations], **self.verdict.as_dict()}


@dataclass
class CheckReport:
    path: str
    repo_license: Detection
    models: list[ModelCheck] = field(default_factory=list)
    unresolved: list[dict] = field(default_factory=list)
    smells: list = field(default_factory=list)  # peatmoss.usage.smells.Smell

    @property
    def failed(self) -> bool:
        return bool(self.failures())

    def failures(self, fail_on: tuple[str, ...] | list[str] = ("incompatible",)) -> list[ModelCheck]:
        """The models that break the policy: a verdict in any of the named classes."""
        bad = set().union(*(_FAILS.get(p, set()) for p in fail_on)) if fail_on else set()
        return [m for m in self.models if m.verdict.verdict in bad] + (self.smells if "smell" in fail_on else [])

    def as_dict(self) -> dict:
        return {"path": self.path, "repository_license": self.repo_license.as_dict(),
                "models": [m.as_dict() for m in self.models], "unresolved": self.unresolved,
                "smells": [s.as_dict() for s in self.smells], "failed": self.failed}


def scan_models(path: Path):
    """Findings of the usage miner (its public API only)."""
    try:
        from peatmoss.usage import scan_path
    except ImportError as exc:  # the usage miner is not installed
        raise RuntimeError("the usage miner (peatmoss.usage.scan_path) is not available: " + str(exc)) from exc
    return scan_path(path).findings


def grouped_findings(path: Path, findings=None) -> tuple[dict[str, dict], list[dict]]:
    """model id -> {revision, hub, locations, use}; and the findings whose model is not resolved."""
    models: dict[str, dict] = {}
    unresolved = []
    for f in scan_models(path) if findings is None else findings:
        if not f.model:
            unresolved.append({"file": f.file, "line": f.line, "api": f.api, "resolution": f.resolution})
            continue
        entry = models.setdefault(f.model, {"revision": f.revision, "hub": f.hub, "library": f.library,
                                            "locations": [], "use": "runtime"})
        entry["locations"].append((f.file, f.line))
        entry["revision"] = entry["revision"] or f.revision
        use = _USE.get(getattr(f, "reuse_mode", None) or "", "runtime")
        if use == "redistribute":
            entry["use"] = use
    return models, unresolved


def check(path: str | Path, url: str | None = None, hub_data: Path | None = None, ruleset: str = "osadl+ml",
          distribution: str = "public", *, endpoint: str | None = None, offline: bool = True,
          refresh: bool = False) -> CheckReport:
    """Verdicts for the models PATH loads. `offline=False` lets the lookup chain ask the Hub at `endpoint`."""
    root = Path(path)
    det = detect_repo_license(root)
    report = CheckReport(str(root), det)
    findings = scan_models(root)
    models, report.unresolved = grouped_findings(root, findings)
    from peatmoss.usage.smells import smells_in

    report.smells = smells_in(root, findings)
    lookup = Lookup(url, load_hub_data(hub_data), endpoint=endpoint, offline=offline, refresh=refresh)
    items = sorted(models.items())
    infos = lookup.many([(model, entry["hub"], entry["library"]) for model, entry in items])
    for (model, entry), info in zip(items, infos):
        ctx = Context(use=entry["use"], distribution=distribution)
        v = explained_verdict(info.license.expression, det.expression, ctx, ruleset,
                              upstream_reason=info.license.reason, downstream_reason=det.reason,
                              conflict=det.conflict)
        report.models.append(ModelCheck(model, entry["revision"], entry["hub"], entry["locations"], info, v))
    report.models.sort(key=lambda m: (-RANK.get(m.verdict.verdict, 2), m.model or ""))
    return report


def to_sarif(report: CheckReport) -> dict:
    """SARIF 2.1.0: one result per model location (error = incompatible/conflict, warning = unknown/conditional)
    and one per model-usage smell (warning, rule ids smell/...)."""
    level = {"incompatible": "error", "conflict": "error", "unknown": "warning", "conditional": "warning",
             "compatible": "note"}
    from peatmoss.usage.smells import RULES

    rules, results, smells = {}, [], []
    for s in report.smells:
        rules.setdefault(s.rule, {"id": s.rule, "name": s.rule.split("/", 1)[1],
                                  "shortDescription": {"text": RULES[s.rule].split(". ")[0]},
                                  "help": {"text": RULES[s.rule]}})
        smells.append({"ruleId": s.rule, "level": "warning", "message": {"text": s.detail},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": s.file},
                                                            "region": {"startLine": max(1, s.line)}}}]})
    for m in report.models:
        rule_id = f"license/{m.verdict.rule_id or m.verdict.verdict}"
        rules.setdefault(rule_id, {"id": rule_id, "name": m.verdict.verdict,
                                   "shortDescription": {"text": f"model license verdict: {m.verdict.verdict}"},
                                   "helpUri": "https://spdx.org/licenses/"})
        text = f"{m.model} ({m.verdict.upstream}) in a {m.verdict.downstream} repository: {m.verdict.verdict}. " \
               f"{m.verdict.reason}" + (f" Condition: {m.verdict.condition}." if m.verdict.condition else "") + \
               f" Source: {m.verdict.rule_source}"
        for file, line in m.locations:
            results.append({"ruleId": rule_id, "level": level.get(m.verdict.verdict, "warning"),
                            "message": {"text": text},
                            "locations": [{"physicalLocation": {"artifactLocation": {"uri": file},
                                                                "region": {"startLine": max(1, line or 1)}}}]})
    results += smells
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "peatmoss-licenses", "informationUri": "https://spdx.org/licenses/",
                                          "rules": list(rules.values())}}, "results": results}]}
