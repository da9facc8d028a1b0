"""The paper's §6 tables and figures, each from whatever data the database holds.

Each builder takes the loaded `Data` and returns a `Result`: the frame behind the figure, a matplotlib
figure (None for tables or when nothing can be drawn) and plain notes on what data was missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .domains import DOMAINS
from .load import Data, month

COLORS = dict(zip(DOMAINS, ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")))
HUB_NAMES = {"huggingface": "Hugging Face", "pytorch_hub": "PyTorch Hub"}


@dataclass
class Result:
    key: str
    title: str
    caption: str
    data: pd.DataFrame
    fig: Figure | None = None
    missing: list[str] = field(default_factory=list)
    html: str | None = None  # an interactive version (plotly), embedded in the HTML report
    table: bool = False  # a table: CSV and Markdown, no picture


def hub_label(hub: str) -> str:
    return HUB_NAMES.get(hub, hub)


def new_fig(width: float = 9, height: float = 5.5) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.add_subplot()


def log_if_wide(ax, values, axis: str = "y") -> None:
    """Log scale when the positive values span two orders of magnitude or more."""
    v = np.asarray([x for x in np.ravel(values) if x is not None and not pd.isna(x) and x > 0], dtype=float)
    if v.size and v.max() / v.min() >= 100:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")


def integer_ticks(ax, axis: str = "y") -> None:
    """Whole-number ticks on an axis of counts (no 0.5 models); a log axis keeps its own ticks."""
    if (ax.get_yscale() if axis == "y" else ax.get_xscale()) == "linear":
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


SOURCES = {"created_source": ("hub API", "first commit"), "size_source": ("hub API", "model card")}


def source_shares(sources: pd.Series, what: str, names: tuple[str, ...] = ()) -> str:
    """'creation date from: hub API 35 (1.2 %), first commit 0 (0.0 %), none 2,990 (98.8 %)'."""
    counts = sources.value_counts()
    total = max(int(counts.sum()), 1)
    parts = [f"{name} {int(counts.get(name, 0)):,} ({100 * counts.get(name, 0) / total:.1f} %)"
             for name in dict.fromkeys([*names, *counts.index.drop("none", errors="ignore"), "none"])]
    return f"{what} from: " + ", ".join(parts)


def placeholder(title: str, lines: list[str]) -> Figure:
    """A picture that says what is missing, so every figure file exists."""
    fig = Figure(figsize=(9, 3), dpi=110)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    fig.text(0.5, 0.45, "No figure: " + "\n".join(lines or ["no data"]), ha="center", va="center",
             fontsize=11, wrap=True, color="#a33")
    return fig


def grouped_bars(ax, table: pd.DataFrame, colors: dict | None = None) -> None:
    """Bars grouped by the index, one colour per column."""
    n = max(len(table.columns), 1)
    width = 0.8 / n
    x = np.arange(len(table.index))
    for i, col in enumerate(table.columns):
        bars = ax.bar(x + (i - (n - 1) / 2) * width, table[col].to_numpy(), width,
                      label=str(col), color=(colors or {}).get(col))
        ax.bar_label(bars, labels=[f"{int(v):,}" if v else "" for v in table[col]], fontsize=7, padding=1)
    ax.set_xticks(x, [str(i) for i in table.index])


# --------------------------------------------------------------------------- tables


def table1(d: Data) -> Result:
    title = "Table 1: models per hub and downloads of the top 10 % of models, per snapshot"
    missing: list[str] = []
    cols = ["snapshot", "hub", "models", "downloads", "top10_downloads", "top10_share"]
    labels = dict(zip(d.snapshots["run_id"], d.snapshots["label"]))
    if not d.stats.empty:
        s = d.stats
    elif not d.models.empty:
        missing.append("no per-snapshot statistics (model_stats is empty): using the model table's current downloads")
        s = d.models[["hub", "downloads"]].assign(run_id=0, n=1)
        labels = {0: "model table (latest)"}
    else:
        return Result("table1", title, "", pd.DataFrame(columns=cols), missing=["no models"], table=True)
    rows = []
    for (run_id, hub), g in s.groupby(["run_id", "hub"], dropna=False):
        label = labels.get(run_id, f"run {run_id}")
        dl = g.dropna(subset=["downloads"]).sort_values("downloads", ascending=False)
        k = math.ceil(dl["n"].sum() * 0.1)  # the top 10 % of the models that report downloads
        before = dl["n"].cumsum() - dl["n"]
        top = ((k - before).clip(lower=0).where(lambda x: x < dl["n"], dl["n"]) * dl["downloads"]).sum()
        total = (dl["n"] * dl["downloads"]).sum()
        rows.append({"snapshot": label, "hub": hub, "models": int(g["n"].sum()), "downloads": int(total),
                     "top10_downloads": int(top), "top10_share": round(top / total, 4) if total else None,
                     "_run": run_id})
        if dl.empty:
            missing.append(f"snapshot {label}, {hub}: no download counts")
    seen = {r["_run"] for r in rows}
    for run in d.snapshots.itertuples():
        if run.run_id not in seen and not d.stats.empty:
            rows.append({"snapshot": run.label, "hub": run.hub, "models": 0, "downloads": 0,
                         "top10_downloads": 0, "top10_share": None, "_run": run.run_id})
            missing.append(f"snapshot {run.label} ({run.hub or 'no hub'}) holds zero models")
    out = pd.DataFrame(rows).sort_values(["_run", "hub"]).drop(columns="_run")[cols]
    return Result("table1", title, "Downloads are those reported by the hub at the snapshot.", out,
                  missing=missing, table=True)


def headline(d: Data) -> Result:
    m = d.models
    rows = [{"metric": f"models on {hub_label(h)}", "value": int(n)} for h, n in m.groupby("hub").size().items()]
    for hub in d.hubs:
        if hub not in set(m["hub"]):
            rows.append({"metric": f"models on {hub_label(hub)}", "value": 0})
    matched = d.links.dropna(subset=["model_id"])
    rows += [
        {"metric": "models (all hubs)", "value": len(m)},
        {"metric": "snapshotted models", "value": int(m["has_snapshot"].sum()) if len(m) else 0},
        {"metric": "repositories", "value": d.repositories},
        {"metric": "links (current)", "value": len(d.links)},
        {"metric": "links matched to a model", "value": len(matched)},
        {"metric": "repositories using a known PTM", "value": int(matched["repository_id"].nunique())},
        {"metric": "distinct PTMs used by repositories", "value": int(matched["model_id"].nunique())},
        {"metric": "PTM-PTM edges", "value": int(d.edges["total"].iloc[0]) if len(d.edges) else 0},
        {"metric": "PTM-PTM edges with a known parent", "value": int(d.edges["with_parent"].iloc[0]) if len(d.edges) else 0},
    ]
    missing = []
    if m.empty:
        missing.append("no models collected")
    if d.links.empty:
        missing.append("no reuse links mined")
    return Result("headline", "Headline counts", "Repos -> distinct PTMs is the paper's 15,129 -> 2,530.",
                  pd.DataFrame(rows), missing=missing, table=True)


# --------------------------------------------------------------------------- figures


PIPELINES = {"rules": "rules", "cheap": "LLM (cheap)", "accurate": "LLM (accurate)"}


def fig5_libraries(d: Data) -> Result:
    title = "Figure 5: GitHub projects per library used to load PTMs"
    cols = ["library", "repositories", "links"]
    if d.links.empty or "library" not in d.links:
        return Result("fig05_libraries", title, "", pd.DataFrame(columns=cols),
                      missing=["no reuse links mined (model_reuse is empty)"])
    per = (d.links.groupby("library").agg(repositories=("repository_id", "nunique"), links=("repository_id", "size"))
           .reset_index().sort_values(["repositories", "library"], ascending=[False, True], ignore_index=True))
    fig, ax = new_fig(9, max(3.5, 0.35 * len(per) + 1.5))
    bars = ax.barh(per["library"][::-1], per["repositories"][::-1], color="#1f77b4")
    ax.bar_label(bars, labels=[f"{v:,}" for v in per["repositories"][::-1]], fontsize=8, padding=2)
    log_if_wide(ax, per["repositories"].to_numpy(), axis="x")
    integer_ticks(ax, "x")
    ax.set_xlabel("repositories (distinct)" + (" (log scale)" if ax.get_xscale() == "log" else ""))
    ax.set_ylabel("library")
    ax.set_title(title)
    caption = (f"{int(d.links['repository_id'].nunique()):,} repositories with current links; a repository counts "
               "once per library it loads PTMs with, so the bars add up to more.")
    return Result("fig05_libraries", title, caption, per[cols], fig)


def fig7_metadata(d: Data) -> Result:
    title = "Figure 7: share of models with each metadata category stated"
    c = d.card_fields.copy()
    if c.empty:
        return Result("fig07_metadata", title, "", c, missing=["no card extraction results (card_field is empty)"])
    c["share"] = c["models_stated"] / c["models_extracted"]
    c["method"] = c["pipeline"].map(PIPELINES).fillna(c["pipeline"])
    missing = []
    if not (c["pipeline"] == "rules").any():
        missing.append("no rule-based extraction results")
    if not c["pipeline"].isin(["cheap", "accurate"]).any():
        missing.append("no LLM extraction results")
    pivot = c.pivot_table(index="field", columns="method", values="share", aggfunc="max").fillna(0)
    pivot = pivot.loc[pivot.max(axis=1).sort_values().index]
    fig, ax = new_fig(9, max(4, 0.38 * len(pivot) + 1.5))
    n = len(pivot.columns)
    y = np.arange(len(pivot))
    h = 0.8 / n
    for i, col in enumerate(pivot.columns):
        ax.barh(y + (i - (n - 1) / 2) * h, pivot[col] * 100, h, label=col)
    ax.set_yticks(y, pivot.index)
    ax.set_xlim(0, 100)
    ax.set_xlabel("models whose card states it (% of models extracted by that method)")
    ax.set_ylabel("metadata category")
    ax.set_title(title)
    ax.legend(title="extraction", loc="lower right")
    sizes = ", ".join(f"{PIPELINES.get(p, p)}: {n:,} models" for p, n in
                      c.groupby("pipeline")["models_extracted"].first().items())
    return Result("fig07_metadata", title, f"Denominators: {sizes}.",
                  c[["pipeline", "field", "models_stated", "models_extracted", "share"]], fig, missing)


def _hub_domain_bars(table: pd.DataFrame, title: str, ylabel: str) -> Figure:
    fig, ax = new_fig()
    table = table.reindex(columns=[x for x in DOMAINS if x in table.columns])
    table.index = [hub_label(h) for h in table.index]
    grouped_bars(ax, table, COLORS)
    log_if_wide(ax, table.to_numpy())
    integer_ticks(ax)
    ax.set_xlabel("hub")
    ax.set_ylabel(ylabel + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.set_title(title)
    ax.legend(title="domain", ncols=2, fontsize=8)
    return fig


def _one_hub_note(present: set, d: Data) -> list[str]:
    absent = [hub_label(h) for h in (d.hubs or ["huggingface", "pytorch_hub"]) if h not in present]
    return [f"no data for {', '.join(absent)}"] if absent else []


def fig8_domains(d: Data) -> Result:
    title = "Figure 8: models per problem domain, per hub"
    m = d.models
    if m.empty:
        return Result("fig08_domains", title, "", pd.DataFrame(columns=["hub", "domain", "models"]),
                      missing=["no models collected"])
    counts = m.groupby(["hub", "domain"]).size().rename("models").reset_index()
    table = counts.pivot(index="hub", columns="domain", values="models").fillna(0)
    missing = _one_hub_note(set(table.index), d)
    untagged = int(m["pipeline_tag"].isna().sum())
    caption = f"Domain from the pipeline tag (reconciled mapping); {untagged:,} models have no tag and count as Other."
    return Result("fig08_domains", title, caption, counts,
                  _hub_domain_bars(table, title, "models"), missing)


def fig9_reuse_domains(d: Data) -> Result:
    title = "Figure 9: downstream repositories by the domain of the PTMs they use, per hub"
    cols = ["hub", "domain", "repositories"]
    if d.links.empty:
        return Result("fig09_reuse_domains", title, "", pd.DataFrame(columns=cols),
                      missing=["no reuse links mined (model_reuse is empty)"])
    matched = d.links.dropna(subset=["model_id"]).merge(d.models[["id", "hub", "domain"]],
                                                        left_on="model_id", right_on="id")
    if matched.empty:
        return Result("fig09_reuse_domains", title, "", pd.DataFrame(columns=cols),
                      missing=["no link is matched to a collected model"])
    counts = matched.groupby(["hub", "domain"])["repository_id"].nunique().rename("repositories").reset_index()
    table = counts.pivot(index="hub", columns="domain", values="repositories").fillna(0)
    missing = _one_hub_note(set(table.index), d)
    unmatched = len(d.links) - len(matched)
    caption = (f"A repository counts once per domain it uses; {unmatched:,} of {len(d.links):,} current links "
               "name no collected model and are left out.")
    return Result("fig09_reuse_domains", title, caption, counts,
                  _hub_domain_bars(table, title, "repositories"), missing)


def _dated(d: Data) -> tuple[pd.DataFrame, list[str]]:
    m = d.models
    dated = m.dropna(subset=["created_at"])
    missing = []
    if len(dated) < len(m):
        missing.append(f"{len(m) - len(dated):,} of {len(m):,} models have no creation date (neither the hub's "
                       "nor a first commit) and are left out")
    return dated.assign(month=month(dated["created_at"])), missing


def _source_note(m: pd.DataFrame, column: str, what: str) -> str:
    return source_shares(m[column], what, SOURCES[column]) if column in m else ""


def _domain_lines(ax, table: pd.DataFrame, marker: str = "") -> None:
    for dom in [x for x in DOMAINS if x in table.columns]:
        ax.plot(table.index, table[dom], marker=marker, label=dom, color=COLORS[dom], linewidth=1.6)
    ax.legend(title="domain", ncols=2, fontsize=8)
    ax.grid(alpha=0.3)


def fig10_creation(d: Data) -> Result:
    title = "Figure 10: models created per month, by domain"
    dated, missing = _dated(d)
    cols = ["month", "domain", "models"]
    if dated.empty:
        return Result("fig10_creation", title, "", pd.DataFrame(columns=cols),
                      missing=missing or ["no models collected"])
    counts = dated.groupby(["month", "domain"]).size().rename("models").reset_index()
    table = counts.pivot(index="month", columns="domain", values="models")
    months = pd.date_range(table.index.min(), table.index.max(), freq="MS")
    table = table.reindex(months)  # a month without models of a domain is a gap in its line, not a bridge
    fig, ax = new_fig()
    _domain_lines(ax, table, marker="." if len(table) < 40 else "")
    log_if_wide(ax, table.to_numpy())
    integer_ticks(ax)
    ax.set_xlabel("month of creation")
    ax.set_ylabel("models created" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    ax.set_title(title)
    counts["month"] = counts["month"].dt.strftime("%Y-%m")
    return Result("fig10_creation", title, "All hubs together; months with no model are gaps; the newest month "
                  f"is usually partial. {_source_note(d.models, 'created_source', 'Creation date')}.",
                  counts, fig, missing)


def fig11_size(d: Data) -> Result:
    title = "Figure 11: median parameter count per domain, by quarter of creation"
    dated, missing = _dated(d)
    cols = ["quarter", "domain", "median_parameters", "models"]
    sized = dated.dropna(subset=["parameter_count"])
    sized = sized[sized["parameter_count"] > 0]
    if len(sized) < len(dated):
        missing.append(f"{len(dated) - len(sized):,} dated models have no parameter count")
    if sized.empty:
        return Result("fig11_size", title, "", pd.DataFrame(columns=cols), missing=missing or ["no models"])
    sized = sized.assign(quarter=sized["month"].dt.to_period("Q").dt.to_timestamp())
    g = sized.groupby(["quarter", "domain"])["parameter_count"]
    stats = pd.DataFrame({"median_parameters": g.median(), "models": g.size()}).reset_index()
    table = stats.pivot(index="quarter", columns="domain", values="median_parameters")
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq="QS"))  # gaps stay gaps
    fig, ax = new_fig()
    _domain_lines(ax, table, marker="o")
    ax.set_yscale("log")
    ax.set_xlabel("quarter of creation")
    ax.set_ylabel("median parameter count (log scale)")
    ax.set_title(title)
    stats["quarter"] = stats["quarter"].dt.to_period("Q").astype(str)
    caption = (f"Only models whose size is known. {_source_note(dated, 'size_source', 'Parameter count')}; "
               f"{_source_note(d.models, 'created_source', 'creation date')}.")
    return Result("fig11_size", title, caption, stats[cols], fig, missing)


def trends(d: Data) -> Result:
    title = "Trends across our snapshots: models, downloads and license mix"
    cols = ["snapshot", "hub", "models", "downloads"]
    runs = d.snapshots.loc[d.snapshots["run_id"].isin(d.stats["run_id"]), "label"].nunique()
    if runs < 2:
        return Result("trends", title, "", pd.DataFrame(columns=cols),
                      missing=[f"trends need at least two snapshots with statistics; the database holds {runs}"])
    snaps = d.snapshots.set_index("run_id")
    s = d.stats.assign(total=d.stats["n"] * d.stats["downloads"])
    per = s.groupby(["run_id", "hub"]).agg(models=("n", "sum"), downloads=("total", "sum")).reset_index()
    per["snapshot"] = per["run_id"].map(snaps["label"]).fillna("run " + per["run_id"].astype(str))
    per["when"] = per["run_id"].map(snaps["snapshot_date"])
    per = per.groupby(["snapshot", "hub"]).agg(models=("models", "sum"), downloads=("downloads", "sum"),
                                               when=("when", "min")).reset_index()
    order = per.sort_values(["when", "snapshot"])["snapshot"].drop_duplicates().tolist()
    fig = Figure(figsize=(13, 4.8), dpi=110, layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for hub, g in per.groupby("hub"):
        g = g.set_index("snapshot").reindex(order)
        ax1.plot(order, g["models"], marker="o", label=hub_label(hub))
        ax2.plot(order, g["downloads"], marker="o", label=hub_label(hub))
    for ax, col, what in ((ax1, "models", "models in the snapshot"), (ax2, "downloads", "downloads reported (sum)")):
        log_if_wide(ax, per[col].to_numpy())
        integer_ticks(ax)
        ax.set_xlabel("snapshot")
        ax.set_ylabel(what + (" (log scale)" if ax.get_yscale() == "log" else ""))
        ax.legend(title="hub")
        ax.grid(alpha=0.3)
    ax1.set_title("Models")
    ax2.set_title("Downloads")
    lic = d.snapshot_licenses.assign(snapshot=d.snapshot_licenses["run_id"].map(snaps["label"]))
    top = lic.groupby("license")["models"].sum().nlargest(6).index
    mix = lic.assign(license=lic["license"].where(lic["license"].isin(top), "other licenses"))
    mix = mix.pivot_table(index="snapshot", columns="license", values="models", aggfunc="sum").reindex(order).fillna(0)
    share = mix.div(mix.sum(axis=1).replace(0, np.nan), axis=0) * 100
    bottom = np.zeros(len(share))
    for col in share.columns:
        ax3.bar(order, share[col].fillna(0).to_numpy(), bottom=bottom, label=col)
        bottom += share[col].fillna(0).to_numpy()
    ax3.set_ylabel("share of models (%)")
    ax3.set_xlabel("snapshot")
    ax3.set_title("License mix")
    for ax in (ax1, ax2, ax3):
        step = math.ceil(len(order) / 8)  # at most 8 labelled snapshots
        ax.set_xticks(range(0, len(order), step), order[::step], rotation=30, ha="right")
    ax3.legend(fontsize=7, title="license", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(title, fontweight="bold")
    return Result("trends", title, "License mix uses each model's licenses as recorded now.",
                  per[["snapshot", "hub", "models", "downloads"]], fig)
