"""Downstream discovery: code-search queries from the signature catalog, run on GitHub and Sourcegraph.

As the PeaTMOSS paper did, each signature's import and callable make one query (`plan`): the paper's 474
rows of the catalog, plus the patterns of the signatures added since. `discover` runs the queries that are not
done yet (each one's matches and its `done` state are written in one transaction, so a run killed half-way
resumes without repeating a finished query), stores the repositories and files they matched
(discovery_candidate, discovery_match, dated), then checks each new GitHub repository's metadata through the
repos API and keeps those that pass the filter (public, not a fork, not archived, at least 5 stars by default).
`mine --from-discovery` mines the kept ones. Every HTTP exchange can be recorded and replayed (core.archive).
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import func, select

from peatmoss.core.runs import finish_run, now, record_error, start_run
from peatmoss.db.models import DiscoveryCandidate, DiscoveryMatch, DiscoveryQuery

from .catalog import Signature, load_catalog

BACKENDS = ("sourcegraph", "github")
STAGE = "collect"
GITHUB_SEARCH_PER_MINUTE = 10  # code search, authenticated
SOURCEGRAPH_SECONDS = 5.0  # a guess at one exhaustive streamed search
GITHUB_REST_PER_HOUR = 5000  # repository metadata, authenticated


# --------------------------------------------------------------------------- the queries


@dataclass(frozen=True)
class Filter:
    """Which repositories are kept (the paper: public, not a fork, not archived, at least 5 stars)."""

    min_stars: int = 5
    forks: bool = False
    archived: bool = False
    private: bool = False

    def reason(self, meta: dict | None) -> str | None:
        """Why a repository (GitHub repos API answer, None when not found) is dropped; None when kept."""
        if meta is None:
            return "not_found"
        if (meta.get("private") or meta.get("visibility", "public") != "public") and not self.private:
            return "private"
        if meta.get("fork") and not self.forks:
            return "fork"
        if meta.get("archived") and not self.archived:
            return "archived"
        if (meta.get("stargazers_count") or 0) < self.min_stars:
            return "stars"
        return None


@dataclass(frozen=True)
class Query:
    backend: str
    library: str
    module: str  # the import identifier
    callable: str
    signatures: tuple[str, ...]
    query: str

    def as_dict(self) -> dict:
        return {"backend": self.backend, "library": self.library, "signature": self.signatures[0],
                "signatures": list(self.signatures), "import": self.module, "callable": self.callable,
                "query": self.query}


def _literal(part: str) -> str:
    """The longest wildcard-free piece of a pattern segment (`HuggingFace*Embeddings` -> `HuggingFace`)."""
    return max(re.split(r"[*?\[\]]", part), key=len)


def pairs(sig: Signature) -> list[tuple[str, str]]:
    """(import identifier, callable) pairs a search looks for: the paper's row, else one per match pattern."""
    if sig.peatmoss:
        return [(sig.peatmoss["import_identifier"], sig.peatmoss["callable"])]
    out = []
    for pattern in sig.match:
        root, _, _ = pattern.partition(".")
        pair = (_literal(root), _literal(pattern.rsplit(".", 1)[-1]))
        if all(pair) and pair not in out:
            out.append(pair)
    return out


def sourcegraph_query(module: str, name: str, attribute: bool, filt: Filter) -> str:
    """The paper's query shape: Python files that import the module and contain the call."""
    call = name if attribute else f"{name}("
    scope = ["select:file", "count:all", "lang:Python", f"fork:{'yes' if filt.forks else 'no'}",
             f"archived:{'yes' if filt.archived else 'no'}"]
    if not filt.private:
        scope.insert(1, "visibility:public")
    return " ".join(scope) + rf' /\b(from|import)\s+{re.escape(module)}\b/ AND content:"{call}"'


def github_query(module: str, name: str, filt: Filter) -> str:
    """GitHub's (legacy) code search ignores punctuation: both names, in Python files."""
    return f'"{module}" "{name}" language:Python' + (" fork:true" if filt.forks else "")


