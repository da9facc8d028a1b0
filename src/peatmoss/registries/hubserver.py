"""A loopback HTTP server that answers like the Hugging Face Hub API from model records.

It serves `GET /api/models` (cursor pagination through a `Link` header, `author`, `search`,
`sort`, `limit`), `GET /api/models/{id}`, and extra responses (commits, refs, discussions,
files) from an optional directory. Tests and benchmarks point the real `huggingface_hub`
client at it with an endpoint of `http://127.0.0.1:PORT`. It is a `core.archive.LoopbackServer`,
so faults (429, 5xx, hangs, resets, truncated JSON) can be injected to test recovery.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from peatmoss.core.archive import Answer, Fault, FaultPlan, LoopbackServer

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
    """One record per model id; partial records (e.g. `?expand=` answers) are merged into full ones. A record
    holding only the older `modelId` gets it as `id` too (the Hub's listing answers carry `id`)."""
    merged: dict[str, dict] = {}
    for rec in records:
        key = rec.get("id") or rec.get("modelId")
        if not isinstance(key, str):
            continue
        merged[key] = {**rec, **merged[key]} if key in merged else dict(rec)
        merged[key]["id"] = key
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


class HubServer(LoopbackServer):
    """Answers like the Hub from a `RecordSource`: `with HubServer(source) as hub: ... hub.url ...`.
    (A recorded archive is replayed by `peatmoss.core.archive.ArchiveServer`.)"""

    def __init__(self, source: RecordSource, *, faults: FaultPlan | None = None, page_size: int = 1000,
                 port: int = 0):
        super().__init__(faults=faults, port=port)
        self.source = source
        self.page_size = page_size

    def answer(self, method: str, path_qs: str, body: bytes) -> Answer:
        parts = urlsplit(path_qs)
        params = dict(parse_qsl(parts.query))
        path = unquote(parts.path)
        if path == "/api/models":
            offset = int(params.pop("cursor", "0") or 0)
            limit = max(1, min(int(params.get("limit", self.page_size) or self.page_size), self.page_size))
            items, more = self.source.page(params, offset, limit)
            headers = {}
            if more:
                nxt = [(k, v) for k, v in parse_qsl(parts.query) if k != "cursor"] + [("cursor", str(offset + limit))]
                headers["Link"] = f'<{self.url}/api/models?{urlencode(nxt)}>; rel="next"'
            return 200, headers, json.dumps(items).encode()
        if path.startswith("/api/models/") and "/" in path[len("/api/models/"):]:
            model = self.source.model(path[len("/api/models/"):])
            if model is not None:
                return 200, {}, json.dumps(model).encode()
        extra = self.source.extra(path_qs)
        if extra is not None:
            ctype = "application/json" if path_qs.startswith("/api/") else "text/plain; charset=utf-8"
            return 200, {"Content-Type": ctype}, extra
        return 404, {"X-Error-Code": "EntryNotFound"}, json.dumps({"error": "Not found"}).encode()


__all__ = ["Fault", "HubServer", "RecordSource", "merge_by_id", "read_records"]
