"""The Sankey of upstream model licenses (left) to downstream repository licenses (right), like the paper's
Figure 12: red = incompatible, blue = compatible, orange = conditional, grey = unknown. Licenses met fewer
than `other_threshold` times are folded into "other". HTML is written with plotly.js inlined (works offline);
the static image with kaleido (headless Chromium), or matplotlib when kaleido cannot render."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from .summary import PairRow

COLORS = {"incompatible": "rgba(220,0,0,0.85)", "compatible": "rgba(0,0,255,0.3)",
          "conditional": "rgba(255,140,0,0.45)", "unknown": "rgba(110,110,110,0.3)",
          "conflict": "rgba(150,0,150,0.6)"}
log = logging.getLogger(__name__)


def _label(expr: str | None, side: str) -> str:
    if expr is None:
        return "unknown"
    if expr == "NONE":
        return "no license"
    return expr if len(expr) <= 40 else "multiple licenses"


def flows(rows: list[PairRow], other_threshold: int = 0) -> list[tuple[str, str, str, int]]:
    """(upstream label, downstream label, verdict, count), rare labels folded into 'other'."""
    ups = Counter(_label(r.verdict.upstream if r.verdict.upstream else None, "up") for r in rows)
    downs = Counter(_label(r.verdict.downstream, "down") for r in rows)
    out: Counter = Counter()
    for r in rows:
        up = _label(r.verdict.upstream, "up")
        down = _label(r.verdict.downstream, "down")
        up = "other" if ups[up] < other_threshold else up
        down = "other" if downs[down] < other_threshold else down
        out[(up, down, r.verdict.verdict)] += 1
    return [(u, d, v, n) for (u, d, v), n in sorted(out.items(), key=lambda x: -x[1])]


def figure(data: list[tuple[str, str, str, int]], title: str = ""):
    import plotly.graph_objects as go

    left = list(dict.fromkeys(u for u, _, _, _ in data))
    right = list(dict.fromkeys(d for _, d, _, _ in data))
    labels = left + right
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(pad=12, thickness=16, line=dict(color="black", width=0.5), label=labels,
                  x=[0.01] * len(left) + [0.99] * len(right)),
        link=dict(source=[left.index(u) for u, _, _, _ in data],
                  target=[len(left) + right.index(d) for _, d, _, _ in data],
                  value=[n for *_, n in data], color=[COLORS.get(v, COLORS["unknown"]) for _, _, v, _ in data],
                  customdata=[v for _, _, v, _ in data],
                  hovertemplate="%{source.label} → %{target.label}: %{value} (%{customdata})<extra></extra>")))
    fig.update_layout(title_text=title or "Model license (left) → repository license (right)", font_size=12,
                      width=1200, height=max(500, 28 * max(len(left), len(right))))
    return fig


def render_sankey(rows: list[PairRow], stem: Path, other_threshold: int = 0,
                  static_format: str | None = "png") -> dict[str, str]:
    """Write stem.html and stem.png (or .svg; None = no static image); returns the paths and the renderer."""
    data = flows(rows, other_threshold)
    fig = figure(data)
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
        draw_matplotlib(data, static)
        renderer = "matplotlib"
    return {"html": str(html), "static": str(static), "static_renderer": renderer}


def draw_matplotlib(data: list[tuple[str, str, str, int]], path: Path) -> None:
    """A plain two-column Sankey with matplotlib (no browser needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.path import Path as MPath
    from matplotlib.patches import PathPatch, Rectangle

    rgba = {k: tuple(float(x) / (255 if i < 3 else 1) for i, x in enumerate(v[5:-1].split(","))) for k, v in COLORS.items()}
    total = sum(n for *_, n in data) or 1
    left = Counter()
    right = Counter()
    for u, d, _, n in data:
        left[u] += n
        right[d] += n
    gap = 0.01

    def positions(counter):
        pos, y = {}, 0.0
        for name, n in counter.most_common():
            pos[name] = [y, y]  # [start, fill cursor]
            y += n / total + gap
        return pos

    lp, rp = positions(left), positions(right)
    fig, ax = plt.subplots(figsize=(12, 8))
    for u, d, v, n in sorted(data, key=lambda x: (list(lp).index(x[0]), list(rp).index(x[1]))):
        h = n / total
        y0, y1 = lp[u][1], rp[d][1]
        lp[u][1] += h
        rp[d][1] += h
        verts = [(0.1, y0), (0.5, y0), (0.5, y1), (0.9, y1), (0.9, y1 + h), (0.5, y1 + h), (0.5, y0 + h), (0.1, y0 + h), (0.1, y0)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO, MPath.CURVE4, MPath.CURVE4,
                 MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=rgba.get(v, rgba["unknown"]), edgecolor="none"))
    for pos, counter, x, ha in ((lp, left, 0.1, "right"), (rp, right, 0.9, "left")):
        for name, (start, _) in pos.items():
            h = counter[name] / total
            ax.add_patch(Rectangle((x - 0.01 if ha == "right" else x, start), 0.01, h, color="black"))
            ax.text(x - 0.015 if ha == "right" else x + 0.015, start + h / 2, f"{name} ({counter[name]})",
                    ha=ha, va="center", fontsize=7)
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylim(max(len(left), len(right)) * gap + 1.02, -0.02)
    ax.axis("off")
    fig.savefig(path, bbox_inches="tight", dpi=120)
    plt.close(fig)
