"""Deep snapshots of popular models: card, commits, refs, discussions with events, and files.

One model per transaction; the run's cursor (`deep:<model id>`) moves with it, so an
interrupted deep phase resumes after the last model written. Each part is fetched under the
core HTTP policy (`core.http`: 429, 5xx and time-outs retried with back-off). A part that fails
(5xx after retries, bad JSON) becomes an error row and the other parts go on; so does a 404: `no_card`
for a model without README.md, `not_found` for a part of a model that is gone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from fnmatch import fnmatch
from pathlib import Path

from huggingface_hub import GitCommitInfo, HfApi, hf_hub_url
from huggingface_hub.utils import parse_datetime
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status
from sqlalchemy import delete, func, select, update

from ..core import http
from ..core.redact import redact
from ..db import models as m
from ..core.runs import advance, now, record_error

from .progress import progress_bar
from .store import dialect_insert

log = logging.getLogger(__name__)
WEIGHT_PATTERNS = ("*.bin", "*.safetensors", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack", "*.onnx", "*.gguf",
                   "*.ot", "*.pkl", "*.pickle", "*.joblib", "*.npz", "*.tflite", "*.mlmodel", "*.zip", "*.tar*")
DEFAULT_ALLOW = ["*.md", "*.json", "*.txt", "*.yaml", "*.yml", "*.py", "LICENSE*"]
DIFF_FILE = re.compile(r"^diff --git a/(.+?) b/", re.M)


CARD_CUT = "\n\n<!-- peatmoss: card cut at {:,} bytes -->\n"


def bounded_session(opts):
    """A block in which every request this thread sends through huggingface_hub's session keeps the
    collection's limits (time-out per read, wall-clock deadline, bytes): the collecting thread and each Dask
    worker thread or process enter their own."""
    return http.bounded_client(get_session(), opts.timeout, opts.deadline,
                               max(opts.max_page_bytes, opts.max_card_bytes, 1024 ** 3))


def _get(url: str, token, opts, *, max_bytes: int, cut: bool = False, params=None):
    """One GET within the collection's deadline and a size limit (`core.http.bounded_get`)."""
    return http.bounded_get(get_session(), url, params=params, headers=build_hf_headers(token=token or None),
                            timeout=opts.timeout, deadline=opts.deadline, max_bytes=max_bytes, cut=cut)


def fetch_card(endpoint: str, repo_id: str, revision: str | None, token, opts) -> str | None:
    """The model's README.md text, or None when it has none; a card over `opts.max_card_bytes` is cut there
    and ends with the CARD_CUT marker."""
    url = hf_hub_url(repo_id, "README.md", revision=revision, endpoint=endpoint)
    response = _get(url, token, opts, max_bytes=opts.max_card_bytes, cut=True)
    if response.status_code == 404:
        return None
    hf_raise_for_status(response)
    # undecodable bytes and NUL (which PostgreSQL text cannot hold) become U+FFFD; the cards stage flags them
    text = response.content.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    return text + CARD_CUT.format(opts.max_card_bytes) if response.extensions.get("cut") else text


