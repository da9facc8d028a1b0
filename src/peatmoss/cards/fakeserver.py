"""A fake OpenAI-compatible server on 127.0.0.1 (real HTTP, a `core.archive.LoopbackServer`) for offline
tests and harness runs; it answers new prompts, where `core.archive.ArchiveServer` replays recorded ones.

`FakeOpenAI(handler)` serves POST /v1/chat/completions; `handler(request_json)` returns the reply text, or a
`Fail(status, body, delay)` to simulate errors and timeouts. `oracle_handler` answers from the gold labels
(quotes located in the card text; in `cheap` mode only from the snippets it was sent), so the LLM pipelines
can be run end to end offline — its figures measure the harness, not a model:

    python -m peatmoss.cards.fakeserver --port 8765 &
    peatmoss eval extraction --pipeline all --llm-base-url http://127.0.0.1:8765/v1 \\
        --llm-model fake-strong --cheap-model fake-small
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from peatmoss.core.archive import LoopbackServer

Handler = Callable[[dict], "str | Fail"]


@dataclass
class Fail:
    status: int = 500
    body: str = '{"error": {"message": "internal error"}}'
    delay: float = 0.0


class FakeOpenAI:
    """`with FakeOpenAI(handler) as srv: ... srv.base_url ...`; `requests` holds the JSON bodies received."""

    def __init__(self, handler: Handler, port: int = 0):
        self.handler = handler
        self.requests: list[dict] = []
        self.server = LoopbackServer(answer=self._answer, port=port)

    def _answer(self, method: str, path: str, raw: bytes):
        body = json.loads(raw or b"{}")
        self.requests.append(body)
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            return 404, {}, b'{"error": {"message": "not found"}}'
        result = self.handler(body)
        if isinstance(result, Fail):
            if result.delay:
                time.sleep(result.delay)
            return result.status, {}, result.body.encode()
        prompt = sum(len(m.get("content") or "") for m in body.get("messages", []))
        reply = {
            "id": "fake-" + hashlib.sha1(result.encode()).hexdigest()[:12], "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": result}}],
            "usage": {"prompt_tokens": prompt // 4, "completion_tokens": len(result) // 4,
                      "total_tokens": prompt // 4 + len(result) // 4},
        }
        return 200, {}, json.dumps(reply).encode()

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)


# --------------------------------------------------------------------------- request helpers


def card_of(request: dict) -> str:
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    m = re.search(r"<model_card>\n(.*)\n</model_card>", user, re.S)
    return m.group(1) if m else ""


def fields_of(request: dict) -> list[str]:
    user = next((m["content"] for m in request.get("messages", []) if m.get("role") == "user"), "")
    head = user.split("<model_card>")[0]
    return re.findall(r"^- (\w+): ", head, re.M)


def is_reask(request: dict) -> bool:
    return any(m.get("role") == "assistant" for m in request.get("messages", []))


# --------------------------------------------------------------------------- oracle from gold labels


def _quote(card: str, needle: str) -> str | None:
    if not needle:
        return None
    pos = card.lower().find(str(needle).lower())
    return card[pos:pos + len(str(needle))] if pos >= 0 else None


def _answer_item(field: str, label, card: str):
    """(value, quote) for one gold answer, the quote found in the text the model was sent, else None."""
    if isinstance(label, list):  # alternatives: the first one the text contains
        for alt in label:
            got = _answer_item(field, alt, card)
            if got:
                return got
        return None
    if field in ("demo", "limitation_and_bias"):
        rx = r"(?:from_pretrained|import \w+|pipeline\(|curl )[^\n]*" if field == "demo" else \
            r"[^\n]*(?:imitation|[Bb]ias|[Rr]isk|warrant)[^\n]*"
        m = re.search(rx, card)
        return (m.group(0).strip(), m.group(0).strip()) if m else None
    if field in ("parameter_count", "carbon_emitted", "vocabulary_size", "max_sequence_length", "sample_rate"):
        for form in (str(label), f"{label:,}" if isinstance(label, int) else str(label),
                     str(int(label / 1000)) + "k" if isinstance(label, int) else str(label)):
            q = _quote(card, form)
            if q:
                return label, q
        return None
    key = label.split("/")[-1] if field in ("datasets", "base_model") else label
    if field == "papers" and str(label).startswith("http"):
        key = re.sub(r"^https?://(www\.)?", "", label).replace("abs/", "")
        key = key.split("arxiv.org/")[-1]
    if field == "github_repo":
        key = label.split("github.com/")[-1]
    if field == "hardware":
        key = re.sub(r"\s", "", label)
        m = re.search(r"\s?".join(map(re.escape, key)), card, re.I)
        q = m.group(0) if m else None
    else:
        q = _quote(card, key)
    if not q:
        return None
    value = {"datasets": {"name": label}, "base_model": {"id": label, "relation": "finetune"},
             "papers": {"url": label} if str(label).startswith("http") else {"title": label},
             "hardware": {"name": label}}.get(field, label)
    return value, q


def oracle_answer(labels: dict, fields: list[str], card: str) -> str:
    out = {}
    for field in fields:
        if field not in labels:
            continue
        label = labels[field]
        if field in ("demo", "limitation_and_bias"):
            label = [label] if label else []
        items = label if isinstance(label, list) and field in _LIST else ([] if label is None else [label])
        values = []
        for item in items:
            got = _answer_item(field, item, card)
            if got:
                values.append({"value": got[0], "quote": got[1]})
        out[field] = {"not_stated": not values, "values": values}
    return json.dumps(out)


_LIST = {"datasets", "language", "base_model", "papers", "hardware", "libraries", "frameworks",
         "demo", "limitation_and_bias"}


def oracle_handler(gold_path: Path, cards_dir: Path, invalid_every: int = 7) -> Handler:
    """Answers from the gold labels for the card the request carries; every `invalid_every`-th card gets
    an invalid answer first (so the re-ask path is exercised)."""
    from .evaluate import BULK, bulk_cards

    rows = [json.loads(x) for x in Path(gold_path).read_text(encoding="utf-8").splitlines() if x.strip()]
    bulk = bulk_cards(Path(cards_dir), {r["card"][len(BULK):] for r in rows if r["card"].startswith(BULK)})
    cards = [(r, bulk[r["card"][len(BULK):]] if r["card"].startswith(BULK) else
              (Path(cards_dir) / r["card"]).read_text(encoding="utf-8", errors="replace")) for r in rows
             if not r["card"].startswith(BULK) or r["card"][len(BULK):] in bulk]

    def handle(request: dict):
        sent = card_of(request)
        probe = sent.split("\n...\n")[0][:300]
        for i, (row, text) in enumerate(cards):
            if probe and probe in text:
                if invalid_every and i % invalid_every == 0 and not is_reask(request):
                    return '{"license": {"not_stated": "maybe", "values": [{"quote": 3}]'  # invalid
                return oracle_answer(row["labels"], fields_of(request), sent)
        return json.dumps({f: {"not_stated": True, "values": []} for f in fields_of(request)})

    return handle


def main(argv=None) -> int:
    from .evaluate import default_cards_dir, default_gold

    ap = argparse.ArgumentParser(description="Fake OpenAI-compatible server answering from the gold labels.")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--gold", type=Path, default=None)
    ap.add_argument("--cards", type=Path, default=None)
    args = ap.parse_args(argv)
    handler = oracle_handler(args.gold or default_gold(), args.cards or default_cards_dir())
    with FakeOpenAI(handler, port=args.port) as srv:
        print(f"fake OpenAI server on {srv.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
