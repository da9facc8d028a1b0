"""A hostile Hub (loopback, fault-injecting): pagination loops, dripping answers, huge pages, huge Retry-After,
servers echoing credentials. Each collection ends by itself within seconds and bounded memory, leaves an
error row (or a one-line error) and a non-zero exit where it failed, and no token or password anywhere."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from peatmoss.core.archive import Fault, LoopbackServer
from peatmoss.db import get_engine
from peatmoss.db.models import Base, CollectionError, CollectionRun, ModelCard
from peatmoss.registries.hubserver import HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface

from hub import hub_data

TOKEN = "hf_HoStIlEtOkEn0123456789abcdef"
PASSWORD = "pa55w0rdHostile"
SECONDS = 30  # every case ends well within this
MEMORY = 1024 ** 3  # address-space head-room over the interpreter, per CLI run


def _opts(url, **kw):
    base = dict(endpoint=url, page_size=5, snapshot="2024-01-01", min_downloads=0, progress=False, timeout=2,
                deadline=3, max_retries=1, max_retry_after=1)
    base.update(kw)
    return CollectOptions(**base)


def _errors(url) -> list[tuple[str, str, str, str]]:
    with get_engine(url).connect() as conn:
        t = CollectionError.__table__
        return [tuple(r) for r in conn.execute(select(t.c.stage, t.c.error_kind, t.c.item, t.c.message))]


def _database_text(url: str) -> str:
    with get_engine(url).connect() as conn:
        return "\n".join(json.dumps(list(row), default=str) for table in Base.metadata.sorted_tables
                         for row in conn.execute(select(table)))


class Looping(HubServer):
    """A Hub whose listing's `next` link goes back to the first page (or bounces between two cursors)."""

    def __init__(self, source, bounce=False, **kw):
        super().__init__(source, **kw)
        self.bounce = bounce

    def answer(self, method, path_qs, body):
        status, headers, data = super().answer(method, path_qs, body)
        if path_qs.startswith("/api/models?"):
            cursor = "5" if self.bounce and "cursor=5" not in path_qs else "0"
            headers["Link"] = f'<{self.url}/api/models?limit=5&cursor={cursor}>; rel="next"'
        return status, headers, data


@pytest.mark.parametrize("bounce", [False, True])
@pytest.mark.parametrize("limit", [None, 12])
def test_listing_loop_ends_with_error_row(tmp_path, sqlite_url, bounce, limit):
    records, extra = hub_data(tmp_path, 20)
    start = time.monotonic()
    with Looping(RecordSource(records, extra), bounce=bounce, page_size=5) as hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url, limit=limit, deep=False))
        requests = hub.requests
    assert time.monotonic() - start < SECONDS and requests <= 4
    assert not summary.complete  # with --limit too: a loop is never "complete"
    assert [e[1] for e in _errors(sqlite_url)] == ["pagination_loop"]
    with get_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(CollectionRun.status)).scalar_one() == "failed"


@pytest.mark.parametrize("empty", [False, True])
def test_deep_commit_and_discussion_loops_are_error_rows(tmp_path, sqlite_url, empty):
    records, extra = hub_data(tmp_path, 2)
    rid = records[0]["id"]

    def answer(method, path_qs, body):
        if path_qs.startswith(f"/api/models/{rid}/commits/main"):  # every page links back to itself
            commit = {"id": "a" * 40, "authors": [], "date": "2024-01-01T00:00:00Z", "title": "t", "message": ""}
            return 200, {"Link": f'<{hub.url}/api/models/{rid}/commits/main?p=1>; rel="next"'}, \
                json.dumps([commit]).encode()
        if path_qs.startswith(f"/api/models/{rid}/discussions?"):
            disc = {"num": 1, "title": "x", "status": "open", "isPullRequest": False, "createdAt": "2024-01-01T00:00:00Z",
                    "author": {"name": "a"}, "repo": {"name": rid, "type": "model"}, "numComments": 0,
                    "pinned": False}
            # the same page whatever page is asked, or empty pages claiming a billion discussions
            return 200, {}, json.dumps({"discussions": [] if empty else [disc], "count": 10 ** 9, "start": 0}).encode()
        return HubServer.answer(hub, method, path_qs, body)

    hub = HubServer(RecordSource(records, extra))
    hub.answer = answer
    start = time.monotonic()
    with hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url))
    assert time.monotonic() - start < SECONDS
    assert summary.complete and summary.deep_models == 2
    loops = {(stage, kind, item) for stage, kind, item, _ in _errors(sqlite_url)}
    assert loops == {("collect.deep.commits", "pagination_loop", rid), ("collect.deep.discussions", "pagination_loop", rid)}


