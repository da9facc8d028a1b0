"""An OpenAI-compatible chat client with a response cache, record/replay, cost accounting and a budget.

The cache key is the model plus a hash of the prompt (messages + output mode), so a re-run costs $0.
The cache lives in the `llm_call` table when a database URL is given, else in memory. Record/replay is the
core archive: `record` stores every HTTP exchange in an archive folder (no API key), `replay` serves such a
folder on a loopback server the real openai client talks to, without any network ($0, counted as cache hits).
Retries follow the core HTTP policy.

Output modes: `json_schema` (OpenAI structured outputs), `json_object_schema` (`{"type": "json_object",
"schema": ...}`, the form llama.cpp's servers constrain with a grammar), `json_object` (any JSON, the schema
in the prompt) and `prompt` (no response_format). A server that rejects `json_schema` (HTTP 400/422, or a 500
naming response_format as llama-cpp-python's server answers) is asked
again at once with `json_object_schema`, and the client keeps that form.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import tomllib
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from peatmoss.core import http
from peatmoss.core.archive import Archive, ArchiveServer, Recorder, is_miss
from peatmoss.core.redact import add_secret

log = logging.getLogger(__name__)

MODES = ("json_schema", "json_object_schema", "json_object", "prompt")
SCHEMA_MODES = ("json_schema", "json_object_schema")  # the server enforces the schema


class BudgetExceeded(RuntimeError):
    pass


class LlmError(RuntimeError):
    """A failed call (HTTP error, timeout, empty answer); `kind` names it for the error row."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def load_prices(path: Path | None = None) -> dict[str, dict[str, float]]:
    """USD per 1M tokens by model: {"model": {"input": x, "output": y}}; TOML or JSON."""
    if path is None:
        text = (resources.files("peatmoss.cards") / "prices.toml").read_text(encoding="utf-8")
        return tomllib.loads(text)
    raw = Path(path).read_text(encoding="utf-8")
    return json.loads(raw) if str(path).endswith(".json") else tomllib.loads(raw)


def _rejects_format(exc: Exception) -> bool:
    """Did the server refuse the request's response_format? (400/422; llama-cpp-python answers a request it
    cannot validate with 500 and the validation error.)"""
    response = getattr(exc, "response", None)
    if response is None or is_miss(response):
        return False
    status = getattr(exc, "status_code", None)
    return status in (400, 422) or (status == 500 and "response_format" in (response.text or ""))


@dataclass
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float
    cached: bool


