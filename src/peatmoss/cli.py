"""The `peatmoss` command: a thin layer over the Python API of each stage.

Each stage package has a `cli` module with `register(app)`; it is added here. The global `--db` option
(or $PEATMOSS_DB) names the database for every command (stages read it with `core.cli.db_url`);
`--debug` shows the traceback of an error that is otherwise one line (policy: `peatmoss.core.cli`).
"""

from __future__ import annotations

import importlib
import logging

import typer

from . import __version__
from .core.cli import Policy

app = typer.Typer(
    name="peatmoss",
    cls=Policy,
    help="Build and analyse the dataset of the pre-trained-model supply chain.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals may hold tokens
    context_settings={"help_option_names": ["-h", "--help"]},
)

STAGES = ("registries", "usage", "cards", "licenses", "analysis", "pipeline")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"peatmoss {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: str = typer.Option(None, "--db", envvar="PEATMOSS_DB",
                           help="SQLAlchemy URL or SQLite path (default: ./peatmoss.db)"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details."),
    debug: bool = typer.Option(False, "--debug", envvar="PEATMOSS_DEBUG",
                               help="Show the traceback of an error instead of one line."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from .core.redact import install_log_filter

    install_log_filter()  # no URL password or token in any log line


for _stage in STAGES:
    importlib.import_module(f"peatmoss.{_stage}.cli").register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
