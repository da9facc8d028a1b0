"""CLI of repository mining: `mine` (repositories → links) and `github-meta` / `github-search` (GitHub REST)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.cli import STATUS_HINT, Failed, InputError, dask_option, db_url, exit_if_failed

ListFile = typer.Option(None, "--list", exists=True, dir_okay=False,
                        help="File with one owner/repo (or URL, or path) a line.")
Recording = typer.Option(None, "--replay", exists=True, file_okay=False,
                         help="Serve recorded responses from this folder.")


def _specs(specs: list[str] | None, list_file: Path | None, base: str | None) -> list[str]:
    from .sources import read_list

    out = list(specs or [])
    if list_file:
        out += read_list(list_file, base)
    if not out:
        raise typer.BadParameter("name at least one repository (SPEC...) or --list FILE")
    return out


def mine_cmd(
    ctx: typer.Context,
    specs: list[str] = typer.Argument(None, help="Folders, git repositories, URLs or owner/repo."),
    list_file: Path = ListFile,
    from_discovery: bool = typer.Option(False, "--from-discovery",
                                        help="Also mine the repositories `discover` kept (this database)."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Scanning processes (one writer)."),
    commit: str = typer.Option(None, "--commit", help="Mine this commit instead of HEAD."),
    github_base: str = typer.Option(None, "--github-base", envvar="PEATMOSS_GITHUB_BASE",
                                    help="Where owner/repo is cloned from (default: https://github.com)."),
    max_file_size: int = typer.Option(None, "--max-file-size", help="Skip files larger than this (bytes)."),
    repo_timeout: float = typer.Option(1800, "--repo-timeout", help="Give up on a repository after this many s."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
    dask: str = dask_option("Scan"),
    since: str = typer.Option(None, "--since", help="History: scan the main branch's commits from this date "
                                                     "(YYYY-MM-DD)."),
    until: str = typer.Option(None, "--until", help="History: up to this date."),
    every: str = typer.Option(None, "--every", help="History: every Nth commit, or 'weekly' / 'monthly' (the "
                                                     "last commit of each); default every commit."),
    commits: str = typer.Option(None, "--commits", help="History: the commits A..B (A and the first-parent "
                                                         "commits after it up to B)."),
) -> None:
    """Mine repositories for PTM loads into reuse_repository, repo_scan, reuse_file and model_reuse.

    With --since, --until, --every or --commits: one scan per selected commit of each repository's main
    branch (its history; docs/history.md)."""
    from peatmoss.db import init_db

    from .mine import mine

    url = db_url(ctx)
    if from_discovery:
        from .discover import discovered_specs

        specs = list(specs or []) + discovered_specs(url, github_base)
    wanted = _specs(specs, list_file, github_base)
    if any(v is not None for v in (since, until, every, commits)):
        _mine_history(url, wanted, since, until, every, commits, commit, progress, github_base, max_file_size)
        return
    init_db(url)
    s = mine(url, wanted, workers=workers, commit=commit, progress=progress,
             github_base=github_base, max_file_size=max_file_size, repo_timeout=repo_timeout,
             dask=dask)
    typer.echo(f"run {s.run_id}: {s.repos} repositories, {s.scanned} scanned, {s.skipped} already done, "
               f"{s.failed} failed; {s.files} files, {s.links} links ({s.matched} matched to models), "
               f"{s.errors} error rows; link status: {s.by_status}")
    if s.errors:
        raise Failed(f"{s.failed} repositories failed, {s.errors} error rows in run {s.run_id}", STATUS_HINT)


def _mine_history(url, wanted, since, until, every, commits, commit, progress, github_base, max_file_size) -> None:
    from peatmoss.db import init_db

    from .history import HistoryError, check_range, parse_date, parse_every, parse_range
    from .mine_history import mine_history
    from .sources import SourceError

    try:
        parse_every(every), parse_date(since), parse_date(until, "--until"), parse_range(commits)
        for spec in wanted:
            check_range(spec, commits, github_base)
    except (HistoryError, SourceError) as exc:
        raise InputError(str(exc)) from None
    if commit:
        raise InputError("--commit names one commit; history takes --since/--until/--every or --commits A..B")
    init_db(url)
    s = mine_history(url, wanted, since=since, until=until, every=every, commits=commits, progress=progress,
                     github_base=github_base, max_file_size=max_file_size)
    typer.echo(f"run {s.run_id}: {s.repos} repositories, {s.commits} commits scanned, {s.skipped} already done, "
               f"{s.failed} failed; {s.links} links ({s.matched} matched to models); files analysed {s.analysed}, "
               f"reused {s.reused}; {s.wall_s:g} s wall, {s.cpu_s:g} s CPU; {s.errors} error rows")
    if s.errors:
        raise Failed(f"{s.failed} repositories failed, {s.errors} error rows in run {s.run_id}", STATUS_HINT)


def github_meta(
    ctx: typer.Context,
    repos: list[str] = typer.Argument(None, help="owner/repo names."),
    list_file: Path = ListFile,
    issues: bool = typer.Option(True, "--issues/--no-issues", help="Also issues and pull requests."),
    max_issues: int = typer.Option(None, "--max-issues", help="At most this many issues/PRs a repository."),
    github_api: str = typer.Option(None, "--github-api", envvar="GITHUB_API_URL"),
    record: Path = typer.Option(None, "--record", help="Store the raw responses in this directory."),
    replay: Path = Recording,
) -> None:
    """Repository metadata, issues and pull requests from the GitHub REST API (token: $GITHUB_TOKEN)."""
    from .github import collect_github_meta

    r = collect_github_meta(db_url(ctx), _specs(repos, list_file, None), issues=issues, max_issues=max_issues,
                            api=github_api, record=record, replay=replay)
    typer.echo(f"{r.repositories} repositories: {r.issues} issues, {r.pull_requests} pull requests, "
               f"{len(r.failed)} failed")
    exit_if_failed(len(r.failed), "repositories")


def github_search(
    query: str = typer.Argument(..., help='Code-search query, e.g. "from_pretrained language:python".'),
    out: Path = typer.Option(None, "--out", help="Write owner/repo lines here (a --list file for `mine`)."),
    max_size: int = typer.Option(384_000, "--max-size", help="Upper bound of the file-size shards (bytes)."),
    github_api: str = typer.Option(None, "--github-api", envvar="GITHUB_API_URL"),
    record: Path = typer.Option(None, "--record"),
    replay: Path = Recording,
) -> None:
    """Discover repositories by code search, sharded by file size past the 1,000-result cap."""
    from .github import GitHubError, discover_repos, github_client

    with github_client(github_api, record=record, replay=replay) as gh:
        try:
            names = discover_repos(gh, query, hi=max_size)
        except GitHubError as exc:
            raise Failed(f"GitHub code search failed: {exc}",
                         "check the query, $GITHUB_TOKEN, or that --replay holds this search") from None
    text = "\n".join(names) + ("\n" if names else "")
    if out:
        out.write_text(text)
        typer.echo(f"{len(names)} repositories → {out}")
    else:
        typer.echo(text, nl=False)


def register(app: typer.Typer) -> None:
    app.command("mine")(mine_cmd)
    app.command("github-meta")(github_meta)
    app.command("github-search")(github_search)
