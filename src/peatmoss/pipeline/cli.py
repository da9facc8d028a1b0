"""The `peatmoss demo` command."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.cli import console, db_url


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("peatmoss-report"), help="Folder for the report."),
    pytorch_hub: Path = typer.Option(None, exists=True, file_okay=False,
                                     help="Folder of pytorch/hub model pages (default: found in ../shared)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Build a small real dataset offline (bundled Hub facts, PyTorch Hub pages, an example app) and report on it."""
    from ..registries.cli import print_status
    from ..registries.status import database_status
    from .demo import run_demo

    url = db_url(ctx)
    term = console()

    def show(name: str, summary: str, seconds: float) -> None:
        term.print(f"[green]✓[/green] [bold]{name}[/bold] ({seconds:.1f}s): {summary}")

    result = run_demo(url, out, pytorch_hub=pytorch_hub, progress=progress, on_step=show)
    for name, summary, seconds in result.steps:
        if summary.startswith("skipped"):
            term.print(f"[yellow]-[/yellow] [bold]{name}[/bold]: {summary}")
    print_status(database_status(url, last_errors=3))
    if result.report:
        term.print(f"\n[bold]Report:[/bold] {result.report}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
