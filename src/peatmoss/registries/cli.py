"""Commands of the registries stage: init, collect huggingface, collect pytorch-hub, status."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..core.cli import dask_option, JsonFlag, console, db_url, exit_if_failed, format_type, table

collect_app = typer.Typer(help="Collect model metadata from a registry into the database.", no_args_is_help=True)
Fmt = format_type("table", "json")


def init(ctx: typer.Context) -> None:
    """Create the database, or upgrade it to the newest schema."""
    from ..db import init_db
    from ..db.engine import safe_url

    url = db_url(ctx)
    init_db(url)
    console().print(f"Database ready: [bold]{safe_url(url)}[/bold]")


@collect_app.command("huggingface")
def collect_huggingface_cmd(
    ctx: typer.Context,
    endpoint: str = typer.Option(None, help="Hub URL (env: HF_ENDPOINT; default: https://huggingface.co)"),
    limit: int = typer.Option(None, min=0, help="Stop after this many models."),
    sort: str = typer.Option(None, help="Sort the listing: downloads, likes, lastModified, createdAt."),
    author: str = typer.Option(None, help="Only models of this user or organisation."),
    search: str = typer.Option(None, help="Only models whose id contains this text."),
    page_size: int = typer.Option(1000, min=1, max=10_000, help="Models per listing page."),
    min_downloads: int = typer.Option(50, help="Deep-collect models with at least this many downloads."),
    deep: bool = typer.Option(True, help="Collect card, commits, refs and discussions of popular models."),
    files: bool = typer.Option(False, help="Also snapshot the files of deep models into --store."),
    store: Path = typer.Option(Path("peatmoss-store"), help="Content-addressed store for --files."),
    allow: list[str] = typer.Option(None, "--allow", help="File patterns to snapshot (repeatable)."),
    weights: bool = typer.Option(False, help="Allow weight files in --files snapshots."),
    snapshot: str = typer.Option(None, help="Snapshot date YYYY-MM-DD, or YYYY-MM for the 1st of the month "
                                 "[default: today, UTC]; the same date resumes or re-collects that snapshot."),
    record: Path = typer.Option(None, help="Store every raw response in this folder."),
    replay: Path = typer.Option(None, help="Serve responses recorded with --record instead of the network."),
    timeout: float = typer.Option(30.0, min=0.001, help="Seconds without data before a request times out "
                                  "(then retried)."),
    deadline: float = typer.Option(120.0, min=0.001, help="Seconds a whole request may take, however the server "
                                   "trickles its answer (then retried)."),
    max_retries: int = typer.Option(5, min=0, help="Retries of a failed request (429, 5xx, time-outs)."),
    max_retry_after: float = typer.Option(60.0, min=0, help="Longest wait (s) obeyed from Retry-After."),
    max_page_bytes: int = typer.Option(64 * 1024 ** 2, min=1, help="Largest listing page (bytes); a larger one "
                                       "ends the run with an error row."),
    max_page_items: int = typer.Option(10_000, min=1, help="Most items on one listing page."),
    max_card_bytes: int = typer.Option(2 * 1024 ** 2, min=1, help="Longer cards are cut here, with a marker."),
    max_deep_items: int = typer.Option(10_000, min=1, help="Most commits or discussions read for one model."),
    max_models: int = typer.Option(10_000_000, min=1, help="Most models one listing reads, and so at most this "
                                   "over the page size pages; more ends the run with an error row."),
    recollect: bool = typer.Option(False, help="Fetch a snapshot again even when it is complete "
                                   "(by default a complete snapshot is left as it is)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    fmt: Fmt = "table",
    as_json: JsonFlag = False,
    dask: str = dask_option("Deep snapshots"),
) -> None:
    """Collect models from the Hugging Face Hub (resumable; re-run to continue an interrupted snapshot)."""
    from .huggingface import CollectOptions, collect_huggingface

    as_json = as_json or fmt == "json"
    from ..core.runs import SnapshotError, snapshot_date

    try:
        snapshot_date(snapshot)
    except SnapshotError as exc:
        raise typer.BadParameter(str(exc), param_hint="--snapshot") from None
    if replay is not None and not (replay / "index.jsonl").is_file():
        raise typer.BadParameter(f"{replay} holds no recording (index.jsonl)", param_hint="--replay")
    opts = CollectOptions(endpoint=endpoint, limit=limit, sort=sort, author=author, search=search,
                          page_size=page_size, min_downloads=min_downloads, deep=deep, files=files,
                          store_dir=str(store), allow_patterns=allow or None, include_weights=weights,
                          snapshot=snapshot, record_dir=str(record) if record else None,
                          replay_dir=str(replay) if replay else None, timeout=timeout, deadline=deadline,
                          max_retries=max_retries, max_retry_after=max_retry_after, max_page_bytes=max_page_bytes,
                          max_page_items=max_page_items, max_card_bytes=max_card_bytes,
                          max_deep_items=max_deep_items, max_models=max_models, recollect=recollect,
                          progress=progress and not as_json, dask=dask)
    try:
        summary = collect_huggingface(db_url(ctx), opts)
    except KeyboardInterrupt:
        console(stderr=True).print("[yellow]Interrupted. Re-run the same command to resume from the last committed page.")
        raise typer.Exit(130)
    if as_json:
        typer.echo(json.dumps(vars(summary), default=str))
    else:
        state = "complete" if summary.complete else "[yellow]incomplete (re-run to resume)[/yellow]"
        if summary.skipped:
            state += " (already collected: nothing fetched; --recollect fetches it again)"
        console().print(f"Snapshot {summary.snapshot} (run {summary.run_id}): {summary.in_snapshot:,} models, "
                      f"{summary.deep_models:,} deep, {summary.errors:,} errors - {state}")
    if not summary.complete:
        raise typer.Exit(1)


@collect_app.command("pytorch-hub")
def collect_pytorch_hub_cmd(
    ctx: typer.Context,
    source: Path = typer.Option(..., "--source", exists=True, help="Checkout or archive of pytorch/hub."),
    hubconf_dir: Path = typer.Option(None, exists=True, file_okay=False,
                                     help="Folder of <owner>/<repo>/hubconf.py files to list entrypoints."),
    no_zoo: bool = typer.Option(False, "--no-zoo",
                                help="Leave out the library zoos (torchvision, torchaudio, torchtext bundled facts)."),
    zoo_weights: bool = typer.Option(True, "--zoo-weights/--no-zoo-weights",
                                     help="Count each torchvision weight set as a model too (as the paper counted "
                                          "torchaudio/torchtext bundles); --no-zoo-weights: one per builder."),
    fmt: Fmt = "table",
    as_json: JsonFlag = False,
) -> None:
    """Collect PyTorch Hub models from the pytorch/hub model pages, merged with the torchvision, torchaudio and
    torchtext model zoos."""
    from .pytorch_hub import collect_pytorch_hub

    counts = collect_pytorch_hub(db_url(ctx), source, hubconf_dir, zoo=not no_zoo, zoo_weights=zoo_weights)
    if as_json or fmt == "json":
        typer.echo(json.dumps(vars(counts)))
    else:
        console().print(f"PyTorch Hub: {counts.pages} pages, {counts.entries} (repo, model) entries "
                      f"({counts.zoo} from the library zoos), {counts.models} models, {counts.errors} errors")
    exit_if_failed(counts.errors, "PyTorch Hub pages or entries")


def status(
    ctx: typer.Context,
    fmt: Fmt = "table",
    as_json: JsonFlag = False,
    errors: int = typer.Option(5, min=0, help="How many recent errors to show."),
) -> None:
    """What the database holds: rows per table, snapshots, last errors."""
    from ..core.cli import DATA_HINT
    from .status import database_status

    info = database_status(db_url(ctx, existing=True, readonly=True), last_errors=errors)
    if as_json or fmt == "json":
        typer.echo(json.dumps(info, default=str))
    else:
        print_status(info)
    if not any(info["tables"].values()):
        typer.echo(f"The database is empty: {DATA_HINT}.", err=True)


def print_status(info: dict) -> None:
    out = console()
    out.print(f"[bold]Database[/bold] {info['database']}")
    rows = table("table", "rows", title="Rows per table", show_edge=False)
    for name, count in info["tables"].items():
        if count:
            rows.add_row(name, f"{count:,}")
    out.print(rows)
    runs = table("run", "stage", "source", "snapshot", "status", "items", "errors", title="Runs", show_edge=False)
    for r in info["runs"]:
        runs.add_row(str(r["id"]), r["stage"], r["source"], str(r["snapshot_date"])[:10], r["status"],
                     f"{r['items_done']:,}", str(r["error_count"]))
    out.print(runs)
    if info["errors"]:
        errs = table("stage", "kind", "item", "message", title="Last errors", show_edge=False)
        for e in info["errors"]:
            errs.add_row(e["stage"], e["error_kind"], e["item"], e["message"][:200])
        out.print(errs)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(collect_app, name="collect")
    app.command("status")(status)
