"""One policy for every command: errors, exit codes, output formats, the database option.

- A bad argument, option or input file prints ONE line (what is wrong; what to do) and exits 2; a command
  that ran but could not do its job (no data yet, items that failed) prints one line and exits 1. No
  traceback unless the global `--debug` (or $PEATMOSS_DEBUG) is given. `Policy` applies this to the root
  command, so typer's BadParameter, a missing file, bad JSON or a database that cannot be opened are
  reported the same way by every stage.
- Commands that print data take `--format` (`format_type(...)`), and print with `emit` or `console()`,
  whose tables never wrap or cut ids when stdout is not a terminal.
- Stage CLIs get the database with `db_url(ctx)`; they never import the top-level `peatmoss.cli`.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import inspect
import json
import os
import re
import sys
import typing
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Iterator

import typer
from typer.core import TyperGroup

# typer vendors click in recent versions and depends on it in older ones: take its classes from typer's own.
_CLICK = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
ClickException, UsageError = _CLICK["ClickException"], _CLICK["UsageError"]

WIDE = 10_000  # console width when piped: tables are as wide as their content
STATUS_HINT = "see `peatmoss status` (table collection_error)"
DATA_HINT = "run `peatmoss demo` for a small offline dataset, or `peatmoss collect huggingface` (see --help)"


class InputError(ClickException):
    """A bad argument, option or input file: one line naming the problem and what to do; exit 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(f"{message}; {hint}" if hint else message)


class Failed(InputError):
    """The command ran but could not do its job (no data yet, items that failed); exit 1."""

    exit_code = 1


def _known(exc: BaseException) -> str | None:
    """The one-line message for an error a user can fix, or None for a bug (which keeps its traceback)."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from ..db.engine import DatabaseUnavailable
    from .runs import RunBusy

    if isinstance(exc, DatabaseUnavailable):
        return f"{exc}; {exc.hint}"
    if isinstance(exc, RunBusy):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}); fix the input file"
    if isinstance(exc, (FileNotFoundError, NotADirectoryError, IsADirectoryError)):
        if exc.filename is None:
            return str(exc)
        return f"{exc.filename}: {exc.strerror or 'not found'}; check the path"
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {first_line(exc.orig or exc)}; check --db / $PEATMOSS_DB"
    if isinstance(exc, ArgumentError):
        return f"bad database URL: {exc}; check --db / $PEATMOSS_DB"
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its class name when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _say(message: str) -> None:
    typer.echo(f"error: {clean(message, markup=False)}", err=True)


class Policy(TyperGroup):
    """The root command: known errors become one line and an exit code, unless --debug."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001
        args = sys.argv[1:] if args is None else list(args)
        debug = "--debug" in args or bool(os.environ.get("PEATMOSS_DEBUG"))
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except ClickException as exc:
            if debug and not isinstance(exc, UsageError):
                raise
            code = exc.exit_code
            if exc.__class__.__name__ == "NoArgsIsHelpError":  # `peatmoss` or a group without a subcommand
                if exc.format_message().strip():  # rich help was already printed while raising
                    exc.show()
            else:
                ctx = getattr(exc, "ctx", None)
                see = f" (see '{ctx.command_path} --help')" if isinstance(exc, UsageError) and ctx else ""
                _say(exc.format_message().strip().replace("\n", " ") + see)
        except Exception as exc:
            message = "aborted" if type(exc).__name__ == "Abort" else _known(exc)  # Abort: typer's or click's
            if message is None or debug:
                raise
            _say(message)
            code = 1 if message == "aborted" else 2
        if standalone_mode:
            sys.exit(code)
        return code


def db_url(ctx: typer.Context, *, existing: bool = False, readonly: bool = False) -> str:
    """The database URL of the global --db option (else $PEATMOSS_DB, else ./peatmoss.db), checked.

    A URL that cannot be opened, or another application's SQLite file, is an InputError (nothing written).
    With `existing`, a database that is missing or was never initialised is a Failed saying how to get data,
    and no file is created. With `readonly` (commands that only read), every engine of this process opens the
    SQLite file with `mode=ro`: no migration, no journal-mode change.
    """
    from ..db.engine import DatabaseUnavailable, check_database, mark_read_only, resolve_url

    root = ctx.find_root()
    url = resolve_url(root.params.get("db"))
    try:
        check_database(url, existing=existing)
    except DatabaseUnavailable as exc:
        raise (Failed(str(exc), DATA_HINT) if exc.missing else InputError(str(exc), exc.hint)) from None
    if readonly:
        mark_read_only(url)
    return url