def plan(backends: Iterable[str] = ("sourcegraph",), filt: Filter = Filter(),
         libraries: Iterable[str] | None = None) -> list[Query]:
    """One query per distinct (import, callable) of the catalog, per backend, in catalog order."""
    wanted = set(libraries) if libraries else None
    grouped: dict[tuple[str, str], tuple[str, bool, list[str]]] = {}
    for sig in load_catalog().signatures:
        if wanted is not None and sig.library not in wanted:
            continue
        for pair in pairs(sig):
            grouped.setdefault(pair, (sig.library, sig.kind == "attribute", []))[2].append(sig.id)
    out = []
    for backend in backends:
        for (module, name), (library, attribute, ids) in grouped.items():
            text = sourcegraph_query(module, name, attribute, filt) if backend == "sourcegraph" \
                else github_query(module, name, filt)
            out.append(Query(backend, library, module, name, tuple(ids), text))
    return out


def estimate(queries: list[Query]) -> str:
    """A one-line estimate of requests and time, at the backends' usual pace (before the filter's requests)."""
    gh = sum(q.backend == "github" for q in queries)
    sg = len(queries) - gh
    minutes = gh / GITHUB_SEARCH_PER_MINUTE + sg * SOURCEGRAPH_SECONDS / 60
    return (f"{len(queries):,} queries to run ({sg:,} Sourcegraph, {gh:,} GitHub): at least {len(queries):,} "
            f"requests (GitHub: more for pages and size shards), about {minutes:,.0f} min; then one GitHub "
            f"request per new repository (at {GITHUB_REST_PER_HOUR:,}/h)")


# --------------------------------------------------------------------------- backends


Hit = tuple[str, str, str]  # (host, full_name, path)


def github_hits(gh, query: str, max_size: int) -> tuple[list[Hit], str | None]:
    from .github import search_code

    return [("github", hit["repository"]["full_name"], hit["path"]) for hit in search_code(gh, query, hi=max_size)], None


def sourcegraph_hits(sg, query: str) -> tuple[list[Hit], str | None]:
    """File hits, and a note when Sourcegraph skipped something (a limit hit: the hits may be incomplete)."""
    from .sourcegraph import repository

    result = sg.search(query)
    hits = []
    for match in result.matches:
        if match.get("type") in ("content", "path", "symbol") and match.get("path"):
            host, name = repository(match)
            hits.append((host, name, match["path"]))
    said = sorted(set(result.skipped)) + result.alerts
    return hits, ("skipped: " + "; ".join(said))[:1000] if said else None


# --------------------------------------------------------------------------- the run


@dataclass
class DiscoverSummary:
    run_id: int = 0
    queries: int = 0
    ran: int = 0
    skipped: int = 0  # done in an earlier run
    failed: int = 0
    hits: int = 0
    candidates: int = 0  # new repositories
    checked: int = 0
    check_failed: int = 0  # repositories whose metadata could not be fetched (checked again next run)
    kept: int = 0
    requests: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _rows(session, queries: list[Query], run_id: int) -> dict[Query, DiscoveryQuery]:
    """The DB row of every planned query (new ones inserted as pending)."""
    rows = {}
    known = {(r.backend, r.query): r for r in session.scalars(select(DiscoveryQuery))}
    for q in queries:
        row = known.get((q.backend, q.query))
        if row is None:
            row = DiscoveryQuery(backend=q.backend, query=q.query, library=q.library, signatures=list(q.signatures),
                                 state="pending", run_id=run_id)
            session.add(row)
        rows[q] = row
    session.flush()
    return rows


def _store_hits(session, row: DiscoveryQuery, hits: list[Hit], chunk: int = 500) -> int:
    """Candidates and matches of one query (which has none yet: they are written with its `done` state);
    returns the number of new candidates."""
    when = now()
    names = list(dict.fromkeys(name for _, name, _ in hits))
    cands: dict[str, DiscoveryCandidate] = {}
    for i in range(0, len(names), chunk):
        cands.update((c.full_name, c) for c in session.scalars(
            select(DiscoveryCandidate).where(DiscoveryCandidate.full_name.in_(names[i:i + chunk]))))
    new: dict[str, DiscoveryCandidate] = {}
    for host, name, _ in hits:
        if name not in cands and name not in new:
            new[name] = DiscoveryCandidate(full_name=name, host=host, discovered_at=when)
    session.add_all(new.values())
    session.flush()
    cands.update(new)
    pairs_seen = dict.fromkeys((cands[name].id, path) for _, name, path in hits)
    session.add_all(DiscoveryMatch(query_id=row.id, candidate_id=cid, path=path, discovered_at=when)
                    for cid, path in pairs_seen)
    return len(new)


