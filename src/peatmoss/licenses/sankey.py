"""The license Sankey (the paper's Figure 12), drawn once for every command that shows it: upstream (PTM)
license left, downstream (repository) license right, one band per (left, right, verdict).

Colours, as the paper: blue = compatible, red = incompatible, grey = not assessed (unknown); ours
adds light blue = conditional and purple = conflict. `figure` is the interactive plotly version (HTML
with plotly.js inlined: works offline), `draw` the static matplotlib one; `render_sankey` writes both,
the static image with kaleido (headless Chromium) when it works, else with `draw`. Both carry a colour
legend of the verdicts shown."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MPath

from .summary import PairRow

COLORS = {"compatible": "#1f77b4", "conditional": "#7fb2e5", "incompatible": "#d62728", "conflict": "#9467bd",
          "unknown": "#9a9a9a"}
OTHER = "other"
log = logging.getLogger(__name__)
Flow = tuple[str, str, str, int]  # (upstream label, downstream label, verdict, pairs)


def color(verdict: str) -> str:
    return COLORS.get(verdict, COLORS["unknown"])


def label(expr: str | None) -> str:
    """The side label of a license expression: unknown, no license, the expression (long ones shortened)."""
    if expr is None:
        return "unknown"
    if expr == "NONE":
        return "no license"
    return expr if len(expr) <= 40 else "multiple licenses"


def fold(data: list[Flow], top: int | None = None, min_count: int = 0) -> list[Flow]:
    """Labels outside the `top` of their side, or met fewer than `min_count` times, become "other"."""
    keep = []
    for side in (0, 1):
        totals: Counter = Counter()
        for flow in data:
            totals[flow[side]] += flow[3]
        ranked = [name for name, n in totals.most_common(top) if n >= min_count]
        keep.append(set(ranked))
    out: Counter = Counter()
    for up, down, verdict, n in data:
        out[(up if up in keep[0] else OTHER, down if down in keep[1] else OTHER, verdict)] += n
    return [(u, d, v, n) for (u, d, v), n in sorted(out.items(), key=lambda x: (-x[1], x[0]))]


def flows(rows: list[PairRow], other_threshold: int = 0) -> list[Flow]:
    """The bands of verdict rows, rare labels folded into "other"."""
    counts = Counter((label(r.verdict.upstream), label(r.verdict.downstream), r.verdict.verdict) for r in rows)
    return fold([(u, d, v, n) for (u, d, v), n in counts.items()], min_count=other_threshold)


def figure(data: list[Flow], title: str = ""):
    """The interactive (plotly) Sankey."""
    import plotly.graph_objects as go

    left = list(dict.fromkeys(u for u, _, _, _ in data))
    right = list(dict.fromkeys(d for _, d, _, _ in data))
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(pad=12, thickness=16, line=dict(color="black", width=0.5), color="#555",
                  label=[f"{x} (PTM)" for x in left] + [f"{x} (repo)" for x in right],
                  x=[0.01] * len(left) + [0.99] * len(right)),
        link=dict(source=[left.index(u) for u, _, _, _ in data],
                  target=[len(left) + right.index(d) for _, d, _, _ in data],
                  value=[n for *_, n in data], color=[color(v) for _, _, v, _ in data],
                  customdata=[v for _, _, v, _ in data],
                  hovertemplate="%{source.label} → %{target.label}<br>%{value} pairs, %{customdata}<extra></extra>")))
    for verdict in verdicts(data):  # a Sankey trace has no legend: one empty marker trace per band colour
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=verdict, showlegend=True,
                                 marker=dict(size=12, symbol="square", color=color(verdict))))
    fig.update_layout(title_text=title or "Model license (left) → repository license (right)", font_size=12,
                      height=max(500, 28 * max(len(left), len(right), 1)), legend_title_text="verdict",
                      legend=dict(orientation="h", x=0.5, xanchor="center", y=-0.05, yanchor="top"),
                      xaxis_visible=False, yaxis_visible=False, plot_bgcolor="white")
    return fig


def verdicts(data: list[Flow]) -> list[str]:
    """The verdicts the bands show, in order of first appearance: the legend's entries."""
    return list(dict.fromkeys(v for _, _, v, _ in data))


