"""One record/replay archive for every HTTP source (Hub, GitHub, LLM), and the loopback server replaying it.

An archive is a folder (the shape of Perceval's archives):

    index.jsonl   one exchange a line: {"method", "url" (relative to the recorded base), "request" (sha256 of
                  the request body, JSON canonicalised, or null), "status", "headers", "body" (a file name)}
    bodies/       response bodies, gzip, named by the sha256 of their content (shared, written once)

`Recorder(folder, base)` is an httpx event hook: pass it to any httpx/httpx2 client (`client_hooks`), or
`record_hub(folder, endpoint)` installs it on huggingface_hub's session. Only exchanges under `base` are
kept. Request headers are never written; response headers are kept from a short list, the base URL in them
becomes `{base}`, and any credential the request carried (Authorization, API-key headers, token query
parameters) is cut out of what is written, wherever it appears.

`ArchiveServer(folder)` answers on 127.0.0.1 from an archive: a request matches on method, path, sorted
query and body hash; the responses recorded for it are served in turn, the last one repeating. A request the
archive lacks gets 404 with `X-Archive-Miss: 1`. `LoopbackServer` is the base of every test server (this
one, the Hub from records, the fake OpenAI); it can inject faults (status codes, hangs, resets, cut JSON bodies).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from .redact import SECRET_HEADERS, SECRET_PARAMS, redact, redact_bytes

KEPT_HEADERS = ("content-type", "link", "location", "retry-after", "etag", "x-error-code", "x-error-message",
                "x-repo-commit", "x-linked-etag", "x-linked-size", "x-ratelimit-limit", "x-ratelimit-remaining",
                "x-ratelimit-reset", "ratelimit", "ratelimit-policy")
MISS_HEADER = "X-Archive-Miss"
BASE = "{base}"


def _public_query(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS]


def body_digest(body: bytes | None) -> str | None:
    """sha256 of a request body; a JSON body is canonicalised first (key order does not matter)."""
    if not body:
        return None
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    return hashlib.sha256(body).hexdigest()


def request_key(method: str, url: str, body: bytes | None = None) -> tuple:
    """What a replayed request is matched on: method, path, sorted query (credentials left out), body hash."""
    parts = urlsplit(url)
    return method.upper(), parts.path or "/", tuple(sorted(_public_query(parts.query))), body_digest(body)


class Archive:
    """A folder of recorded exchanges (see the module doc); safe to add to from several threads."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.entries: dict[tuple, list[dict]] = {}
        self._turn: dict[tuple, int] = {}
        self._lock = threading.Lock()
        index = self.folder / "index.jsonl"
        if index.is_file():
            for line in index.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    key = request_key(entry["method"], entry["url"])[:3] + (entry["request"],)
                    self.entries.setdefault(key, []).append(entry)

    @staticmethod
    def exists(folder: str | Path) -> bool:
        return (Path(folder) / "index.jsonl").is_file()

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())

    def add(self, method: str, url: str, request_body: bytes | None, status: int, headers: dict,
            body: bytes) -> dict:
        """Store one exchange; `url` is relative to the recorded base (path and query)."""
        parts = urlsplit(url)
        query = urlencode(_public_query(parts.query))
        url = (parts.path or "/") + (f"?{query}" if query else "")
        digest = hashlib.sha256(body).hexdigest()
        bodies = self.folder / "bodies"
        bodies.mkdir(parents=True, exist_ok=True)
        target = bodies / f"{digest}.gz"
        entry = {"method": method.upper(), "url": url, "request": body_digest(request_body), "status": status,
                 "headers": headers, "body": target.name}
        key = request_key(method, url, request_body)
        with self._lock:
            if not target.exists():
                target.write_bytes(gzip.compress(body, mtime=0))
            self.entries.setdefault(key, []).append(entry)
            with open(self.folder / "index.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        return entry

    def next_response(self, method: str, url: str, body: bytes | None = None) -> tuple[int, dict, bytes] | None:
        """The next recorded response to this request (served in turn, the last repeating), or None."""
        key = request_key(method, url, body)
        with self._lock:
            entries = self.entries.get(key)
            if not entries:
                return None
            turn = self._turn.get(key, 0)
            self._turn[key] = turn + 1
            entry = entries[min(turn, len(entries) - 1)]
        data = gzip.decompress((self.folder / "bodies" / entry["body"]).read_bytes())
        return entry["status"], dict(entry["headers"]), data


# --------------------------------------------------------------------------- recording


def _secrets(request) -> list[str]:
    """Credentials a request carries: auth header values (and their token part), secret query values."""
    found = []
    for name in SECRET_HEADERS:
        value = request.headers.get(name)
        if value:
            found.append(value)
            found.extend(part for part in value.split() if len(part) >= 8)
    found.extend(v for k, v in parse_qsl(urlsplit(str(request.url)).query) if k.lower() in SECRET_PARAMS and v)
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


class Recorder:
    """An httpx response event hook storing every exchange under `base` into an archive."""

    def __init__(self, folder: str | Path, base: str):
        self.archive = Archive(folder)
        self.archive.folder.mkdir(parents=True, exist_ok=True)
        self.base = base.rstrip("/")

    def __call__(self, response) -> None:
        request = response.request
        url = str(request.url)
        if not url.startswith(self.base):
            return
        response.read()
        secrets = _secrets(request)
        headers = {k.lower(): redact(v.replace(self.base, BASE), secrets)
                   for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
        body = redact_bytes(response.content, secrets)
        try:
            sent = request.content
        except Exception:  # noqa: BLE001 - a streamed request body: matched without it
            sent = None
        self.archive.add(request.method, redact(url[len(self.base):] or "/", secrets), sent, response.status_code, headers, body)

    def client_hooks(self, hooks: dict | None = None) -> dict:
        """`event_hooks` for an httpx client: the given hooks plus this recorder."""
        hooks = dict(hooks or {})
        hooks["response"] = list(hooks.get("response", [])) + [self]
        return hooks


@contextmanager
def record_hub(folder: str | Path, endpoint: str) -> Iterator[Recorder]:
    """Record every response huggingface_hub's shared session receives from `endpoint` while the block runs."""
    from huggingface_hub.utils import get_session

    recorder = Recorder(folder, endpoint)
    session = get_session()
    session.event_hooks = recorder.client_hooks(session.event_hooks)
    try:
        yield recorder
    finally:  # only the recorder leaves (hooks added meanwhile, e.g. the request limits, stay)
        hooks = session.event_hooks
        session.event_hooks = {**hooks, "response": [h for h in hooks.get("response", []) if h is not recorder]}


# --------------------------------------------------------------------------- loopback servers


@dataclass
class Fault:
    """An injected failure: a status ('429', '500', ...), 'hang' (sleep past the client's time-out, no answer),
    'delay' (sleep, then answer), 'truncate' (cut a JSON body in half) or 'reset' (close the connection)."""

    kind: str
    retry_after: float = 0.0
    hang_seconds: float = 5.0


FaultPlan = Callable[[str, int], "Fault | None"]  # (path, request number) -> fault or None
Answer = tuple[int, dict, bytes]


class _Handler(BaseHTTPRequestHandler):
    server: "LoopbackServer"
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stalls)
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with srv.lock:
            srv.requests += 1
            number = srv.requests
        fault = srv.faults(urlsplit(self.path).path, number) if srv.faults else None
        if fault is not None and fault.kind in ("hang", "reset"):
            if fault.kind == "hang":
                time.sleep(fault.hang_seconds)
            self.close_connection = True
            if fault.kind == "reset":
                self.connection.close()
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.hang_seconds)
        if fault is not None and fault.kind.isdigit():
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            status, headers, data = int(fault.kind), headers, b'{"error": "injected"}'
        else:
            status, headers, data = srv.answer(method, self.path, body)
        headers = {k.lower(): v for k, v in headers.items()}
        headers.setdefault("content-type", "application/json")
        if fault is not None and fault.kind == "truncate" and "json" in headers["content-type"]:
            data = data[: len(data) // 2]
        self.send_response(status)
        for k, v in headers.items():
            if k not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 in a daemon thread: `with Server(...) as srv: ... srv.url ...`.
    It answers with `answer(method, path_and_query, body) -> (status, headers, body)`: a subclass's
    method or the `answer` callable given; `requests` counts the requests received."""

    daemon_threads = True

    def __init__(self, *, answer: Callable[[str, str, bytes], Answer] | None = None,
                 faults: FaultPlan | None = None, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        if answer is not None:
            self.answer = answer
        self.faults = faults
        self.requests = 0
        self.lock = threading.Lock()
        self.connections: set = set()  # accepted connections still open
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, method: str, path: str, body: bytes) -> Answer:
        raise NotImplementedError

    def process_request(self, request, client_address) -> None:
        with self.lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        # kept-alive connections too: their handler threads would go on answering for this server, and a
        # client's pooled connection would reach them instead of a later server on the same port
        with self.lock:
            live, self.connections = list(self.connections), set()
        for conn in live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()


class ArchiveServer(LoopbackServer):
    """Replays an archive (a folder or an `Archive`) on 127.0.0.1; point the real client's base URL at `url`."""

    def __init__(self, archive: Archive | str | Path, **kw):
        super().__init__(**kw)
        self.archive = archive if isinstance(archive, Archive) else Archive(archive)

    def answer(self, method: str, path: str, body: bytes) -> Answer:
        found = self.archive.next_response(method, path, body)
        if found is None and method == "HEAD":
            found = self.archive.next_response("GET", path, body)
        if found is None:
            return 404, {MISS_HEADER: "1", "X-Error-Code": "EntryNotFound"}, \
                json.dumps({"error": f"not in the archive: {method} {path}"}).encode()
        status, headers, data = found
        return status, {k: v.replace(BASE, self.url) for k, v in headers.items()}, data


def serve_replay(stack, folder: str | Path) -> str:
    """Start an `ArchiveServer` for `folder` on an ExitStack and return its URL (a folder without a
    recording is a FileNotFoundError saying so)."""
    if not Archive.exists(folder):
        raise FileNotFoundError(f"{folder} holds no recording (index.jsonl); record one with --record")
    return stack.enter_context(ArchiveServer(folder)).url


def is_miss(response) -> bool:
    """Did an archive server answer that it has no recording of this request?"""
    return response is not None and response.headers.get(MISS_HEADER) == "1"


__all__ = ["Archive", "ArchiveServer", "Fault", "FaultPlan", "LoopbackServer", "Recorder", "body_digest",
           "is_miss", "record_hub", "request_key", "serve_replay"]
