"""Collect model metadata from the Hugging Face Hub into the database.

Listing: pages of `GET /api/models` fetched with `huggingface_hub`'s HTTP session under the
core HTTP policy (`core.http`: 429 `Retry-After`, 5xx and time-outs are retried with back-off). Each page
is written in one transaction together with the run's cursor, so a crash or Ctrl-C resumes
from the last committed page. Deep collection (card, commits, refs, discussions, optional
files) goes through `HfApi` for models with at least `min_downloads` downloads.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from huggingface_hub import HfApi, constants
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status
from sqlalchemy import select, update

from ..core import http
from ..core.archive import ArchiveServer, record_hub
from ..db import init_db, models as m
from ..core.redact import install_log_filter, redact
from ..core.runs import (advance, complete_run, count_errors, fail_run, finish_run, open_run, record_error, snapshot_date,
                         snapshot_models)
from .deep import bounded_session, collect_deep
from .progress import progress_bar
from .records import RecordError, normalise
from .store import ModelStore, dialect_insert, resolve_edge_parents

log = logging.getLogger(__name__)

EXPAND = ["author", "cardData", "config", "createdAt", "disabled", "downloads", "downloadsAllTime", "gated",
          "lastModified", "library_name", "likes", "pipeline_tag", "private", "safetensors", "sha", "siblings",
          "tags", "usedStorage"]


@dataclass
class CollectOptions:
    endpoint: str | None = None
    limit: int | None = None
    sort: str | None = None
    author: str | None = None
    search: str | None = None
    page_size: int = 1000
    min_downloads: int = 50
    deep: bool = True
    files: bool = False  # snapshot files of deep models into a content-addressed store
    store_dir: str | None = None
    allow_patterns: list[str] | None = None
    include_weights: bool = False
    snapshot: str | None = None  # YYYY-MM-DD or YYYY-MM (the 1st); the same date re-collects that snapshot
    record_dir: str | None = None
    replay_dir: str | None = None
    timeout: float = 30.0  # seconds without data before a read fails
    deadline: float = 120.0  # wall-clock seconds for a whole request (a dripping server is cut)
    max_retries: int = 5
    max_retry_after: float = 60.0  # cap on a wait a server asks for (Retry-After, rate-limit headers)
    max_page_bytes: int = 64 * 1024 ** 2  # a listing page over this (decoded) is an error
    max_page_items: int = 10_000  # a listing page with more items is an error
    max_card_bytes: int = 2 * 1024 ** 2  # a longer card is cut and marked (CARD_CUT)
    max_deep_items: int = 10_000  # commits or discussions of one model; more is an error
    max_models: int = 10_000_000  # models one listing may read (and so its pages: this over the page size)
    recollect: bool = False  # collect a snapshot again even when its run is complete
    progress: bool = True
    stop_after_pages: int | None = None  # for tests: simulate an interruption
    dask: str | None = None  # deep snapshots on Dask: a scheduler address, or "local"


MAX_PAGE_SIZE = 10_000
RECENT_PAGES = 10  # a listing page whose models were all on the pages just before it brings nothing: a loop


def check_options(opts: CollectOptions) -> None:
    """Raise `ValueError` (one line: what is wrong) for options that cannot work."""
    if not 1 <= opts.page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE:,}, not {opts.page_size}")
    if opts.limit is not None and opts.limit < 0:
        raise ValueError(f"limit must be 0 or more, not {opts.limit}")
    for name in ("timeout", "deadline"):
        if not getattr(opts, name) > 0:
            raise ValueError(f"{name} must be more than 0 seconds, not {getattr(opts, name)}")
    for name in ("max_retries", "max_retry_after", "max_page_bytes", "max_page_items", "max_card_bytes",
                 "max_deep_items", "max_models"):
        if getattr(opts, name) < 0:
            raise ValueError(f"{name.replace('_', '-')} must be 0 or more, not {getattr(opts, name)}")


def policy(opts: CollectOptions, **kw) -> http.Policy:
    """The core HTTP policy with the collection's retry count and Retry-After cap."""
    return http.Policy(retries=opts.max_retries, max_retry_after=opts.max_retry_after, **kw)


@dataclass
class CollectSummary:
    run_id: int
    snapshot: str
    models: int = 0  # listing items read by this run (a resumed run counts its earlier pages)
    pages: int = 0
    errors: int = 0  # error rows of this run
    in_snapshot: int = 0  # models in the snapshot so far (its model_stats rows), whatever the runs before
    deep_models: int = 0
    resumed: bool = False
    complete: bool = False
    skipped: bool = False  # the snapshot was already complete: nothing fetched


class PageError(RuntimeError):
    """A listing page that could not be read after retries."""