def _dripping_handler():
    """Sends headers at once, then the body one byte every `gap` seconds (each read is quick; the whole is not)."""
    from peatmoss.core.archive import _Handler

    class Handler(_Handler):
        def _serve(self, method):
            with self.server.lock:
                self.server.requests += 1
            data = b"[" + b" " * 10_000 + b"]"
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.flush()
                for byte in data:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(self.server.gap)
            except OSError:
                pass

    return Handler


def test_dripping_server_is_cut_by_the_deadline(sqlite_url):
    server = LoopbackServer()
    server.gap = 0.3
    server.RequestHandlerClass = _dripping_handler()
    start = time.monotonic()
    with server:
        summary = collect_huggingface(sqlite_url, _opts(server.url, deadline=1.5, max_retries=1))
    assert time.monotonic() - start < 10  # two attempts of 1.5 s, not 10,000 bytes x 0.3 s
    assert not summary.complete and server.requests == 2
    [(stage, kind, _, message)] = _errors(sqlite_url)
    assert stage == "collect.listing" and "within 1.5 s" in message


def test_huge_retry_after_is_capped(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, 3)
    seen = []

    def faults(path, n):
        seen.append(time.monotonic())
        return Fault("429", retry_after=100000) if len(seen) == 1 else None

    start = time.monotonic()
    with HubServer(RecordSource(records, extra), faults=faults) as hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url, deep=False, max_retry_after=1.5))
    assert summary.complete and time.monotonic() - start < SECONDS
    assert 1.4 <= seen[1] - seen[0] < 5


def test_huge_page_is_refused(sqlite_url):
    item = {"id": "org/m", "downloads": 1}
    big = json.dumps([dict(item, id=f"org/m{i}") for i in range(3000)]).encode()
    with LoopbackServer(answer=lambda m, p, b: (200, {}, big)) as server:
        by_items = collect_huggingface(sqlite_url, _opts(server.url, max_page_items=1000, deep=False))
    assert not by_items.complete and "3,000 items" in _errors(sqlite_url)[-1][3]
    with LoopbackServer(answer=lambda m, p, b: (200, {}, big)) as server:
        by_bytes = collect_huggingface(sqlite_url, _opts(server.url, max_page_bytes=10_000, deep=False))
    assert not by_bytes.complete and "over 10,000 bytes" in _errors(sqlite_url)[-1][3]


def test_huge_card_is_cut_with_a_marker(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, 1)
    rec = records[0]
    card = extra / ("%s%%2Fresolve%%2F%s%%2FREADME.md" % (rec["id"].replace("/", "%2F"), rec["sha"]))
    assert card.is_file()
    card.write_text("# big\n" + "x" * 500_000)
    with HubServer(RecordSource(records, extra)) as hub:
        assert collect_huggingface(sqlite_url, _opts(hub.url, max_card_bytes=10_000)).complete
    with get_engine(sqlite_url).connect() as conn:
        text = conn.execute(select(ModelCard.text)).scalar_one()
    assert len(text) < 10_100 and text.rstrip().endswith("card cut at 10,000 bytes -->")


def test_finished_snapshot_is_not_fetched_again(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, 8)
    with HubServer(RecordSource(records, extra), page_size=5) as hub:
        first = collect_huggingface(sqlite_url, _opts(hub.url))
        before = hub.requests
        again = collect_huggingface(sqlite_url, _opts(hub.url))
        assert hub.requests == before and again.complete and again.skipped and again.run_id == first.run_id
        forced = collect_huggingface(sqlite_url, _opts(hub.url, recollect=True))
        assert hub.requests > before and forced.complete and not forced.skipped


@pytest.mark.parametrize("opts", [{"page_size": 0}, {"page_size": 10 ** 6}, {"limit": -5}, {"deadline": 0}])
def test_bad_options_are_refused(sqlite_url, opts):
    with pytest.raises(ValueError):
        collect_huggingface(sqlite_url, _opts("http://127.0.0.1:9", **opts))


def _echo_handler():
    """Answers every request but the listing with 400, echoing the request's headers and path."""
    from peatmoss.core.archive import _Handler

    class Handler(_Handler):
        def _serve(self, method):
            if self.path.startswith("/api/models?") or self.path == "/api/models":
                return super()._serve(method)
            with self.server.lock:
                self.server.requests += 1
            data = json.dumps({"error": f"bad request {dict(self.headers)} at {self.path}"}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Error-Message", str(self.headers.get("Authorization")))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _cli(args, env):
    code = (f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY * 3}, {MEMORY * 3})); "
            "sys.argv = ['peatmoss'] + sys.argv[1:]; runpy.run_module('peatmoss', run_name='__main__')")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, "--verbose", *args], env=env, capture_output=True,
                          text=True, timeout=120)
    return proc, time.monotonic() - start


