"""Mine many repositories into the database: open → scan → write links with their evidence.

Workers (processes, or Dask workers with `dask=`) open and scan; the parent is the only writer and
commits in batches.
A repository already scanned at the same commit is skipped, so a rerun resumes. A newer commit
makes the older scans and their links `is_current=False` (history is kept). Failures are error rows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select, update

from peatmoss.db import session_scope
from peatmoss.db.models import CollectionRun, ModelReuse, RepoScan, ReuseFile, ReuseRepository
from peatmoss.core.runs import finish_run, now, record_error, start_run
from peatmoss.licenses import detect_repository_license

from .canonical import Canonicalizer
from .sources import SourceError, describe, open_source, remote_head

log = logging.getLogger(__name__)
STAGE = "mine"


@dataclass
class MineSummary:
    run_id: int | None = None
    repos: int = 0
    scanned: int = 0
    skipped: int = 0  # already scanned at that commit
    failed: int = 0
    files: int = 0
    links: int = 0
    matched: int = 0
    errors: int = 0
    by_status: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- worker side


class RepoTimeout(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: float | None):
    """Raise RepoTimeout in this (main) thread after `seconds`; a no-op elsewhere or without a limit."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise RepoTimeout(f"repository took longer than {seconds:g}s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def scan_repo(spec: str, commit: str | None, known: frozenset[str], opts: dict, timeout: float | None = None) -> dict:
    """Open and scan one repository; returns plain data (picklable). Never raises."""
    try:
        with _deadline(timeout):
            return _scan_repo(spec, commit, known, opts)
    except RepoTimeout as exc:
        return {"spec": spec, "status": "failed", "kind": "timeout", "message": str(exc)}


def _scan_repo(spec: str, commit: str | None, known: frozenset[str], opts: dict) -> dict:
    try:
        from . import scan_files

        if known:  # resume without cloning: the commit is known before opening
            info = describe(spec, opts.get("github_base"))
            sha = commit if commit and len(commit) >= 40 else None
            if sha is None and commit is None and info.host != "local":
                sha = remote_head(info.url, allow_file=opts.get("allow_file", False))
            if sha in known:
                return {"spec": spec, "status": "skipped", "full_name": info.full_name, "commit": sha}
        with open_source(spec, commit=commit, **opts) as (info, files):
            license_ = detect_repository_license(info.tree).as_dict()
            if info.commit and info.commit in known:
                return {"spec": spec, "status": "skipped", "full_name": info.full_name, "commit": info.commit,
                        "license": license_}
            result = scan_files(files)
            records = [asdict(r) for r in info.skipped] + [asdict(r) for r in result.files]
            return {"spec": spec, "status": "ok", "repo": info.as_dict(), "license": license_,
                    "files": records, "findings": [f.to_dict() for f in result.findings]}
    except SourceError as exc:
        return {"spec": spec, "status": "failed", "kind": exc.kind, "message": str(exc)}
    except RepoTimeout:
        raise
    except Exception as exc:  # a broken repository must not stop the run
        return {"spec": spec, "status": "failed", "kind": type(exc).__name__, "message": str(exc)[:2000]}


# --------------------------------------------------------------------------- writer side


def _utc(iso: str | None) -> datetime | None:
    """An ISO 8601 date-time as a UTC datetime (so that dates compare alike in every database)."""
    return datetime.fromisoformat(iso).astimezone(timezone.utc) if iso else None


def _cut(value, n: int):
    return value[:n] if isinstance(value, str) else value


def store_license(repo: ReuseRepository, detection: dict | None, commit: str | None) -> None:
    """The license found in the repository's files at `commit`, with its evidence (the detector's own)."""
    if not detection or detection["expression"] is None and repo.license_spdx:
        return  # nothing recognised in the files: what the host said stays
    repo.license_spdx = _cut(detection["expression"], 1024)
    repo.license_evidence = dict(detection, source="files", commit=commit)


