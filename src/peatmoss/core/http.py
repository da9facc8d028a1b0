"""One HTTP client policy for every stage: which failures are retried and how long to wait (tenacity).

Retried: HTTP 408/429/5xx, time-outs and dropped connections, and GitHub's rate-limited 403
(`X-RateLimit-Remaining: 0`). The wait is the server's word when it gives one (`Retry-After` seconds or
date, the IETF `RateLimit` header, GitHub's `X-RateLimit-Reset`), plus one second against rounding, capped
by `Policy.max_retry_after`; otherwise exponential back-off from `base_wait` up to `max_wait`.

`retrying(policy)` is a tenacity `Retrying` for any call that raises an exception with a `.response`
(huggingface_hub's `HfHubHTTPError`, httpx's `HTTPStatusError`, openai's `APIStatusError`);
`send(policy, do)` runs one request under it and hands back the last response when retries run out.

`bounded_get(client, url, deadline=..., max_bytes=...)` reads one response within a wall-clock deadline for
the whole request (a server dripping a byte at a time is cut, not only a silent one) and a size limit;
`Pages` follows pagination links or cursors and stops on one it has already seen (a looping server).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import tenacity
from huggingface_hub.utils import parse_ratelimit_headers

try:  # the HTTP library under huggingface_hub and openai: httpx2 (huggingface_hub 2.x), else httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TimeoutException, httpx.NetworkError,
                                                 httpx.RemoteProtocolError)


@dataclass(frozen=True)
class Policy:
    retries: int = 5  # attempts after the first
    base_wait: float = 0.5  # first back-off (s), doubled each retry
    max_wait: float = 8.0  # back-off cap (s)
    max_retry_after: float = 60.0  # cap on a wait the server asks for (s)
    retry_also: tuple[type[BaseException], ...] = ()  # more exception types to retry (e.g. a cut body)


class DeadlineExceeded(httpx.TimeoutException):
    """A request that took longer than its wall-clock deadline (retried like a time-out)."""


class TooLarge(ValueError):
    """A response body over its size limit (not retried: the server would send it again)."""


class PaginationLoop(ValueError):
    """A next page (URL or cursor) that was already read: the server loops."""


def bounded_get(client, url: str, *, deadline: float, max_bytes: int, cut: bool = False, **kw):
    """GET `url` with `client` (httpx), the whole exchange within `deadline` seconds and the body within
    `max_bytes` (decoded). Over the size, `TooLarge` is raised, or with `cut=True` the body is cut there
    (the answer then has `extensions["cut"] = True`). Returns a fully read `httpx.Response`."""
    start = time.monotonic()
    timeout = kw.pop("timeout", None)
    timeout = deadline if timeout is None else min(float(timeout), deadline)
    request = client.build_request("GET", url, timeout=timeout, **kw)
    response = client.send(request, stream=True)
    chunks, size, was_cut = [], 0, False
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                if not cut:
                    raise TooLarge(f"response over {max_bytes:,} bytes: {request.url}")
                chunks.append(chunk[: len(chunk) - (size - max_bytes)])
                was_cut = True
                break
            chunks.append(chunk)
            if time.monotonic() - start > deadline:
                raise DeadlineExceeded(f"no full answer within {deadline:g} s: {request.url}", request=request)
    finally:
        response.close()
    answer = httpx.Response(response.status_code, headers=response.headers, content=b"".join(chunks),
                            request=request)
    answer.extensions["cut"] = was_cut
    return answer


class _BoundedStream(httpx.SyncByteStream):
    """A response body stream that fails past a wall-clock moment or a byte count."""

    def __init__(self, stream, request, until: float, deadline: float, max_bytes: int):
        self.stream, self.request, self.until, self.max_bytes = stream, request, until, max_bytes
        self.deadline = deadline

    def __iter__(self):
        size = 0
        for chunk in self.stream:
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"response over {self.max_bytes:,} bytes: {self.request.url}")
            if time.monotonic() > self.until:
                raise DeadlineExceeded(f"no full answer within {self.deadline:g} s: {self.request.url}",
                                       request=self.request)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def limit_hooks(timeout: float, deadline: float, max_bytes: int) -> dict:
    """httpx `event_hooks` bounding every request of a client: `timeout` per read when the caller set none,
    the whole exchange within `deadline` seconds and `max_bytes` (as sent). Put them before other response
    hooks (a recorder reading the body then reads it through the bounds)."""
    started = "peatmoss_started"

    def on_request(request) -> None:
        request.extensions[started] = time.monotonic()
        limits = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {k: min(v or timeout, deadline) for k, v in
                                         {"connect": None, "read": None, "write": None, "pool": None, **limits}.items()}

    def on_response(response) -> None:
        until = response.request.extensions.get(started, time.monotonic()) + deadline
        response.stream = _BoundedStream(response.stream, response.request, until, deadline, max_bytes)

    return {"request": [on_request], "response": [on_response]}


@contextmanager
def bounded_client(client, timeout: float, deadline: float, max_bytes: int):
    """Bound every request `client` (an httpx client, e.g. huggingface_hub's session) sends in the block."""
    hooks = client.event_hooks
    limits = limit_hooks(timeout, deadline, max_bytes)
    client.event_hooks = {"request": list(hooks.get("request", [])) + limits["request"],
                          "response": limits["response"] + list(hooks.get("response", []))}
    try:
        yield client
    finally:
        client.event_hooks = hooks


class Pages:
    """Loop detection for pagination: `check(key)` raises `PaginationLoop` for a page already seen; keys are
    URLs (query order does not matter) or cursors."""

    def __init__(self, max_pages: int | None = None):
        self.seen: set[str] = set()
        self.max_pages = max_pages

    @staticmethod
    def key(page: str) -> str:
        parts = page.split("?", 1)
        if len(parts) == 1:
            return page
        from urllib.parse import parse_qsl, urlencode

        return parts[0] + "?" + urlencode(sorted(parse_qsl(parts[1], keep_blank_values=True)))

    def check(self, page: str) -> None:
        key = self.key(page)
        if key in self.seen:
            raise PaginationLoop(f"page {page} was already read: the server's pagination loops")
        if self.max_pages is not None and len(self.seen) >= self.max_pages:
            raise PaginationLoop(f"more than {self.max_pages:,} pages: stopped")
        self.seen.add(key)


class RetryableResponse(Exception):
    """A response whose status asks for a retry (raised inside `send` so that tenacity sees it)."""

    def __init__(self, response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def server_wait(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asks to wait (Retry-After, RateLimit, X-RateLimit-Reset), or None."""
    now = time.time() if now is None else now
    retry_after = _header(headers, "retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    info = parse_ratelimit_headers(headers) if headers else None
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    if _header(headers, "x-ratelimit-remaining") == "0":
        reset = _header(headers, "x-ratelimit-reset")
        try:
            return max(0.0, float(reset) - now) if reset else None
        except ValueError:
            return None
    return None


def retryable(response) -> bool:
    """Is this response worth another try (408/429/5xx, or a rate-limited 403)?"""
    status = getattr(response, "status_code", None)
    if status in RETRY_STATUS:
        return True
    return status == 403 and _header(response.headers, "x-ratelimit-remaining") == "0"


def transient(exc: BaseException) -> bool:
    """A failure to retry: a transport error (or one wrapping it, as openai's do), or an error carrying a
    retryable response."""
    if isinstance(exc, TRANSPORT_ERRORS) or isinstance(exc.__cause__, TRANSPORT_ERRORS):
        return True
    response = getattr(exc, "response", None)
    return response is not None and retryable(response)


def wait_seconds(policy: Policy, exc: BaseException | None, attempt: int) -> float:
    """The wait before retry number `attempt` (1-based) after `exc`."""
    response = getattr(exc, "response", None)
    asked = server_wait(getattr(response, "headers", None)) if response is not None else None
    if asked is not None:
        return min(asked + 1.0, policy.max_retry_after)
    return min(policy.base_wait * 2 ** (attempt - 1), policy.max_wait)


def retrying(policy: Policy, sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
    """A tenacity `Retrying` applying the policy; the last exception is re-raised when retries run out."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: transient(exc) or isinstance(exc, policy.retry_also)),
        wait=lambda state: wait_seconds(policy, state.outcome.exception(), state.attempt_number),
        stop=tenacity.stop_after_attempt(policy.retries + 1),
        sleep=sleep,
        reraise=True,
    )


def call(policy: Policy, fn: Callable, *args, **kwargs):
    """`fn(*args, **kwargs)` under the policy."""
    return retrying(policy)(fn, *args, **kwargs)


def send(policy: Policy, do: Callable[[], object], sleep: Callable[[float], None] = time.sleep):
    """Run `do()` (one HTTP request returning a response) under the policy; the last response when retries
    run out on a retryable status; a transport error is raised when they run out on it."""

    def once():
        response = do()
        if retryable(response):
            raise RetryableResponse(response)
        return response

    try:
        return retrying(policy, sleep)(once)
    except RetryableResponse as exc:
        return exc.response


class Client:
    """A GET client under a `Policy` for one API: `get_once(url, params)` sends one request, retried as the
    policy says (waits capped by `max_sleep`); `requests` counts the requests sent and `slept` the seconds
    waited. `record` is a `core.archive` folder every response under `base` goes to."""

    def __init__(self, base: str, headers: dict, *, record=None, max_sleep: float = 900.0, backoff: float = 2.0,
                 retries: int = 5, timeout: float = 30.0):
        from .archive import Recorder

        self.base = base.rstrip("/")
        hooks = Recorder(record, self.base).client_hooks() if record else None
        self.http = httpx.Client(headers=headers, timeout=timeout, follow_redirects=True, event_hooks=hooks)
        self.policy = Policy(retries=retries, base_wait=backoff, max_wait=60.0, max_retry_after=max_sleep)
        self.max_sleep = max_sleep
        self.slept = 0.0
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _sleep(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.max_sleep))
        self.slept += seconds
        time.sleep(seconds)

    def get_once(self, url: str, params: dict | None = None):
        """The response to GET `url` (after retries); transport errors raise when retries run out."""

        def once():
            self.requests += 1
            return self.http.get(url, params=params)

        return send(self.policy, once, sleep=self._sleep)


__all__ = ["Client", "DeadlineExceeded", "Pages", "bounded_client", "limit_hooks", "PaginationLoop", "Policy", "TooLarge", "bounded_get", "RETRY_STATUS", "call", "httpx", "retryable", "retrying", "send", "server_wait", "transient"]
