"""Commands of the analysis stage: report, query, browse, export, publish."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ..core.cli import Failed, console, db_url, emit, first_line, format_type, require_rows, table

Format = format_type("table", "json", "jsonl", "csv")
DATA_TABLES = ("model", "reuse_repository")  # a report or a query needs models or mined repositories


class Variant(str, Enum):
    metadata = "metadata"
    full = "full"


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"


def _fail(exc: Exception) -> None:
    """An error of the analysis as one line, exit 1 (`--debug` shows the traceback)."""
    raise Failed(first_line(exc)) from exc


def _data_url(ctx: typer.Context) -> str:
    """The database, which must exist and hold data (never created here)."""
    url = db_url(ctx, existing=True, readonly=True)
    require_rows(url, *DATA_TABLES)
    return url


def report(ctx: typer.Context,
           out: Path = typer.Option(Path("report"), "--out", help="Directory for figures, CSVs, summary.md, report.html.")) -> None:
    """Write the paper's tables and figures (PNG, SVG, CSV), a Markdown summary and one HTML file."""
    from .report import write_report

    url = _data_url(ctx)
    try:
        page = write_report(url, out)
    except Exception as exc:  # noqa: BLE001 - a message, never a stack trace
        _fail(exc)
    typer.echo(f"report written: {page}")


def query(ctx: typer.Context,
          name: str = typer.Argument(None, help="Query name, e.g. I-1 (see --list)."),
          fmt: Format = "table",
          list_: bool = typer.Option(False, "--list", help="List the queries with their question.")) -> None:
    """Run one research-question query (the paper's Table 3)."""
    from ..db import get_engine
    from . import queries

    if list_ or not name:
        for q in queries.QUERIES:
            typer.echo(f"{q.name:7} {q.question}")
        return
    url = _data_url(ctx)
    try:
        df, summary = queries.run(get_engine(url), name)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    if fmt == "json":
        typer.echo(json.dumps({"query": queries.get(name).name, "rows": json.loads(df.to_json(orient="records")),
                               "summary": summary}, indent=1))
        return
    if fmt in ("csv", "jsonl"):
        if fmt == "csv":
            typer.echo(df.to_csv(index=False), nl=False)
        else:
            emit(json.loads(df.to_json(orient="records")), fmt, [str(c) for c in df.columns])
        if summary:
            typer.echo(f"# {json.dumps(summary)}", err=True)
        return
    q = queries.get(name)
    rows = table(*(str(c) for c in df.columns), title=f"{q.name}: {q.question}", caption=q.description)
    for row in df.head(200).itertuples(index=False):
        rows.add_row(*("" if v is None else str(v) for v in row))
    out = console()
    out.print(rows)
    if len(df) > 200:
        out.print(f"... {len(df) - 200:,} more rows (use --format csv)")
    if summary:
        out.print("summary: " + ", ".join(f"{k} = {v}" for k, v in summary.items()))


def browse(ctx: typer.Context,
           host: str = typer.Option("127.0.0.1", help="Address to listen on."),
           port: int = typer.Option(8001, min=0, max=65535, help="Port to listen on."),
           metadata_out: Path = typer.Option(None, "--metadata", help="Also keep the Datasette metadata file here.")) -> None:
    """Serve the (SQLite) database with Datasette: documented tables, facets, research queries."""
    from .browse import serve

    url = db_url(ctx, existing=True, readonly=True)
    try:
        code = serve(url, metadata_out, host, port)  # without --metadata no file is written
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    raise typer.Exit(code)


def export(ctx: typer.Context,
           fmt: ExportFormat = typer.Option(ExportFormat.parquet, "--format", help="File format."),
           out: Path = typer.Option(Path("export"), "--out", help="Directory for one file per table.")) -> None:
    """Export every table as Parquet or CSV (see docs/export.md for DuckDB and pandas examples)."""
    from .export import export as run_export

    url = db_url(ctx, existing=True, readonly=True)
    try:
        counts = run_export(url, out, fmt.value)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    typer.echo(f"exported {len(counts)} tables ({sum(counts.values()):,} rows) to {out}")


def publish(ctx: typer.Context,
            out: Path = typer.Option(Path("release"), "--out", help="Directory to write the release folder into."),
            version: str = typer.Option(None, "--version", help="Release version (default: today, YYYY.MM.DD)."),
            variant: Variant = typer.Option(Variant.metadata, "--variant",
                                            help="metadata: database and tables; full: also the stored files."),
            store: Path = typer.Option(Path("peatmoss-store"), "--store", file_okay=False,
                                       help="The content-addressed store `collect --files` wrote (full variant)."),
            mirrors: Path = typer.Option(None, "--mirrors", exists=True, file_okay=False,
                                         help="Git mirrors of mined repositories (full variant; "
                                              "default $PEATMOSS_MIRRORS).")) -> None:
    """Write a versioned release: SQLite file, Parquet tables, datasheet, Croissant JSON-LD, SHA256SUMS; the full
    variant adds the stored model cards, deep-snapshot files and repository histories."""
    from ..core.paths import mirrors_dir
    from .publish import publish as run_publish

    url = _data_url(ctx)
    try:
        release = run_publish(url, out, version, variant.value, store,
                              mirrors_dir(mirrors) if variant is Variant.full else None)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    typer.echo(f"release written: {release}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("query")(query)
    app.command("browse")(browse)
    app.command("export")(export)
    app.command("publish")(publish)
