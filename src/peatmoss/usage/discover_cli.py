"""CLI of downstream discovery: `peatmoss discover` (code search from the signature catalog)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from enum import Enum
from pathlib import Path

import typer

from ..core.cli import InputError, console, db_url, emit, exit_if_failed, format_type

Fmt = format_type("table", "json", "jsonl")


class Backend(str, Enum):
    sourcegraph = "sourcegraph"
    github = "github"


def _libraries(names: list[str] | None) -> list[str] | None:
    from .catalog import load_catalog

    known = load_catalog().libraries()
    bad = sorted(set(names or ()) - known)
    if bad:
        raise InputError(f"unknown library {', '.join(bad)}", "see `peatmoss signatures` for the catalog's libraries")
    return names or None


def discover_cmd(
    ctx: typer.Context,
    backend: list[Backend] = typer.Option([Backend.sourcegraph], "--backend", "-b",
                                          help="Search backend (repeat for both): sourcegraph (the paper's) or github."),
    library: list[str] = typer.Option(None, "--library", "-l", help="Only this catalog library (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the queries; no network, no database."),
    # --format json|jsonl: JSON lines (the queries with --dry-run, else the kept candidates)
    fmt: Fmt = "table",
    min_stars: int = typer.Option(5, "--min-stars", min=0, help="Keep repositories with at least this many stars."),
    forks: bool = typer.Option(False, "--forks/--no-forks", help="Keep forks."),
    archived: bool = typer.Option(False, "--archived/--no-archived", help="Keep archived repositories."),
    private: bool = typer.Option(False, "--private/--public-only", help="Keep private repositories."),
    check: bool = typer.Option(True, "--check/--no-check",
                               help="Fetch each new repository's metadata (GitHub repos API) and filter."),
    limit: int = typer.Option(None, "--limit", min=1, help="Run at most this many of the pending queries."),
    max_size: int = typer.Option(384_000, "--max-size", min=1, help="Upper bound of GitHub's file-size shards."),
    out: Path = typer.Option(None, "--out", dir_okay=False,
                             help="Write the kept owner/repo names here (a --list file for `mine`)."),
    github_api: str = typer.Option(None, "--github-api", envvar="GITHUB_API_URL"),
    sourcegraph_api: str = typer.Option(None, "--sourcegraph-api", envvar="SRC_ENDPOINT"),
    record: Path = typer.Option(None, "--record", file_okay=False,
                                help="Store the raw responses here (github/ and sourcegraph/ archives)."),
    replay: Path = typer.Option(None, "--replay", exists=True, file_okay=False,
                                help="Serve recorded responses from this folder (github/, sourcegraph/)."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Find downstream repositories by code search for every catalog signature (import + callable), keep those
    that pass the filter (public, not fork, not archived, >= 5 stars), resumably; `mine --from-discovery`
    mines them. Tokens: $GITHUB_TOKEN, $SRC_ACCESS_TOKEN."""
    from .discover import Filter, plan

    filt = Filter(min_stars=min_stars, forks=forks, archived=archived, private=private)
    backends = list(dict.fromkeys(b.value for b in backend))
    queries = plan(backends, filt, _libraries(library))
    if dry_run:
        rows = [q.as_dict() for q in queries]
        if fmt == "table":
            emit(rows, fmt, ("backend", "library", "signature", "query"), title=f"{len(rows)} queries")
        else:
            for row in rows:
                typer.echo(json.dumps(row))
        return
    if replay is not None and not any((replay / b).is_dir() for b in ("github", "sourcegraph")):
        raise InputError(f"--replay {replay} holds no github/ or sourcegraph/ recording", "record one with --record")
    url = db_url(ctx)
    from peatmoss.db import init_db

    init_db(url)
    summary = _run(url, queries, backends, filt, check=check, limit=limit, max_size=max_size, progress=progress,
                   github_api=github_api, sourcegraph_api=sourcegraph_api, record=record, replay=replay)
    if out:
        from .discover import kept_names

        names = kept_names(url)
        out.write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(summary.reasons.items())) or "none"
    typer.echo(f"run {summary.run_id}: {summary.ran} queries run, {summary.skipped} already done, "
               f"{summary.failed} failed; {summary.hits} files matched, {summary.candidates} new repositories, "
               f"{summary.checked} checked ({summary.check_failed} failed), {summary.kept} kept "
               f"(dropped: {reasons}); {summary.requests} requests" + (f"; kept names → {out}" if out else ""),
               err=fmt != "table")  # with json, stdout holds only the kept candidates, one a line
    if fmt != "table":
        from .discover import candidates

        emit(candidates(url), "jsonl", ())
    exit_if_failed(summary.failed, "queries")
    exit_if_failed(summary.check_failed, "repository checks")


def _run(url, queries, backends, filt, *, check, limit, max_size, progress, **where):
    from peatmoss.db import session_scope
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlalchemy import select

    from peatmoss.db.models import DiscoveryQuery

    from .discover import clients, discover, estimate

    with session_scope(url) as s:
        done = {(b, q) for b, q in s.execute(select(DiscoveryQuery.backend, DiscoveryQuery.query)
                                            .where(DiscoveryQuery.state == "done"))}
    pending = [q for q in queries if (q.backend, q.query) not in done]
    if limit is not None:
        pending = pending[:limit]
    console(stderr=True).print(f"estimate: {estimate(pending)}; {len(queries) - len(pending)} of the "
                               f"{len(queries)} planned queries not run (done, or past --limit)", highlight=False)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   disable=not progress, console=console(stderr=True))
    tasks: dict[str, int] = {}

    def tick(stage: str, n: int) -> None:
        if stage == "query":
            bar.advance(tasks["query"], n)
        elif stage == "check_total":
            tasks["check"] = bar.add_task("checking repositories", total=n)
        elif stage == "check":
            bar.advance(tasks["check"], n)

    try:
        with ExitStack() as stack, bar:
            gh, sg = clients(stack, backends, github="github" in backends or check, **where)
            tasks["query"] = bar.add_task("code search", total=len(pending))
            summary = discover(url, pending, github=gh, sourcegraph=sg, filt=filt, check=check,
                               max_size=max_size, progress=tick)
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None
    summary.skipped = sum((q.backend, q.query) in done for q in queries)
    return summary


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_cmd)

