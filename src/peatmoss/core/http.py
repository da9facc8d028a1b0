"""One HTTP client policy for every stage: which failures are retried and how long to wait (tenacity).

Retried: HTTP 408/429/5xx, time-outs and dropped connections, and GitHub's rate-limited 403
(`X-RateLimit-Remaining: 0`). The wait is the server's word when it gives one (`Retry-After` seconds or
date, the IETF `RateLimit` header, GitHub's `X-RateLimit-Reset`), plus one second against rounding, capped
by `Policy.max_retry_after`; otherwise exponential back-off from `base_wait` up to `max_wait`.

`retrying(policy)` is a tenacity `Retrying` for any call that raises an exception with a `.response`
(huggingface_hub's `HfHubHTTPError`, httpx's `HTTPStatusError`, openai's `APIStatusError`);
`send(policy, do)` runs one request under it and hands back the last response when retries run out.

`bounded_get(client, url, deadline=..., max_bytes=...)` reads one response within a wall-clock deadline for
the whole request and a size limit; `bounded_client(client, ...)` bounds every request a thread sends in a
block (huggingface_hub's own calls). The deadline holds for connecting, the headers and the body: every
socket operation waits at most until it (`DeadlineBackend`), so a server dripping a byte at a time is cut,
not only a silent one. A Dask worker thread enters its own block (the limits are per thread, not global);
`Pages` follows pagination links or cursors and stops on one it has already seen (a looping server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import tenacity
from huggingface_hub.utils import parse_ratelimit_headers

try:  # the HTTP library under huggingface_hub and openai: httpx2 (huggingface_hub 2.x), else httpx
    import httpcore2 as httpcore
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpcore
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


LIMITS = "peatmoss_limits"  # request extension: (read time-out, deadline, max bytes or None)
STARTED = "peatmoss_started"  # request extension: when the request began (time.monotonic)
_limits: ContextVar[tuple[float, float, int | None] | None] = ContextVar("peatmoss_http_limits", default=None)
_clock = threading.local()  # .until/.deadline: the end of the request this thread is sending, for every socket op
_install_lock = threading.Lock()


def _within(op: Callable, timeout: float | None, error: type[Exception]):
    """Run a socket operation `op(timeout)` so that it cannot wait past this thread's request deadline: its
    time-out is cut to what is left, and a time-out at the deadline says so."""
    until = getattr(_clock, "until", None)
    if until is None:
        return op(timeout)
    message = f"no full answer within {_clock.deadline:g} s"
    left = until - time.monotonic()
    if left <= 0:
        raise error(message)
    try:
        return op(left if timeout is None else min(timeout, left))
    except error:
        if time.monotonic() >= until:
            raise error(message) from None
        raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream):
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _within(lambda t: self.stream.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _within(lambda t: self.stream.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(_within(lambda t: self.stream.start_tls(ssl_context, server_hostname, t), timeout,
                                       httpcore.ConnectTimeout))

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network layer under a wall-clock deadline: connecting, every write and every read of a
    request (its headers too: a server dripping them a byte at a time is cut) end by its deadline."""

    def __init__(self, backend):
        self.backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(_within(lambda t: self.backend.connect_tcp(host, port, t, local_address,
                                                                          socket_options),
                                       timeout, httpcore.ConnectTimeout))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(_within(lambda t: self.backend.connect_unix_socket(path, t, socket_options),
                                       timeout, httpcore.ConnectTimeout))

    def sleep(self, seconds: float) -> None:
        self.backend.sleep(seconds)


class _BoundedStream(httpx.SyncByteStream):
    """A response body stream that fails past a wall-clock moment or a byte count."""

    def __init__(self, stream, request, until: float, deadline: float, max_bytes: int | None):
        self.stream, self.request, self.until, self.max_bytes = stream, request, until, max_bytes
        self.deadline = deadline

    def __iter__(self):
        size = 0
        for chunk in self.stream:
            size += len(chunk)
            if self.max_bytes is not None and size > self.max_bytes:
                raise TooLarge(f"response over {self.max_bytes:,} bytes: {self.request.url}")
            if time.monotonic() > self.until:
                raise DeadlineExceeded(f"no full answer within {self.deadline:g} s: {self.request.url}",
                                       request=self.request)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def _on_request(request) -> None:
    limits = request.extensions.get(LIMITS) or _limits.get()
    if limits is None:  # a request outside any bounded block: as the client would send it
        _clock.until = None
        return
    timeout, deadline, _ = limits
    start = request.extensions.get(STARTED) or time.monotonic()  # a redirect keeps the first request's start
    request.extensions[LIMITS], request.extensions[STARTED] = limits, start
    _clock.until, _clock.deadline = start + deadline, deadline
    given = dict(request.extensions.get("timeout") or {})
    request.extensions["timeout"] = {k: min(v or timeout, deadline) for k, v in
                                     {"connect": None, "read": None, "write": None, "pool": None, **given}.items()}


