"""`peatmoss report`: every table and figure as PDF + SVG + 300-dpi PNG + CSV, a Markdown summary and one self-contained HTML."""

from __future__ import annotations

import base64
import html
import logging
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..db import get_engine
from . import figures, queries
from .figures import Result, placeholder
from .load import load, require_db
from .sankey import fig12_licenses

log = logging.getLogger(__name__)

BUILDERS = (figures.table1, figures.headline, figures.fig5_libraries, figures.fig7_metadata, figures.fig8_domains,
            figures.fig9_reuse_domains, figures.fig10_creation, figures.fig11_size, fig12_licenses, figures.trends)


def build(data) -> list[Result]:
    """Run every builder; one failing builder becomes a note in the report, not a crash."""
    out = []
    for builder in BUILDERS:
        try:
            out.append(builder(data))
        except Exception as exc:  # noqa: BLE001 - the report must render whatever one figure does
            log.warning("figure %s failed: %s", builder.__name__, exc)
            log.debug("figure %s failed", builder.__name__, exc_info=True)
            out.append(Result(builder.__name__, builder.__name__, "", pd.DataFrame(),
                              missing=[f"could not be drawn: {type(exc).__name__}: {exc}"]))
    return out


PREVIEW = 20
PNG_DPI = 300


def plain(value) -> str:
    """A value as a reader sees it: thousands separators, at most 4 significant decimals, '' for a gap,
    'n/a' for None (a summary that could not be computed)."""
    if value is None:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if pd.isna(value):
            return ""
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value)


def formatted(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every cell as its plain text (for HTML and Markdown tables; the CSVs keep raw values)."""
    return df.apply(lambda col: col.map(plain)) if len(df.columns) else df


def research_questions(engine) -> list[Result]:
    """The Table 3 queries, each as a table (the full rows go to rq_NAME.csv)."""
    out = []
    for q in queries.QUERIES:
        key = f"rq_{q.name}"
        try:
            df, summary = queries.run(engine, q.name)
        except Exception as exc:  # noqa: BLE001
            log.warning("query %s failed: %s", q.name, exc)
            out.append(Result(key, f"{q.name}: {q.question}", q.description, pd.DataFrame(), table=True,
                              missing=[f"could not be run: {type(exc).__name__}: {exc}"]))
            continue
        caption = q.description + (" Summary: " + ", ".join(f"{k} = {plain(v)}" for k, v in summary.items()) + "."
                                   if summary else "")
        missing = [] if len(df) else ["no rows: the tables this question needs are empty"]
        out.append(Result(key, f"{q.name}: {q.question}", caption, df, missing=missing, table=True))
    return out


def _write(result: Result, out: Path) -> None:
    result.data.to_csv(out / f"{result.key}.csv", index=False)
    if result.table:
        return
    fig = result.fig or placeholder(result.title, result.missing)
    fig.savefig(out / f"{result.key}.png", dpi=PNG_DPI)  # print resolution
    for vector in ("pdf", "svg"):
        fig.savefig(out / f"{result.key}.{vector}")


def md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "_(no rows)_"
    cells = [[str(v).replace("|", "\\|") for v in row] for row in formatted(df).itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def _markdown(results: list[Result], created: str) -> str:
    lines = ["# PeaTMOSS report", "", f"Generated {created} from the database alone.", ""]
    for r in results:
        lines += [f"## {r.title}", ""]
        if r.caption:
            lines += [r.caption, ""]
        for note in r.missing:
            lines.append(f"> Missing: {note}")
        if r.missing:
            lines.append("")
        if r.table:
            lines += [md_table(r.data.head(PREVIEW)), ""]
            if len(r.data) > PREVIEW:
                lines += [f"First {PREVIEW} of {len(r.data):,} rows; all in [{r.key}.csv]({r.key}.csv).", ""]
        else:
            lines += [f"![{r.title}]({r.key}.png)", "", f"Data: [{r.key}.csv]({r.key}.csv)", ""]
    return "\n".join(lines)


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em}
th{background:#f0f0f0}.missing{background:#fff4e5;border-left:4px solid #e69500;padding:.4em .8em;margin:.5em 0}
img{max-width:100%}details{margin:.5em 0}.caption{color:#555}"""


def _html(results: list[Result], created: str, out: Path) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>PeaTMOSS report</title>"
             f"<style>{CSS}</style></head><body><h1>PeaTMOSS report</h1><p>Generated {created}.</p><ul>"]
    parts += [f"<li><a href='#{r.key}'>{html.escape(r.title)}</a></li>" for r in results]
    parts.append("</ul>")
    for r in results:
        parts.append(f"<section id='{r.key}'><h2>{html.escape(r.title)}</h2>")
        if r.caption:
            parts.append(f"<p class='caption'>{html.escape(r.caption)}</p>")
        parts += [f"<div class='missing'>Missing: {html.escape(n)}</div>" for n in r.missing]
        if not r.table:
            png = base64.b64encode((out / f"{r.key}.png").read_bytes()).decode()
            parts.append(f"<img alt='{html.escape(r.title)}' src='data:image/png;base64,{png}'>")
        if r.html:
            parts.append(f"<details><summary>Interactive version</summary>{r.html}</details>")
        if not r.data.empty:
            table = formatted(r.data.head(PREVIEW)).to_html(index=False, border=0, na_rep="")
            if len(r.data) > PREVIEW:
                table += f"<p>First {PREVIEW} of {len(r.data):,} rows; all in {r.key}.csv.</p>"
            parts.append(table if r.table else f"<details><summary>Data ({len(r.data):,} rows)</summary>{table}</details>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(url: str, out: Path) -> Path:
    """Write the report for the database at `url` into `out`; returns the HTML file."""
    require_db(url)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    results = build(load(engine)) + research_questions(engine)
    for r in results:
        _write(r, out)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    (out / "summary.md").write_text(_markdown(results, created), encoding="utf-8")
    page = out / "report.html"
    page.write_text(_html(results, created, out), encoding="utf-8")
    return page