def fetch_commits(endpoint: str, hub_id: str, token, opts) -> list[GitCommitInfo]:
    """The commits of the model's main branch, page by page (`Link` headers); a page already read (a looping
    server) or more than `opts.max_deep_items` commits raise `PaginationLoop`."""
    url = f"{endpoint}/api/models/{hub_id}/commits/main"
    pages, out = http.Pages(max_pages=max(10, opts.max_deep_items // 10)), []
    while url:
        pages.check(url)
        response = _get(url, token, opts, max_bytes=opts.max_page_bytes)
        hf_raise_for_status(response)
        items = response.json()
        if not isinstance(items, list):
            raise ValueError(f"commits page is a {type(items).__name__}, not a list")
        out.extend(GitCommitInfo(commit_id=c["id"], authors=[a["user"] for a in c.get("authors") or []],
                                 created_at=parse_datetime(c["date"]), title=c.get("title", ""),
                                 message=c.get("message", ""), formatted_title=None, formatted_message=None)
                   for c in items)
        if len(out) > opts.max_deep_items:
            raise http.PaginationLoop(f"more than {opts.max_deep_items:,} commits: stopped")
        url = response.links.get("next", {}).get("url")
    return out


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) == 404


def collect_deep(engine, api: HfApi, endpoint: str, run_id: int, opts, start_after: int = 0) -> int:
    """Deep-collect every model of this run with downloads >= opts.min_downloads. Returns models done."""
    model = m.Model.__table__
    query = (select(model.c.id, model.c.hub_id, model.c.sha)
             .where(model.c.last_seen_run_id == run_id, model.c.downloads >= opts.min_downloads,
                    model.c.id > start_after)
             .order_by(model.c.id))
    with engine.connect() as conn:
        todo = conn.execute(query).all()
    done = 0
    with progress_bar(opts.progress, "Deep snapshots", total=len(todo)) as bar:
        for (model_id, hub_id, sha), (parts, errors) in _fetched(todo, api, endpoint, opts):
            with engine.begin() as conn:
                _write_model(conn, model_id, run_id, parts)
                for part, kind, message in errors:
                    record_error(conn, run_id, f"collect.deep.{part}", hub_id, kind, message)
                advance(conn, run_id, cursor=f"deep:{model_id}")
            done += 1
            bar.advance()
    return done


def _fetched(todo: list, api: HfApi, endpoint: str, opts):
    """(row, (parts, errors)) for every model in `todo`, in its order (the cursor moves by model id).

    Fetched here one by one, or on Dask workers with `opts.dask` (a scheduler address or "local"); results
    that finish early wait in a buffer bounded by the execution layer's window."""
    dask = getattr(opts, "dask", None)
    if not dask:
        for row in todo:
            yield row, _fetch_model(api, endpoint, row[1], row[2], opts)
        return
    from peatmoss.execution import Unit, run_units

    units = [Unit(str(model_id), (endpoint, hub_id, sha, opts)) for model_id, hub_id, sha in todo]
    ready, rows = {}, iter(todo)
    nxt = next(rows, None)
    for done in run_units(units, _fetch_remote, executor="dask", dask_address=dask):
        ready[done.key] = done.value if done.ok else ({}, [("model", done.error, done.message)])
        while nxt is not None and str(nxt[0]) in ready:
            yield nxt, ready.pop(str(nxt[0]))
            nxt = next(rows, None)


def _fetch_remote(endpoint: str, hub_id: str, sha: str | None, opts):
    """`_fetch_model` on a worker; the token comes from the worker's own $HF_TOKEN, never from the task."""
    import os

    api = HfApi(endpoint=endpoint, token=os.environ.get("HF_TOKEN") or False)
    with bounded_session(opts):  # the same limits as a local fetch: a stuck request cannot hang the worker
        return _fetch_model(api, endpoint, hub_id, sha, opts)


def _fetch_model(api: HfApi, endpoint: str, hub_id: str, sha: str | None, opts):
    parts: dict = {}
    errors: list[tuple[str, str, str]] = []
    missing: list[str] = []  # parts answered with 404

    def attempt(name: str, fn):
        try:
            parts[name] = http.call(http.Policy(retries=opts.max_retries, max_retry_after=opts.max_retry_after,
                                                retry_also=(json.JSONDecodeError,)), fn)  # a cut body: retried
        except Exception as exc:  # noqa: BLE001 - one failed part must not stop the others
            if _not_found(exc):
                missing.append(name)
            else:
                kind = "pagination_loop" if isinstance(exc, http.PaginationLoop) else type(exc).__name__
                errors.append((name, kind, redact(exc)))

    attempt("card", lambda: fetch_card(endpoint, hub_id, sha, api.token, opts))
    if "card" in parts and parts["card"] is None:
        missing.append("card")
    attempt("commits", lambda: fetch_commits(endpoint, hub_id, api.token, opts))
    attempt("refs", lambda: api.list_repo_refs(hub_id, include_pull_requests=True))
    attempt("discussions", lambda: _discussions(api, endpoint, hub_id, opts))
    if opts.files:
        attempt("files", lambda: _snapshot_files(api, endpoint, hub_id, sha, opts))
    if "commits" in missing and "refs" in missing:  # the repository itself answers 404: one row for the model
        errors.append(("model", "not_found", f"{hub_id}: 404 (model gone or private)"))
    else:
        errors += [(name, "no_card" if name == "card" else "not_found", f"{name} of {hub_id}: 404")
                   for name in missing]
    return parts, errors


def discussion_numbers(endpoint: str, hub_id: str, token, opts) -> list[int]:
    """Numbers of the model's discussions, page by page (`?p=N`, as huggingface_hub reads them). A number met
    twice, an empty page that claims more, or more than `opts.max_deep_items` raise `PaginationLoop`."""
    nums: list[int] = []
    for page in range(opts.max_deep_items + 1):
        response = _get(f"{endpoint}/api/models/{hub_id}/discussions", token, opts, max_bytes=opts.max_page_bytes,
                        params={"p": page})
        hf_raise_for_status(response)
        data = response.json()
        found = [d["num"] for d in data["discussions"]]
        if any(num in nums for num in found) or not found and data["start"] < data["count"]:
            raise http.PaginationLoop(f"discussion page {page} repeats or is empty: the server's pagination loops")
        nums.extend(found)
        if len(nums) > opts.max_deep_items:
            raise http.PaginationLoop(f"more than {opts.max_deep_items:,} discussions: stopped")
        if not found or data["start"] + len(found) >= data["count"]:
            return nums
    raise http.PaginationLoop(f"more than {opts.max_deep_items:,} discussion pages: stopped")


def _discussions(api: HfApi, endpoint: str, hub_id: str, opts) -> list:
    """Every discussion with its details (the whole list first: a loop is found before any detail)."""
    return [api.get_discussion_details(hub_id, num) for num in discussion_numbers(endpoint, hub_id, api.token, opts)]


def _snapshot_files(api: HfApi, endpoint: str, hub_id: str, sha: str | None, opts) -> dict[str, str]:
    """Download allowed files into a content-addressed store; returns path -> sha256."""
    store = Path(opts.store_dir or "peatmoss-store")
    allow = opts.allow_patterns or DEFAULT_ALLOW
    info = api.model_info(hub_id, revision=sha, files_metadata=False)
    stored: dict[str, str] = {}
    for sib in info.siblings or []:
        name = sib.rfilename
        if not any(fnmatch(name, p) for p in allow):
            continue
        if not opts.include_weights and any(fnmatch(name.rsplit("/", 1)[-1], p) for p in WEIGHT_PATTERNS):
            continue
        url = hf_hub_url(hub_id, name, revision=sha, endpoint=endpoint)
        response = get_session().get(url, headers=build_hf_headers(token=api.token or None), timeout=opts.timeout)
        hf_raise_for_status(response)
        digest = hashlib.sha256(response.content).hexdigest()
        target = store / "sha256" / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
        stored[name] = digest
    return stored


def _write_model(conn, model_id: int, run_id: int, parts: dict) -> None:
    card = parts.get("card")
    if card is not None:
        digest = hashlib.sha256(card.encode("utf-8", errors="replace")).hexdigest()
        table = m.ModelCard.__table__
        exists = conn.execute(select(func.count()).select_from(table)
                              .where(table.c.model_id == model_id, table.c.sha == digest)).scalar_one()
        if not exists:
            conn.execute(table.insert().values(model_id=model_id, sha=digest, text=card, length=len(card),
                                               run_id=run_id, fetched_at=now()))
    if "commits" in parts:
        table = m.ModelVersion.__table__
        conn.execute(delete(table).where(table.c.model_id == model_id))
        rows = {c.commit_id: {"model_id": model_id, "commit_id": c.commit_id, "created_at": c.created_at,
                              "title": c.title, "message": c.message, "authors": list(c.authors or [])}
                for c in parts["commits"]}
        if rows:
            conn.execute(table.insert(), list(rows.values()))
    if "refs" in parts:
        table = m.GitRef.__table__
        conn.execute(delete(table).where(table.c.model_id == model_id))
        refs = parts["refs"]
        rows = {}
        for kind, items in (("branch", refs.branches), ("tag", refs.tags), ("convert", refs.converts),
                            ("pull_request", refs.pull_requests or [])):
            for ref in items:
                rows[ref.ref] = {"model_id": model_id, "kind": kind, "name": ref.name, "ref": ref.ref,
                                 "target_commit": ref.target_commit}
        if rows:
            conn.execute(table.insert(), list(rows.values()))
    if "discussions" in parts:
        _write_discussions(conn, model_id, parts["discussions"])
    if "files" in parts:
        table = m.ModelFile.__table__  # a stored file gets a row (the listing's names are on model.file_names)
        rows = [{"model_id": model_id, "path": path, "stored_digest": digest} for path, digest in parts["files"].items()]
        if rows:
            stmt = dialect_insert(conn, table)
            conn.execute(stmt.on_conflict_do_update(index_elements=["model_id", "path"],
                                                    set_={"stored_digest": stmt.excluded.stored_digest}), rows)
        conn.execute(update(m.Model.__table__).where(m.Model.id == model_id).values(has_snapshot=True))


def _write_discussions(conn, model_id: int, discussions: list) -> None:
    table = m.Discussion.__table__
    conn.execute(delete(table).where(table.c.model_id == model_id))  # events and files cascade
    for d in discussions:
        disc_id = conn.execute(table.insert().values(
            model_id=model_id, num=d.num, title=d.title, status=d.status, is_pull_request=d.is_pull_request,
            author=d.author, created_at=d.created_at, endpoint=d.endpoint, target_branch=d.target_branch,
            merge_commit_oid=d.merge_commit_oid, diff=d.diff,
        ).returning(table.c.id)).scalar_one()
        events = {}
        for e in d.events:
            events[e.id] = {"discussion_id": disc_id, "event_id": e.id, "type": e.type, "created_at": e.created_at,
                            "author": e.author, "content": getattr(e, "content", None),
                            "edited": getattr(e, "edited", None), "hidden": getattr(e, "hidden", None),
                            "new_status": getattr(e, "new_status", None), "summary": getattr(e, "summary", None),
                            "oid": getattr(e, "oid", None), "old_title": getattr(e, "old_title", None),
                            "new_title": getattr(e, "new_title", None)}
        if events:
            conn.execute(m.DiscussionEvent.__table__.insert(), list(events.values()))
        conflicting = getattr(d, "conflicting_files", None)
        paths = set(DIFF_FILE.findall(d.diff or "")) | set(conflicting if isinstance(conflicting, list) else [])
        if paths:
            conn.execute(m.DiscussionFile.__table__.insert(),
                         [{"discussion_id": disc_id, "path": p} for p in sorted(paths)])


__all__ = ["CARD_CUT", "collect_deep", "fetch_card", "fetch_commits"]
