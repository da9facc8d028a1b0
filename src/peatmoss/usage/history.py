"""A repository's history: its main branch scanned at several commits, in one call (PyDriller's style).

    for c in history("path/or/url", since="2023-01-01", every="monthly"):
        print(c.commit, c.committed_at, len(c.result.findings), c.result.analysed, c.result.reused)

Commits are those of the first-parent line of the branch (oldest first), thinned by `every` (every Nth
commit, or the last commit of each week or month; the newest is always kept), or the range `commits=(A, B)`
(A and the first-parent commits after it up to B). Files are read by commit from git (`git ls-tree`,
`git cat-file`: no checkout, no hooks); one FileCache shares the analysis of unchanged files between commits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable, Iterator

from .filecache import FileCache
from .model import FileRecord, ScanResult
from .sources import (MAX_FILE_SIZE, RepoInfo, SourceError, GitTree, _BlobReader, _git, clone, describe, git_dir,
                      git_files, resolve_commit)

EVERY_WORDS = ("weekly", "monthly")


class HistoryError(ValueError):
    """A bad history argument (--every, --since, --commits): the message says what to give instead."""


@dataclass
class CommitScan:
    commit: str
    committed_at: str  # ISO 8601, UTC
    info: RepoInfo
    result: ScanResult
    license: dict | None = None
    skipped: list[FileRecord] = field(default_factory=list)  # files git did not hand over (symlinks, too large)


def parse_every(value: str | int | None) -> int | str:
    """`every`: a whole number >= 1 (every Nth commit), "weekly" or "monthly"; None means every commit."""
    if value is None:
        return 1
    text = str(value).strip().lower()
    if text in EVERY_WORDS:
        return text
    if not text.isdigit() or int(text) < 1:
        raise HistoryError(f"--every {value!r}: give a whole number >= 1, 'weekly' or 'monthly'")
    return int(text)


def parse_date(value: str | date | None, option: str = "--since") -> datetime | None:
    """A date or date-time (ISO 8601); a date without a zone is taken as UTC."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise HistoryError(f"{option} {value!r} is not a date; give YYYY-MM-DD (or an ISO 8601 date-time)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_range(value: str | tuple[str, str] | None) -> tuple[str, str] | None:
    """`A..B` (two commits, tags or branches) -> (A, B)."""
    if value is None or isinstance(value, tuple):
        return value
    text = value.strip()
    start, _, end = text.partition("..")
    if "..." in text or not start or not end or ".." in end or any(c.isspace() for c in text) \
            or start.startswith("-") or end.startswith("-"):
        raise HistoryError(f"--commits {value!r}: give a range A..B of two commits (sha, tag or branch)")
    return start, end


def _period(when: datetime, every: str) -> tuple[int, int]:
    if every == "weekly":
        iso = when.isocalendar()
        return iso[0], iso[1]
    return when.year, when.month


def thin(commits: list[tuple[str, datetime]], every: int | str) -> list[tuple[str, datetime]]:
    """Every Nth commit (oldest first, the newest always kept), or the last commit of each week or month."""
    if not commits:
        return []
    if isinstance(every, int):
        kept = commits[::every]
        return kept if kept[-1] == commits[-1] else kept + [commits[-1]]
    last: dict[tuple[int, int], tuple[str, datetime]] = {}
    for sha, when in commits:
        last[_period(when, every)] = (sha, when)  # dicts keep the order periods were first met
    return list(last.values())


