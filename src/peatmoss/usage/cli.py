"""CLI of the usage miner's static analysis: `peatmoss scan PATH` and `peatmoss signatures`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..core.cli import InputError, console, emit, format_type, table
from . import discover_cli, mine_cli

ScanFormat = format_type("table", "json", "jsonl", "csv")
ListFormat = format_type("table", "json")
COLUMNS = ("file", "cell", "line", "col", "library", "api", "model", "candidates", "resolution", "confidence",
           "hub", "revision", "trust_remote_code", "is_local_path", "reuse_mode", "arg_text")


def _scan(spec: str, workers: int = 1):
    from .scan import scan_files, scan_path
    from .sources import SourceError, open_source

    path = Path(spec)
    bare_git = path.is_dir() and (path / "HEAD").is_file() and (path / "objects").is_dir()
    if path.exists() and not bare_git:  # a local folder or file: its working tree, with our own safe walker
        return scan_path(spec, workers)
    try:
        with open_source(spec) as (_info, files):
            return scan_files(files)
    except SourceError as exc:
        raise InputError(f"cannot scan {spec}: {exc}", "pass a folder, a git repository or a repository URL") from None


def _row(finding: dict) -> dict:
    row = {k: finding.get(k) for k in COLUMNS}
    if row["cell"] is None:
        row.pop("cell")
    return row


def scan_cmd(
    path: str = typer.Argument(..., help="Folder or file to analyse (or a git repository / URL)."),
    fmt: ScanFormat = "table",
    files: bool = typer.Option(False, "--files", help="Also list files that were skipped, degraded or failed."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Analyse in this many processes (a local "
                                "folder; a git repository or URL is analysed in one)."),
    smells: bool = typer.Option(False, "--smells", help="List model-usage smells (unpinned revision, "
                                "trust_remote_code, unsafe torch.load, tokens in code, plain-URL weights); "
                                "with json/jsonl/csv the smells are printed instead of the loads."),
) -> None:
    """Find where Python code loads a pre-trained model and which model id it loads (no DB, no network)."""
    result = _scan(path, workers)
    found = [f.to_dict() for f in result.findings]
    if smells:
        from .smells import smells_in

        if not Path(path).exists():
            raise InputError(f"--smells needs a local folder or file, not {path}", "clone the repository first")
        rows = [s.as_dict() for s in smells_in(path, result.findings)]
        if fmt != "table":
            emit(rows, fmt, ("rule", "file", "line", "detail"))
            return
        _table(found, result.files, files)
        emit(rows, fmt, ("rule", "file", "line", "detail"), title=f"{len(rows)} model-usage smells")
        return
    if fmt == "table":
        _table(found, result.files, files)
    elif fmt == "csv":
        emit(({**f, "candidates": ";".join(f["candidates"])} for f in found), fmt, COLUMNS)
    else:
        emit([_row(f) for f in found], fmt, COLUMNS)


def signatures_cmd(fmt: ListFormat = "table") -> None:
    """List the signature catalog: which calls the usage miner treats as model loads."""
    from dataclasses import asdict

    from .catalog import load_catalog

    catalog = load_catalog()
    if fmt == "json":
        typer.echo(json.dumps({"version": catalog.version,
                               "signatures": [asdict(s) for s in catalog.signatures]}, indent=2))
        return
    out = table("id", "library", "hub", "match", "model argument", "source",
                title=f"Signature catalog v{catalog.version}: {len(catalog.signatures)} signatures, "
                      f"{len(catalog.libraries())} libraries")
    for s in catalog.signatures:
        arg = s.fixed_model and f"= {s.fixed_model}" or ", ".join(
            str(x) for x in (s.arg_pos, s.arg_kw) if x is not None)
        out.add_row(s.id, s.library, s.hub or "", " ".join(s.match), arg, "added" if s.added else "PeaTMOSS")
    console().print(out)


def _table(found: list[dict], records, show_files: bool) -> None:
    out = console()
    loads = table("location", "library", "model", "resolution", "conf", "reuse", title=f"{len(found)} model loads")
    for f in found:
        place = f"{f['file']}:{f['line']}" if f["cell"] is None else f"{f['file']}[{f['cell']}]:{f['line']}"
        model = f["model"] or f"({f['arg_text'] or '?'})"
        if len(f["candidates"]) > 1:
            model += f" +{len(f['candidates']) - 1}"
        loads.add_row(place, f["library"], model, f["resolution"], f"{f['confidence']:.2f}", f["reuse_mode"] or "")
    out.print(loads)
    bad = [r for r in records if r.status != "ok"]
    if show_files and bad:
        files = table("path", "kind", "status", "error", "message", title="files not fully analysed")
        for r in bad:
            files.add_row(r.path, r.kind, r.status, r.error_kind or "", r.message or "")
        out.print(files)
    elif bad:
        out.print(f"{len(bad)} file(s) skipped, degraded or failed (--files to list)")


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_cmd)
    app.command("signatures")(signatures_cmd)
    mine_cli.register(app)
    discover_cli.register(app)