@pytest.mark.parametrize("case", ["echo", "loop"])
def test_cli_leaks_no_credentials_and_fails_on_loops(tmp_path, case):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    env = dict(os.environ, HF_TOKEN=TOKEN)
    records, extra = hub_data(tmp_path, 6)
    server = HubServer(RecordSource(records, extra), page_size=5) if case == "echo" \
        else Looping(RecordSource(records, extra), page_size=5)
    if case == "echo":
        server.RequestHandlerClass = _echo_handler()
    record = tmp_path / "rec"
    with server:
        endpoint = server.url.replace("http://", f"http://peat:{PASSWORD}@")
        proc, elapsed = _cli(["--db", db, "collect", "huggingface", "--endpoint", endpoint, "--page-size", "5",
                              "--snapshot", "2024-01-01", "--min-downloads", "0", "--no-progress",
                              "--max-retries", "1", "--record", str(record)], env)
    output = proc.stdout + proc.stderr
    assert elapsed < 60 and "Traceback" not in output, output[-3000:]
    if case == "loop":
        assert proc.returncode == 1 and "incomplete" in output
        assert [e[1] for e in _errors(db)] == ["pagination_loop"]
    else:
        assert proc.returncode == 0 and _errors(db)  # the deep parts failed: error rows
    recorded = [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
                for p in record.rglob("*") if p.is_file()]
    assert recorded
    stored = _database_text(db) + b"".join(recorded).decode("latin-1")
    for secret in (TOKEN, PASSWORD):
        assert secret not in output, output[-3000:]
        assert secret not in stored


def test_bad_page_size_and_limit_are_one_line_errors(tmp_path):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    for args in (["--page-size", "0"], ["--limit", "-5"], ["--page-size", "1000000"], ["--deadline", "0"]):
        proc, _ = _cli(["--db", db, "collect", "huggingface", "--endpoint", "http://127.0.0.1:9", *args],
                       dict(os.environ))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_deep_parts_of_a_silent_server_time_out(tmp_path, sqlite_url):
    """huggingface_hub's own calls (refs, discussions) set no time-out: the collector's limits bound them."""
    records, extra = hub_data(tmp_path, 1)

    def faults(path, n):
        return Fault("hang", hang_seconds=60) if path.endswith(("/refs", "/discussions")) else None

    start = time.monotonic()
    with HubServer(RecordSource(records, extra), faults=faults) as hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url, timeout=1, deadline=2))
    assert time.monotonic() - start < SECONDS and summary.complete
    assert {stage for stage, *_ in _errors(sqlite_url)} == {"collect.deep.refs", "collect.deep.discussions"}


def test_bad_json_retries_are_spaced(sqlite_url):
    times = []

    def answer(method, path, body):
        times.append(time.monotonic())
        return 200, {}, b"[{not json"

    with LoopbackServer(answer=answer) as server:
        summary = collect_huggingface(sqlite_url, _opts(server.url, max_retries=3))
    assert not summary.complete and len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(gap >= 0.4 for gap in gaps), gaps
    [(stage, kind, _, message)] = _errors(sqlite_url)
    assert kind == "PageError" and "not JSON" in message


def test_cut_json_of_a_deep_part_is_retried_after_a_backoff(tmp_path, sqlite_url):
    records, extra = hub_data(tmp_path, 1)
    times = []

    def faults(path, n):
        if path.endswith(("/refs", "/commits/main")):
            times.append((path, time.monotonic()))
            return Fault("truncate") if sum(p == path for p, _ in times) == 1 else None
        return None

    with HubServer(RecordSource(records, extra), faults=faults) as hub:
        summary = collect_huggingface(sqlite_url, _opts(hub.url))
    assert summary.complete and summary.errors == 0
    for path in {p for p, _ in times}:
        first, second = [t for p, t in times if p == path]
        assert second - first >= 0.4


