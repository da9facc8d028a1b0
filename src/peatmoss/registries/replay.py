"""Record/replay of raw Hub responses (the idea of Perceval's archives).

`record(dir, endpoint)` stores every response the `huggingface_hub` client receives while it is
active; `Cassette(dir)` serves them back through a loopback `HubServer`, so a collection is
reproducible offline. Authorization headers are never stored; `Link` headers are kept relative.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from huggingface_hub.utils import get_session

KEPT_HEADERS = ("content-type", "link", "retry-after", "x-error-code", "x-repo-commit", "etag")


def _key(path_qs: str) -> str:
    return path_qs if path_qs.startswith("/") else "/" + path_qs


class Cassette:
    """A folder: `index.jsonl` (one line per response) and gzip bodies under `bodies/`."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.index: dict[str, dict] = {}
        self.lock = threading.Lock()
        index = self.folder / "index.jsonl"
        if index.is_file():
            for line in index.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.index[entry["path"]] = entry

    def add(self, path_qs: str, status: int, headers: dict, body: bytes) -> None:
        digest = hashlib.sha256(body).hexdigest()
        bodies = self.folder / "bodies"
        bodies.mkdir(parents=True, exist_ok=True)
        target = bodies / f"{digest}.gz"
        if not target.exists():
            target.write_bytes(gzip.compress(body, mtime=0))
        entry = {"path": _key(path_qs), "status": status, "headers": headers, "body": target.name}
        with self.lock:
            self.index[entry["path"]] = entry
            with open(self.folder / "index.jsonl", "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")

    def exact(self, path_qs: str) -> tuple[int, dict, bytes] | None:
        entry = self.index.get(_key(path_qs))
        if entry is None:
            return None
        body = gzip.decompress((self.folder / "bodies" / entry["body"]).read_bytes())
        return entry["status"], entry["headers"], body


@contextmanager
def record(folder: str | Path, endpoint: str) -> Iterator[Cassette]:
    """Store every response `huggingface_hub` receives from `endpoint` while the block runs."""
    cassette = Cassette(folder)
    cassette.folder.mkdir(parents=True, exist_ok=True)
    base = endpoint.rstrip("/")

    def hook(response) -> None:
        url = str(response.request.url)
        if not url.startswith(base):
            return
        response.read()
        headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
        if "link" in {k.lower() for k in headers}:
            headers = {("Link" if k.lower() == "link" else k): v.replace(base, "") for k, v in headers.items()}
        parts = urlsplit(url)
        path_qs = parts.path + (f"?{parts.query}" if parts.query else "")
        cassette.add(path_qs, response.status_code, headers, response.content)

    session = get_session()
    hooks = session.event_hooks
    session.event_hooks = {"request": list(hooks.get("request", [])),
                           "response": list(hooks.get("response", [])) + [hook]}
    try:
        yield cassette
    finally:
        session.event_hooks = hooks