def discover(url: str, queries: list[Query], *, github=None, sourcegraph=None, filt: Filter = Filter(),
             check: bool = True, max_size: int = 384_000, retry_failed: bool = True,
             progress: Callable[[str, int], None] | None = None) -> DiscoverSummary:
    """Run the queries not done yet, store their matches, then check and filter the new repositories.

    `github` / `sourcegraph` are clients (usage.github.GitHub, usage.sourcegraph.Sourcegraph); `github` is
    also what the filter asks for repository metadata. `progress(stage, n)` is told of each step."""
    from peatmoss.db import session_scope

    tick = progress or (lambda stage, n: None)
    summary = DiscoverSummary(queries=len(queries))
    backends = sorted({q.backend for q in queries})
    with session_scope(url) as s:
        run = start_run(s, STAGE, "discover", key=",".join(backends) + f";{filt}",
                        params={"queries": len(queries), "filter": vars(filt)})
        summary.run_id = run.id
        rows = _rows(s, queries, run.id)
        todo = [(q, r.id) for q, r in rows.items() if r.state != "done" and (retry_failed or r.state != "failed")]
    summary.skipped = len(queries) - len(todo)
    tick("skipped", summary.skipped)
    try:
        for q, row_id in todo:
            _run_query(url, q, row_id, github if q.backend == "github" else sourcegraph, max_size, summary)
            tick("query", 1)
        if check and github is not None:
            _check(url, github, filt, summary, tick)
    except BaseException:
        with session_scope(url) as s:
            finish_run(s, s.merge(run), status="failed")
        raise
    with session_scope(url) as s:
        summary.kept = s.scalar(select(func.count()).where(DiscoveryCandidate.kept.is_(True)))
        finish_run(s, s.merge(run))
    summary.requests = sum(c.requests for c in (github, sourcegraph) if c is not None)
    return summary


def _run_query(url: str, q: Query, row_id: int, client, max_size: int, summary: DiscoverSummary) -> None:
    """One query: its hits and `done` state in one transaction, or `failed` with an error row."""
    from peatmoss.db import session_scope

    from .github import GitHubError
    from .sourcegraph import SourcegraphError

    if client is None:
        raise ValueError(f"no {q.backend} client for a {q.backend} query")
    before = client.requests
    try:
        hits, note = github_hits(client, q.query, max_size) if q.backend == "github" \
            else sourcegraph_hits(client, q.query)
        hits = [(host[:64], name[:512], path[:2048]) for host, name, path in hits]
        error = None
    except (GitHubError, SourcegraphError) as exc:
        hits, note, error = [], None, str(exc)
    with session_scope(url) as s:
        row = s.get(DiscoveryQuery, row_id)
        row.requests, row.finished_at, row.run_id = client.requests - before, now(), summary.run_id
        if error is None:
            summary.candidates += _store_hits(s, row, hits)
            row.state, row.hits, row.error, row.note = "done", len(hits), None, note
            summary.ran += 1
            summary.hits += len(hits)
        else:
            row.state, row.error = "failed", error[:2000]
            record_error(s, summary.run_id, STAGE, f"{q.backend}: {q.query}"[:255], f"{q.backend}_search", error)
            summary.failed += 1