def test_cli_huge_listing_page_bounded_memory(tmp_path):
    """A 300,000-item listing page: refused (items over --max-page-items), exit 1, the process under 1 GiB."""
    page = json.dumps([{"id": f"o/m{i}"} for i in range(300_000)]).encode()
    db = f"sqlite:///{tmp_path / 'h.db'}"
    with LoopbackServer(answer=lambda m, p, b: (200, {}, page)) as server:
        code = ("import resource, runpy, sys; sys.argv = ['peatmoss'] + sys.argv[1:]\n"
                "try:\n    runpy.run_module('peatmoss', run_name='__main__')\n"
                "finally:\n    print('maxrss', next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))"
                ".split()[1], file=sys.stderr)")  # this program's peak; ru_maxrss counts the parent's before exec
        proc = subprocess.run([sys.executable, "-c", code, "--db", db, "collect", "huggingface", "--endpoint",
                               server.url, "--no-progress", "--max-retries", "0"], capture_output=True, text=True,
                              timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    rss_kb = int(proc.stderr.rsplit("maxrss", 1)[1].split()[0])
    assert rss_kb < 1024 * 1024, rss_kb
    assert "300,000 items" in _errors(db)[0][3]


def _header_drip_handler():
    """Sends the status line, then headers one byte every `gap` seconds, without end (each read is quick)."""
    from peatmoss.core.archive import _Handler

    class Handler(_Handler):
        def _serve(self, method):
            with self.server.lock:
                self.server.requests += 1
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Drip: ")
                self.wfile.flush()
                while not self.server.stopped.is_set():
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(self.server.gap)
            except OSError:
                pass
            self.close_connection = True

    return Handler


def test_cli_header_drip_is_cut_by_the_deadline(tmp_path):
    """Headers dripped a byte every 0.5 s (no read ever waits long): the request's wall-clock deadline cuts
    them; the listing ends with an error row and exit 1 (the subprocess time-out bounds the test)."""
    import threading

    server = LoopbackServer()
    server.gap, server.stopped = 0.5, threading.Event()
    server.RequestHandlerClass = _header_drip_handler()
    db = f"sqlite:///{tmp_path / 'h.db'}"
    try:
        with server:
            proc, _ = _cli(["--db", db, "collect", "huggingface", "--endpoint", server.url, "--no-progress",
                            "--snapshot", "2024-01-01", "--timeout", "5", "--deadline", "2", "--max-retries", "0"],
                           dict(os.environ))
    finally:
        server.stopped.set()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    [(stage, kind, _, message)] = _errors(db)
    assert stage == "collect.listing" and kind == "ReadTimeout" and "within 2 s" in message


class FreshCursors(HubServer):
    """A listing without end: every page links to a cursor never seen, with the same models again (`repeat`)
    or with models never seen."""

    def __init__(self, source, repeat: bool, **kw):
        super().__init__(source, **kw)
        self.repeat = repeat

    def answer(self, method, path_qs, body):
        if not path_qs.startswith("/api/models?"):
            return super().answer(method, path_qs, body)
        with self.lock:
            n = self.requests
        first = 0 if self.repeat else 5 * n
        items = [{"id": f"org/endless-{i}", "downloads": 1} for i in range(first, first + 5)]
        return 200, {"Link": f'<{self.url}/api/models?limit=5&cursor=c{n}>; rel="next"'}, json.dumps(items).encode()


@pytest.mark.parametrize("repeat", [True, False])
def test_cli_endless_fresh_cursors_end(tmp_path, repeat):
    """No --limit: pages of the same models under fresh cursors end at the second page (it brings no new
    model); pages of new models under fresh cursors end at --max-models (here 40, so 9 pages of 5)."""
    records, extra = hub_data(tmp_path, 2)
    db = f"sqlite:///{tmp_path / 'h.db'}"
    with FreshCursors(RecordSource(records, extra), repeat=repeat, page_size=5) as hub:
        proc, _ = _cli(["--db", db, "collect", "huggingface", "--endpoint", hub.url, "--page-size", "5",
                        "--snapshot", "2024-01-01", "--no-progress", "--no-deep", "--max-models", "40"],
                       dict(os.environ))
        requests = hub.requests
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "incomplete" in proc.stdout, proc.stderr
    [(stage, kind, _, message)] = _errors(db)
    assert stage == "collect.listing" and kind == "pagination_loop"
    if repeat:
        assert "brings no new model" in message and requests == 2
    else:
        assert "more than 40 models" in message or "more than 9 pages" in message
        assert requests <= 10


def test_cli_dask_workers_keep_the_limits(tmp_path):
    """Deep snapshots on a Dask cluster of separate worker processes: a server that never answers `refs` is
    cut by the same time-out and deadline as a local fetch (an error row), not waited on for ever."""
    records, extra = hub_data(tmp_path, 2)
    db = f"sqlite:///{tmp_path / 'h.db'}"

    def faults(path, n):
        return Fault("hang", hang_seconds=600) if path.endswith("/refs") else None

    with HubServer(RecordSource(records, extra), faults=faults) as hub:
        proc = subprocess.run([sys.executable, "-m", "peatmoss", "--db", db, "collect", "huggingface", "--endpoint",
                               hub.url, "--snapshot", "2024-01-01", "--min-downloads", "0", "--no-progress",
                               "--timeout", "1", "--deadline", "2", "--max-retries", "0", "--dask", "local"],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    refs = [(stage, kind, message) for stage, kind, _, message in _errors(db) if stage == "collect.deep.refs"]
    assert len(refs) == 2 and all(kind in ("ReadTimeout", "DeadlineExceeded") for _, kind, _ in refs), refs
