"""Figure 12: the license Sankey from license_verdict, drawn by the license stage's one Sankey
(peatmoss.licenses.sankey: same bands, same colours as `licenses analyze`)."""

from __future__ import annotations

import pandas as pd

from peatmoss.licenses import sankey

from .figures import Result
from .load import Data

TOP = 12
COLUMNS = ["upstream", "downstream", "verdict", "n"]


def flows_for(d: Data) -> tuple[pd.DataFrame, str | None]:
    """The bands of one rule set (the paper's when present, else the one with most pairs), top licenses kept."""
    v = d.verdicts
    if v.empty:
        return v, None
    rules = "paper" if "paper" in set(v["rules"]) else v.groupby("rules")["n"].sum().idxmax()
    f = v[v["rules"] == rules]
    data = [(sankey.label(u), sankey.label(dn), str(vd), int(n)) for u, dn, vd, n in f[COLUMNS].itertuples(index=False)]
    return pd.DataFrame(sankey.fold(data, top=TOP), columns=COLUMNS), rules


def fig12_licenses(d: Data) -> Result:
    title = "Figure 12: license flows from PTMs to the repositories that use them"
    flows, rules = flows_for(d)
    if flows.empty:
        return Result("fig12_licenses", title, "", pd.DataFrame(columns=COLUMNS),
                      missing=["no license verdicts (license_verdict is empty)"])
    others = sorted(set(d.verdicts["rules"]) - {rules})
    caption = (f"Verdicts of the '{rules}' rules; the top {TOP} licenses per side, the rest as '{sankey.OTHER}'."
               + (f" Also in the database: {', '.join(others)}." if others else ""))
    title_r = f"{title} ({rules} rules)"
    data = list(flows.itertuples(index=False, name=None))
    html = sankey.figure(data, title_r).to_html(full_html=False, include_plotlyjs=True)
    return Result("fig12_licenses", title_r, caption, flows, sankey.draw(data, title_r), html=html)