class LlmClient:
    def __init__(self, *, model: str, base_url: str | None = None, api_key: str = "not-needed",
                 structured: str = "json_schema", max_cost: float | None = None, concurrency: int = 4,
                 prices: dict | None = None, record: Path | None = None, replay: Path | None = None,
                 cache_url: str | None = None, token_budget: int = 12000, timeout: float = 60.0,
                 max_tokens: int = 2000):
        if structured not in MODES:
            raise ValueError(f"structured must be one of {MODES}")
        self.model, self.base_url, self.structured = model, base_url, structured
        self.wire_mode = structured  # the response_format form sent (json_schema may fall back)
        self.max_cost, self.concurrency, self.token_budget = max_cost, max(1, concurrency), token_budget
        self.prices = prices if prices is not None else load_prices()
        self.record, self.cache_url, self.timeout, self.max_tokens = record, cache_url, timeout, max_tokens
        self._api_key = api_key  # never logged
        if api_key != "not-needed":
            add_secret(api_key)  # redacted wherever it appears (a server may echo it in an error)
        self._client = None
        self._lock = threading.Lock()
        self._sem = threading.Semaphore(self.concurrency)
        self._memory: dict[str, dict] = {}
        if replay is not None and not Archive.exists(replay):
            raise FileNotFoundError(f"{replay} holds no recording (index.jsonl); record one with --record")
        self.replay = replay
        self.policy = http.Policy(retries=1)
        self.stats = {"calls": 0, "cache_hits": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0,
                      "errors": 0, "latency_s": 0.0}

    # ----------------------------------------------------------------- accounting

    def price(self, prompt_tokens: int, completion_tokens: int) -> float:
        p = self.prices.get(self.model) or self.prices.get("default") or {}
        return (prompt_tokens * p.get("input", 0.0) + completion_tokens * p.get("output", 0.0)) / 1e6

    def over_budget(self) -> bool:
        return self.max_cost is not None and self.stats["cost_usd"] >= self.max_cost

    def ledger(self) -> dict:
        with self._lock:
            out = dict(self.stats)
        out.update(model=self.model, structured=self.wire_mode, cost_usd=round(out["cost_usd"], 6),
                   latency_s=round(out["latency_s"], 3))
        return out

    # ----------------------------------------------------------------- cache

    def cache_key(self, messages: list[dict], schema: dict | None) -> tuple[str, str]:
        blob = json.dumps({"messages": messages, "mode": self.structured, "schema": schema}, sort_keys=True)
        prompt_hash = hashlib.sha256(blob.encode("utf-8")).hexdigest()
        return hashlib.sha256(f"{self.model}\n{prompt_hash}".encode()).hexdigest(), prompt_hash

    def _cached(self, key: str) -> dict | None:
        if key in self._memory:
            return self._memory[key]
        if self.cache_url:
            from sqlalchemy import select

            from peatmoss.db import session_scope
            from peatmoss.db.models import LlmCall
            with session_scope(self.cache_url) as s:
                row = s.scalar(select(LlmCall).where(LlmCall.cache_key == key))
                if row is not None and row.response is not None:
                    return {"response": row.response, "prompt_tokens": row.prompt_tokens or 0,
                            "completion_tokens": row.completion_tokens or 0}
        return None

    def _store(self, key: str, prompt_hash: str, rec: dict) -> None:
        self._memory[key] = rec
        if self.cache_url:
            from sqlalchemy import select
            from sqlalchemy.exc import IntegrityError

            from peatmoss.db import session_scope
            from peatmoss.db.models import LlmCall
            try:
                with session_scope(self.cache_url) as s:
                    if s.scalar(select(LlmCall.id).where(LlmCall.cache_key == key)) is None:
                        s.add(LlmCall(cache_key=key, llm_model=self.model, prompt_hash=prompt_hash,
                                      response=rec["response"], prompt_tokens=rec["prompt_tokens"],
                                      completion_tokens=rec["completion_tokens"], cost_usd=rec["cost_usd"],
                                      latency_s=rec["latency_s"], created_at=datetime.now(timezone.utc)))
            except IntegrityError:
                pass  # another worker stored the same answer

    # ----------------------------------------------------------------- calls

    def _openai(self):
        with self._lock:
            if self._client is None:
                from openai import OpenAI
                base_url, hooks = self.base_url, None
                if self.replay is not None:
                    server = ArchiveServer(self.replay).__enter__()
                    weakref.finalize(self, server.__exit__)
                    base_url = server.url
                elif self.record is not None:
                    hooks = Recorder(self.record, self.base_url).client_hooks()
                self._client = OpenAI(base_url=base_url, api_key=self._api_key, max_retries=0, timeout=self.timeout,
                                      http_client=http.httpx.Client(timeout=self.timeout, event_hooks=hooks))
        return self._client

    def response_format(self, schema: dict | None, mode: str | None = None) -> dict | None:
        mode = mode or self.wire_mode
        if mode == "json_schema" and schema is not None:
            return {"type": "json_schema", "json_schema": {"name": "CardAnswer", "schema": schema, "strict": False}}
        if mode == "json_object_schema" and schema is not None:
            return {"type": "json_object", "schema": schema}
        if mode in ("json_object", "json_object_schema"):
            return {"type": "json_object"}
        return None

    def _create(self, kwargs: dict, schema: dict | None):
        """One chat completion; a `json_schema` request the server rejects is sent again as `json_object_schema`."""
        mode = self.wire_mode
        fmt = self.response_format(schema, mode)
        if fmt is not None:
            kwargs = {**kwargs, "response_format": fmt}
        try:
            return http.call(self.policy, self._openai().chat.completions.create, **kwargs)
        except Exception as exc:  # noqa: BLE001 - openai's APIStatusError family
            if mode != "json_schema" or schema is None or not _rejects_format(exc):
                raise
        with self._lock:
            if self.wire_mode == "json_schema":
                log.info("%s rejected response_format json_schema; sending json_object with the schema", self.model)
                self.wire_mode = "json_object_schema"
        kwargs["response_format"] = self.response_format(schema, "json_object_schema")
        return http.call(self.policy, self._openai().chat.completions.create, **kwargs)

    def complete(self, messages: list[dict], schema: dict | None = None) -> Reply:
        key, prompt_hash = self.cache_key(messages, schema)
        hit = self._cached(key)
        if hit is not None:
            with self._lock:
                self.stats["cache_hits"] += 1
            return Reply(hit["response"], hit.get("prompt_tokens", 0), hit.get("completion_tokens", 0), 0.0, 0.0, True)
        if self.base_url is None and self.replay is None:
            raise LlmError("llm_replay_miss", "no cached response for this prompt and no --llm-base-url or --replay")
        if self.over_budget():
            raise BudgetExceeded(f"spent ${self.stats['cost_usd']:.4f} of --max-cost ${self.max_cost}")
        kwargs = {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": self.max_tokens}
        t0 = time.perf_counter()
        with self._sem:
            try:
                resp = self._create(kwargs, schema)
            except Exception as exc:  # openai raises APIStatusError, APITimeoutError, APIConnectionError...
                with self._lock:
                    self.stats["errors"] += 1
                if is_miss(getattr(exc, "response", None)):
                    raise LlmError("llm_replay_miss", f"no response for this prompt in {self.replay}") from None
                kind = "llm_timeout" if "Timeout" in type(exc).__name__ else "llm_http_error"
                raise LlmError(kind, f"{type(exc).__name__}: {str(exc)[:300]}") from None
        latency = time.perf_counter() - t0
        text = (resp.choices[0].message.content or "") if resp.choices else ""
        usage = getattr(resp, "usage", None)
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        if self.replay is not None:  # answered from the archive: nothing spent
            if not text.strip():
                raise LlmError("llm_empty", "the model returned no content")
            with self._lock:
                self.stats["cache_hits"] += 1
            return Reply(text, pt, ct, 0.0, 0.0, True)
        cost = self.price(pt, ct)
        with self._lock:
            self.stats["calls"] += 1
            self.stats["prompt_tokens"] += pt
            self.stats["completion_tokens"] += ct
            self.stats["cost_usd"] += cost
            self.stats["latency_s"] += latency
        if not text.strip():
            raise LlmError("llm_empty", "the model returned no content")
        rec = {"response": text, "prompt_tokens": pt, "completion_tokens": ct, "cost_usd": cost, "latency_s": latency}
        self._store(key, prompt_hash, rec)
        return Reply(text, pt, ct, cost, latency, False)