def _stack(totals: Counter, gap: float) -> dict[str, float]:
    y, out = 0.0, {}
    for name, n in totals.most_common():
        out[name] = y
        y += n + gap
    return out


def draw(data: list[Flow], title: str = "") -> Figure:
    """The static (matplotlib) Sankey; no pyplot, no browser."""
    fig = Figure(figsize=(11, 7), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    left, right = Counter(), Counter()
    for u, d, _, n in data:
        left[u] += n
        right[d] += n
    total = sum(left.values()) or 1
    gap = total * 0.02
    ly, ry = _stack(left, gap), _stack(right, gap)
    lrank, rrank = {k: i for i, k in enumerate(ly)}, {k: i for i, k in enumerate(ry)}
    starts_left, starts_right = {}, {}  # each band's place on each side, stacked so bands cross little
    for starts, cursor, side, order in ((starts_left, dict(ly), 0, lambda i: (lrank[data[i][0]], rrank[data[i][1]])),
                                        (starts_right, dict(ry), 1, lambda i: (rrank[data[i][1]], lrank[data[i][0]]))):
        for i in sorted(range(len(data)), key=order):
            starts[i] = cursor[data[i][side]]
            cursor[data[i][side]] += data[i][3]
    x0, x1 = 0.2, 0.8
    xm = (x0 + x1) / 2
    for i, (_, _, verdict, n) in enumerate(data):
        a0, b0 = starts_left[i], starts_right[i]
        a1, b1 = a0 + n, b0 + n
        verts = [(x0, a0), (xm, a0), (xm, b0), (x1, b0), (x1, b1), (xm, b1), (xm, a1), (x0, a1), (x0, a0)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                 MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=color(verdict), alpha=0.6, lw=0))
    for counts, ys, x, ha, dx in ((left, ly, x0, "right", -0.01), (right, ry, x1, "left", 0.01)):
        for name, y in ys.items():
            n = counts[name]
            ax.add_patch(PathPatch(MPath([(x - 0.006, y), (x + 0.006, y), (x + 0.006, y + n), (x - 0.006, y + n),
                                          (x - 0.006, y)],
                                         [MPath.MOVETO, MPath.LINETO, MPath.LINETO, MPath.LINETO, MPath.CLOSEPOLY]),
                                   facecolor="#333", lw=0))
            ax.text(x + dx, y + n / 2, f"{name} ({n:,})", ha=ha, va="center", fontsize=8)
    height = max(sum(left.values()) + gap * len(left), sum(right.values()) + gap * len(right), 1)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(height, -gap)
    ax.axis("off")
    ax.text(x0, -gap * 0.5, "PTM license (upstream)", ha="center", fontweight="bold")
    ax.text(x1, -gap * 0.5, "repository license (downstream)", ha="center", fontweight="bold")
    seen = verdicts(data)
    if seen:
        ax.legend(handles=[Patch(color=color(v), alpha=0.6, label=v) for v in seen], title="verdict",
                  loc="lower center", bbox_to_anchor=(0.5, -0.08), ncols=len(seen))
    ax.set_title(title or "Model license (left) → repository license (right)", pad=24)
    return fig


def render_sankey(rows: list[PairRow], stem: Path, other_threshold: int = 0,
                  static_format: str | None = "png") -> dict[str, str]:
    """Write stem.html and stem.png (or .svg; None = no static image); returns the paths and the renderer."""
    return render_flows(flows(rows, other_threshold), stem, static_format)


def render_flows(data: list[Flow], stem: Path, static_format: str | None = "png", title: str = "") -> dict[str, str]:
    """`render_sankey` for bands already counted (the paper's own relations, say)."""
    fig = figure(data, title)
    html = stem.with_suffix(".html")
    fig.write_html(str(html), include_plotlyjs=True, full_html=True)
    if not static_format:
        return {"html": str(html)}
    static = stem.with_suffix("." + static_format)
    try:
        fig.write_image(str(static))
        renderer = "kaleido"
    except Exception as exc:  # no Chromium, or kaleido broken: draw it with matplotlib
        log.warning("kaleido could not render (%s); drawing the static Sankey with matplotlib", exc)
        draw(data, title).savefig(static)
        renderer = "matplotlib"
    return {"html": str(html), "static": str(static), "static_renderer": renderer}