def select_commits(gitdir: str, *, since=None, until=None, every=None, commits=None,
                   branch: str | None = None) -> list[tuple[str, datetime]]:
    """(sha, committer date) of the commits to scan, oldest first."""
    every = parse_every(every)
    since, until = parse_date(since), parse_date(until, "--until")
    rng = parse_range(commits)
    args = ["rev-list", "--first-parent", "--reverse", "--format=%H %ct", "--no-commit-header"]
    if since:
        args.append(f"--since={int(since.timestamp())}")
    if until:
        args.append(f"--until={int(until.timestamp())}")
    if rng:
        start, end = (resolve_commit(gitdir, ref) for ref in rng)
        args += [f"{start}..{end}"]
    else:
        args += [resolve_commit(gitdir, branch)]
    out = []
    for line in _git(gitdir, *args, "--").decode().splitlines():
        sha, _, stamp = line.partition(" ")
        if stamp.isdigit():
            out.append((sha, datetime.fromtimestamp(int(stamp), timezone.utc)))
    if rng:
        stamp = _git(gitdir, "show", "-s", "--format=%ct", start, "--").decode().strip()
        out.insert(0, (start, datetime.fromtimestamp(int(stamp), timezone.utc)))
        if len(out) == 1 and start != end:
            raise SourceError("bad_range", f"{rng[0]}..{rng[1]}: {rng[1]} is not after {rng[0]} on its first-parent line")
    return thin(out, every)


def check_range(spec: str, commits, github_base: str | None = None) -> None:
    """For a local repository, raise HistoryError when the range A..B does not name two of its commits with B
    after A (a remote one is checked once cloned)."""
    rng = parse_range(commits)
    info = describe(spec, github_base)
    gitdir = git_dir(info.full_name) if rng and info.host == "local" else None
    if gitdir is None:
        return
    try:
        select_commits(gitdir, commits=rng)
    except SourceError as exc:
        raise HistoryError(f"--commits {rng[0]}..{rng[1]} in {spec}: {exc}") from None


@contextlib.contextmanager
def open_history(spec: str, *, workdir: str | None = None, allow_file: bool = False, github_base: str | None = None,
                 max_file_size: int = MAX_FILE_SIZE) -> Iterator[tuple[RepoInfo, str]]:
    """(RepoInfo, git directory) of a local repository, or of a full-history bare clone of a remote one."""
    info = describe(spec, github_base)
    if info.host == "local":
        gitdir = git_dir(info.full_name)
        if gitdir is None:
            raise SourceError("not_a_git_repo", f"{spec} is no git repository, so it has no history")
        yield info, gitdir
        return
    tmp = tempfile.mkdtemp(prefix="peatmoss-history-", dir=workdir)
    try:
        dest = os.path.join(tmp, "repo.git")
        clone(info.url, dest, allow_file=allow_file, max_blob=max_file_size, history=True)
        yield info, dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def history(repo: str, *, since=None, until=None, every=None, commits=None, branch: str | None = None,
            skip: frozenset[str] = frozenset(), on_skip: Callable[[str], None] | None = None, cache: FileCache | None = None, license: bool = True,
            workdir: str | None = None, allow_file: bool = False, github_base: str | None = None,
            max_file_size: int = MAX_FILE_SIZE) -> Iterator[CommitScan]:
    """Scan `repo` (a folder with a git repository, a URL or owner/repo) at the selected commits of its main
    branch, oldest first; commits in `skip` (already stored) are passed over (and given to `on_skip`)."""
    from peatmoss.licenses import detect_repository_license

    from .scan import scan_files

    cache = cache if cache is not None else FileCache()
    with open_history(repo, workdir=workdir, allow_file=allow_file, github_base=github_base,
                      max_file_size=max_file_size) as (base, gitdir):
        chosen = select_commits(gitdir, since=since, until=until, every=every, commits=commits, branch=branch)
        reader = _BlobReader(gitdir)
        try:
            for sha, when in chosen:
                if sha in skip:
                    if on_skip:
                        on_skip(sha)
                    continue
                info = RepoInfo(**{k: v for k, v in base.as_dict().items() if k not in ("commit", "committed_at")},
                                commit=sha, committed_at=when.isoformat())
                files = git_files(gitdir, sha, reader, info, max_file_size)
                info.tree = GitTree(gitdir, sha, reader)
                found = detect_repository_license(info.tree).as_dict() if license else None
                result = scan_files(files, cache=cache)
                info.tree = None
                yield CommitScan(sha, when.isoformat(), info, result, found, list(info.skipped))
        finally:
            reader.close()