def ensure_registry(conn, name: str, url: str) -> int:
    table = m.Registry.__table__
    conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(index_elements=["name"]),
                 [{"name": name, "url": url}])
    return conn.execute(select(table.c.id).where(table.c.name == name)).scalar_one()


def run_key(opts: CollectOptions, snapshot: str) -> str:
    filters = {"limit": opts.limit, "sort": opts.sort, "author": opts.author, "search": opts.search}
    return f"{snapshot}|" + json.dumps(filters, sort_keys=True)


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _next_link(response) -> str | None:
    nxt = response.links.get("next", {}).get("url")
    return _relative(nxt) if nxt else None


class UnreadableListing(ValueError):
    """A listing page whose body is not a JSON list (a cut or garbled answer): retried, like a 5xx."""


def fetch_page(endpoint: str, cursor: str | None, params: dict, token: str | None, opts: CollectOptions):
    """One listing page -> (items, next cursor), under the core HTTP policy (429 Retry-After, 5xx, time-outs
    and unreadable bodies are retried with back-off). Raises PageError when retries run out."""
    url = endpoint + (cursor or "/api/models")

    def attempt():
        response = http.bounded_get(get_session(), url, params=None if cursor else params,
                                    headers=build_hf_headers(token=token), timeout=opts.timeout,
                                    deadline=opts.deadline, max_bytes=opts.max_page_bytes)
        hf_raise_for_status(response)  # the error carries the response: the policy retries 429/5xx
        try:
            items = response.json()
        except ValueError as exc:
            raise UnreadableListing(f"not JSON: {exc}") from None
        if not isinstance(items, list):
            raise UnreadableListing(f"listing page is a {type(items).__name__}, not a list")
        if len(items) > opts.max_page_items:
            raise http.TooLarge(f"listing page of {len(items):,} items (limit {opts.max_page_items:,})")
        return items, _next_link(response)

    try:
        return http.call(policy(opts, retry_also=(UnreadableListing,)), attempt)
    except (UnreadableListing, http.TooLarge) as exc:
        raise PageError(f"unreadable listing page {url}: {exc}") from None


