"""A loopback HTTP server that answers like the Hugging Face Hub API from recorded model records.

It serves `GET /api/models` (cursor pagination through a `Link` header, `author`, `search`,
`sort`, `limit`), `GET /api/models/{id}`, and extra recorded responses (commits, refs,
discussions, files) from an optional directory. Tests, the demo and the benchmark point the
real `huggingface_hub` client at it with an endpoint of `http://127.0.0.1:PORT`.
Faults (429, 5xx, hangs, truncated JSON) can be injected to test the collector's recovery.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

SORT_KEYS = {"downloads": "downloads", "likes": "likes", "lastModified": "lastModified",
             "last_modified": "lastModified", "createdAt": "createdAt", "created_at": "createdAt",
             "trending_score": "likes", "trendingScore": "likes"}


def read_records(path: Path) -> list[dict]:
    """Model records from a .json (one object or a list), .jsonl or .jsonl.gz file, or a folder of them."""
    path = Path(path)
    if path.is_dir():
        out: list[dict] = []
        for child in sorted(path.iterdir()):
            if child.suffix in (".json", ".jsonl", ".gz"):
                out.extend(read_records(child))
        return out
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        if ".jsonl" in path.name:
            return [json.loads(line) for line in fh if line.strip()]
        data = json.load(fh)
    return data if isinstance(data, list) else [data]


def merge_by_id(records: Iterable[dict]) -> list[dict]:
    """One record per model id; partial records (e.g. `?expand=` answers) are merged into full ones."""
    merged: dict[str, dict] = {}
    for rec in records:
        key = rec.get("id") or rec.get("modelId")
        if not isinstance(key, str):
            continue
        merged[key] = {**rec, **merged[key]} if key in merged else dict(rec)
    return list(merged.values())


class RecordSource:
    """Records held in memory, sortable and filterable like the Hub listing."""

    def __init__(self, records: Iterable[dict], extra_dir: Path | None = None):
        self.records = merge_by_id(records)
        self.by_id = {(r.get("id") or r.get("modelId")): r for r in self.records}
        self.extra_dir = Path(extra_dir) if extra_dir else None
        self._views: dict[tuple, list[dict]] = {}

    def listing(self, params: dict) -> list[dict]:
        key = (params.get("author"), params.get("search"), params.get("sort"), params.get("direction"))
        if key not in self._views:
            rows = self.records
            if params.get("author"):
                rows = [r for r in rows if _id(r).split("/", 1)[0] == params["author"]]
            if params.get("search"):
                needle = params["search"].lower()
                rows = [r for r in rows if needle in _id(r).lower()]
            sort = SORT_KEYS.get(params.get("sort") or "")
            if sort:  # models lacking the sort key come last either way
                present = [r for r in rows if r.get(sort) is not None]
                present.sort(key=lambda r: r[sort], reverse=str(params.get("direction", "-1")) != "1")
                rows = present + [r for r in rows if r.get(sort) is None]
            self._views[key] = rows
        return self._views[key]

    def page(self, params: dict, offset: int, limit: int) -> tuple[list[dict], bool]:
        rows = self.listing(params)
        return rows[offset:offset + limit], offset + limit < len(rows)

    def model(self, model_id: str) -> dict | None:
        return self.by_id.get(model_id)

    def extra(self, path: str) -> bytes | None:
        """A recorded body for another endpoint: <extra_dir>/<url-quoted path>."""
        if not self.extra_dir:
            return None
        candidate = self.extra_dir / quote(path.lstrip("/"), safe="")
        return candidate.read_bytes() if candidate.is_file() else None


def _id(record: dict) -> str:
    return record.get("id") or record.get("modelId") or ""


@dataclass
class Fault:
    """An injected failure: status (429/500/502/503), 'hang' (sleep past the client timeout),
    'delay' (sleep, then answer), 'truncate' (cut JSON) or 'reset' (close the connection)."""

    kind: str
    retry_after: float = 0.0
    hang_seconds: float = 5.0


FaultPlan = Callable[[str, int], Fault | None]  # (path, request number) -> fault or None


class _Handler(BaseHTTPRequestHandler):
    server: "HubServer"
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stalls)
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:  # noqa: N802
        hub = self.server
        with hub.lock:
            hub.requests += 1
            number = hub.requests
        parts = urlsplit(self.path)
        fault = hub.faults(parts.path, number) if hub.faults else None
        if fault and self._fault(fault):
            return
        exact = getattr(hub.source, "exact", None)
        if exact is not None:
            recorded = exact(self.path)
            if recorded is None:
                return self._send(404, b'{"error": "not in the recording"}', {"X-Error-Code": "EntryNotFound"})
            status, headers, body = recorded
            if "Link" in headers:
                headers = dict(headers, Link=headers["Link"].replace("<", "<" + hub.url, 1))
            return self._send(status, body, headers, head=head)
        params = dict(parse_qsl(parts.query))
        path = unquote(parts.path)
        if path == "/api/models":
            offset = int(params.pop("cursor", "0") or 0)
            limit = max(1, min(int(params.get("limit", hub.page_size) or hub.page_size), hub.page_size))
            items, more = hub.source.page(params, offset, limit)
            headers = {}
            if more:
                nxt = [(k, v) for k, v in parse_qsl(parts.query) if k != "cursor"] + [("cursor", str(offset + limit))]
                headers["Link"] = f'<{hub.url}/api/models?{urlencode(nxt)}>; rel="next"'
            body = json.dumps(items).encode()
            if fault and fault.kind == "truncate":
                body = body[: len(body) // 2]
            return self._send(200, body, headers, head=head)
        if path.startswith("/api/models/") and "/" in path[len("/api/models/"):]:
            rest = path[len("/api/models/"):]
            model = hub.source.model(rest)
            if model is not None:
                return self._send(200, json.dumps(model).encode(), head=head)
        extra = hub.source.extra(self.path)
        if extra is not None:
            ctype = "application/json" if self.path.startswith("/api/") else "text/plain; charset=utf-8"
            return self._send(200, extra, {"Content-Type": ctype}, head=head)
        self._send(404, json.dumps({"error": "Not found"}).encode(), {"X-Error-Code": "EntryNotFound"}, head=head)

    def _fault(self, fault: Fault) -> bool:
        if fault.kind == "delay":  # slow but successful
            time.sleep(fault.hang_seconds)
            return False
        if fault.kind == "hang":
            time.sleep(fault.hang_seconds)
            self.close_connection = True
            return True
        if fault.kind == "reset":
            self.close_connection = True
            self.connection.close()
            return True
        if fault.kind.isdigit():
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            self._send(int(fault.kind), json.dumps({"error": "injected"}).encode(), headers)
            return True
        return False  # 'truncate' is applied to the body

    def _send(self, status: int, body: bytes, headers: dict | None = None, head: bool = False) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", **(headers or {})}
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class HubServer(ThreadingHTTPServer):
    """Start with `with HubServer(source) as hub: ... hub.url ...`; it runs in a daemon thread."""

    daemon_threads = True

    def __init__(self, source, *, faults: FaultPlan | None = None, page_size: int = 1000, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.source = source
        self.faults = faults
        self.page_size = page_size
        self.requests = 0
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "HubServer":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
