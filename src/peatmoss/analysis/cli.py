"""Commands of the analysis stage: report, query, browse, export."""

from __future__ import annotations

import json
import logging
import tempfile
from enum import Enum
from pathlib import Path

import typer

log = logging.getLogger(__name__)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"


def _fail(exc: Exception) -> None:
    log.debug("failed", exc_info=exc)
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def report(ctx: typer.Context,
           out: Path = typer.Option(Path("report"), "--out", help="Directory for figures, CSVs, summary.md, report.html.")) -> None:
    """Write the paper's tables and figures (PNG, SVG, CSV), a Markdown summary and one HTML file."""
    from ..cli import db_url
    from .report import write_report

    try:
        page = write_report(db_url(ctx), out)
    except Exception as exc:  # noqa: BLE001 - a message, never a stack trace
        _fail(exc)
    typer.echo(f"report written: {page}")


def query(ctx: typer.Context,
          name: str = typer.Argument(None, help="Query name, e.g. I-1 (see --list)."),
          fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
          list_: bool = typer.Option(False, "--list", help="List the queries with their question.")) -> None:
    """Run one research-question query (the paper's Table 3)."""
    from ..cli import db_url
    from ..db import get_engine
    from . import queries
    from .load import require_db

    if list_ or not name:
        for q in queries.QUERIES:
            typer.echo(f"{q.name:7} {q.question}")
        return
    try:
        require_db(db_url(ctx))
        df, summary = queries.run(get_engine(db_url(ctx)), name)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    if fmt is Format.json:
        typer.echo(json.dumps({"query": queries.get(name).name, "rows": json.loads(df.to_json(orient="records")),
                               "summary": summary}, indent=1))
        return
    if fmt is Format.csv:
        typer.echo(df.to_csv(index=False), nl=False)
        if summary:
            typer.echo(f"# {json.dumps(summary)}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    q = queries.get(name)
    table = Table(title=f"{q.name}: {q.question}", caption=q.description)
    for col in df.columns:
        table.add_column(str(col))
    for row in df.head(200).itertuples(index=False):
        table.add_row(*("" if v is None else str(v) for v in row))
    console = Console()
    console.print(table)
    if len(df) > 200:
        console.print(f"... {len(df) - 200:,} more rows (use --format csv)")
    if summary:
        console.print("summary: " + ", ".join(f"{k} = {v}" for k, v in summary.items()))


def browse(ctx: typer.Context,
           host: str = typer.Option("127.0.0.1", help="Address to listen on."),
           port: int = typer.Option(8001, help="Port to listen on."),
           metadata_out: Path = typer.Option(None, "--metadata", help="Also keep the Datasette metadata file here.")) -> None:
    """Serve the (SQLite) database with Datasette: documented tables, facets, research queries."""
    from ..cli import db_url
    from .browse import serve

    try:
        if metadata_out:
            code = serve(db_url(ctx), metadata_out, host, port)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                code = serve(db_url(ctx), Path(tmp) / "metadata.json", host, port)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    raise typer.Exit(code)


def export(ctx: typer.Context,
           fmt: ExportFormat = typer.Option(ExportFormat.parquet, "--format", help="File format."),
           out: Path = typer.Option(Path("export"), "--out", help="Directory for one file per table.")) -> None:
    """Export every table as Parquet or CSV (see docs/export.md for DuckDB and pandas examples)."""
    from ..cli import db_url
    from .export import export as run_export

    try:
        counts = run_export(db_url(ctx), out, fmt.value)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    typer.echo(f"exported {len(counts)} tables ({sum(counts.values()):,} rows) to {out}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("query")(query)
    app.command("browse")(browse)
    app.command("export")(export)