def collect_huggingface(url: str | None = None, opts: CollectOptions | None = None) -> CollectSummary:
    """Collect (or resume collecting) a snapshot of the Hub's models into the database at `url`.

    Raises `SnapshotError` (a ValueError) before touching the database when `opts.snapshot` is not a date."""
    opts = opts or CollectOptions()
    check_options(opts)
    install_log_filter()  # URLs with user-info and echoed tokens reach the logs of httpx and huggingface_hub
    snap = snapshot_date(opts.snapshot)
    engine = init_db(url)
    token = os.environ.get("HF_TOKEN") or None
    with ExitStack() as stack:
        endpoint = (opts.endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
        if opts.replay_dir:
            endpoint = stack.enter_context(ArchiveServer(opts.replay_dir)).url
        if endpoint != getattr(constants, "_HF_DEFAULT_ENDPOINT", "https://huggingface.co"):
            # telemetry would call huggingface.co itself, beside the chosen endpoint
            constants.HF_HUB_DISABLE_TELEMETRY = True
        if opts.record_dir:
            stack.enter_context(record_hub(opts.record_dir, endpoint))
        # every request of huggingface_hub's session (it sets no time-out of its own) within the limits;
        # the recorder reads bodies through them
        stack.enter_context(bounded_session(opts))
        summary = _collect(engine, endpoint, token, opts, snap)
    with engine.connect() as conn:
        summary.in_snapshot = snapshot_models(conn, summary.run_id)
    return summary


def _collect(engine, endpoint: str, token: str | None, opts: CollectOptions, snap) -> CollectSummary:
    snapshot = snap.isoformat()
    params: dict = {"limit": min(opts.page_size, opts.limit or opts.page_size), "expand": EXPAND}
    for key in ("sort", "author", "search"):
        if getattr(opts, key):
            params[key] = getattr(opts, key)
    if opts.sort:
        params["direction"] = -1
    with engine.begin() as conn:
        registry_id = ensure_registry(conn, "huggingface", "https://huggingface.co")
        done = None if opts.recollect else complete_run(conn, run_key(opts, snapshot))
        if done is not None:  # a finished snapshot: nothing to fetch (--recollect asks to fetch it again)
            return CollectSummary(run_id=done.id, snapshot=snapshot, models=done.items_done or 0,
                                  errors=count_errors(conn, done.id), complete=True, skipped=True)
        run = open_run(conn, "collect", "huggingface", run_key(opts, snapshot), registry_id=registry_id,
                       params={k: v for k, v in vars(opts).items() if k not in ("progress",)}, snapshot=snap,
                       reuse_complete=True)
    run_id, cursor = run.id, run.cursor
    summary = CollectSummary(run_id=run_id, snapshot=snapshot, resumed=run.resumed, models=run.items_done)
    store = ModelStore(registry_id, run_id)
    in_deep_phase = bool(cursor and cursor.startswith("deep:"))
    # pages read by this run: a next page already read means the server loops; so does a page bringing no
    # model that was not on the pages just before it (fresh cursors, the same items); and no listing reads
    # more than --max-models models, nor more pages than those at this page size
    pages = http.Pages(max_pages=opts.max_models // params["limit"] + 1)
    recent: deque[set] = deque(maxlen=RECENT_PAGES)
    if not in_deep_phase:
        pages.check(cursor or "/api/models?" + urlencode(params, doseq=True))
    with progress_bar(opts.progress, "Listing models", total=opts.limit) as bar, \
            ThreadPoolExecutor(1, thread_name_prefix="prefetch") as pool, _gc_relaxed():
        pending = None  # the next page, fetched while this one is written
        while not in_deep_phase:
            if opts.limit is not None and summary.models >= opts.limit:
                break
            try:
                if pending is None:
                    pending = pool.submit(fetch_page, endpoint, cursor, params, token, opts)
                items, next_cursor = pending.result()
                pending = None
                if next_cursor is not None:
                    pages.check(next_cursor)
                    _check_new(items, recent, summary.pages)
                if summary.models + len(items) > opts.max_models:
                    raise http.PaginationLoop(f"more than {opts.max_models:,} models listed: stopped (--max-models)")
            except Exception as exc:  # noqa: BLE001 - any failure of a page ends the listing, resumable
                kind = "pagination_loop" if isinstance(exc, http.PaginationLoop) else type(exc).__name__
                with engine.begin() as conn:
                    record_error(conn, run_id, "collect.listing", cursor or "/api/models", kind, exc)
                    fail_run(conn, run_id)
                    summary.errors = count_errors(conn, run_id)
                log.error("listing stopped: %s (re-run to resume)", redact(exc))
                return summary
            if opts.limit is not None:
                items = items[: opts.limit - summary.models]
            last_page = next_cursor is None or (opts.limit is not None and summary.models + len(items) >= opts.limit) \
                or (opts.stop_after_pages is not None and summary.pages + 1 >= opts.stop_after_pages)
            if not last_page:
                pending = pool.submit(fetch_page, endpoint, next_cursor, params, token, opts)
            records, errors = [], []
            for i, item in enumerate(items):
                try:
                    records.append(normalise(item))
                except RecordError as exc:
                    errors.append((_item_name(item, i, cursor), "bad_record", str(exc)))
            with engine.begin() as conn:
                store.write_page(conn, records)
                for item_name, kind, message in errors:
                    record_error(conn, run_id, "collect.listing", item_name, kind, message)
                advance(conn, run_id, cursor=next_cursor, items=len(items))
            summary.models += len(items)
            summary.errors += len(errors)
            summary.pages += 1
            bar.advance(len(items))
            cursor = next_cursor
            if opts.stop_after_pages is not None and summary.pages >= opts.stop_after_pages:
                return summary
            if cursor is None:
                break
    with engine.begin() as conn:
        resolve_edge_parents(conn)
    if opts.deep:
        deep = collect_deep(engine, HfApi(endpoint=endpoint, token=token or False), endpoint, run_id, opts,
                            start_after=int(cursor[5:]) if in_deep_phase else 0)
        summary.deep_models = deep
    with engine.begin() as conn:
        finish_run(conn, run_id)
        summary.errors = count_errors(conn, run_id)
    summary.complete = True
    return summary


@contextmanager
def _gc_relaxed():
    """Fewer garbage-collector passes while pages of short-lived objects stream through."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _check_new(items: list, recent: deque, page: int) -> None:
    """Raise `PaginationLoop` when a page that links to a next one brings no model id that is not on the
    recent pages (kept in `recent`, which this page joins)."""
    ids = {name for item in items if isinstance(item, dict)
           for name in (item.get("id") or item.get("modelId"),) if isinstance(name, str)}
    if not ids - set().union(*recent):
        raise http.PaginationLoop(f"listing page {page + 1} brings no new model but links to another page: "
                                  "the server's pagination loops")
    recent.append(ids)


def _item_name(item, index: int, cursor: str | None) -> str:
    if isinstance(item, dict):
        name = item.get("id") or item.get("modelId")
        if isinstance(name, str):
            return name[:500]
    return f"{cursor or '/api/models'}#{index}"


__all__ = ["CollectOptions", "CollectSummary", "collect_huggingface"]