def write_result(session, run, canon: Canonicalizer, res: dict) -> dict:
    """Write one scan result. Returns counts for the summary."""
    if res["status"] == "failed":
        record_error(session, run, STAGE, res["spec"], res["kind"], res["message"])
        return {"failed": 1, "errors": 1}
    if res["status"] == "skipped":
        repo = session.scalar(select(ReuseRepository).where(ReuseRepository.full_name == res.get("full_name")))
        if repo is not None and not repo.license_evidence:  # mined before licenses were stored
            store_license(repo, res.get("license"), res.get("commit"))
        return {"skipped": 1}
    info = res["repo"]
    repo = session.scalar(select(ReuseRepository).where(ReuseRepository.full_name == info["full_name"]))
    if repo is None:
        repo = ReuseRepository(full_name=info["full_name"], host=info["host"])
        session.add(repo)
    for attr in ("owner", "name", "url"):
        if info.get(attr) and getattr(repo, attr) is None:
            setattr(repo, attr, info[attr])
    session.flush()
    commit = info["commit"]
    if commit and session.scalar(select(RepoScan.id).where(RepoScan.repository_id == repo.id,
                                                           RepoScan.commit_sha == commit)):
        if not repo.license_evidence:
            store_license(repo, res.get("license"), commit)
        return {"skipped": 1}
    committed = _utc(info.get("committed_at"))
    newer = committed is not None and session.scalar(  # an older commit (history) leaves the newest one current
        select(RepoScan.id).where(RepoScan.repository_id == repo.id, RepoScan.committed_at > committed).limit(1))
    current = not newer
    if current:
        store_license(repo, res.get("license"), commit)
        session.execute(update(RepoScan).where(RepoScan.repository_id == repo.id, RepoScan.is_current.is_(True))
                        .values(is_current=False))
        session.execute(update(ModelReuse).where(ModelReuse.repository_id == repo.id,
                                                 ModelReuse.is_current.is_(True)).values(is_current=False))
    records = list({r["path"]: r for r in res["files"]}.values())
    scan = RepoScan(repository_id=repo.id, run_id=run.id, commit_sha=commit, committed_at=committed, scanned_at=now(),
                    is_current=current, files_seen=len(records),
                    files_scanned=sum(r["status"] in ("ok", "degraded") for r in records), findings=len(res["findings"]))
    session.add(scan)
    session.flush()
    file_rows = {r["path"]: ReuseFile(scan_id=scan.id, repository_id=repo.id, path=_cut(r["path"], 2048),
                                      kind=_cut(r["kind"], 16), size=r["size"], status=r["status"])
                 for r in records}
    session.add_all(file_rows.values())
    errors = 0
    for r in records:
        if r["status"] in ("error", "degraded"):
            record_error(session, run, STAGE, f"{repo.full_name}@{commit or ''}:{r['path']}",
                         r.get("error_kind") or r["status"], r.get("message") or r["status"])
            errors += 1
    session.flush()
    counts = {"scanned": 1, "files": len(records), "links": 0, "matched": 0, "errors": errors}
    for f in res["findings"]:
        link = canon.link(f["model"], library=f["library"], hub=f["hub"], is_local_path=f["is_local_path"],
                          resolution=f["resolution"], revision=f["revision"])
        file_row = file_rows.get(f["file"])
        session.add(ModelReuse(
            scan_id=scan.id, repository_id=repo.id, file_id=file_row.id if file_row else None,
            model_id=link.model_id, raw_model_id=_cut(f["model"], 1024), canonical_model_id=_cut(link.canonical, 1024),
            link_status=link.status, hub=_cut(f["hub"], 32), library=_cut(f["library"], 64), api=_cut(f["api"], 255),
            line=f["line"], col=f["col"], cell=f["cell"], call_text=f["call_text"], arg_text=f["arg_text"],
            resolution=_cut(f["resolution"], 32), confidence=f["confidence"], candidates=f["candidates"] or None,
            revision=_cut(link.revision, 255), trust_remote_code=f["trust_remote_code"],
            is_local_path=bool(f["is_local_path"]), reuse_mode=_cut(f["reuse_mode"], 16),
            reuse_evidence=f["reuse_evidence"], is_current=current))
        counts["links"] += 1
        counts["matched"] += link.model_id is not None
        counts[f"link_{link.status}"] = counts.get(f"link_{link.status}", 0) + 1
    return counts


# --------------------------------------------------------------------------- driver


