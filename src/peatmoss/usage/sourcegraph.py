"""Sourcegraph code search through its stream API (`GET /.api/search/stream`, server-sent events).

The PeaTMOSS paper found its downstream repositories with Sourcegraph (the `src` CLI). `Sourcegraph.search`
sends one query and reads the whole event stream: `matches` (file, path, repository and content matches),
`progress` (match count, skipped shards), `alert`, `error` and `done`. Token from $SRC_ACCESS_TOKEN (sent as
`Authorization: token ...`, never logged or recorded), base URL from `base_url` / $SRC_ENDPOINT (default
https://sourcegraph.com). Retries follow the core HTTP policy (`core.http`); `record` stores every response in
a `core.archive` folder; `sourcegraph_client(replay=folder)` serves one on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from peatmoss.core import http
from peatmoss.core.archive import serve_replay
from peatmoss.core.http import httpx

API = "https://sourcegraph.com"
STREAM = "/.api/search/stream"


class SourcegraphError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status


@dataclass
class SearchResult:
    """What one streamed search returned: its matches, the server's match count, why results were skipped
    (e.g. `shard-match-limit`: the result set is incomplete) and alerts."""

    matches: list[dict] = field(default_factory=list)
    match_count: int | None = None
    skipped: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)


def events(text: str) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream (`event:` / `data:` lines, a blank line ends one)."""
    name, data = "message", []
    for line in text.splitlines() + [""]:
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)


def parse_stream(text: str) -> SearchResult:
    out = SearchResult()
    for name, data in events(text):
        if name == "done":
            break
        payload = json.loads(data)
        if name == "matches":
            out.matches.extend(payload)
        elif name == "progress":
            out.match_count = payload.get("matchCount", out.match_count)
            out.skipped = [s.get("reason", "") for s in payload.get("skipped") or []]
        elif name == "alert":
            out.alerts.append(payload.get("title") or payload.get("description") or "alert")
        elif name == "error":
            raise SourcegraphError(0, f"search error: {payload.get('message', data)}")
    return out


class Sourcegraph(http.Client):
    """A client of Sourcegraph's stream search API; `requests` counts the HTTP requests sent."""

    def __init__(self, base_url: str | None = None, token: str | None = None, record: str | Path | None = None,
                 max_sleep: float = 900.0, backoff: float = 2.0, retries: int = 5, timeout: float = 300.0):
        token = token if token is not None else os.environ.get("SRC_ACCESS_TOKEN")
        headers = {"Accept": "text/event-stream", "User-Agent": "peatmoss"}
        if token:
            headers["Authorization"] = f"token {token}"
        super().__init__(base_url or os.environ.get("SRC_ENDPOINT") or API, headers, record=record,
                         max_sleep=max_sleep, backoff=backoff, retries=retries, timeout=timeout)

    def search(self, query: str, display: int | None = None) -> SearchResult:
        """All events of one search (`q` in query syntax version V3); errors raise SourcegraphError."""
        params = {"q": query, "v": "V3"}
        if display is not None:
            params["display"] = str(display)
        try:
            r = self.get_once(self.base + STREAM, params)
        except httpx.TransportError as exc:
            raise SourcegraphError(0, f"transport: {type(exc).__name__}") from None
        if r.status_code >= 400:
            raise SourcegraphError(r.status_code, r.text[:200].strip())
        try:
            return parse_stream(r.text)
        except ValueError as exc:
            raise SourcegraphError(r.status_code, f"unreadable event stream: {exc}") from None


def repository(match: dict) -> tuple[str, str]:
    """(host, name) of a match's repository: `github.com/acme/demo` -> ("github", "acme/demo")."""
    name = match.get("repository") or ""
    host, _, rest = name.partition("/")
    if host == "github.com" and rest:
        return "github", rest
    return host or "unknown", name


@contextmanager
def sourcegraph_client(api: str | None = None, *, token: str | None = None, record: str | Path | None = None,
                       replay: str | Path | None = None, **kw) -> Iterator[Sourcegraph]:
    """A `Sourcegraph` client for `api`, or for a loopback server replaying the archive `replay`."""
    with ExitStack() as stack:
        if replay is not None:
            api = serve_replay(stack, replay)
        yield stack.enter_context(Sourcegraph(api, token=token, record=record, **kw))
