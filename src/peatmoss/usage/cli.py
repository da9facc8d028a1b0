"""CLI of the usage miner's static analysis: `peatmoss scan PATH` and `peatmoss signatures`."""

from __future__ import annotations

import csv
import importlib
import json
import sys
from enum import Enum
from pathlib import Path

import typer

COLUMNS = ("file", "cell", "line", "col", "library", "api", "model", "candidates", "resolution", "confidence",
           "hub", "revision", "trust_remote_code", "is_local_path", "reuse_mode", "arg_text")


class ScanFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


def _scan(spec: str):
    from .scan import scan_files, scan_path

    path = Path(spec)
    bare_git = path.is_dir() and (path / "HEAD").is_file() and (path / "objects").is_dir()
    if path.exists() and not bare_git:  # a local folder or file: its working tree, with our own safe walker
        return scan_path(spec)
    try:
        sources = importlib.import_module("peatmoss.usage.sources")
    except ModuleNotFoundError:
        sources = None
    if sources is None or not hasattr(sources, "open_source"):
        raise typer.BadParameter(f"{spec} is not a folder")
    try:
        with sources.open_source(spec) as opened:
            files = opened[1] if isinstance(opened, tuple) else opened
            return scan_files(files)
    except getattr(sources, "SourceError", OSError) as exc:
        raise typer.BadParameter(f"{spec}: {exc}") from None


def _row(finding: dict) -> dict:
    row = {k: finding.get(k) for k in COLUMNS}
    if row["cell"] is None:
        row.pop("cell")
    return row


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan_cmd(
        path: str = typer.Argument(..., help="Folder or file to analyse (or a git repository / URL)."),
        fmt: ScanFormat = typer.Option(ScanFormat.table, "--format", "-f", help="Output format."),
        files: bool = typer.Option(False, "--files", help="Also list files that were skipped, degraded or failed."),
    ) -> None:
        """Find where Python code loads a pre-trained model and which model id it loads (no DB, no network)."""
        result = _scan(path)
        found = [f.to_dict() for f in result.findings]
        if fmt is ScanFormat.json:
            typer.echo(json.dumps([_row(f) for f in found], indent=2))
        elif fmt is ScanFormat.csv:
            writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for f in found:
                writer.writerow({**f, "candidates": ";".join(f["candidates"])})
        else:
            _table(found, result.files, files)

    @app.command("signatures")
    def signatures_cmd(
        fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="Output format."),
    ) -> None:
        """List the signature catalog: which calls the usage miner treats as model loads."""
        from dataclasses import asdict

        from .catalog import load_catalog

        catalog = load_catalog()
        if fmt is ListFormat.json:
            typer.echo(json.dumps({"version": catalog.version,
                                   "signatures": [asdict(s) for s in catalog.signatures]}, indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Signature catalog v{catalog.version}: {len(catalog.signatures)} signatures, "
                            f"{len(catalog.libraries())} libraries")
        for col in ("id", "library", "hub", "match", "model argument", "source"):
            table.add_column(col)
        for s in catalog.signatures:
            arg = s.fixed_model and f"= {s.fixed_model}" or ", ".join(
                str(x) for x in (s.arg_pos, s.arg_kw) if x is not None)
            table.add_row(s.id, s.library, s.hub or "", " ".join(s.match), arg, "added" if s.added else "PeaTMOSS")
        Console().print(table)

    try:  # the mining commands (another module of this stage) register through this one
        mine_cli = importlib.import_module("peatmoss.usage.mine_cli")
    except ModuleNotFoundError:
        mine_cli = None
    if mine_cli is not None and hasattr(mine_cli, "register"):
        mine_cli.register(app)


def _table(found: list[dict], records, show_files: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{len(found)} model loads")
    for col in ("location", "library", "model", "resolution", "conf", "reuse"):
        table.add_column(col, overflow="fold")
    for f in found:
        place = f"{f['file']}:{f['line']}" if f["cell"] is None else f"{f['file']}[{f['cell']}]:{f['line']}"
        model = f["model"] or f"({f['arg_text'] or '?'})"
        if len(f["candidates"]) > 1:
            model += f" +{len(f['candidates']) - 1}"
        table.add_row(place, f["library"], model, f["resolution"], f"{f['confidence']:.2f}",
                      f["reuse_mode"] or "")
    console.print(table)
    bad = [r for r in records if r.status != "ok"]
    if show_files and bad:
        files = Table(title="files not fully analysed")
        for col in ("path", "kind", "status", "error", "message"):
            files.add_column(col, overflow="fold")
        for r in bad:
            files.add_row(r.path, r.kind, r.status, r.error_kind or "", r.message or "")
        console.print(files)
    elif bad:
        console.print(f"{len(bad)} file(s) skipped, degraded or failed (--files to list)")