def _check(url: str, gh, filt: Filter, summary: DiscoverSummary, tick) -> None:
    """Fetch the metadata of unchecked GitHub candidates (one commit each), then apply the filter to all."""
    from peatmoss.db import session_scope

    from .github import GitHubError, store_repo

    with session_scope(url) as s:
        todo = [(c.id, c.full_name) for c in s.scalars(select(DiscoveryCandidate).where(
            DiscoveryCandidate.checked_at.is_(None), DiscoveryCandidate.host == "github"))]
    tick("check_total", len(todo))
    for cand_id, name in todo:
        try:
            meta = gh.get(f"/repos/{name}").json()
        except GitHubError as exc:
            if exc.status not in (404, 451):
                with session_scope(url) as s:
                    record_error(s, summary.run_id, STAGE, name, f"github_{exc.status}", str(exc))
                summary.check_failed += 1
                tick("check", 1)
                continue  # checked again by the next run
            meta = None
        with session_scope(url) as s:
            cand = s.get(DiscoveryCandidate, cand_id)
            cand.checked_at = now()
            if meta is not None:
                cand.stars, cand.fork = meta.get("stargazers_count"), bool(meta.get("fork"))
                cand.archived = bool(meta.get("archived"))
                cand.private = bool(meta.get("private")) or meta.get("visibility", "public") != "public"
            cand.reason = filt.reason(meta)
            cand.kept = cand.reason is None
            if cand.kept:
                store_repo(s, name, meta)
        summary.checked += 1
        tick("check", 1)
    with session_scope(url) as s:  # the filter's options may differ from the run that checked a repository
        for cand in s.scalars(select(DiscoveryCandidate)):
            if cand.host != "github":
                cand.kept, cand.reason = False, "host"
            elif cand.checked_at is not None and cand.reason != "not_found":
                meta = {"private": cand.private, "fork": cand.fork, "archived": cand.archived,
                        "stargazers_count": cand.stars}
                cand.reason = filt.reason(meta)
                cand.kept = cand.reason is None
            if cand.reason:
                summary.reasons[cand.reason] = summary.reasons.get(cand.reason, 0) + 1


def kept_names(url: str) -> list[str]:
    """owner/name of the kept candidates, in discovery order (what `mine --from-discovery` mines)."""
    from peatmoss.db import session_scope

    with session_scope(url) as s:
        return list(s.scalars(select(DiscoveryCandidate.full_name).where(DiscoveryCandidate.kept.is_(True))
                              .order_by(DiscoveryCandidate.id)))


def discovered_specs(url: str, base: str | None = None) -> list[str]:
    """The kept candidates as `mine` specs (repository URLs on `base`, default GitHub)."""
    from .sources import github_url

    return [github_url(name, base) for name in kept_names(url)]


def candidates(url: str, kept_only: bool = True) -> list[dict]:
    """Candidates with the signatures and files that matched them."""
    from peatmoss.db import session_scope

    out: dict[int, dict] = {}
    with session_scope(url) as s:
        q = (select(DiscoveryCandidate, DiscoveryMatch.path, DiscoveryQuery.signatures, DiscoveryQuery.backend)
             .join(DiscoveryMatch, DiscoveryMatch.candidate_id == DiscoveryCandidate.id)
             .join(DiscoveryQuery, DiscoveryQuery.id == DiscoveryMatch.query_id)
             .order_by(DiscoveryCandidate.id, DiscoveryMatch.id))
        if kept_only:
            q = q.where(DiscoveryCandidate.kept.is_(True))
        for cand, path, sigs, backend in s.execute(q):
            row = out.setdefault(cand.id, {
                "repository": cand.full_name, "host": cand.host, "stars": cand.stars, "kept": cand.kept,
                "reason": cand.reason, "discovered_at": cand.discovered_at.isoformat(), "backends": [],
                "signatures": [], "files": []})
            for key, values in (("backends", [backend]), ("signatures", sigs or []), ("files", [path])):
                row[key] += [v for v in values if v not in row[key]]
    return list(out.values())


def clients(stack: ExitStack, backends: Iterable[str], *, github: bool = True, github_api: str | None = None,
            sourcegraph_api: str | None = None, record: Path | None = None, replay: Path | None = None,
            retries: int = 5):
    """(GitHub client or None, Sourcegraph client or None), recording to / replaying from record/<backend>/."""
    from .github import github_client
    from .sourcegraph import sourcegraph_client

    def folder(base: Path | None, name: str) -> Path | None:
        return None if base is None else base / name

    gh = sg = None
    if github:
        gh = stack.enter_context(github_client(github_api, record=folder(record, "github"),
                                               replay=folder(replay, "github"), retries=retries))
    if "sourcegraph" in backends:
        sg = stack.enter_context(sourcegraph_client(sourcegraph_api, record=folder(record, "sourcegraph"),
                                                    replay=folder(replay, "sourcegraph"), retries=retries))
    return gh, sg