def _on_response(response) -> None:
    request = response.request
    limits = request.extensions.get(LIMITS)
    if limits is not None:
        _, deadline, max_bytes = limits
        until = request.extensions[STARTED] + deadline
        response.stream = _BoundedStream(response.stream, request, until, deadline, max_bytes)


def bound(client):
    """Make `client` (an httpx client, e.g. huggingface_hub's shared session) able to bound its requests:
    hooks reading the limits of the block that sends (`bounded_client`) or of the request (`bounded_get`), and
    a network layer holding every socket operation to the request's deadline. Idempotent, thread-safe; a
    request sent outside any bounded block is left as it was."""
    with _install_lock:
        hooks = client.event_hooks
        if _on_request not in hooks.get("request", []) or _on_response not in hooks.get("response", []):
            # ours last among request hooks and first among response hooks (a recorder then reads through them)
            client.event_hooks = {
                "request": [h for h in hooks.get("request", []) if h is not _on_request] + [_on_request],
                "response": [_on_response] + [h for h in hooks.get("response", []) if h is not _on_response]}
        transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
        for pool in (getattr(t, "_pool", None) for t in transports):  # httpx's transports keep an httpcore pool
            backend = getattr(pool, "_network_backend", None)
            if backend is not None and not isinstance(backend, DeadlineBackend):
                pool._network_backend = DeadlineBackend(backend)
    return client


@contextmanager
def bounded_client(client, timeout: float, deadline: float, max_bytes: int):
    """Bound every request this thread sends with `client` in the block: `timeout` per read when the caller
    set none, the whole exchange (connecting, headers, body) within `deadline` seconds, the body within
    `max_bytes` (as sent). Other threads are not affected (a Dask worker thread bounds its own block)."""
    bound(client)
    token = _limits.set((timeout, deadline, max_bytes))
    try:
        yield client
    finally:
        _limits.reset(token)
        _clock.until = None


def bounded_get(client, url: str, *, deadline: float, max_bytes: int, cut: bool = False, **kw):
    """GET `url` with `client` (httpx), the whole exchange within `deadline` seconds and the body within
    `max_bytes` (decoded). Over the size, `TooLarge` is raised, or with `cut=True` the body is cut there
    (the answer then has `extensions["cut"] = True`). Returns a fully read `httpx.Response`."""
    bound(client)
    timeout = kw.pop("timeout", None)
    timeout = deadline if timeout is None else min(float(timeout), deadline)
    request = client.build_request("GET", url, timeout=timeout, **kw)
    request.extensions[LIMITS] = (timeout, deadline, None)  # the size is checked here (it may cut)
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
    finally:
        response.close()
        _clock.until = None
    answer = httpx.Response(response.status_code, headers=response.headers, content=b"".join(chunks),
                            request=request)
    answer.extensions["cut"] = was_cut
    return answer


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
    waited. `record` is a `core.archive` folder every response under `base` goes to. Each request is bounded
    like `bounded_client`: `timeout` per read, the whole exchange within `deadline` seconds and its body within
    `max_bytes`."""

    def __init__(self, base: str, headers: dict, *, record=None, max_sleep: float = 900.0, backoff: float = 2.0,
                 retries: int = 5, timeout: float = 30.0, deadline: float = 600.0, max_bytes: int = 256 << 20):
        from .archive import Recorder

        self.base = base.rstrip("/")
        hooks = Recorder(record, self.base).client_hooks() if record else None
        self.http = httpx.Client(headers=headers, timeout=timeout, follow_redirects=True, event_hooks=hooks)
        self.policy = Policy(retries=retries, base_wait=backoff, max_wait=60.0, max_retry_after=max_sleep)
        self.max_sleep = max_sleep
        self.limits = (timeout, deadline, max_bytes)
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
            with bounded_client(self.http, *self.limits):
                return self.http.get(url, params=params)

        return send(self.policy, once, sleep=self._sleep)


__all__ = ["Client", "DeadlineBackend", "DeadlineExceeded", "Pages", "bound", "bounded_client", "PaginationLoop", "Policy", "TooLarge", "bounded_get", "RETRY_STATUS", "call", "httpx", "retryable", "retrying", "send", "server_wait", "transient"]
