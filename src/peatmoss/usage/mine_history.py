"""Mine the history of repositories into the database: one repo_scan (with its links) per selected commit.

The commits come from `usage.history` (oldest first; unchanged files are analysed once). Each commit is
written in its own transaction, so an interrupted run resumes: a commit already scanned is skipped. The
newest commit stays the current scan (`mine.write_result` compares commit dates).
"""

from __future__ import annotations

import hashlib
import resource
import time
from dataclasses import asdict, dataclass

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from peatmoss.core.runs import record_error, start_run
from peatmoss.db import session_scope
from peatmoss.db.models import CollectionRun

from .canonical import Canonicalizer
from .filecache import FileCache
from .history import history, parse_date, parse_every, parse_range
from .mine import STAGE, _known_commits, finishing, write_result
from .sources import MAX_FILE_SIZE, SourceError, describe


@dataclass
class HistorySummary:
    run_id: int | None = None
    repos: int = 0
    commits: int = 0  # scanned and stored
    skipped: int = 0  # commits stored before
    failed: int = 0  # repositories that could not be read
    links: int = 0
    matched: int = 0
    errors: int = 0
    analysed: int = 0  # files parsed and analysed
    reused: int = 0  # files whose analysis an earlier commit's was reused for
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process and the git processes it waited for


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _as_result(spec: str, c) -> dict:
    """The plain result `write_result` takes, from one CommitScan."""
    records = [asdict(r) for r in c.skipped] + [asdict(r) for r in c.result.files]
    return {"spec": spec, "status": "ok", "repo": c.info.as_dict(), "license": c.license, "files": records,
            "findings": [f.to_dict() for f in c.result.findings]}


def mine_history(url_db: str, specs: list[str], *, since=None, until=None, every=None, commits=None,
                 branch: str | None = None, progress: bool = True, github_base: str | None = None,
                 allow_file: bool = False, max_file_size: int | None = None,
                 workdir: str | None = None) -> HistorySummary:
    """Scan each repository of `specs` at the commits `since`/`until`/`every` (or the range `commits`) select."""
    every, rng = parse_every(every), parse_range(commits)
    since, until = parse_date(since), parse_date(until, "--until")
    wall, cpu = time.monotonic(), _cpu()
    summary = HistorySummary(repos=len(specs))
    params = {"repos": len(specs), "since": since and since.isoformat(), "until": until and until.isoformat(),
              "every": every, "commits": "..".join(rng) if rng else None, "branch": branch}
    key = hashlib.sha1("\n".join(sorted(specs) + [repr(sorted(params.items()))]).encode()).hexdigest()[:16]
    with session_scope(url_db) as s:
        run = start_run(s, STAGE, "history", key=key, params=params)
        summary.run_id = run.id
    bar = Progress(TextColumn("history"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                   disable=not progress)
    with finishing(url_db, run), bar:
        task = bar.add_task("", total=None)
        for spec in specs:
            _one(url_db, run, spec, summary, bar, task, since=since, until=until, every=every, commits=rng,
                 branch=branch, github_base=github_base, allow_file=allow_file,
                 max_file_size=max_file_size or MAX_FILE_SIZE, workdir=workdir)
    summary.wall_s, summary.cpu_s = round(time.monotonic() - wall, 2), round(_cpu() - cpu, 2)
    return summary


def _one(url_db: str, run, spec: str, summary: HistorySummary, bar, task, **opts) -> None:
    def skipped(sha: str) -> None:
        summary.skipped += 1

    try:
        name = describe(spec, opts["github_base"]).full_name
        with session_scope(url_db) as s:
            known = _known_commits(s, [name]).get(name, frozenset())
            canon = Canonicalizer(s)
        for c in history(spec, skip=known, on_skip=skipped, cache=FileCache(), **opts):
            with session_scope(url_db) as s:
                merged = s.get(CollectionRun, run.id)
                try:
                    with s.begin_nested():
                        counts = write_result(s, merged, canon, _as_result(spec, c))
                except Exception as exc:  # a row the database refuses: an error row, go on
                    record_error(s, merged, STAGE, f"{spec}@{c.commit}", "write_failed", f"{type(exc).__name__}: {exc}")
                    counts = {"errors": 1}
                merged.items_done = (merged.items_done or 0) + 1
                merged.cursor = f"{spec}@{c.commit}"
            summary.commits += counts.get("scanned", 0)
            summary.skipped += counts.get("skipped", 0)
            for k in ("links", "matched", "errors"):
                setattr(summary, k, getattr(summary, k) + counts.get(k, 0))
            summary.analysed += c.result.analysed
            summary.reused += c.result.reused
            bar.update(task, advance=1, description=f"{spec[-30:]} {c.commit[:10]} {c.committed_at[:10]}")
    except SourceError as exc:
        with session_scope(url_db) as s:
            record_error(s, s.get(CollectionRun, run.id), STAGE, spec, exc.kind, str(exc))
        summary.failed += 1
        summary.errors += 1
