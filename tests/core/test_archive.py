"""One archive for Hub, GitHub and LLM: record real loopback exchanges with the real clients, replay them
through the archive server with the same clients, get the same results; no secret is ever written."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.utils import get_session

from peatmoss.cards.fakeserver import FakeOpenAI
from peatmoss.cards.llm import LlmClient, LlmError
from peatmoss.core import http
from peatmoss.core.archive import Archive, ArchiveServer, LoopbackServer, Recorder, record_hub
from peatmoss.registries.hubserver import HubServer, RecordSource
from peatmoss.usage.github import GitHub, github_client

HF_TOKEN = "hf_SeCrEtArChIvEtOkEn0123456789"
GH_TOKEN = "ghp_SeCrEtArChIvEtOkEn0123456789"
LLM_KEY = "sk-SeCrEtArChIvEkEy0123456789"


def written(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def unzipped(folder: Path) -> bytes:
    import gzip

    return b"".join(gzip.decompress(p.read_bytes()) for p in sorted((folder / "bodies").glob("*.gz")))


def assert_no_secret(folder: Path, *secrets: str) -> None:
    data = written(folder) + unzipped(folder)
    assert data and b"authorization" not in data.lower()
    for secret in secrets:
        assert secret.encode() not in data


def test_hub_through_huggingface_hub(tmp_path):
    records = [{"id": f"org/model-{i}", "author": "org", "downloads": 100 - i, "likes": i, "tags": ["bert"],
                "sha": f"{i}" * 40} for i in range(5)]
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / quote("org/model-1/resolve/main/README.md", safe="")).write_text("# model-1\nA card.\n")

    def calls(endpoint: str, token):
        api = HfApi(endpoint=endpoint, token=token)
        listed = [(m.id, m.downloads) for m in api.list_models(limit=5, sort="downloads")]
        info = api.model_info("org/model-2")
        card = get_session().get(hf_hub_url("org/model-1", "README.md", endpoint=endpoint)).text
        return listed, (info.id, info.sha, info.likes), card

    archive = tmp_path / "hub"
    with HubServer(RecordSource(records, extra), page_size=2) as origin, record_hub(archive, origin.url):
        first = calls(origin.url, HF_TOKEN)
    with ArchiveServer(archive) as replay:
        second = calls(replay.url, False)
    assert first == second
    assert len(first[0]) == 5 and first[2].startswith("# model-1")
    assert len(Archive(archive)) == 5  # three listing pages, the model, the card
    assert b"{base}/api/models" in written(archive)  # paging links point at whichever server replays
    assert_no_secret(archive, HF_TOKEN)


def github_origin() -> LoopbackServer:
    """A small GitHub: one repository and three pages of issues linked by absolute `Link` URLs."""

    def answer(method, path, body):
        parts = urlsplit(path)
        if parts.path == "/repos/o/r":
            return 200, {}, json.dumps({"full_name": "o/r", "stargazers_count": 5}).encode()
        if parts.path == "/repos/o/r/issues":
            page = int(dict(parse_qsl(parts.query)).get("page", 1))
            link = {"Link": f'<{srv.url}/repos/o/r/issues?per_page=100&page={page + 1}>; rel="next"'} \
                if page < 3 else {}
            return 200, link, json.dumps([{"number": page}]).encode()
        return 404, {}, b'{"message": "Not Found"}'

    srv = LoopbackServer(answer=answer)
    return srv


def test_github_through_its_client(tmp_path):
    def calls(gh: GitHub):
        return gh.get("/repos/o/r").json(), [i["number"] for i in gh.paginate("/repos/o/r/issues")]

    archive = tmp_path / "github"
    with github_origin() as origin, GitHub(origin.url, token=GH_TOKEN, record=archive) as gh:
        first = calls(gh)
    with github_client(replay=archive, token="") as gh:
        second = calls(gh)
    assert first == second == ({"full_name": "o/r", "stargazers_count": 5}, [1, 2, 3])
    assert_no_secret(archive, GH_TOKEN)


def test_llm_through_the_openai_client(tmp_path):
    messages = [{"role": "user", "content": "Which license has bert-base-uncased?"}]
    archive = tmp_path / "llm"
    with FakeOpenAI(lambda request: '{"license": "apache-2.0"}') as origin:
        first = LlmClient(model="fake-strong", base_url=origin.base_url, api_key=LLM_KEY, record=archive)
        recorded = first.complete(messages)
    offline = LlmClient(model="fake-strong", replay=archive)  # no origin server any more
    replayed = offline.complete(messages)
    assert replayed.text == recorded.text == '{"license": "apache-2.0"}'
    assert replayed.cached and replayed.cost_usd == 0 and not recorded.cached
    with pytest.raises(LlmError) as miss:
        offline.complete([{"role": "user", "content": "a prompt never recorded"}])
    assert miss.value.kind == "llm_replay_miss"
    assert_no_secret(archive, LLM_KEY)


def test_credentials_echoed_by_a_server_are_cut_out(tmp_path):
    """A token in the query or an auth header never reaches the archive, even when the server echoes it."""

    def echo(method, path, body):
        query = dict(parse_qsl(urlsplit(path).query))
        return 200, {"Link": f"<{srv.url}/next?access_token={query['access_token']}>; rel=next"}, \
            json.dumps({"you_sent": query["access_token"], "again": "token " + query["access_token"]}).encode()

    srv = LoopbackServer(answer=echo)
    archive = tmp_path / "echo"
    with srv, http.httpx.Client(event_hooks=Recorder(archive, srv.url).client_hooks()) as client:
        client.get(srv.url + "/who", params={"access_token": "tok_SeCrEt_QuErY_123", "q": "x"},
                   headers={"Authorization": "token tok_SeCrEt_HeAdEr_456"})
    assert_no_secret(archive, "tok_SeCrEt_QuErY_123", "tok_SeCrEt_HeAdEr_456")
    entry = json.loads((archive / "index.jsonl").read_text())
    assert entry["url"] == "/who?q=x"
    with ArchiveServer(archive) as replay:  # matched without the credential, whatever token is sent now
        again = http.httpx.get(replay.url + "/who?q=x&access_token=another")
    assert again.status_code == 200 and again.json()["you_sent"] == "<redacted>"


def test_responses_are_served_in_turn_and_requests_match_on_body(tmp_path):
    archive = Archive(tmp_path / "a")
    archive.add("GET", "/flaky?b=2&a=1", None, 503, {}, b'{"error": "busy"}')
    archive.add("GET", "/flaky?b=2&a=1", None, 200, {"etag": "v1"}, b'{"ok": 1}')
    archive.add("POST", "/chat", b'{"model": "m", "n": 1}', 200, {}, b'{"answer": 1}')
    with ArchiveServer(tmp_path / "a") as srv, http.httpx.Client() as client:
        statuses = [client.get(srv.url + "/flaky?a=1&b=2").status_code for _ in range(3)]
        head = client.head(srv.url + "/flaky?a=1&b=2")
        posted = client.post(srv.url + "/chat", content=b'{"n":1,"model":"m"}')  # key order does not matter
        other = client.post(srv.url + "/chat", content=b'{"n":2,"model":"m"}')
    assert statuses == [503, 200, 200]  # in turn, the last repeating
    assert head.status_code == 200 and head.headers["etag"] == "v1"
    assert posted.json() == {"answer": 1}
    assert other.status_code == 404 and other.headers["x-archive-miss"] == "1"


def test_a_closed_server_answers_no_more():
    """Leaving the block closes kept-alive connections too: a pooled client connection cannot reach the old
    server's handler, so a later server on the same port gets the request."""
    from peatmoss.core.archive import LoopbackServer

    session = get_session()
    with LoopbackServer(answer=lambda m, p, b: (200, {}, b'"old"')) as old:
        port = old.server_address[1]
        assert session.get(old.url + "/x").json() == "old"
    with LoopbackServer(answer=lambda m, p, b: (200, {}, b'"new"'), port=port) as new:
        assert session.get(new.url + "/x").json() == "new" and new.requests == 1
