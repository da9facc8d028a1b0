"""Figure 12: the license Sankey, upstream (PTM) license left, downstream license right, from license_verdict.

Drawn twice: a matplotlib picture (PNG/SVG) and an interactive plotly version for the HTML report.
Red = incompatible, blue = compatible (light blue: conditional), grey = unknown or anything else.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from matplotlib.patches import PathPatch, Patch
from matplotlib.path import Path as MPath

from .figures import Result, new_fig
from .load import Data

VERDICT_COLORS = {"incompatible": "#d62728", "compatible": "#1f77b4", "conditional": "#7fb2e5"}
GREY = "#9a9a9a"
TOP = 12


def _color(verdict: str) -> str:
    return VERDICT_COLORS.get(verdict, GREY)


def _lump(flows: pd.DataFrame, side: str) -> pd.DataFrame:
    top = flows.groupby(side)["n"].sum().nlargest(TOP).index
    return flows.assign(**{side: flows[side].where(flows[side].isin(top), "other licenses")})


def flows_for(d: Data) -> tuple[pd.DataFrame, str | None]:
    v = d.verdicts
    if v.empty:
        return v, None
    rules = "paper" if "paper" in set(v["rules"]) else v.groupby("rules")["n"].sum().idxmax()
    f = v[v["rules"] == rules]
    f = _lump(_lump(f, "upstream"), "downstream")
    return f.groupby(["upstream", "downstream", "verdict"], as_index=False)["n"].sum(), rules


def _stack(totals: pd.Series, gap: float) -> dict[str, float]:
    y, out = 0.0, {}
    for name, n in totals.items():
        out[name] = y
        y += n + gap
    return out


def draw(flows: pd.DataFrame, title: str):
    fig, ax = new_fig(11, 7)
    left = flows.groupby("upstream")["n"].sum().sort_values(ascending=False)
    right = flows.groupby("downstream")["n"].sum().sort_values(ascending=False)
    total = flows["n"].sum()
    gap = total * 0.02
    ly, ry = _stack(left, gap), _stack(right, gap)
    lrank = {name: i for i, name in enumerate(left.index)}
    rrank = {name: i for i, name in enumerate(right.index)}
    flows = flows.assign(_l=flows["upstream"].map(lrank), _r=flows["downstream"].map(rrank))
    top_left, top_right = {}, {}  # where each band starts on each side, stacked so bands cross little
    for side, order, starts, key in ((ly, ["_l", "_r"], top_left, "upstream"), (ry, ["_r", "_l"], top_right, "downstream")):
        cur = dict(side)
        for row in flows.sort_values(order).itertuples():
            starts[row.Index] = cur[getattr(row, key)]
            cur[getattr(row, key)] += row.n
    x0, x1 = 0.2, 0.8
    for row in flows.itertuples():
        a0, b0 = top_left[row.Index], top_right[row.Index]
        a1, b1 = a0 + row.n, b0 + row.n
        xm = (x0 + x1) / 2
        verts = [(x0, a0), (xm, a0), (xm, b0), (x1, b0), (x1, b1), (xm, b1), (xm, a1), (x0, a1), (x0, a0)]
        codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                 MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=_color(row.verdict), alpha=0.55, lw=0))
    for names, ys, x, ha, dx in ((left, ly, x0, "right", -0.01), (right, ry, x1, "left", 0.01)):
        for name, n in names.items():
            ax.add_patch(PathPatch(MPath([(x - 0.006, ys[name]), (x + 0.006, ys[name]),
                                          (x + 0.006, ys[name] + n), (x - 0.006, ys[name] + n), (x, ys[name])],
                                         [MPath.MOVETO, MPath.LINETO, MPath.LINETO, MPath.LINETO, MPath.CLOSEPOLY]),
                                   facecolor="#333", lw=0))
            ax.text(x + dx, ys[name] + n / 2, f"{name} ({n:,})", ha=ha, va="center", fontsize=8)
    height = max(sum(left) + gap * len(left), sum(right) + gap * len(right))
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(height, -gap)
    ax.axis("off")
    ax.text(x0, -gap * 0.5, "PTM license (upstream)", ha="center", fontweight="bold")
    ax.text(x1, -gap * 0.5, "repository license (downstream)", ha="center", fontweight="bold")
    seen = list(dict.fromkeys(flows["verdict"]))
    ax.legend(handles=[Patch(color=_color(v), alpha=0.6, label=v) for v in seen], title="verdict",
              loc="lower center", bbox_to_anchor=(0.5, -0.08), ncols=len(seen))
    ax.set_title(title, pad=24)
    return fig


def interactive(flows: pd.DataFrame, title: str) -> str:
    lefts = list(dict.fromkeys(flows["upstream"]))
    rights = list(dict.fromkeys(flows["downstream"]))
    labels = [f"{x} (PTM)" for x in lefts] + [f"{x} (repo)" for x in rights]
    link = dict(source=[lefts.index(u) for u in flows["upstream"]],
                target=[len(lefts) + rights.index(v) for v in flows["downstream"]],
                value=flows["n"].tolist(), color=[_color(v) for v in flows["verdict"]],
                customdata=flows["verdict"].tolist(),
                hovertemplate="%{source.label} → %{target.label}<br>%{value} pairs, %{customdata}<extra></extra>")
    fig = go.Figure(go.Sankey(node=dict(label=labels, pad=12, color="#555"), link=link))
    fig.update_layout(title=title, height=600)
    return fig.to_html(full_html=False, include_plotlyjs=True)


def fig12_licenses(d: Data) -> Result:
    title = "Figure 12: license flows from PTMs to the repositories that use them"
    flows, rules = flows_for(d)
    if flows.empty:
        return Result("fig12_licenses", title, "", pd.DataFrame(columns=["upstream", "downstream", "verdict", "n"]),
                      missing=["no license verdicts (license_verdict is empty)"])
    others = sorted(set(d.verdicts["rules"]) - {rules})
    caption = (f"Verdicts of the '{rules}' rules; the top {TOP} licenses per side, the rest lumped."
               + (f" Also in the database: {', '.join(others)}." if others else ""))
    title_r = f"{title} ({rules} rules)"
    return Result("fig12_licenses", title_r, caption, flows, draw(flows, title_r), html=interactive(flows, title_r))
