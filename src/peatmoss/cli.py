"""The `peatmoss` command: a thin layer over the Python API of each stage.

Each stage package may have a `cli` module with `register(app)`; it is added here.
The global `--db` option (or $PEATMOSS_DB) names the database for every command.
"""

from __future__ import annotations

import importlib
import logging

import typer

from . import __version__
from .db.engine import resolve_url

app = typer.Typer(
    name="peatmoss",
    help="Build and analyse the dataset of the pre-trained-model supply chain.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

STAGES = ("registries", "usage", "cards", "licenses", "analysis", "pipeline")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"peatmoss {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: str = typer.Option(None, "--db", envvar="PEATMOSS_DB",
                           help="SQLAlchemy URL or SQLite path [default: ./peatmoss.db]"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db": resolve_url(db)}


def db_url(ctx: typer.Context) -> str:
    """The database URL chosen by the global --db option."""
    root_ctx = ctx.find_root()
    obj = root_ctx.obj or {}
    return obj.get("db") or resolve_url(None)


def _register_stages() -> None:
    for stage in STAGES:
        name = f"peatmoss.{stage}.cli"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name in (name, name.rsplit(".", 1)[0]):
                continue
            raise
        module.register(app)


_register_stages()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
