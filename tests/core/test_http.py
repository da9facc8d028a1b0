"""The core HTTP policy against real loopback servers that fail, then answer."""

from __future__ import annotations

import itertools
import time
from email.utils import formatdate

import pytest
from huggingface_hub.utils import get_session, hf_raise_for_status

from peatmoss.core import http
from peatmoss.core.archive import Fault, LoopbackServer


def flaky(*failures: tuple[int, dict]):
    """A server answering the given (status, headers) in turn, then 200 for ever."""
    answers = itertools.chain(failures, itertools.repeat((200, {})))
    return LoopbackServer(answer=lambda method, path, body: (*next(answers), b'{"ok": true}'))


def fetch(policy: http.Policy, url: str, timeout: float = 5.0):
    waits: list[float] = []
    with http.httpx.Client(timeout=timeout) as client:
        response = http.send(policy, lambda: client.get(url + "/x"), sleep=waits.append)
    return response, waits


def test_server_errors_back_off_exponentially_then_succeed():
    with flaky((503, {}), (500, {}), (502, {})) as srv:
        response, waits = fetch(http.Policy(base_wait=0.25, max_wait=0.6), srv.url)
    assert response.status_code == 200 and srv.requests == 4
    assert waits == [0.25, 0.5, 0.6]  # doubled, capped by max_wait


def test_retry_after_is_honoured_plus_a_second_and_capped():
    with flaky((429, {"Retry-After": "2"}), (429, {"Retry-After": "3600"})) as srv:
        response, waits = fetch(http.Policy(max_retry_after=30), srv.url)
    assert response.status_code == 200 and waits == [3.0, 30.0]


def test_retry_after_as_a_date_and_rate_limit_headers():
    soon = formatdate(time.time() + 100, usegmt=True)
    later = str(int(time.time()) + 10_000)
    with flaky((503, {"Retry-After": soon}),
               (429, {"RateLimit": '"api";r=0;t=7', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'}),
               (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": later})) as srv:
        response, waits = fetch(http.Policy(max_retry_after=50), srv.url)
    assert response.status_code == 200
    assert waits[0] == 50 and waits[1] == 8.0 and waits[2] == 50  # date ~100 s and reset far away: capped


def test_client_errors_are_not_retried():
    with flaky((404, {}), (403, {})) as srv:
        response, waits = fetch(http.Policy(), srv.url)
    assert response.status_code == 404 and srv.requests == 1 and waits == []


def test_the_last_response_comes_back_when_retries_run_out():
    with flaky(*[(500, {})] * 10) as srv:
        response, waits = fetch(http.Policy(retries=3), srv.url)
    assert response.status_code == 500 and srv.requests == 4 and len(waits) == 3


def test_time_outs_and_resets_are_retried():
    plan = {1: Fault("hang", hang_seconds=1.0), 2: Fault("reset")}
    srv = LoopbackServer(answer=lambda m, p, b: (200, {}, b"{}"), faults=lambda path, n: plan.get(n))
    with srv:
        response, waits = fetch(http.Policy(base_wait=0.01), srv.url, timeout=0.3)
    assert response.status_code == 200 and srv.requests == 3 and len(waits) == 2


def test_call_retries_errors_that_carry_a_response():
    """huggingface_hub's HfHubHTTPError (from hf_raise_for_status) is retried; retry_also adds types."""
    seen = []

    def get(url):
        response = get_session().get(url)
        hf_raise_for_status(response)
        seen.append(response.status_code)
        if len(seen) == 1:
            raise ValueError("cut body")
        return response.json()

    with flaky((502, {})) as srv:
        with pytest.raises(ValueError):
            http.call(http.Policy(base_wait=0.01), get, srv.url + "/a")
        seen.clear()
        assert http.call(http.Policy(base_wait=0.01, retry_also=(ValueError,)), get, srv.url + "/b") == {"ok": True}
    assert srv.requests == 4 and seen == [200, 200]


class _DripHeaders(LoopbackServer):
    """Answers after sending its headers a byte every 0.1 s (4 s in all): each read is quick, the whole is not."""

    def __init__(self):
        from peatmoss.core.archive import _Handler

        class Handler(_Handler):
            def _serve(self, method):
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Drip: " + b"a" * 40 + b"\r\n"
                try:
                    for byte in head:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.1)
                    self.wfile.write(b"Content-Length: 2\r\n\r\n[]")
                except OSError:
                    pass
                self.close_connection = True

        super().__init__()
        self.RequestHandlerClass = Handler


def test_dripped_headers_are_cut_by_the_deadline_on_any_client():
    with _DripHeaders() as srv, http.httpx.Client() as client:
        with pytest.raises(http.httpx.ReadTimeout, match="within 1 s"):
            http.bounded_get(client, srv.url + "/x", timeout=5, deadline=1, max_bytes=100)


def test_api_client_requests_are_cut_by_their_deadline():
    """`Client` (code search) holds each request to its wall-clock deadline, not only to a per-read timeout."""
    with _DripHeaders() as srv, http.Client(srv.url, {}, retries=0, timeout=5, deadline=1) as client:
        started = time.monotonic()
        with pytest.raises(http.httpx.ReadTimeout, match="within 1 s"):
            client.get_once(srv.url + "/x")
    assert time.monotonic() - started < 3 and client.requests == 1


def test_limits_are_per_thread():
    """A thread's block bounds its own requests: a worker thread entering its own block is cut at its deadline;
    the session used meanwhile by a thread without a block is not bounded by it."""
    import threading

    outcome = {}
    with _DripHeaders() as srv:
        session = get_session()

        def worker():
            try:
                with http.bounded_client(session, timeout=5, deadline=1, max_bytes=100):
                    session.get(srv.url + "/w")
                outcome["worker"] = "answered"
            except http.httpx.ReadTimeout as exc:
                outcome["worker"] = str(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        outcome["main"] = session.get(srv.url + "/m").json()  # no block here: the whole 4 s drip is read
        thread.join()
    assert outcome["main"] == [] and "within 1 s" in outcome["worker"], outcome
