"""`peatmoss licenses analyze`: verdicts for every PTM -> repository link (and lineage edge) in the database."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from peatmoss.db import session_scope
from peatmoss.db.models import LicenseVerdict, Model, ModelReuse, ReuseRepository
from peatmoss.core.runs import finish_run, record_error, start_run

from .engine import RANK, Context, Verdict, explained_verdict, verdict
from .lineage import ancestors, lineage_verdicts
from .modellicense import fill_license_table, model_expression, model_licenses
from .normalize import Normalized
from .paper import LinuxFoundationMatrix, paper_verdict, spdx_keys
from .repolicense import repository_license
from .summary import PairRow, Summary

_USE_RANK = {"runtime": 0, "redistribute": 1, "finetune-publish": 2}


def link_use(reuse_mode: str | None, evidence: str | None) -> str:
    """How a link uses the model: export -> redistribute; finetune that pushes to a hub -> finetune-publish."""
    if reuse_mode == "export":
        return "redistribute"
    if reuse_mode == "finetune" and evidence and "push_to_hub" in evidence:
        return "finetune-publish"
    return "runtime"


@dataclass
class AnalyzeResult:
    summary: Summary
    rows: list[PairRow]
    lineage: list[dict] = field(default_factory=list)
    models_normalised: int = 0
    licenses_met: int = 0
    licenses_recognised: int = 0
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        out = self.summary.as_dict()
        out["lineage_edges"] = len(self.lineage)
        out["license_drift"] = sum(1 for x in self.lineage if x.get("drift"))
        out["models_normalised"] = self.models_normalised
        out["licenses_met"] = self.licenses_met
        out["licenses_recognised"] = self.licenses_recognised
        out["files"] = self.files
        return out


def analyze(url: str, ruleset: str = "osadl+ml", outdir: Path | None = None, paper_matrix: Path | None = None,
            distribution: str = "public", chain: bool = True, other_threshold: int = 0,
            static_format: str | None = "png") -> AnalyzeResult:
    """Normalise model licenses, give a verdict to each current (model, repository) pair, store them, write outputs."""
    matrix = LinuxFoundationMatrix.load(paper_matrix) if ruleset == "paper" else None
    with session_scope(url) as session:
        run = start_run(session, "licenses", "rules", key=ruleset, params={"ruleset": ruleset}, resume=False)
        licenses_met, licenses_known = fill_license_table(session)
        names = model_licenses(session)
        models = _ModelCache(session, names)
        pairs: dict[tuple[int, int], str] = {}
        for link in session.scalars(select(ModelReuse).where(ModelReuse.is_current.is_(True),
                                                             ModelReuse.model_id.is_not(None))):
            use = link_use(link.reuse_mode, link.reuse_evidence)
            key = (link.model_id, link.repository_id)
            if _USE_RANK[use] >= _USE_RANK.get(pairs.get(key, "runtime"), 0):
                pairs[key] = use
        repos = {r.id: r for r in session.scalars(select(ReuseRepository).where(
            ReuseRepository.id.in_({rid for _, rid in pairs})))} if pairs else {}
        repo_expr: dict[int, Normalized] = {}
        for rid, repo in repos.items():
            try:
                repo_expr[rid] = repository_license(repo)
            except Exception as exc:  # a broken repository must not stop the analysis
                record_error(session, run, "licenses", repo.full_name, type(exc).__name__, str(exc))
                repo_expr[rid] = Normalized(None, None, "unrecognised", f"license detection failed: {exc}")
        session.execute(delete(LicenseVerdict).where(LicenseVerdict.rules == ruleset))
        summary, rows = Summary(ruleset), []
        for (mid, rid), use in sorted(pairs.items()):
            model, repo = models[mid], repos[rid]
            up, down = models.expr(mid), repo_expr[rid]
            ctx = Context(use=use, distribution=distribution)
            if matrix is not None:
                v = _paper(matrix, names.get(mid, []), repo, down)
            else:
                v = explained_verdict(up.expression, down.expression, ctx, ruleset, upstream_reason=up.reason,
                                      downstream_reason=down.reason,
                                      conflict=down.reason if down.method == "conflict" else None)
                if chain and v.verdict != "conflict":
                    v = _chain(v, mid, models, down, ctx, ruleset)
            row = PairRow(repo.full_name, model.hub_id, up.raw if isinstance(up.raw, str) else None,
                          repo.license_raw or down.expression, v)
            summary.add(row)
            rows.append(row)
            session.add(LicenseVerdict(run_id=run.id, kind="dependency", rules=ruleset, model_id=mid,
                                       repository_id=rid, upstream_license=v.upstream, downstream_license=v.downstream,
                                       verdict=v.verdict, condition=v.condition, reason=v.reason[:10000],
                                       rule_source=(v.rule_source or "")[:255], context=dict(ctx.as_dict(), rule_id=v.rule_id)))
        lineage = [] if matrix is not None else lineage_verdicts(session, models.expr, ruleset, run.id)
        run.items_done = len(rows)
        finish_run(session, run)
    result = AnalyzeResult(summary, rows, lineage, len(models.exprs), licenses_met, licenses_known)
    if outdir is not None:
        result.files = write_outputs(result, Path(outdir), other_threshold, static_format)
    return result


class _ModelCache:
    """Model rows and their license expressions, loaded on demand (large databases hold millions of models)."""

    def __init__(self, session, names: dict[int, list[str]]):
        self.session, self.names = session, names
        self.rows: dict[int, Model] = {}
        self.exprs: dict[int, Normalized] = {}
        self.parents: dict[int, list[tuple[int, str]]] = {}

    def __getitem__(self, mid: int) -> Model:
        if mid not in self.rows:
            self.rows[mid] = self.session.get(Model, mid)
        return self.rows[mid]

    def expr(self, mid: int) -> Normalized | None:
        if mid not in self.exprs:
            row = self[mid]
            self.exprs[mid] = model_expression(row, self.names.get(mid, [])) if row is not None else None
        return self.exprs[mid]

    def ancestors(self, mid: int) -> list[tuple[int, str]]:
        if mid not in self.parents:
            self.parents[mid] = ancestors(self.session, mid)
        return self.parents[mid]


def _paper(matrix: LinuxFoundationMatrix, names: list[str], repo: ReuseRepository, down: Normalized) -> Verdict:
    """The paper's verdict; the repository's keys come from its SPDX expression, else from what the host said."""
    keys = spdx_keys(down.expression)
    if keys is None:
        keys = [repo.license_raw] if repo.license_raw else ["unknown"]
    verdict_, reason = paper_verdict(matrix, names[0] if names else None, keys)
    if verdict_ == "skipped":
        verdict_ = "unknown"
    return Verdict(verdict_, reason, "Linux Foundation matrix (paper method)",
                   upstream=names[0] if names else None, downstream=down.expression or repo.license_raw,
                   rule_id="paper")


def _chain(v: Verdict, mid: int, models: _ModelCache, down: Normalized, ctx: Context, ruleset: str) -> Verdict:
    """The repository's verdict follows the chain base model -> model -> repository: the worst link counts."""
    worst = v
    for parent_id, relation in models.ancestors(mid):
        parent = models.expr(parent_id)
        if parent is None:
            continue
        pv = verdict(parent.expression, down.expression, ctx, ruleset)
        if RANK[pv.verdict] > RANK[worst.verdict]:
            pv.reason = (f"via base model {models[parent_id].hub_id} ({relation}, {pv.upstream}): {pv.reason}; "
                         f"the model itself: {v.verdict}")
            pv.upstream = v.upstream  # the model's own license; the base model's is in the reason
            pv.rule_id = f"chain:{pv.rule_id}"
            worst = pv
    return worst


def write_outputs(result: AnalyzeResult, outdir: Path, other_threshold: int = 0,
                  static_format: str | None = "png") -> dict[str, str]:
    """summary.json, pairs.csv, sankey.html and a static sankey (PNG or SVG)."""
    from .sankey import render_sankey

    outdir.mkdir(parents=True, exist_ok=True)
    files = {}
    summary_path = outdir / "license_summary.json"
    data = result.summary.as_dict()
    data["lineage"] = result.lineage
    summary_path.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    files["summary"] = str(summary_path)
    files["pairs"] = str(write_pairs_csv(result.rows, outdir / "license_pairs.csv"))
    if result.rows:
        files.update(render_sankey(result.rows, outdir / "license_sankey", other_threshold, static_format))
    return files


def write_pairs_csv(rows: list[PairRow], path: Path) -> Path:
    fields = ["repository", "model", "upstream_raw", "downstream_raw", "upstream", "downstream", "verdict",
              "condition", "reason", "rule_id", "rule_source"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(row.as_dict())
    return path