def _known_commits(session, names: list[str]) -> dict[str, frozenset[str]]:
    rows = session.execute(select(ReuseRepository.full_name, RepoScan.commit_sha)
                           .join(RepoScan, RepoScan.repository_id == ReuseRepository.id)
                           .where(RepoScan.commit_sha.is_not(None)))
    wanted = set(names)
    known: dict[str, set[str]] = {}
    for name, sha in rows:
        if name in wanted:
            known.setdefault(name, set()).add(sha)
    return {k: frozenset(v) for k, v in known.items()}


def _results(specs: list[str], commit, known, opts, workers: int, timeout: float | None,
             dask: str | None = None) -> Iterator[dict]:
    """Scan results as they finish, through the execution layer (a process pool, or Dask with `dask`)."""
    from peatmoss.execution import Unit, run_units

    units = [Unit(spec, (spec, commit, known.get(name, frozenset()), opts, timeout)) for spec, name in specs]
    for done in run_units(units, scan_repo, executor="dask" if dask else "local", dask_address=dask,
                          workers=workers, window=2 * workers):
        yield done.value if done.ok else {"spec": done.key, "status": "failed", "kind": done.error,
                                          "message": done.message}


def mine(url_db: str, specs: list[str], *, workers: int = 1, commit: str | None = None, progress: bool = True,
         batch: int = 20, github_base: str | None = None, allow_file: bool = False,
         max_file_size: int | None = None, workdir: str | None = None,
         repo_timeout: float | None = 1800.0, dask: str | None = None) -> MineSummary:
    """Mine `specs` (folders, git repositories, URLs, owner/repo) into the database at `url_db`.

    `dask`: a scheduler address, or "local" for a local cluster of `workers` processes (default: a
    local process pool); either way this process is the only writer."""
    opts = {"github_base": github_base, "allow_file": allow_file, "workdir": workdir}
    if max_file_size:
        opts["max_file_size"] = max_file_size
    summary = MineSummary(repos=len(specs))
    named: list[tuple[str, str]] = []
    bad: list[tuple[str, SourceError]] = []
    for spec in specs:
        try:
            named.append((spec, describe(spec, github_base).full_name))
        except SourceError as exc:
            bad.append((spec, exc))
    key = hashlib.sha1("\n".join(sorted(specs) + [commit or ""]).encode()).hexdigest()[:16]
    with session_scope(url_db) as s:
        run = start_run(s, STAGE, "github", key=key, params={"repos": len(specs), "commit": commit,
                                                              "workers": workers})
        summary.run_id = run.id
        for spec, exc in bad:
            record_error(s, run, STAGE, spec, exc.kind, str(exc))
            summary.failed += 1
            summary.errors += 1
        known = _known_commits(s, [n for _, n in named])
        canon = Canonicalizer(s)
    bar = Progress(TextColumn("mining"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   TextColumn("{task.description}"), disable=not progress, transient=False)
    results = _results(named, commit, known, opts, workers, repo_timeout, dask)
    with finishing(url_db, run), bar:
        task = bar.add_task("", total=len(named))
        while True:
            chunk = []
            for res in results:  # the bar moves as results come in; they are written in batches
                chunk.append(res)
                bar.update(task, advance=1, description=res["spec"][-40:])
                if len(chunk) >= batch:
                    break
            if not chunk:
                break
            with session_scope(url_db) as s:
                run = s.merge(run)
                for res in chunk:
                    try:
                        with s.begin_nested():
                            counts = write_result(s, run, canon, res)
                    except Exception as exc:  # a row the database refuses: an error row, go on
                        record_error(s, run, STAGE, res["spec"], "write_failed", f"{type(exc).__name__}: {exc}")
                        counts = {"failed": 1, "errors": 1}
                    for k, v in counts.items():
                        if hasattr(summary, k) and k != "by_status":
                            setattr(summary, k, getattr(summary, k) + v)
                        elif k.startswith("link_"):
                            summary.by_status[k[5:]] = summary.by_status.get(k[5:], 0) + v
                    run.items_done = (run.items_done or 0) + 1
                    run.cursor = res["spec"]
    return summary


@contextlib.contextmanager
def finishing(url_db: str, run):
    """Marks `run` complete when the block ends, failed when it raises."""
    try:
        yield
    except BaseException:
        with session_scope(url_db) as s:
            finish_run(s, s.get(CollectionRun, run.id), status="failed")
        raise
    with session_scope(url_db) as s:
        finish_run(s, s.get(CollectionRun, run.id))