def require_rows(url: str, *tables: str) -> None:
    """Failed (with how to get data) when every one of these tables is empty."""
    from sqlalchemy import text

    from ..db.engine import get_engine, safe_url

    with get_engine(url).connect() as conn:
        if not any(conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in tables):
            raise Failed(f"database {safe_url(url)} holds no data yet", DATA_HINT)


def exit_if_failed(failed: int, what: str = "items") -> None:
    """After a run: if items failed (each an error row), say so in one line and exit 1."""
    if failed:
        raise Failed(f"{failed:,} {what} failed", STATUS_HINT)


@contextmanager
def input_file(option: str, path: Path | None) -> Iterator[None]:
    """Errors reading the file given to OPTION become one InputError naming the option and the file."""
    try:
        yield
    except json.JSONDecodeError as exc:
        raise InputError(f"{option} {path}: not valid JSON ({exc.msg}, line {exc.lineno})",
                         "fix the file or record it again") from None
    except UnicodeDecodeError:
        raise InputError(f"{option} {path}: not a UTF-8 text file", "pass the right file") from None


def _dask_address(value: str | None) -> str | None:
    if value in (None, "", "local"):
        return value
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        scheme, location = parse_address(value)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}: use 'local' or a scheduler address such as tcp://host:8786") from None
    return value


def dask_option(what: str) -> Any:
    """The `--dask` option of a stage that can run on Dask (`what` runs there); the address is checked."""
    return typer.Option(None, "--dask", callback=_dask_address,
                        help=f"{what} on Dask: a scheduler address, or 'local'.")


# -- output ----------------------------------------------------------------------------------------

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SHOWN = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(m: re.Match) -> str:
    c = m.group()
    return _SHOWN.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def clean(value: Any, markup: bool = True) -> str:
    """An untrusted string (model id, path, server message) safe for a terminal: control characters, escape
    sequences and line breaks are shown as `\\x1b`, `\\n`; with `markup`, Rich markup such as `[red]` is
    printed as text. JSON output never goes through here (it stays exact)."""
    text = _UNSAFE.sub(_shown, str(value))
    if not markup:
        return text
    from rich.markup import escape

    return escape(text)


def format_type(*choices: str) -> Any:
    """The shared `--format` option, with the formats a command supports (table, json, jsonl, csv, or its own).

    Use as `Fmt = format_type("table", "json")` then `fmt: Fmt = "table"`; values compare equal to strings.
    """
    enum = Enum("Format", {c: c for c in choices}, type=str)
    return Annotated[enum, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]


JsonFlag = Annotated[bool, typer.Option("--json", hidden=True, help="Same as --format json.")]


def console(stderr: bool = False):  # noqa: ANN201 - rich is imported lazily
    """A rich Console: on a terminal as wide as it; piped, wide enough that nothing wraps or is cut."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(stderr=stderr, width=None if tty else WIDE, soft_wrap=not tty)


def table(*columns: str, title: str | None = None, **kwargs: Any):  # noqa: ANN201
    """A rich Table whose columns never wrap (ids stay whole); string cells are shown as text (`clean`)."""
    from rich.table import Table

    class SafeTable(Table):
        def add_row(self, *cells: Any, **kw: Any) -> None:
            super().add_row(*(clean(c) if isinstance(c, str) else c for c in cells), **kw)

    t = SafeTable(title=title, **kwargs)
    for col in columns:
        t.add_column(col, no_wrap=True)
    return t


def emit(rows: Iterable[dict], fmt: str, columns: list[str] | tuple[str, ...], title: str | None = None) -> None:
    """Print rows as a table, a JSON array, JSON lines or CSV (stdout)."""
    rows = list(rows)
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1, default=str))
    elif fmt == "jsonl":
        for row in rows:
            typer.echo(json.dumps(row, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        t = table(*columns, title=title)
        for row in rows:
            t.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        console().print(t)


# -- option groups ---------------------------------------------------------------------------------


def option_group(cls: type, name: str) -> Callable[[Callable], Callable]:
    """Decorator: a command takes the fields of dataclass `cls` (each `Annotated[type, typer.Option(...)]`)
    as options and receives them as one argument `name` — a group of options declared once for many commands."""
    hints = typing.get_type_hints(cls, include_extras=True)
    group = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
             for f in dataclasses.fields(cls)]

    def wrap(fn: Callable) -> Callable:
        sig = inspect.signature(fn, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name != name] + group

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            values = {p.name: kwargs.pop(p.name) for p in group}
            return fn(**kwargs, **{name: cls(**values)})

        command.__signature__ = sig.replace(parameters=params)
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return wrap
